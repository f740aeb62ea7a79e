import { isHuntingTable } from '../../seed/huntingSchema';
import type { HuntingTableName } from '../../seed/huntingSchema';
import { KqlError } from './kqlError';
import {
  argumentsOf,
  compileScalar,
  constantValue,
  emptyValueOf,
  firstTokenText,
  functionNameOf,
  orderValues,
  sourceOf,
  typeOf,
} from './kqlScalar';
import type { KqlRow, KqlValue, Scalar, ScalarScope } from './kqlScalar';
import { childNodes, childTokens, columnsOf, kindOf, listElements, symbolKindOf } from './kustoLanguage';
import type { KqlColumn, KustoNode } from './kustoLanguage';

/*
 * Tabular KQL compiled to lazy row pipelines: `where`, `project`, `extend` and `take` stream row by row (a `where`
 * before a `project` never copies a row it drops); `summarize`, `sort`, `top`, `distinct` and the right side of a
 * `join` hold what they must. Output column names and types are the analyser's, so `count_`, `Column1`,
 * `DeviceName1` are what Kusto would call them.
 */

/** Rows of the tenant's tables as the caller may see them (time window and device groups already applied). */
export interface TableSource {
  rowsOf(table: HuntingTableName): Iterable<KqlRow>;
}

/** A compiled tabular expression: its columns and a way to (re-)read its rows. */
export interface Tabular {
  columns: KqlColumn[];
  rows(): Iterable<KqlRow>;
}

/** Everything a query compiles against. */
export interface QueryScope extends ScalarScope {
  variables: Map<string, KqlValue>;
  tables: TableSource;
  tabularVariables: Map<string, Tabular>;
}

function unsupported(what: string): KqlError {
  return new KqlError('unsupported', `Semantic error: ${what} is not supported by this advanced hunting service.`);
}

function resultColumns(node: KustoNode, scope: QueryScope): KqlColumn[] {
  const columns = columnsOf(node.ResultType);
  if (columns === undefined) throw unsupported(`'${sourceOf(node, scope.source)}'`);
  return columns;
}

function lastList(node: KustoNode): KustoNode | undefined {
  return childNodes(node)
    .filter((c) => kindOf(c) === 'List')
    .at(-1);
}

/** `name = expr` split into its name and expression; a bare expression has no name. */
function named(node: KustoNode): { name: string | undefined; expr: KustoNode } {
  if (kindOf(node) !== 'SimpleNamedExpression') return { name: undefined, expr: node };
  const [declaration, expr] = childNodes(node);
  if (declaration === undefined || expr === undefined) throw unsupported('this named expression');
  return { name: firstTokenText(declaration), expr };
}

/** A grouping or join key: a single primitive value is its own key (no string built per row). */
type GroupKey = string | number | boolean | null;

function keyOf(values: readonly KqlValue[]): GroupKey {
  if (values.length === 1) {
    const [v] = values;
    if (v === null || v === undefined) return null;
    if (typeof v !== 'object') return v;
  }
  let key = '\u0001';
  for (const v of values) key += (typeof v === 'string' ? `s${v}` : JSON.stringify(v)) + '\u0000';
  return key;
}

function* filterRows(rows: Iterable<KqlRow>, predicate: Scalar): Iterable<KqlRow> {
  for (const row of rows) if (predicate(row) === true) yield row;
}

function* mapRows(rows: Iterable<KqlRow>, map: (row: KqlRow) => KqlRow): Iterable<KqlRow> {
  for (const row of rows) yield map(row);
}

function* takeRows(rows: Iterable<KqlRow>, count: number): Iterable<KqlRow> {
  if (count <= 0) return;
  let taken = 0;
  for (const row of rows) {
    yield row;
    taken += 1;
    if (taken >= count) return;
  }
}

function constantCount(node: KustoNode | undefined, scope: QueryScope, operator: string): number {
  if (node === undefined) throw unsupported(`'${operator}' without a row count`);
  const value = constantValue(node, scope, `the '${operator}' count`);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw unsupported(`a non-numeric '${operator}' count`);
  return Math.max(0, Math.trunc(value));
}

function where(op: KustoNode, input: Tabular, scope: QueryScope): Tabular {
  const condition = childNodes(op).at(-1);
  if (condition === undefined || typeOf(condition) !== 'bool') throw unsupported(`'${sourceOf(op, scope.source)}'`);
  const predicate = compileScalar(condition, scope);
  return { columns: input.columns, rows: () => filterRows(input.rows(), predicate) };
}

