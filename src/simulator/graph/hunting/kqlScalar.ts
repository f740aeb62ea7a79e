import { KqlError } from './kqlError';
import { childNodes, childTokens, kindOf, listElements, symbolKindOf } from './kustoLanguage';
import type { KustoNode } from './kustoLanguage';

/*
 * Scalar KQL compiled to closures over a row. Values: strings (never null, as in Kusto: absent is ''), numbers
 * for int/long/real, booleans, datetime and timespan as milliseconds (numbers; the analyser's types say which),
 * null for an absent non-string value, and JSON values for dynamic. Every function or operator the simulator
 * does not implement is a KqlError('unsupported') at compile time, never a guess.
 */

/** One cell value inside the engine. */
export type KqlValue = string | number | boolean | null | readonly unknown[] | { readonly [key: string]: unknown };
/** One row inside the engine: column name to value. */
export type KqlRow = Record<string, KqlValue | undefined>;
/** A compiled scalar expression. */
export type Scalar = (row: KqlRow) => KqlValue;

/** What a scalar expression may refer to besides the row: `now()` and the query's scalar `let`s. */
export interface ScalarScope {
  now: number;
  variables: ReadonlyMap<string, KqlValue>;
  /** The query text, for quoting a refused expression. */
  source: string;
}

/** The source text of a node (tokens and inner spacing). */
export function sourceOf(node: KustoNode, source: string): string {
  return source.slice(node.TextStart, node.TextStart + node.Width).trim();
}

/** The text of the first token under a node (a function's or a name's identifier). */
export function firstTokenText(node: KustoNode): string {
  if (node.IsToken) return node.Text;
  for (let i = 0; i < node.ChildCount; i++) {
    const child = node.GetChild(i);
    if (child === null) continue;
    const text = firstTokenText(child);
    if (text !== '') return text;
  }
  return '';
}

const MS_PER: Record<string, number> = {
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  ms: 1,
  milli: 1,
  millis: 1,
  millisecond: 1,
  milliseconds: 1,
};

/** The KQL type name the analyser gave a node (`string`, `long`, `datetime`, ...). */
export function typeOf(node: KustoNode): string {
  return node.ResultType?.Name ?? 'unknown';
}

/** The value an absent cell of `kqlType` reads as: '' for strings, null otherwise. */
export function emptyValueOf(kqlType: string): KqlValue {
  return kqlType === 'string' ? '' : null;
}

/** Text of a value as `tostring()` gives it (datetimes ISO-8601, dynamic as JSON). */
export function textOf(value: KqlValue | undefined, kqlType?: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && kqlType === 'datetime') return new Date(value).toISOString();
  if (typeof value === 'number' && kqlType === 'timespan') return formatTimespan(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A timespan as Kusto writes it: `[-][d.]hh:mm:ss[.fffffff]`. */
export function formatTimespan(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const days = Math.floor(rest / 86_400_000);
  rest -= days * 86_400_000;
  const pad = (n: number) => String(n).padStart(2, '0');
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const fraction = Math.round((rest - seconds * 1000) * 10_000);
  return `${sign}${days > 0 ? `${days}.` : ''}${pad(hours)}:${pad(minutes)}:${pad(seconds)}${
    fraction > 0 ? `.${String(fraction).padStart(7, '0')}` : ''
  }`;
}

/** Milliseconds since the epoch of a KQL datetime literal's text (`2024-01-02`, `2024-01-02 10:00`, ISO-8601). */
export function parseDateTimeText(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^null$/i.test(trimmed)) return undefined;
  const match = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(
    trimmed,
  );
  if (match === null) return Number.NaN;
  const [, date, time, zone] = match;
  const [hh, mm, ssFraction] = (time ?? '00:00').split(':');
  const [ss, fraction] = (ssFraction ?? '0').split('.');
  const iso = `${date}T${(hh ?? '0').padStart(2, '0')}:${mm ?? '00'}:${(ss ?? '0').padStart(2, '0')}${
    fraction !== undefined ? `.${fraction.slice(0, 3).padEnd(3, '0')}` : ''
  }${zone === undefined ? 'Z' : zone.toUpperCase()}`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? Number.NaN : ms;
}

