/*
 * Building OData `$filter` expressions for the Defender for Endpoint API and Microsoft Graph. Every literal goes through `literal()`, which
 * doubles single quotes (OData's only escape inside a string literal), so user text can never close the
 * string and append its own clause. Field names are a closed union per entity set, never user input.
 */

/** Alert fields the Defender API documents as filterable (defender-api.md §2.3). */
export type AlertFilterField =
  | 'severity'
  | 'status'
  | 'alertCreationTime'
  | 'lastUpdateTime'
  | 'lastEventTime'
  | 'assignedTo'
  | 'category'
  | 'detectionSource'
  | 'incidentId'
  | 'id';

/** Machine fields the Defender API documents as filterable (defender-api.md §3.3). */
export type MachineFilterField =
  | 'computerDnsName'
  | 'id'
  | 'healthStatus'
  | 'riskScore'
  | 'exposureLevel'
  | 'osPlatform'
  | 'rbacGroupId'
  | 'deviceValue'
  | 'lastSeen';

/** Machine action fields the Defender API documents as filterable (defender-api.md §4.2). */
export type MachineActionFilterField = 'id' | 'machineId' | 'status' | 'type' | 'requestor' | 'creationDateTimeUtc';

/** A fragment of a `$filter` expression; only this module creates them. */
export interface FilterExpression {
  readonly odata: string;
}

type Comparison = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
type Literal = string | number | Date | null;

/** Renders a literal: strings quoted with `'` doubled, dates as unquoted ISO-8601 UTC, numbers as-is. */
export function literal(value: Literal): string {
  if (value === null) return 'null';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new RangeError('invalid date in OData filter');
    return value.toISOString();
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('non-finite number in OData filter');
    return String(value);
  }
  return `'${value.replace(/'/g, "''")}'`;
}

/** `field op literal`. */
export function compare<F extends string>(field: F, op: Comparison, value: Literal): FilterExpression {
  return { odata: `${field} ${op} ${literal(value)}` };
}

/** `startswith(field,'prefix')`. */
export function startsWith<F extends string>(field: F, prefix: string): FilterExpression {
  return { odata: `startswith(${field},${literal(prefix)})` };
}

/** Conjunction; parenthesises each operand so precedence never depends on the caller. */
export function and(...parts: (FilterExpression | undefined)[]): FilterExpression | undefined {
  return join('and', parts);
}

/** Disjunction, parenthesised as `and`. */
export function or(...parts: (FilterExpression | undefined)[]): FilterExpression | undefined {
  return join('or', parts);
}

/** `field eq v1 or field eq v2 …` for a set of values (OData v4 `in` is not documented for Defender). */
export function anyOf<F extends string>(field: F, values: readonly Literal[]): FilterExpression | undefined {
  return or(...values.map((v) => compare(field, 'eq', v)));
}

function join(op: 'and' | 'or', parts: (FilterExpression | undefined)[]): FilterExpression | undefined {
  const present = parts.filter((p): p is FilterExpression => p !== undefined);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return { odata: present.map((p) => `(${p.odata})`).join(` ${op} `) };
}

/** Microsoft Graph incident fields documented as filterable (defender-api.md §6.2). */
export type IncidentFilterField =
  'assignedTo' | 'classification' | 'createdDateTime' | 'determination' | 'lastUpdateDateTime' | 'severity' | 'status';

/** Microsoft Graph alerts_v2 fields documented as filterable (defender-api.md §6.3). */
export type GraphAlertFilterField = IncidentFilterField | 'serviceSource';

/** Query options of a list call, rendered into a URL query string. */
export interface ListOptions {
  filter?: FilterExpression | undefined;
  top?: number;
  skip?: number;
  /** `evidence` on Defender alerts; `alerts` on Graph incidents. */
  expand?: 'evidence' | 'alerts';
}

/** Renders list options as `?$filter=…&$top=…` with proper percent-encoding. */
export function toQueryString(options: ListOptions): string {
  const params: string[] = [];
  if (options.filter) params.push(`$filter=${encodeURIComponent(options.filter.odata)}`);
  if (options.top !== undefined) params.push(`$top=${options.top}`);
  if (options.skip !== undefined && options.skip > 0) params.push(`$skip=${options.skip}`);
  if (options.expand) params.push(`$expand=${options.expand}`);
  return params.length > 0 ? `?${params.join('&')}` : '';
}
