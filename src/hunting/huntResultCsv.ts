import type { HuntingColumn, HuntingResultRow } from './huntingTypes';

/*
 * A hunt's rows as a CSV file people open in Excel: RFC 4180 (comma, CRLF, fields with a quote, comma or line break
 * quoted and quotes doubled), UTF-8 with a byte-order mark (Excel reads UTF-8 only then), and spreadsheet formula
 * injection neutralised: a text cell starting with = + - @ tab or CR gets a leading apostrophe (OWASP's advice), so a
 * file name like `=HYPERLINK(...)` from an attacker's machine is shown, never evaluated.
 */

/** The UTF-8 byte-order mark. */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell: text neutralised and quoted as needed; numbers and booleans as written; objects as JSON. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return quoted(String(value));
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return quoted(FORMULA_START.test(text) ? `'${text}` : text);
}

function quoted(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One line with its CRLF. */
export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/** Bytes one value adds to the file (without its separator). */
export function csvRowBytes(value: unknown): number {
  return Buffer.byteLength(csvCell(value));
}

/** Bytes of the byte-order mark and the header line. */
export function csvHeaderBytes(columns: readonly HuntingColumn[]): number {
  return BOM.length + Buffer.byteLength(csvLine(columns.map((c) => c.name)));
}

/**
 * The CSV of `rows` as consecutive pieces of exactly `fragmentBytes` bytes (the last one shorter), for an upload
 * session's ranges. Holds one fragment and one line at a time.
 */
export async function* csvFragments(
  columns: readonly HuntingColumn[],
  rows: AsyncIterable<HuntingResultRow>,
  fragmentBytes: number,
): AsyncGenerator<Buffer> {
  const fragment = Buffer.alloc(fragmentBytes);
  let filled = 0;
  function* add(bytes: Buffer): Generator<Buffer> {
    let offset = 0;
    while (offset < bytes.length) {
      const copied = bytes.copy(fragment, filled, offset);
      filled += copied;
      offset += copied;
      if (filled === fragmentBytes) {
        yield Buffer.from(fragment);
        filled = 0;
      }
    }
  }
  yield* add(BOM);
  yield* add(Buffer.from(csvLine(columns.map((c) => c.name))));
  for await (const row of rows) yield* add(Buffer.from(csvLine(columns.map((c) => row[c.name]))));
  if (filled > 0) yield Buffer.from(fragment.subarray(0, filled));
}