function timespanLiteral(node: KustoNode, text: string): number {
  const match = /^(\d+(?:\.\d+)?)([a-z]+)$/i.exec(text.trim());
  const unit = match?.[2]?.toLowerCase();
  if (match !== null && unit !== undefined && MS_PER[unit] !== undefined) return Number(match[1]) * MS_PER[unit];
  const ticks = (node.LiteralValue as { ticks?: { toString(): string } } | null)?.ticks;
  if (ticks !== undefined) return Number(ticks.toString()) / 10_000;
  throw unsupported(`the timespan literal '${text}'`);
}

/** True when a node reads no column, so it may be evaluated once per query (a list of `in`, a `take` count). */
export function isConstant(node: KustoNode): boolean {
  if (kindOf(node) === 'NameReference' && symbolKindOf(node.ReferencedSymbol) === 'ColumnSymbol') return false;
  return childNodes(node).every(isConstant);
}

/** Evaluates a constant expression once; refuses one that reads a column (it has no single value). */
export function constantValue(node: KustoNode, scope: ScalarScope, where: string): KqlValue {
  if (!isConstant(node)) throw unsupported(`a column reference in ${where}`);
  return compileScalar(node, scope)({});
}

/** The values of an `in`/`has_any` list: constants, dynamic arrays spread into their elements. */
function listValues(list: KustoNode, scope: ScalarScope, where: string): KqlValue[] {
  return listElements(childNodes(list)[0]).flatMap((item) => {
    if (item.ResultType?.Columns !== undefined && item.ResultType.Columns !== null) {
      throw unsupported(`a tabular right-hand side of ${where}`);
    }
    const value = constantValue(item, scope, where);
    return Array.isArray(value) ? (value as KqlValue[]) : [value];
  });
}

function unsupported(what: string): KqlError {
  return new KqlError('unsupported', `Semantic error: ${what} is not supported by this advanced hunting service.`);
}

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\p{L}\p{N}_]/u.test(ch);
}

/**
 * KQL `has`: case-insensitive, term-based: the needle must start and end on term boundaries (a term is a run of
 * letters, digits and underscores), so 'power' does not match 'powershell.exe' but 'powershell' does.
 */
export function hasTerm(haystack: string, needle: string): boolean {
  if (needle === '') return true;
  const text = haystack.toLowerCase();
  const term = needle.toLowerCase();
  const startsWord = isWordChar(term[0]);
  const endsWord = isWordChar(term[term.length - 1]);
  let from = 0;
  for (;;) {
    const at = text.indexOf(term, from);
    if (at < 0) return false;
    const before = text[at - 1];
    const after = text[at + term.length];
    if ((!startsWord || !isWordChar(before)) && (!endsWord || !isWordChar(after))) return true;
    from = at + 1;
  }
}

type Group = 'number' | 'string' | 'datetime' | 'timespan' | 'bool' | 'dynamic' | 'other';

function groupOf(kqlType: string): Group {
  switch (kqlType) {
    case 'int':
    case 'long':
    case 'real':
    case 'decimal':
      return 'number';
    case 'string':
    case 'datetime':
    case 'timespan':
    case 'bool':
    case 'dynamic':
      return kqlType;
    default:
      return 'other';
  }
}

function requireComparable(scope: ScalarScope, node: KustoNode, left: KustoNode, right: KustoNode): void {
  const a = groupOf(typeOf(left));
  const b = groupOf(typeOf(right));
  if (a === 'dynamic' || b === 'dynamic') return;
  if (a !== b || a === 'other') {
    throw new KqlError(
      'semantic',
      `Semantic error: cannot compare values of types ${typeOf(left)} and ${typeOf(right)} in '${sourceOf(node, scope.source)}'.`,
    );
  }
}