function project(op: KustoNode, input: Tabular, scope: QueryScope): Tabular {
  const columns = resultColumns(op, scope);
  const expressions = listElements(lastList(op));
  if (expressions.length !== columns.length) throw unsupported(`'${sourceOf(op, scope.source)}'`);
  const outputs = expressions.map((e, i) => {
    const { name, expr } = named(e);
    return { name: name ?? columns[i]!.name, value: compileScalar(expr, scope) };
  });
  return {
    columns,
    rows: () =>
      mapRows(input.rows(), (row) => {
        const out: KqlRow = {};
        for (const o of outputs) out[o.name] = o.value(row);
        return out;
      }),
  };
}

function extend(op: KustoNode, input: Tabular, scope: QueryScope): Tabular {
  const columns = resultColumns(op, scope);
  const inputNames = new Set(input.columns.map((c) => c.name));
  const added = columns.filter((c) => !inputNames.has(c.name)).map((c) => c.name);
  const outputs = listElements(lastList(op)).map((e) => {
    const { name, expr } = named(e);
    const resolved =
      name ?? (kindOf(expr) === 'NameReference' ? (expr.ReferencedSymbol?.Name ?? added.shift()) : added.shift());
    if (resolved === undefined) throw unsupported(`'${sourceOf(op, scope.source)}'`);
    return { name: resolved, value: compileScalar(expr, scope) };
  });
  return {
    columns,
    rows: () =>
      mapRows(input.rows(), (row) => {
        const out: KqlRow = { ...row };
        for (const o of outputs) out[o.name] = o.value(out);
        return out;
      }),
  };
}

function pick(op: KustoNode, input: Tabular, scope: QueryScope, renames: Map<string, string>): Tabular {
  const columns = resultColumns(op, scope);
  return {
    columns,
    rows: () =>
      mapRows(input.rows(), (row) => {
        const out: KqlRow = {};
        for (const c of columns) out[c.name] = row[renames.get(c.name) ?? c.name];
        return out;
      }),
  };
}

function projectRename(op: KustoNode, input: Tabular, scope: QueryScope): Tabular {
  const renames = new Map<string, string>();
  for (const e of listElements(lastList(op))) {
    const { name, expr } = named(e);
    if (name === undefined || kindOf(expr) !== 'NameReference') throw unsupported(`'${sourceOf(op, scope.source)}'`);
    renames.set(name, expr.ReferencedSymbol?.Name ?? firstTokenText(expr));
  }
  return pick(op, input, scope, renames);
}

/** One aggregation's running state for one group; `results` for one that fills several columns (arg_max). */
interface Accumulator {
  add(row: KqlRow): void;
  result(): KqlValue;
  results?(): KqlValue[];
}

type AggregateFactory = () => Accumulator;

/** arg_max/arg_min: the row with the largest/smallest `value`, giving the value and the named columns of that row. */
function argExtreme(call: KustoNode, scope: QueryScope, sign: 1 | -1): AggregateFactory {
  const [valueNode, ...rest] = argumentsOf(call);
  const columns = columnsOf(call.ResultType);
  if (valueNode === undefined || rest.length === 0 || columns === undefined || columns.length < 1) {
    throw unsupported(`'${sourceOf(call, scope.source)}'`);
  }
  const value = compileScalar(valueNode, scope);
  const others = columns.slice(1);
  return () => {
    let best: KqlValue = null;
    let bestRow: KqlRow | undefined;
    return {
      add: (row) => {
        const v = value(row);
        if (v === null) return;
        if (bestRow === undefined || sign * orderValues(v, best) > 0) {
          best = v;
          bestRow = row;
        }
      },
      result: () => best,
      results: () => [
        best,
        ...others.map((c) =>
          bestRow === undefined ? emptyValueOf(c.kqlType) : (bestRow[c.name] ?? emptyValueOf(c.kqlType)),
        ),
      ],
    };
  };
}

