import * as fs from 'node:fs/promises';

/** Bytes read per chunk; lines are a few hundred bytes, so one chunk holds hundreds of them. */
const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * The newline-terminated lines of a file, first to last, up to `endOffset` (default: the size when called).
 * A trailing fragment without a newline is skipped: it is an append still in flight (another process may
 * be writing) or a torn write, never a committed entry. Reads in chunks, so memory stays small.
 * Yields `[lineNumber, text]` with 1-based line numbers.
 */
export async function* readCompleteLines(path: string, endOffset?: number): AsyncGenerator<[number, string]> {
  const handle = await fs.open(path, 'r');
  try {
    const end = endOffset ?? (await handle.stat()).size;
    const buffer = Buffer.alloc(CHUNK_BYTES);
    let pending: Buffer[] = [];
    let lineNumber = 0;
    for (let position = 0; position < end;) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK_BYTES, end - position), position);
      if (bytesRead === 0) break;
      position += bytesRead;
      let start = 0;
      for (let newline = buffer.indexOf(NEWLINE, 0); newline !== -1 && newline < bytesRead;) {
        pending.push(buffer.subarray(start, newline));
        // Decode only complete lines: a multi-byte character never straddles a newline byte.
        yield [++lineNumber, Buffer.concat(pending).toString('utf8')];
        pending = [];
        start = newline + 1;
        newline = buffer.indexOf(NEWLINE, start);
      }
      if (start < bytesRead) pending.push(Buffer.from(buffer.subarray(start, bytesRead)));
    }
  } finally {
    await handle.close();
  }
}