function compareValues(a: KqlValue, b: KqlValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Ordering of two cells for sort/top: nulls compare as lowest. */
export function orderValues(a: KqlValue | undefined, b: KqlValue | undefined): number {
  const aNull = a === null || a === undefined;
  const bNull = b === null || b === undefined;
  if (aNull || bNull) return aNull && bNull ? 0 : aNull ? -1 : 1;
  return compareValues(a, b);
}

function bool(value: KqlValue): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

function toNumber(value: KqlValue, integer: boolean): number | null {
  if (value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return integer ? Math.trunc(value) : value;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed === '') return null;
    const n = Number(trimmed);
    if (Number.isNaN(n)) return null;
    return integer ? Math.trunc(n) : n;
  }
  return null;
}

/** The operator token of a binary-like expression, lower case (`==`, `has`, `!in~`, `and`, ...). */
function operatorText(node: KustoNode): string {
  return childTokens(node)
    .map((t) => t.Text)
    .join(' ')
    .toLowerCase();
}

function argumentsOf(call: KustoNode): KustoNode[] {
  const list = childNodes(call).find((c) => kindOf(c) === 'ExpressionList');
  return listElements(list === undefined ? undefined : childNodes(list)[0]);
}

/** The function name of a call expression, lower case. */
export function functionNameOf(call: KustoNode): string {
  const name = childNodes(call)[0];
  return name === undefined ? '' : firstTokenText(name).toLowerCase();
}

/** The arguments of a call expression. */
export { argumentsOf };

function stringTest(op: string, left: Scalar, right: Scalar, leftType: string, rightType: string): Scalar {
  const negate = op.startsWith('!');
  const base = op === '!~' ? '=~' : negate ? op.slice(1) : op;
  const test = ((): ((a: string, b: string) => boolean) | undefined => {
    switch (base) {
      case 'has':
        return hasTerm;
      case 'has_cs':
        return (a, b) => hasTerm(a, b) && a.includes(b);
      case 'contains':
        return (a, b) => a.toLowerCase().includes(b.toLowerCase());
      case 'contains_cs':
        return (a, b) => a.includes(b);
      case 'startswith':
        return (a, b) => a.toLowerCase().startsWith(b.toLowerCase());
      case 'startswith_cs':
        return (a, b) => a.startsWith(b);
      case 'endswith':
        return (a, b) => a.toLowerCase().endsWith(b.toLowerCase());
      case 'endswith_cs':
        return (a, b) => a.endsWith(b);
      case '=~':
        return (a, b) => a.toLowerCase() === b.toLowerCase();
      default:
        return undefined;
    }
  })();
  if (test === undefined) throw unsupported(`the operator '${op}'`);
  return (row) => {
    const result = test(textOf(left(row), leftType), textOf(right(row), rightType));
    return negate ? !result : result;
  };
}

function arithmetic(op: string, node: KustoNode, left: Scalar, right: Scalar): Scalar {
  const integer = ['int', 'long'].includes(typeOf(node));
  const apply = ((): ((a: number, b: number) => number | null) | undefined => {
    switch (op) {
      case '+':
        return (a, b) => a + b;
      case '-':
        return (a, b) => a - b;
      case '*':
        return (a, b) => a * b;
      case '/':
        return (a, b) => (b === 0 ? null : integer ? Math.trunc(a / b) : a / b);
      case '%':
        return (a, b) => (b === 0 ? null : a % b);
      default:
        return undefined;
    }
  })();
  if (apply === undefined) throw unsupported(`the operator '${op}'`);
  return (row) => {
    const a = left(row);
    const b = right(row);
    return typeof a === 'number' && typeof b === 'number' ? apply(a, b) : null;
  };
}

const COMPARISONS: Record<string, (c: number) => boolean> = {
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
};