function aggregate(call: KustoNode, scope: QueryScope): AggregateFactory {
  if (kindOf(call) !== 'FunctionCallExpression') throw unsupported(`'${sourceOf(call, scope.source)}' in summarize`);
  const name = functionNameOf(call);
  if (name === 'arg_max' || name === 'arg_min') return argExtreme(call, scope, name === 'arg_max' ? 1 : -1);
  const args = argumentsOf(call).map((a) => compileScalar(a, scope));
  const [arg] = args;
  const need = (count: number) => {
    if (args.length !== count) throw unsupported(`${name}() with ${args.length} arguments`);
    return arg!;
  };
  switch (name) {
    case 'count': {
      need(0);
      return () => {
        let n = 0;
        return { add: () => (n += 1), result: () => n };
      };
    }
    case 'countif': {
      const predicate = need(1);
      return () => {
        let n = 0;
        return { add: (row) => (n += predicate(row) === true ? 1 : 0), result: () => n };
      };
    }
    case 'dcount': {
      const value = need(1);
      return () => {
        const seen = new Set<GroupKey>();
        return {
          add: (row) => {
            const v = value(row);
            if (v !== null) seen.add(keyOf([v]));
          },
          result: () => seen.size,
        };
      };
    }
    case 'sum':
    case 'avg': {
      const value = need(1);
      const average = name === 'avg';
      return () => {
        let total = 0;
        let n = 0;
        return {
          add: (row) => {
            const v = value(row);
            if (typeof v === 'number') {
              total += v;
              n += 1;
            }
          },
          result: () => (n === 0 ? null : average ? total / n : total),
        };
      };
    }
    case 'min':
    case 'max': {
      const value = need(1);
      const sign = name === 'min' ? -1 : 1;
      return () => {
        let best: KqlValue = null;
        return {
          add: (row) => {
            const v = value(row);
            if (v === null || v === '') return;
            if (best === null || sign * orderValues(v, best) > 0) best = v;
          },
          result: () => best,
        };
      };
    }
    case 'make_set':
    case 'make_list': {
      if (args.length < 1 || args.length > 2) throw unsupported(`${name}() with ${args.length} arguments`);
      const limitNode = argumentsOf(call)[1];
      const limitValue = limitNode === undefined ? undefined : constantValue(limitNode, scope, `${name}()`);
      const limit = typeof limitValue === 'number' ? limitValue : 1_048_576;
      const unique = name === 'make_set';
      return () => {
        const seen = new Map<GroupKey, KqlValue>();
        const list: KqlValue[] = [];
        return {
          add: (row) => {
            const v = arg!(row);
            if (v === null || v === '') return;
            if (!unique) {
              if (list.length < limit) list.push(v);
              return;
            }
            const key = keyOf([v]);
            if (seen.size < limit && !seen.has(key)) seen.set(key, v);
          },
          result: () => (unique ? [...seen.values()] : list),
        };
      };
    }
    case 'take_any':
    case 'any': {
      const value = need(1);
      return () => {
        let taken: KqlValue | undefined;
        return {
          add: (row) => {
            if (taken === undefined) taken = value(row);
          },
          result: () => taken ?? null,
        };
      };
    }
    default:
      throw unsupported(`the aggregation '${name}()'`);
  }
}

function summarize(op: KustoNode, input: Tabular, scope: QueryScope): Tabular {
  const columns = resultColumns(op, scope);
  const byClause = childNodes(op).find((c) => kindOf(c) === 'SummarizeByClause');
  const byExpressions = byClause === undefined ? [] : listElements(lastList(byClause));
  const aggregateList = childNodes(op).filter((c) => kindOf(c) === 'List')[1];
  const aggregates = listElements(aggregateList);
  const keys = byExpressions.map((e) => compileScalar(named(e).expr, scope));
  const aggregateExprs = aggregates.map((e) => named(e).expr);
  const widths = aggregateExprs.map((e) => columnsOf(e.ResultType)?.length ?? 1);
  if (columns.length !== byExpressions.length + widths.reduce((a, b) => a + b, 0)) {
    throw unsupported(`'${sourceOf(op, scope.source)}'`);
  }
  const factories = aggregateExprs.map((e) => aggregate(e, scope));
  const names = columns.map((c) => c.name);
  return {
    columns,
    rows: function* () {
      const groups = new Map<GroupKey, { keys: KqlValue[]; accumulators: Accumulator[] }>();
      const single = keys.length === 0;
      for (const row of input.rows()) {
        const values = keys.map((k) => k(row));
        const key = single ? '' : keyOf(values);
        let group = groups.get(key);
        if (group === undefined) {
          group = { keys: values, accumulators: factories.map((f) => f()) };
          groups.set(key, group);
        }
        for (const a of group.accumulators) a.add(row);
      }
      if (single && groups.size === 0) groups.set('', { keys: [], accumulators: factories.map((f) => f()) });
      for (const group of groups.values()) {
        const out: KqlRow = {};
        group.keys.forEach((v, i) => (out[names[i]!] = v));
        let at = keys.length;
        group.accumulators.forEach((a, i) => {
          const values = widths[i] === 1 ? [a.result()] : (a.results?.() ?? [a.result()]);
          for (const v of values) out[names[at++]!] = v;
        });
        yield out;
      }
    },
  };
}

