import type { AuditSegments } from './auditSegments';

const NEWLINE = 0x0a;

/**
 * Every line of the shared audit chain, first to last across its segments, numbered 1, 2, 3… as `seq` must be.
 * Streams each segment; a trailing fragment without a newline is yielded too (an append blob only ever gains
 * whole lines, so a fragment is damage that verification must see, not an append in flight).
 */
export async function* readSegmentLines(segments: AuditSegments): AsyncGenerator<[number, string]> {
  let lineNumber = 0;
  for (const segment of await segments.list()) {
    let pending: Buffer[] = [];
    for await (const chunk of segments.readAll(segment)) {
      let start = 0;
      for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
        pending.push(chunk.subarray(start, newline));
        yield [++lineNumber, Buffer.concat(pending).toString('utf8')];
        pending = [];
        start = newline + 1;
      }
      if (start < chunk.length) pending.push(Buffer.from(chunk.subarray(start)));
    }
    if (pending.length > 0) yield [++lineNumber, Buffer.concat(pending).toString('utf8')];
  }
}
