import { invalidFilter } from './defenderError';
import type { EntitySetSpec, FieldSpec, FieldType } from './entityFields';
import { tokenizeFilter } from './odataLexer';
import type { FilterToken } from './odataLexer';

/*
 * `$filter` parser: a recursive-descent parser over the tokens of odataLexer.ts that resolves property names
 * against the entity set's filterable list and type-checks every comparison while parsing, so evaluation can
 * never meet an expression it does not understand. Grammar (OData v4 precedence, restricted to what the
 * Defender API documents):
 *
 *   filter     := or EOF
 *   or         := and ('or' and)*
 *   and        := unary ('and' unary)*
 *   unary      := 'not' unary | primary
 *   primary    := '(' or ')' | function | lambda | comparison
 *   comparison := value op value            op := eq | ne | gt | ge | lt | le
 *   function   := 'startswith' '(' value ',' string ')'
 *   lambda     := collection '/' ('any' | 'all') '(' [variable ':' or] ')'
 *   value      := property | variable | literal
 *
 * As in OData, `not` binds tighter than a comparison, so `not severity eq 'High'` is a type error and must be
 * written `not (severity eq 'High')`. Keywords, functions and property names match case-insensitively (the
 * Defender docs themselves write `InvestigationId` and `ComputerDnsName`).
 */

/** A literal as written in the filter. */
export type FilterLiteral =
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  | { type: 'dateTime'; ticks: bigint; text: string }
  | { type: 'guid'; value: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'null' };

/** One operand of a comparison. `variable` is the range variable of an any/all lambda (a collection element). */
export type FilterValue =
  | { kind: 'property'; field: FieldSpec }
  | { kind: 'variable'; name: string }
  | { kind: 'literal'; literal: FilterLiteral };

/** Comparison operators. */
export type CompareOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';

/** How a comparison is evaluated, fixed at parse time from the operand types. */
export type CompareKind = 'string' | 'enum' | 'dateTimeOffset' | 'number' | 'guid';

/** A type-checked boolean expression. */
export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'compare'; op: CompareOp; compareAs: CompareKind; left: FilterValue; right: FilterValue }
  | { kind: 'startswith'; target: FilterValue; prefix: string }
  | { kind: 'lambda'; quantifier: 'any' | 'all'; field: FieldSpec; variable: string | null; body: FilterNode | null };

const COMPARE_OPS: readonly CompareOp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];
const OP_KIND_NAMES: Record<CompareOp, string> = {
  eq: 'Equal',
  ne: 'NotEqual',
  gt: 'GreaterThan',
  ge: 'GreaterThanOrEqual',
  lt: 'LessThan',
  le: 'LessThanOrEqual',
};
const KEYWORDS = new Set(['and', 'or', 'not', ...COMPARE_OPS, 'null', 'true', 'false']);
/** OData functions the real stack knows but the Defender API does not document; named so the 400 is helpful. */
const UNSUPPORTED_FUNCTIONS = new Set([
  'contains',
  'endswith',
  'indexof',
  'length',
  'substring',
  'tolower',
  'toupper',
  'trim',
  'concat',
  'year',
  'month',
  'day',
  'hour',
  'minute',
  'second',
  'date',
  'time',
  'now',
  'round',
  'floor',
  'ceiling',
  'cast',
  'isof',
  'matchespattern',
]);
const GUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Nesting bound: deep enough for any real query, shallow enough that `((((...` cannot exhaust the stack. */
const MAX_DEPTH = 64;

type ValueType = FieldType | 'element' | FilterLiteral['type'];

function edmName(type: ValueType, field?: FieldSpec): string {
  switch (type) {
    case 'string':
    case 'element':
      return 'Edm.String';
    case 'enum':
      return `Enum(${field?.name ?? '?'})`;
    case 'dateTimeOffset':
    case 'dateTime':
      return 'Edm.DateTimeOffset';
    case 'int':
      return 'Edm.Int64';
    case 'number':
      return 'Edm.Int32/Edm.Double';
    case 'guid':
      return 'Edm.Guid';
    case 'boolean':
      return 'Edm.Boolean';
    case 'stringCollection':
      return 'Collection(Edm.String)';
    case 'null':
      return 'null';
  }
}

function describe(token: FilterToken): string {
  switch (token.kind) {
    case 'identifier':
      return `'${token.text}'`;
    case 'string':
      return `string literal '${token.value.replace(/'/g, "''")}'`;
    case 'number':
    case 'dateTime':
      return `'${token.text}'`;
    case 'guid':
      return `'${token.value}'`;
    case 'punct':
      return `'${token.text}'`;
    case 'eof':
      return 'the end of the filter';
  }
}