interface Ordering {
  value: Scalar;
  descending: boolean;
  nullsFirst: boolean;
}

function ordering(node: KustoNode, scope: QueryScope, defaultDescending: boolean): Ordering {
  if (kindOf(node) !== 'OrderedExpression') {
    return { value: compileScalar(node, scope), descending: defaultDescending, nullsFirst: !defaultDescending };
  }
  const [expr, clause] = childNodes(node);
  if (expr === undefined) throw unsupported(`'${sourceOf(node, scope.source)}'`);
  const words = [clause, ...(clause === undefined ? [] : childNodes(clause))]
    .flatMap((c) => (c === undefined ? [] : childTokens(c)))
    .map((t) => t.Text.toLowerCase());
  const descending = words.includes('asc') ? false : words.includes('desc') ? true : defaultDescending;
  const nullsFirst = words.includes('first') ? true : words.includes('last') ? false : !descending;
  return { value: compileScalar(expr, scope), descending, nullsFirst };
}

function comparatorOf(orderings: Ordering[]): (a: KqlValue[], b: KqlValue[]) => number {
  return (a, b) => {
    for (let i = 0; i < orderings.length; i++) {
      const o = orderings[i]!;
      const x = a[i] ?? null;
      const y = b[i] ?? null;
      const xNull = x === null;
      const yNull = y === null;
      if (xNull || yNull) {
        if (xNull && yNull) continue;
        return xNull === o.nullsFirst ? -1 : 1;
      }
      const c = orderValues(x, y);
      if (c !== 0) return o.descending ? -c : c;
    }
    return 0;
  };
}

function sort(op: KustoNode, input: Tabular, scope: QueryScope): Tabular {
  const orderings = listElements(lastList(op)).map((e) => ordering(e, scope, true));
  const compare = comparatorOf(orderings);
  return {
    columns: input.columns,
    rows: () => {
      const keyed = [...input.rows()].map((row) => ({ row, keys: orderings.map((o) => o.value(row)) }));
      keyed.sort((a, b) => compare(a.keys, b.keys));
      return keyed.map((k) => k.row);
    },
  };
}

function top(op: KustoNode, input: Tabular, scope: QueryScope): Tabular {
  const [, countNode, ...rest] = childNodes(op);
  const count = constantCount(countNode, scope, 'top');
  const byNode = rest.at(-1);
  if (byNode === undefined) throw unsupported(`'${sourceOf(op, scope.source)}'`);
  const orderings = (kindOf(byNode) === 'List' ? listElements(byNode) : [byNode]).map((e) => ordering(e, scope, true));
  const compare = comparatorOf(orderings);
  return {
    columns: input.columns,
    rows: () => {
      // The best `count` rows so far, in order; a row worse than the last one is dropped at once.
      const best: { row: KqlRow; keys: KqlValue[] }[] = [];
      if (count === 0) return [];
      for (const row of input.rows()) {
        const keys = orderings.map((o) => o.value(row));
        if (best.length >= count && compare(keys, best[best.length - 1]!.keys) >= 0) continue;
        let lo = 0;
        let hi = best.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (compare(keys, best[mid]!.keys) < 0) hi = mid;
          else lo = mid + 1;
        }
        best.splice(lo, 0, { row, keys });
        if (best.length > count) best.pop();
      }
      return best.map((b) => b.row);
    },
  };
}

function distinct(op: KustoNode, input: Tabular, scope: QueryScope): Tabular {
  const columns = resultColumns(op, scope);
  for (const e of listElements(lastList(op))) {
    if (!['NameReference', 'StarExpression'].includes(kindOf(e))) throw unsupported(`'${sourceOf(op, scope.source)}'`);
  }
  const names = columns.map((c) => c.name);
  const empties = columns.map((c) => emptyValueOf(c.kqlType));
  return {
    columns,
    rows: function* () {
      const seen = new Set<GroupKey>();
      for (const row of input.rows()) {
        const values = names.map((n, i) => row[n] ?? empties[i]!);
        const key = keyOf(values);
        if (seen.has(key)) continue;
        seen.add(key);
        const out: KqlRow = {};
        names.forEach((n, i) => (out[n] = values[i]!));
        yield out;
      }
    },
  };
}

