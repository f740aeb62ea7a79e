import { AppError } from '../errors';

/*
 * KQL literals built from values a person or a card supplied. A saved hunt never splices a value into its text:
 * the bot prepends `let <name> = <literal>;` and the body refers to the name (src/hunting/huntQuery.ts). These
 * functions are the only way such a literal is made, so the rigour lives in one place, as OData escaping does in
 * src/http/odata.ts.
 */

/** Longest string value the bot puts into a query (a 10 KB command line still fits; a megabyte never does). */
export const MAX_KQL_STRING_LENGTH = 32_768;

/**
 * Characters a literal never carries: C0/C1 controls other than tab and newline, the Unicode line
 * and paragraph separators, format characters (bidi overrides, zero-width joiners, BOM) and lone surrogates. They
 * change how a line reads to a person, and whether the service decodes a `\uXXXX` escape of them is not documented
 * (Kusto's string-literal page lists only `\\`, `\'`, `\"`, `\t`, `\n`), so a value holding one is refused,
 * never sent altered.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const REFUSED_IN_LITERALS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\p{Cf}\p{Cs}]/u;

/**
 * A KQL string literal whose value is exactly `value`: single-quoted, backslash and both quotes escaped, newline
 * and tab in their short escapes, every other printable character as itself (accents and emoji
 * travel in the UTF-8 body, as Graph's page asks for non-ANSI text). A value holding a character of
 * REFUSED_IN_LITERALS is refused (AppError `invalidInput`). Nothing in the value can end the literal, start a
 * comment or a new statement (test/hunting/kqlLiteral.test.ts parses every attempt with Microsoft's Kusto parser).
 */
export function kqlString(value: string): string {
  if (value.length > MAX_KQL_STRING_LENGTH) throw new AppError('invalidInput', 'value too long for a query');
  if (REFUSED_IN_LITERALS.test(value)) throw new AppError('invalidInput', 'value holds a control or format character');
  let out = "'";
  for (const char of value) {
    if (char === '\\') out += '\\\\';
    else if (char === "'") out += "\\'";
    else if (char === '"') out += '\\"';
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else out += char;
  }
  return `${out}'`;
}

/** A `datetime(…)` literal of a valid instant, in UTC with milliseconds (`datetime(2026-12-07T04:00:00.000Z)`). */
export function kqlDateTime(instant: Date): string {
  if (Number.isNaN(instant.getTime())) throw new AppError('invalidInput', 'not a valid instant');
  return `datetime(${instant.toISOString()})`;
}

/** Longest hunting window: advanced hunting keeps 30 days of data. */
export const MAX_HUNT_WINDOW_MINUTES = 30 * 24 * 60;

/** A timespan literal of whole minutes, 1 minute to 30 days (`1440m`); anything else is refused, never rounded. */
export function kqlTimespanMinutes(minutes: number): string {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_HUNT_WINDOW_MINUTES)
    throw new AppError('invalidInput', 'window out of range');
  return `${minutes}m`;
}

/** KQL names the bot declares (`let <name> = …`): letters, digits and `_`, starting with a letter. */
const KQL_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** A `let` statement binding `name` to an already built literal; the name is checked, never escaped. */
export function kqlLet(name: string, literal: string): string {
  if (!KQL_NAME.test(name) || KQL_RESERVED.has(name.toLowerCase()))
    throw new AppError('internal', `not a usable KQL name: ${name}`);
  return `let ${name} = ${literal};`;
}

/** Words a `let` name may not be (Kusto keywords the saved hunts could collide with). */
const KQL_RESERVED = new Set([
  'let',
  'where',
  'project',
  'extend',
  'summarize',
  'take',
  'limit',
  'top',
  'order',
  'sort',
  'join',
  'union',
  'by',
  'on',
  'in',
  'and',
  'or',
  'not',
  'true',
  'false',
  'ago',
  'now',
  'datetime',
  'timespan',
  'print',
  'set',
  'declare',
  'range',
  'between',
  'has',
  'contains',
]);