class FilterParser {
  private index = 0;
  private depth = 0;
  private readonly variables: string[] = [];

  constructor(
    private readonly tokens: FilterToken[],
    private readonly spec: EntitySetSpec,
  ) {}

  parse(): FilterNode {
    if (this.peek().kind === 'eof') throw invalidFilter('the filter is empty');
    const node = this.parseOr();
    const rest = this.peek();
    if (rest.kind !== 'eof') throw invalidFilter(`unexpected ${describe(rest)} at position ${rest.pos}`);
    return node;
  }

  private peek(offset = 0): FilterToken {
    const token = this.tokens[Math.min(this.index + offset, this.tokens.length - 1)];
    if (token === undefined) throw new Error('token stream without eof');
    return token;
  }

  private next(): FilterToken {
    const token = this.peek();
    if (token.kind !== 'eof') this.index += 1;
    return token;
  }

  private isKeyword(token: FilterToken, word: string): boolean {
    return token.kind === 'identifier' && token.text.toLowerCase() === word;
  }

  private isPunct(token: FilterToken, text: string): boolean {
    return token.kind === 'punct' && token.text === text;
  }

  private expectPunct(text: '(' | ')' | ',' | '/' | ':', context: string): void {
    const token = this.next();
    if (!this.isPunct(token, text)) {
      throw invalidFilter(`expected '${text}' ${context} but found ${describe(token)} at position ${token.pos}`);
    }
  }