function countRows(op: KustoNode, input: Tabular, scope: QueryScope): Tabular {
  const columns = resultColumns(op, scope);
  const name = columns[0]?.name ?? 'Count';
  return {
    columns,
    rows: () => {
      let n = 0;
      for (const row of input.rows()) if (row !== undefined) n += 1;
      return [{ [name]: n }];
    },
  };
}

const JOIN_KINDS = ['innerunique', 'inner', 'leftouter', 'leftanti', 'anti', 'leftantisemi', 'leftsemi'] as const;
type JoinKind = (typeof JOIN_KINDS)[number];

function joinKindOf(op: KustoNode, scope: QueryScope): JoinKind {
  let kind: string = 'innerunique';
  for (const parameter of listElements(childNodes(op)[0])) {
    const [nameNode, valueNode] = childNodes(parameter);
    const name = nameNode === undefined ? '' : firstTokenText(nameNode).toLowerCase();
    if (name.startsWith('hint.')) continue;
    if (name !== 'kind' || valueNode === undefined) throw unsupported(`the join parameter '${name}'`);
    kind = firstTokenText(valueNode).toLowerCase();
  }
  if (!(JOIN_KINDS as readonly string[]).includes(kind)) {
    throw unsupported(`join kind=${kind} in '${sourceOf(op, scope.source)}'`);
  }
  return kind as JoinKind;
}

/** The key column pairs of `on a, $left.b == $right.c`. */
function joinKeys(clause: KustoNode, scope: QueryScope): { left: string[]; right: string[] } {
  const left: string[] = [];
  const right: string[] = [];
  const sideColumn = (path: KustoNode): { side: string; column: string } => {
    const [sideNode, columnNode] = childNodes(path);
    if (kindOf(path) !== 'PathExpression' || sideNode === undefined || columnNode === undefined) {
      throw unsupported(`the join condition '${sourceOf(path, scope.source)}'`);
    }
    return { side: firstTokenText(sideNode).toLowerCase(), column: firstTokenText(columnNode) };
  };
  const visit = (e: KustoNode) => {
    const kind = kindOf(e);
    if (kind === 'NameReference') {
      const name = e.ReferencedSymbol?.Name ?? firstTokenText(e);
      left.push(name);
      right.push(name);
    } else if (kind === 'AndExpression') {
      childNodes(e).forEach(visit);
    } else if (kind === 'EqualExpression') {
      const [a, b] = childNodes(e).map(sideColumn);
      if (a === undefined || b === undefined || a.side === b.side) {
        throw unsupported(`the join condition '${sourceOf(e, scope.source)}'`);
      }
      const [l, r] = a.side === '$left' ? [a, b] : [b, a];
      left.push(l.column);
      right.push(r.column);
    } else {
      throw unsupported(`the join condition '${sourceOf(e, scope.source)}'`);
    }
  };
  listElements(lastList(clause)).forEach(visit);
  if (left.length === 0) throw unsupported('a join without keys');
  return { left, right };
}

