import { DefenderApiError } from './defenderError';
import type { EntitySetSpec } from './entityFields';
import { evaluateFilter } from './odataEvaluator';
import { parseFilter } from './odataFilter';
import type { FilterNode } from './odataFilter';

/** The documented `$top` maximum for alerts, machines and machine actions (defender-api.md §2.3, §3.3, §4.2). */
export const MAX_TOP = 10_000;

/** Parsed system query options of one list request. */
export interface ListQuery {
  filter: FilterNode | undefined;
  /** Undefined when the request had no `$top`. */
  top: number | undefined;
  skip: number;
  expand: ReadonlySet<string>;
  /** The options as received, in order, for rebuilding `@odata.nextLink`. */
  options: readonly (readonly [string, string])[];
}

/** What one list endpoint accepts. */
export interface ListQuerySpec {
  fields: EntitySetSpec;
  /** Navigation properties `$expand` may name (alerts: evidence). */
  expandable: readonly string[];
}

const SUPPORTED = new Set(['$filter', '$top', '$skip', '$expand']);

function badQuery(message: string): DefenderApiError {
  return new DefenderApiError(400, 'BadRequest', message);
}

function parseCount(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw badQuery(`Invalid value '${value}' for ${name}: expected a non-negative integer.`);
  const n = Number(value);
  if (name === '$top' && n > max) {
    throw badQuery(
      `The limit of '${max}' for Top query has been exceeded. The value from the incoming request is '${value}'.`,
    );
  }
  if (n < min || n > max) throw badQuery(`Invalid value '${value}' for ${name}: expected ${min}..${max}.`);
  return n;
}

/**
 * Reads `$filter`, `$top`, `$skip` and `$expand` (names case-insensitive, each at most once). Other system
 * options (`$orderby`, `$select`, `$count`, ...) are refused rather than ignored: they are not documented for
 * these endpoints, and silently ignoring `$orderby` would hand the bot an order it did not ask for.
 * Parameters without `$` are left alone, as an HTTP API would.
 */
export function parseListQuery(params: URLSearchParams, spec: ListQuerySpec): ListQuery {
  const options: [string, string][] = [];
  const seen = new Map<string, string>();
  for (const [name, value] of params) {
    if (!name.startsWith('$')) continue;
    const lower = name.toLowerCase();
    if (!SUPPORTED.has(lower)) throw badQuery(`The query parameter '${name}' is not supported.`);
    if (seen.has(lower))
      throw badQuery(`Query option '${lower}' was specified more than once, it must be specified at most once.`);
    seen.set(lower, value);
    options.push([name, value]);
  }
  const filterText = seen.get('$filter');
  const topText = seen.get('$top');
  const skipText = seen.get('$skip');
  const expandText = seen.get('$expand');
  const expand = new Set<string>();
  if (expandText !== undefined) {
    for (const item of expandText.split(',').map((s) => s.trim())) {
      const match = spec.expandable.find((e) => e.toLowerCase() === item.toLowerCase());
      if (match === undefined) {
        throw badQuery(
          `Could not find a property named '${item}' to expand on ${spec.fields.entitySet}` +
            (spec.expandable.length > 0 ? `; expandable: ${spec.expandable.join(', ')}.` : '.'),
        );
      }
      expand.add(match);
    }
  }
  return {
    filter: filterText === undefined ? undefined : parseFilter(filterText, spec.fields),
    top: topText === undefined ? undefined : parseCount('$top', topText, 1, MAX_TOP),
    skip: skipText === undefined ? 0 : parseCount('$skip', skipText, 0, Number.MAX_SAFE_INTEGER),
    expand,
    options,
  };
}

/** Entities that satisfy the query's `$filter` (all of them when there is none). */
export function applyFilter<T extends Record<string, unknown>>(items: readonly T[], query: ListQuery): T[] {
  const { filter } = query;
  return filter === undefined ? [...items] : items.filter((item) => evaluateFilter(filter, item));
}

/** One page of a filtered list and, when more remain, the absolute link to the next page. */
export interface Page<T> {
  value: T[];
  nextLink: string | undefined;
}

function encodeOption(value: string): string {
  return encodeURIComponent(value);
}

/**
 * Server-driven paging. A page holds at most `pageSize` items. With an explicit `$top` the chain stops once
 * `$top` items were served (each nextLink carries the remaining `$top`); without one, a nextLink is emitted
 * whenever more items remain (apis-intro.md: "when more results exist, @odata.nextLink is returned"). The link
 * is `$skip`-based — the documented format is unconfirmed (§7.4), so clients must treat it as opaque.
 */
export function pageOf<T>(filtered: readonly T[], query: ListQuery, pageSize: number, linkBase: string): Page<T> {
  const limit = Math.min(query.top ?? Number.POSITIVE_INFINITY, pageSize);
  const value = filtered.slice(query.skip, query.skip + limit);
  const served = query.skip + value.length;
  const topLeft = query.top === undefined ? undefined : query.top - value.length;
  const more = served < filtered.length && (topLeft === undefined || topLeft > 0);
  if (!more) return { value, nextLink: undefined };
  const kept = query.options.filter(([name]) => !['$skip', '$top'].includes(name.toLowerCase()));
  const parts = kept.map(([name, v]) => `${name}=${encodeOption(v)}`);
  if (topLeft !== undefined) parts.push(`$top=${topLeft}`);
  parts.push(`$skip=${served}`);
  return { value, nextLink: `${linkBase}?${parts.join('&')}` };
}

/**
 * Query options of a single-entity GET: only `$expand` makes sense there; `$filter`/`$top`/`$skip` are refused
 * so a client bug (options sent to the wrong URL) surfaces instead of being ignored.
 */
export function parseEntityQuery(params: URLSearchParams, spec: ListQuerySpec): ReadonlySet<string> {
  const query = parseListQuery(params, spec);
  const misplaced = query.options.find(([name]) => name.toLowerCase() !== '$expand');
  if (misplaced !== undefined) {
    throw badQuery(`The query option '${misplaced[0]}' is not supported when reading a single entity.`);
  }
  return query.expand;
}