function compileBinary(node: KustoNode, scope: ScalarScope): Scalar {
  const [leftNode, rightNode] = childNodes(node);
  if (leftNode === undefined || rightNode === undefined)
    throw unsupported(`the expression '${sourceOf(node, scope.source)}'`);
  const op = operatorText(node);
  const left = compileScalar(leftNode, scope);
  const right = compileScalar(rightNode, scope);
  if (op === 'and') {
    return (row) => {
      const a = bool(left(row));
      if (a === false) return false;
      const b = bool(right(row));
      if (b === false) return false;
      return a === true && b === true ? true : null;
    };
  }
  if (op === 'or') {
    return (row) => {
      const a = bool(left(row));
      if (a === true) return true;
      const b = bool(right(row));
      if (b === true) return true;
      return a === false && b === false ? false : null;
    };
  }
  if (op === '==' || op === '!=' || op === '<>') {
    requireComparable(scope, node, leftNode, rightNode);
    const equal = op === '==';
    return (row) => {
      const a = left(row);
      const b = right(row);
      if (a === null || b === null) return null;
      if (typeof a !== 'object' && typeof a === typeof b) return (a === b) === equal;
      return (compareValues(a, b) === 0) === equal;
    };
  }
  const comparison = COMPARISONS[op];
  if (comparison !== undefined) {
    requireComparable(scope, node, leftNode, rightNode);
    return (row) => {
      const a = left(row);
      const b = right(row);
      if (a === null || b === null) return null;
      return comparison(compareValues(a, b));
    };
  }
  if (['+', '-', '*', '/', '%'].includes(op)) return arithmetic(op, node, left, right);
  return stringTest(op, left, right, typeOf(leftNode), typeOf(rightNode));
}

function compileIn(node: KustoNode, scope: ScalarScope): Scalar {
  const [leftNode, listNode] = childNodes(node);
  if (leftNode === undefined || listNode === undefined)
    throw unsupported(`the expression '${sourceOf(node, scope.source)}'`);
  const op = operatorText(node);
  const values = listValues(listNode, scope, `'${op}'`);
  const left = compileScalar(leftNode, scope);
  const insensitive = op.endsWith('~');
  const negate = op.startsWith('!');
  const leftType = typeOf(leftNode);
  if (insensitive) {
    const set = new Set(values.map((v) => textOf(v).toLowerCase()));
    return (row) => set.has(textOf(left(row), leftType).toLowerCase()) !== negate;
  }
  const set = new Set(values);
  return (row) => {
    const value = left(row);
    if (value === null) return negate ? true : false;
    return set.has(value) !== negate;
  };
}

function compileHasAny(node: KustoNode, scope: ScalarScope): Scalar {
  const [leftNode, listNode] = childNodes(node);
  if (leftNode === undefined || listNode === undefined) throw unsupported(`'${sourceOf(node, scope.source)}'`);
  const left = compileScalar(leftNode, scope);
  const terms = listValues(listNode, scope, `'${sourceOf(node, scope.source)}'`).map((v) => textOf(v));
  const all = kindOf(node) === 'HasAllExpression';
  const leftType = typeOf(leftNode);
  return (row) => {
    const text = textOf(left(row), leftType);
    return all ? terms.every((t) => hasTerm(text, t)) : terms.some((t) => hasTerm(text, t));
  };
}

function compileBetween(node: KustoNode, scope: ScalarScope): Scalar {
  const [leftNode, couple] = childNodes(node);
  const [lowNode, highNode] = couple === undefined ? [] : childNodes(couple);
  if (leftNode === undefined || lowNode === undefined || highNode === undefined) {
    throw unsupported(`the expression '${sourceOf(node, scope.source)}'`);
  }
  const negate = operatorText(node).startsWith('!');
  const left = compileScalar(leftNode, scope);
  const low = compileScalar(lowNode, scope);
  const highRaw = compileScalar(highNode, scope);
  const spanAfterLow = typeOf(lowNode) === 'datetime' && typeOf(highNode) === 'timespan';
  const high: Scalar = spanAfterLow
    ? (row) => {
        const l = low(row);
        const h = highRaw(row);
        return typeof l === 'number' && typeof h === 'number' ? l + h : null;
      }
    : highRaw;
  return (row) => {
    const v = left(row);
    const l = low(row);
    const h = high(row);
    if (v === null || l === null || h === null) return null;
    const inside = compareValues(v, l) >= 0 && compareValues(v, h) <= 0;
    return inside !== negate;
  };
}