function join(op: KustoNode, input: Tabular, scope: QueryScope): Tabular {
  const kind = joinKindOf(op, scope);
  const nodes = childNodes(op);
  const rightNode = nodes[1];
  const clause = nodes.find((c) => kindOf(c) === 'JoinOnClause');
  if (rightNode === undefined || clause === undefined) throw unsupported(`'${sourceOf(op, scope.source)}'`);
  const right = compileTabular(rightNode, scope);
  const keys = joinKeys(clause, scope);
  const columns = resultColumns(op, scope);
  const leftOnly = ['leftanti', 'anti', 'leftantisemi', 'leftsemi'].includes(kind);
  if (!leftOnly && columns.length !== input.columns.length + right.columns.length) {
    throw unsupported(`'${sourceOf(op, scope.source)}'`);
  }
  const leftNames = input.columns.map((c) => c.name);
  const rightNames = right.columns.map((c) => c.name);
  const outNames = columns.map((c) => c.name);
  const rightEmpties = right.columns.map((c) => emptyValueOf(c.kqlType));
  // An absent string key is '' (as everywhere else in the engine); only a non-string null never matches.
  const emptiesOf = (table: Tabular, names: string[]) =>
    names.map((n) => emptyValueOf(table.columns.find((c) => c.name === n)?.kqlType ?? ''));
  const keyEmpties = { left: emptiesOf(input, keys.left), right: emptiesOf(right, keys.right) };
  const keyFrom = (row: KqlRow, names: string[], empties: KqlValue[]): GroupKey | undefined => {
    const values = names.map((n, i) => row[n] ?? empties[i]!);
    return values.some((v) => v === null) ? undefined : keyOf(values);
  };
  const combine = (l: KqlRow, r: KqlRow | undefined): KqlRow => {
    const out: KqlRow = {};
    leftNames.forEach((n, i) => (out[outNames[i]!] = l[n]));
    rightNames.forEach(
      (n, j) =>
        (out[outNames[leftNames.length + j]!] = r === undefined ? rightEmpties[j]! : (r[n] ?? rightEmpties[j]!)),
    );
    return out;
  };
  return {
    columns,
    rows: function* () {
      const index = new Map<GroupKey, KqlRow[]>();
      for (const r of right.rows()) {
        const key = keyFrom(r, keys.right, keyEmpties.right);
        if (key === undefined) continue;
        const bucket = index.get(key);
        if (bucket === undefined) index.set(key, [r]);
        else bucket.push(r);
      }
      const seenLeft = new Set<GroupKey>();
      for (const l of input.rows()) {
        const key = keyFrom(l, keys.left, keyEmpties.left);
        const matches = key === undefined ? undefined : index.get(key);
        switch (kind) {
          case 'leftanti':
          case 'anti':
          case 'leftantisemi':
            if (matches === undefined) yield l;
            break;
          case 'leftsemi':
            if (matches !== undefined) yield l;
            break;
          case 'leftouter':
            if (matches === undefined) yield combine(l, undefined);
            else for (const r of matches) yield combine(l, r);
            break;
          case 'innerunique':
            if (key === undefined || seenLeft.has(key)) break;
            seenLeft.add(key);
            for (const r of matches ?? []) yield combine(l, r);
            break;
          case 'inner':
            for (const r of matches ?? []) yield combine(l, r);
            break;
        }
      }
    },
  };
}

function applyOperator(op: KustoNode, input: Tabular, scope: QueryScope): Tabular {
  const kind = kindOf(op);
  switch (kind) {
    case 'FilterOperator':
      return where(op, input, scope);
    case 'ProjectOperator':
      return project(op, input, scope);
    case 'ExtendOperator':
      return extend(op, input, scope);
    case 'ProjectAwayOperator':
    case 'ProjectKeepOperator':
    case 'ProjectReorderOperator':
      return pick(op, input, scope, new Map());
    case 'ProjectRenameOperator':
      return projectRename(op, input, scope);
    case 'SummarizeOperator':
      return summarize(op, input, scope);
    case 'SortOperator':
      return sort(op, input, scope);
    case 'TopOperator':
      return top(op, input, scope);
    case 'TakeOperator': {
      const count = constantCount(childNodes(op).at(-1), scope, 'take');
      return { columns: input.columns, rows: () => takeRows(input.rows(), count) };
    }
    case 'DistinctOperator':
      return distinct(op, input, scope);
    case 'CountOperator':
      return countRows(op, input, scope);
    case 'JoinOperator':
      return join(op, input, scope);
    default:
      throw unsupported(`the operator '${sourceOf(op, scope.source).split(/\s/)[0] ?? kind}'`);
  }
}

/** Compiles a tabular expression (a table, a tabular `let`, or a pipeline of operators). */
export function compileTabular(node: KustoNode, scope: QueryScope): Tabular {
  const kind = kindOf(node);
  switch (kind) {
    case 'PipeExpression': {
      const [input, op] = childNodes(node);
      if (input === undefined || op === undefined) throw unsupported(`'${sourceOf(node, scope.source)}'`);
      return applyOperator(op, compileTabular(input, scope), scope);
    }
    case 'ParenthesizedExpression': {
      const inner = childNodes(node)[0];
      if (inner === undefined) throw unsupported(`'${sourceOf(node, scope.source)}'`);
      return compileTabular(inner, scope);
    }
    case 'NameReference': {
      const name = node.ReferencedSymbol?.Name ?? firstTokenText(node);
      const symbolKind = symbolKindOf(node.ReferencedSymbol);
      if (symbolKind === 'TableSymbol' && isHuntingTable(name)) {
        return { columns: resultColumns(node, scope), rows: () => scope.tables.rowsOf(name) };
      }
      const variable = scope.tabularVariables.get(name);
      if (variable !== undefined) return variable;
      throw unsupported(`the tabular expression '${name}'`);
    }
    default:
      throw unsupported(`'${sourceOf(node, scope.source)}'`);
  }
}