  private parseOr(): FilterNode {
    this.depth += 1;
    if (this.depth > MAX_DEPTH) throw invalidFilter(`the filter nests deeper than ${MAX_DEPTH} levels`);
    let left = this.parseAnd();
    while (this.isKeyword(this.peek(), 'or')) {
      this.next();
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    this.depth -= 1;
    return left;
  }

  private parseAnd(): FilterNode {
    let left = this.parseUnary();
    while (this.isKeyword(this.peek(), 'and')) {
      this.next();
      left = { kind: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): FilterNode {
    const token = this.peek();
    if (!this.isKeyword(token, 'not')) return this.parsePrimary();
    this.next();
    const operand = this.peek();
    const after = this.peek(1);
    const startsBoolean =
      this.isPunct(operand, '(') ||
      this.isKeyword(operand, 'not') ||
      (operand.kind === 'identifier' && (this.isPunct(after, '(') || this.isPunct(after, '/')));
    if (!startsBoolean) {
      throw invalidFilter(
        `'not' at position ${token.pos} applies to a parenthesized expression, a function or a lambda; ` +
          `write for example not (status eq 'Resolved')`,
      );
    }
    this.depth += 1;
    if (this.depth > MAX_DEPTH) throw invalidFilter(`the filter nests deeper than ${MAX_DEPTH} levels`);
    const node: FilterNode = { kind: 'not', operand: this.parseUnary() };
    this.depth -= 1;
    return node;
  }

  private parsePrimary(): FilterNode {
    const token = this.peek();
    if (this.isPunct(token, '(')) {
      this.next();
      const inner = this.parseOr();
      this.expectPunct(')', `to close the '(' at position ${token.pos}`);
      return inner;
    }
    if (token.kind === 'identifier' && !KEYWORDS.has(token.text.toLowerCase())) {
      const after = this.peek(1);
      if (this.isPunct(after, '(')) return this.parseFunction();
      if (this.isPunct(after, '/')) return this.parseLambda();
    }
    return this.parseComparison();
  }

  private parseFunction(): FilterNode {
    const nameToken = this.next();
    if (nameToken.kind !== 'identifier') throw new Error('parseFunction without identifier');
    const name = nameToken.text.toLowerCase();
    if (name !== 'startswith') {
      if (UNSUPPORTED_FUNCTIONS.has(name)) {
        throw invalidFilter(`the function '${nameToken.text}' is not supported; the Defender API documents startswith`);
      }
      throw invalidFilter(`unknown function '${nameToken.text}' at position ${nameToken.pos}`);
    }
    this.expectPunct('(', 'after startswith');
    const target = this.parseValue();
    const targetType = this.typeOf(target);
    if (target.kind === 'literal' || (targetType !== 'string' && targetType !== 'element')) {
      throw invalidFilter(`startswith needs a string property as its first argument (at position ${nameToken.pos})`);
    }
    this.expectPunct(',', 'between the arguments of startswith');
    const prefixToken = this.next();
    if (prefixToken.kind !== 'string') {
      throw invalidFilter(
        `startswith needs a string literal as its second argument but found ${describe(prefixToken)} at position ${prefixToken.pos}`,
      );
    }
    this.expectPunct(')', 'to close startswith');
    return { kind: 'startswith', target, prefix: prefixToken.value };
  }

  private parseLambda(): FilterNode {
    const fieldToken = this.next();
    if (fieldToken.kind !== 'identifier') throw new Error('parseLambda without identifier');
    const field = this.resolveField(fieldToken.text, fieldToken.pos);
    if (field.type !== 'stringCollection') {
      throw invalidFilter(
        `'/' at position ${fieldToken.pos + fieldToken.text.length} needs a collection property; ${field.name} is not one`,
      );
    }
    this.expectPunct('/', 'after the collection property');
    const quantifierToken = this.next();
    const quantifier = quantifierToken.kind === 'identifier' ? quantifierToken.text.toLowerCase() : '';
    if (quantifier !== 'any' && quantifier !== 'all') {
      throw invalidFilter(`expected any or all after '${field.name}/' but found ${describe(quantifierToken)}`);
    }
    this.expectPunct('(', `after ${quantifier}`);
    if (this.isPunct(this.peek(), ')')) {
      this.next();
      if (quantifier === 'all') throw invalidFilter("all() needs a lambda expression, e.g. all(t: t eq 'x')");
      return { kind: 'lambda', quantifier, field, variable: null, body: null };
    }
    const variableToken = this.next();
    if (variableToken.kind !== 'identifier' || KEYWORDS.has(variableToken.text.toLowerCase())) {
      throw invalidFilter(`expected a range variable name in ${quantifier}( but found ${describe(variableToken)}`);
    }
    if (this.variables.includes(variableToken.text)) {
      throw invalidFilter(`the range variable '${variableToken.text}' is already in use`);
    }
    this.expectPunct(':', `after the range variable '${variableToken.text}'`);
    this.variables.push(variableToken.text);
    const body = this.parseOr();
    this.variables.pop();
    this.expectPunct(')', `to close ${quantifier}(`);
    return { kind: 'lambda', quantifier, field, variable: variableToken.text, body };
  }

  private parseComparison(): FilterNode {
    const left = this.parseValue();
    const opToken = this.next();
    const op = opToken.kind === 'identifier' ? opToken.text.toLowerCase() : '';
    if (!(COMPARE_OPS as readonly string[]).includes(op)) {
      throw invalidFilter(
        `expected a comparison operator (eq, ne, gt, ge, lt, le) but found ${describe(opToken)} at position ${opToken.pos}`,
      );
    }
    const right = this.parseValue();
    return this.checkComparison(op as CompareOp, left, right, opToken.pos);
  }

  private parseValue(): FilterValue {
    const token = this.next();
    switch (token.kind) {
      case 'string':
        return { kind: 'literal', literal: { type: 'string', value: token.value } };
      case 'number':
        return { kind: 'literal', literal: { type: 'number', value: token.value } };
      case 'dateTime':
        return { kind: 'literal', literal: { type: 'dateTime', ticks: token.ticks, text: token.text } };
      case 'guid':
        return { kind: 'literal', literal: { type: 'guid', value: token.value } };
      case 'identifier': {
        const word = token.text.toLowerCase();
        if (word === 'null') return { kind: 'literal', literal: { type: 'null' } };
        if (word === 'true' || word === 'false') {
          return { kind: 'literal', literal: { type: 'boolean', value: word === 'true' } };
        }
        if (KEYWORDS.has(word)) {
          throw invalidFilter(`expected a property or a literal but found ${describe(token)} at position ${token.pos}`);
        }
        if (this.variables.includes(token.text)) return { kind: 'variable', name: token.text };
        if (this.isPunct(this.peek(), '(')) {
          throw invalidFilter(`the function '${token.text}' at position ${token.pos} cannot be used as a value`);
        }
        return { kind: 'property', field: this.resolveField(token.text, token.pos) };
      }
      case 'punct':
      case 'eof':
        throw invalidFilter(`expected a property or a literal but found ${describe(token)} at position ${token.pos}`);
    }
  }

  private resolveField(name: string, pos: number): FieldSpec {
    const lower = name.toLowerCase();
    const field = this.spec.fields.find((f) => f.name.toLowerCase() === lower);
    if (field === undefined) {
      throw invalidFilter(
        `could not find a filterable property named '${name}' on ${this.spec.entitySet} (position ${pos}); ` +
          `filterable: ${this.spec.fields.map((f) => f.name).join(', ')}`,
      );
    }
    return field;
  }

  private typeOf(value: FilterValue): ValueType {
    switch (value.kind) {
      case 'property':
        return value.field.type;
      case 'variable':
        return 'element';
      case 'literal':
        return value.literal.type;
    }
  }

  private checkComparison(op: CompareOp, left: FilterValue, right: FilterValue, pos: number): FilterNode {
    const mismatch = () =>
      invalidFilter(
        `A binary operator with incompatible types was detected. Found operand types ` +
          `'${edmName(this.typeOf(left), left.kind === 'property' ? left.field : undefined)}' and ` +
          `'${edmName(this.typeOf(right), right.kind === 'property' ? right.field : undefined)}' ` +
          `for operator kind '${OP_KIND_NAMES[op]}' (position ${pos}).`,
      );
    if (left.kind === 'literal' && right.kind === 'literal') {
      throw invalidFilter(`the comparison at position ${pos} compares two literals; one side must be a property`);
    }
    for (const side of [left, right]) {
      if (side.kind === 'property' && side.field.type === 'stringCollection') {
        throw invalidFilter(`${side.field.name} is a collection; use ${side.field.name}/any(t: t eq '...')`);
      }
    }
    const [operand, other] = left.kind === 'literal' ? [right, left] : [left, right];
    const operandType = this.typeOf(operand);
    const compareAs = this.compareKind(operandType, mismatch);

    if (other.kind !== 'literal') {
      const otherType = this.typeOf(other);
      const sameEnum =
        operand.kind === 'property' && other.kind === 'property' && operand.field.members === other.field.members;
      if (this.compareKind(otherType, mismatch) !== compareAs || (compareAs === 'enum' && !sameEnum)) {
        throw mismatch();
      }
    } else {
      const literal = other.literal;
      if (literal.type === 'null') {
        if (op !== 'eq' && op !== 'ne') {
          throw invalidFilter(`the operator ${op} cannot compare with null (position ${pos}); use eq or ne`);
        }
      } else if (!this.literalFits(compareAs, literal, operand)) {
        throw mismatch();
      }
    }
    if ((compareAs === 'enum' || compareAs === 'guid') && op !== 'eq' && op !== 'ne') {
      // Ordering of enum members is not documented for the Defender API; refusing beats guessing an order.
      throw invalidFilter(
        `the operator ${op} is not supported for ${edmName(operandType)} values (position ${pos}); use eq or ne`,
      );
    }
    return { kind: 'compare', op, compareAs, left, right };
  }

  private compareKind(type: ValueType, mismatch: () => Error): CompareKind {
    switch (type) {
      case 'string':
      case 'element':
        return 'string';
      case 'enum':
        return 'enum';
      case 'dateTimeOffset':
        return 'dateTimeOffset';
      case 'int':
        return 'number';
      case 'guid':
        return 'guid';
      case 'stringCollection':
      case 'number':
      case 'dateTime':
      case 'boolean':
      case 'null':
        throw mismatch();
    }
  }

  private literalFits(compareAs: CompareKind, literal: FilterLiteral, operand: FilterValue): boolean {
    switch (compareAs) {
      case 'string':
        return literal.type === 'string';
      case 'number':
        return literal.type === 'number';
      case 'dateTimeOffset':
        return literal.type === 'dateTime';
      case 'guid':
        return literal.type === 'guid' || (literal.type === 'string' && GUID_TEXT.test(literal.value));
      case 'enum': {
        if (literal.type !== 'string') return false;
        const members = operand.kind === 'property' ? (operand.field.members ?? []) : [];
        const wanted = literal.value.toLowerCase();
        if (!members.some((m) => m.toLowerCase() === wanted)) {
          const name = operand.kind === 'property' ? operand.field.name : '?';
          throw invalidFilter(`'${literal.value}' is not a valid value for ${name}; valid: ${members.join(', ')}`);
        }
        return true;
      }
    }
  }
}

/** Parses and type-checks a decoded `$filter` value for one entity set; every problem is a 400 BadRequest. */
export function parseFilter(text: string, spec: EntitySetSpec): FilterNode {
  return new FilterParser(tokenizeFilter(text), spec).parse();
}