function compileCall(node: KustoNode, scope: ScalarScope): Scalar {
  const name = functionNameOf(node);
  const argNodes = argumentsOf(node);
  const args = argNodes.map((a) => compileScalar(a, scope));
  const argTypes = argNodes.map(typeOf);
  const [a0, a1, a2] = args;
  const arity = (min: number, max = min) => {
    if (args.length < min || args.length > max) throw unsupported(`${name}() with ${args.length} arguments`);
  };
  switch (name) {
    case 'ago': {
      arity(1);
      return (row) => {
        const span = a0!(row);
        return typeof span === 'number' ? scope.now - span : null;
      };
    }
    case 'now': {
      arity(0, 1);
      return (row) => {
        const offset = a0 === undefined ? 0 : a0(row);
        return typeof offset === 'number' ? scope.now + offset : null;
      };
    }
    case 'tolower':
    case 'toupper': {
      arity(1);
      const upper = name === 'toupper';
      return (row) => {
        const text = textOf(a0!(row), argTypes[0]);
        return upper ? text.toUpperCase() : text.toLowerCase();
      };
    }
    case 'strcat': {
      if (args.length === 0) throw unsupported('strcat() without arguments');
      return (row) => args.map((arg, i) => textOf(arg(row), argTypes[i])).join('');
    }
    case 'strlen':
      arity(1);
      return (row) => [...textOf(a0!(row), argTypes[0])].length;
    case 'isempty':
    case 'isnotempty': {
      arity(1);
      const not = name === 'isnotempty';
      return (row) => {
        const v = a0!(row);
        return (v === null || v === '') !== not;
      };
    }
    case 'isnull':
    case 'isnotnull': {
      arity(1);
      const not = name === 'isnotnull';
      return (row) => (a0!(row) === null) !== not;
    }
    case 'tostring':
      arity(1);
      return (row) => textOf(a0!(row), argTypes[0]);
    case 'toint':
    case 'tolong':
      arity(1);
      return (row) => toNumber(a0!(row), true);
    case 'toreal':
    case 'todouble':
      arity(1);
      return (row) => toNumber(a0!(row), false);
    case 'iff':
    case 'iif':
      arity(3);
      return (row) => (a0!(row) === true ? a1!(row) : a2!(row));
    case 'not':
      arity(1);
      return (row) => {
        const v = bool(a0!(row));
        return v === null ? null : !v;
      };
    case 'coalesce': {
      if (args.length < 2) throw unsupported('coalesce() with fewer than 2 arguments');
      return (row) => {
        for (const arg of args) {
          const v = arg(row);
          if (v !== null && v !== '') return v;
        }
        return emptyValueOf(typeOf(node));
      };
    }
    case 'substring': {
      arity(2, 3);
      return (row) => {
        const text = textOf(a0!(row), argTypes[0]);
        const start = a1!(row);
        const length = a2 === undefined ? undefined : a2(row);
        if (typeof start !== 'number' || (length !== undefined && typeof length !== 'number')) return '';
        const from = Math.max(0, start);
        return length === undefined ? text.slice(from) : text.slice(from, from + Math.max(0, length));
      };
    }
    case 'startofday':
      arity(1);
      return (row) => {
        const v = a0!(row);
        return typeof v === 'number' ? Math.floor(v / 86_400_000) * 86_400_000 : null;
      };
    case 'bin':
    case 'floor': {
      arity(2);
      return (row) => {
        const v = a0!(row);
        const size = a1!(row);
        if (typeof v !== 'number' || typeof size !== 'number' || size <= 0) return null;
        return Math.floor(v / size) * size;
      };
    }
    default:
      throw unsupported(`the function '${name}()' outside summarize`);
  }
}

