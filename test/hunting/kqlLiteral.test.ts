import assert from 'node:assert/strict';
import { AppError } from '../../src/errors';
import { kqlDateTime, kqlLet, kqlString, kqlTimespanMinutes } from '../../src/hunting/kqlLiteral';
import { parseKql, statementCount, stringLiterals } from './support/kustoParser';

/** Values people or cards could send to break out of a literal; each must come back as one value, unchanged. */
const ATTEMPTS: { name: string; value: string }[] = [
  { name: 'a single quote', value: "ws-fin-042' or 1==1 or DeviceName == '" },
  { name: 'a double quote', value: 'ws-fin-042" | take 1 //' },
  { name: 'a statement separator', value: "x'; DeviceLogonEvents | take 1; let y = '" },
  { name: 'a pipe', value: "x' | union DeviceLogonEvents | where '1'=='1" },
  { name: 'a newline and a union', value: "x'\n| union DeviceLogonEvents\n| where 'a' == 'a" },
  { name: 'an escaped quote', value: "\\'; DeviceInfo | take 1 //" },
  { name: 'a trailing backslash', value: 'C:\\Windows\\System32\\' },
  { name: 'a double backslash then quote', value: "\\\\' | take 1 //" },
  { name: 'a comment', value: "// ' | take 1" },
  { name: 'a tab', value: "x\t' | take 1" },
  { name: 'a fullwidth quote', value: 'x\uff07 | take 1' },
  { name: 'an emoji and accents', value: 'relatório 😀 São Paulo' },
  { name: 'a verbatim string opener', value: "@'x' | take 1" },
  { name: 'a multi-line string opener', value: '```\n| union DeviceLogonEvents\n```' },
  { name: 'a 10 KB string of quotes', value: "'".repeat(10_240) },
  { name: 'a 10 KB command line', value: `powershell -enc ${'A'.repeat(10_000)}'; //` },
  { name: 'an empty string', value: '' },
];

/** Values holding characters whose escapes the service does not document, or that hide what a line says. */
const REFUSED: { name: string; value: string }[] = [
  { name: 'a carriage return', value: "x'\r| union DeviceLogonEvents\r//" },
  { name: 'control characters', value: "\t\u0000\u0001\u001b[31m\u007f\u0085'" },
  { name: 'unicode line separators', value: "x\u2028| union DeviceLogonEvents\u2029'" },
  { name: 'bidi overrides', value: "\u202eevil\u202c' | take 1" },
  { name: 'a zero-width space', value: 'ws-fin\u200b-042' },
  { name: 'a lone surrogate', value: 'x\ud800y' },
];

describe('KQL literals', () => {
  for (const { name, value } of REFUSED) {
    it(`refuses a value with ${name} (never sent altered)`, () => {
      assert.throws(
        () => kqlString(value),
        (err: unknown) => err instanceof AppError && err.code === 'invalidInput',
      );
    });
  }

  for (const { name, value } of ATTEMPTS) {
    it(`keeps ${name} inside one string literal with the same value`, () => {
      const query = `${kqlLet('device', kqlString(value))}\nDeviceInfo\n| where DeviceName == device\n| take 10`;
      const parsed = parseKql(query);
      assert.deepEqual(parsed.diagnostics, []);
      assert.deepEqual(stringLiterals(parsed), [value]);
      assert.equal(statementCount(parsed), 2);
    });
  }

  it('writes no control, format or separator character between the quotes; letters travel as themselves', () => {
    // eslint-disable-next-line no-control-regex -- the control characters a literal must not carry
    const unwanted = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\p{Cf}]/u;
    for (const { value } of ATTEMPTS) assert.doesNotMatch(kqlString(value), unwanted);
    assert.equal(kqlString('joão'), "'joão'");
  });

  it('refuses a value too long for a query', () => {
    assert.throws(
      () => kqlString('x'.repeat(40_000)),
      (err: unknown) => err instanceof AppError,
    );
  });

  it('builds datetime and timespan literals the parser reads as such', () => {
    const query = `let since = ${kqlDateTime(new Date('2026-12-07T04:00:00Z'))};\nlet window = ${kqlTimespanMinutes(1440)};\nprint since, window`;
    const parsed = parseKql(query);
    assert.deepEqual(parsed.diagnostics, []);
    assert.ok(query.includes('datetime(2026-12-07T04:00:00.000Z)'));
    assert.ok(query.includes('1440m'));
  });

  it('refuses an invalid instant, a window out of range and an unusable name', () => {
    assert.throws(() => kqlDateTime(new Date('nope')));
    assert.throws(() => kqlTimespanMinutes(0));
    assert.throws(() => kqlTimespanMinutes(1.5));
    assert.throws(() => kqlTimespanMinutes(31 * 24 * 60));
    assert.throws(() => kqlLet('x; DeviceInfo', "'a'"));
    assert.throws(() => kqlLet('where', "'a'"));
  });
});
