import { ticksOf } from './odataDateTime';
import type { CompareKind, CompareOp, FilterNode, FilterValue } from './odataFilter';

/*
 * Evaluates a parsed `$filter` against one entity. Semantics chosen (and documented for the bot's authors):
 * - string, enum and guid equality is case-insensitive (Defender's store compares enum names and DNS names
 *   without case; the docs themselves mix `onboarded` and `Onboarded`); startswith is case-insensitive too;
 * - null equals only null; ordering comparisons involving null are false (OData null propagation);
 * - DateTimeOffset comparisons are exact to the 100 ns tick.
 */

type Runtime = string | number | bigint | null;
type Scope = ReadonlyMap<string, unknown>;

function toRuntime(value: FilterValue, compareAs: CompareKind, entity: Record<string, unknown>, scope: Scope): Runtime {
  let raw: unknown;
  switch (value.kind) {
    case 'literal': {
      const literal = value.literal;
      switch (literal.type) {
        case 'null':
          return null;
        case 'dateTime':
          return literal.ticks;
        case 'string':
        case 'guid':
          return literal.value.toLowerCase();
        case 'number':
          return literal.value;
        case 'boolean':
          return null; // the parser never lets a boolean literal reach a comparison
      }
      break;
    }
    case 'property':
      raw = entity[value.field.name];
      break;
    case 'variable':
      raw = scope.get(value.name);
      break;
  }
  switch (compareAs) {
    case 'dateTimeOffset':
      return ticksOf(raw) ?? null;
    case 'number':
      return typeof raw === 'number' ? raw : null;
    case 'string':
    case 'enum':
    case 'guid':
      return typeof raw === 'string' ? raw.toLowerCase() : null;
  }
}

function compare(op: CompareOp, a: Runtime, b: Runtime): boolean {
  if (a === null || b === null) {
    if (op === 'eq') return a === b;
    if (op === 'ne') return a !== b;
    return false;
  }
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
  }
}

function evaluate(node: FilterNode, entity: Record<string, unknown>, scope: Scope): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, entity, scope) && evaluate(node.right, entity, scope);
    case 'or':
      return evaluate(node.left, entity, scope) || evaluate(node.right, entity, scope);
    case 'not':
      return !evaluate(node.operand, entity, scope);
    case 'compare':
      return compare(
        node.op,
        toRuntime(node.left, node.compareAs, entity, scope),
        toRuntime(node.right, node.compareAs, entity, scope),
      );
    case 'startswith': {
      const target = toRuntime(node.target, 'string', entity, scope);
      return typeof target === 'string' && target.startsWith(node.prefix.toLowerCase());
    }
    case 'lambda': {
      const raw = entity[node.field.name];
      const items: unknown[] = Array.isArray(raw) ? raw : [];
      const { variable, body } = node;
      if (variable === null || body === null) return items.length > 0;
      const test = (item: unknown) => evaluate(body, entity, new Map([...scope, [variable, item]]));
      return node.quantifier === 'any' ? items.some(test) : items.every(test);
    }
  }
}

/** True when `entity` satisfies the parsed filter. */
export function evaluateFilter(node: FilterNode, entity: Record<string, unknown>): boolean {
  return evaluate(node, entity, new Map());
}
