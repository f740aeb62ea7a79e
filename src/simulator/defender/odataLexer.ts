import { invalidFilter } from './defenderError';
import { parseDateTimeOffset } from './odataDateTime';

/** One lexical token of a `$filter` expression; `pos` is the 0-based character offset for error messages. */
export type FilterToken =
  | { kind: 'identifier'; text: string; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; text: string; pos: number }
  | { kind: 'dateTime'; ticks: bigint; text: string; pos: number }
  | { kind: 'guid'; value: string; pos: number }
  | { kind: 'punct'; text: '(' | ')' | ',' | '/' | ':'; pos: number }
  | { kind: 'eof'; pos: number };

const WHITESPACE = new Set([' ', '\t', '\r', '\n']);
const PUNCTUATION = new Set(['(', ')', ',', '/', ':']);
// Each pattern is anchored at the current offset (sticky) and recognises a single token, never a whole clause.
const GUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9A-Za-z_])/y;
const DATE_TIME = /\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:[Zz]|[+-]\d{2}:\d{2})?/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y;
/** Characters that may not directly follow a literal; `2019-11` or `12abc` are malformed, not two tokens. */
const LITERAL_FOLLOWER = /[A-Za-z0-9_.:-]/;

function matchAt(pattern: RegExp, text: string, pos: number): string | undefined {
  pattern.lastIndex = pos;
  const m = pattern.exec(text);
  return m ? m[0] : undefined;
}

function readString(text: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  for (;;) {
    if (i >= text.length) throw invalidFilter(`unterminated string literal starting at position ${start}`);
    const ch = text[i];
    if (ch === "'") {
      // OData escapes a quote inside a string literal by doubling it.
      if (text[i + 1] === "'") {
        value += "'";
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += ch;
    i += 1;
  }
}

function checkFollower(text: string, end: number, literal: string, pos: number): void {
  const next = text[end];
  if (next !== undefined && LITERAL_FOLLOWER.test(next)) {
    throw invalidFilter(`malformed literal '${literal}${next}...' at position ${pos}`);
  }
}

/** Splits a decoded `$filter` value into tokens; anything it does not recognise is a 400, never skipped. */
export function tokenizeFilter(text: string): FilterToken[] {
  const tokens: FilterToken[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (WHITESPACE.has(ch)) {
      i += 1;
      continue;
    }
    if (ch === "'") {
      const { value, end } = readString(text, i);
      tokens.push({ kind: 'string', value, pos: i });
      i = end;
      continue;
    }
    if (PUNCTUATION.has(ch)) {
      tokens.push({ kind: 'punct', text: ch as '(' | ')' | ',' | '/' | ':', pos: i });
      i += 1;
      continue;
    }
    const guid = matchAt(GUID, text, i);
    if (guid !== undefined) {
      tokens.push({ kind: 'guid', value: guid, pos: i });
      i += guid.length;
      continue;
    }
    if (/[0-9-]/.test(ch)) {
      const dateTime = matchAt(DATE_TIME, text, i);
      if (dateTime !== undefined) {
        checkFollower(text, i + dateTime.length, dateTime, i);
        const parsed = parseDateTimeOffset(dateTime);
        if (!parsed.ok) throw invalidFilter(`${parsed.reason} at position ${i}`);
        tokens.push({ kind: 'dateTime', ticks: parsed.ticks, text: dateTime, pos: i });
        i += dateTime.length;
        continue;
      }
      const number = matchAt(NUMBER, text, i);
      if (number !== undefined) {
        checkFollower(text, i + number.length, number, i);
        tokens.push({ kind: 'number', value: Number(number), text: number, pos: i });
        i += number.length;
        continue;
      }
      throw invalidFilter(`unexpected character '${ch}' at position ${i}`);
    }
    const identifier = matchAt(IDENTIFIER, text, i);
    if (identifier !== undefined) {
      tokens.push({ kind: 'identifier', text: identifier, pos: i });
      i += identifier.length;
      continue;
    }
    throw invalidFilter(`unexpected character '${ch}' at position ${i}`);
  }
  tokens.push({ kind: 'eof', pos: text.length });
  return tokens;
}