function compileLiteral(node: KustoNode, kind: string, scope: ScalarScope): Scalar {
  const text = sourceOf(node, scope.source);
  let value: KqlValue;
  switch (kind) {
    case 'StringLiteralExpression':
      value = typeof node.LiteralValue === 'string' ? node.LiteralValue : '';
      break;
    case 'LongLiteralExpression':
    case 'IntLiteralExpression':
    case 'RealLiteralExpression': {
      const n = Number(text.replace(/^(long|int|real|double)\((.*)\)$/i, '$2'));
      if (Number.isNaN(n)) throw unsupported(`the literal '${text}'`);
      value = n;
      break;
    }
    case 'BooleanLiteralExpression':
      value = /true/i.test(text);
      break;
    case 'TimespanLiteralExpression':
      value = timespanLiteral(node, text);
      break;
    case 'DateTimeLiteralExpression': {
      const inner = /^datetime\((.*)\)$/is.exec(text.trim())?.[1] ?? text;
      const ms = parseDateTimeText(inner);
      if (ms !== undefined && Number.isNaN(ms)) throw unsupported(`the datetime literal '${text}'`);
      value = ms ?? null;
      break;
    }
    default:
      throw unsupported(`the literal '${text}'`);
  }
  return () => value;
}

/** Compiles a scalar expression of the analysed tree. */
export function compileScalar(node: KustoNode, scope: ScalarScope): Scalar {
  const kind = kindOf(node);
  if (kind.endsWith('LiteralExpression')) return compileLiteral(node, kind, scope);
  switch (kind) {
    case 'ParenthesizedExpression': {
      const inner = childNodes(node)[0];
      if (inner === undefined) throw unsupported(`the expression '${sourceOf(node, scope.source)}'`);
      return compileScalar(inner, scope);
    }
    case 'NameReference': {
      const name = node.ReferencedSymbol?.Name ?? firstTokenText(node);
      const symbolKind = symbolKindOf(node.ReferencedSymbol);
      if (symbolKind === 'ColumnSymbol') {
        const empty = emptyValueOf(typeOf(node));
        return (row) => row[name] ?? empty;
      }
      if (symbolKind === 'VariableSymbol' && scope.variables.has(name)) {
        const value = scope.variables.get(name) ?? null;
        return () => value;
      }
      throw unsupported(`the name '${name}' here`);
    }
    case 'BracketedExpression':
    case 'JsonObjectExpression':
      throw unsupported(`the expression '${sourceOf(node, scope.source)}'`);
    case 'UnaryMinusExpression':
    case 'UnaryPlusExpression': {
      const inner = childNodes(node)[0];
      if (inner === undefined) throw unsupported(`the expression '${sourceOf(node, scope.source)}'`);
      const operand = compileScalar(inner, scope);
      const sign = kind === 'UnaryMinusExpression' ? -1 : 1;
      return (row) => {
        const v = operand(row);
        return typeof v === 'number' ? sign * v : null;
      };
    }
    case 'FunctionCallExpression':
      return compileCall(node, scope);
    case 'InExpression':
    case 'NotInExpression':
    case 'InCsExpression':
    case 'NotInCsExpression':
      return compileIn(node, scope);
    case 'BetweenExpression':
    case 'NotBetweenExpression':
      return compileBetween(node, scope);
    case 'HasAnyExpression':
    case 'HasAllExpression':
      return compileHasAny(node, scope);
    case 'DynamicExpression': {
      const inner = childNodes(node)[0];
      if (inner === undefined) throw unsupported(`the expression '${sourceOf(node, scope.source)}'`);
      return compileScalar(inner, scope);
    }
    case 'JsonArrayExpression': {
      const items = listElements(childNodes(node)[0]).map((item) => constantValue(item, scope, 'dynamic()'));
      return () => items;
    }
    default:
      if (kind.endsWith('Expression') && childNodes(node).length === 2 && childTokens(node).length >= 1) {
        return compileBinary(node, scope);
      }
      throw unsupported(`the expression '${sourceOf(node, scope.source)}'`);
  }
}
