import * as fs from 'node:fs/promises';

const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/** Reads exactly `length` bytes at `position` of some byte source (a file, an append blob segment). */
export type ReadAt = (position: number, length: number) => Promise<Buffer>;

/**
 * The complete lines of a file that end at or before `endOffset`, last to first, read in chunks from the
 * end: the newest entries cost the same however long the file is. `endOffset` must be just past a newline
 * (the log's committed size), so no partial line is ever returned.
 */
export async function* readLinesBackward(path: string, endOffset: number): AsyncGenerator<string> {
  const handle = await fs.open(path, 'r');
  try {
    yield* readLinesBackwardAt(async (position, length) => {
      const chunk = Buffer.alloc(length);
      await readFully(handle, chunk, position);
      return chunk;
    }, endOffset);
  } finally {
    await handle.close();
  }
}

/** As `readLinesBackward`, over any byte source: lets the append-blob trail share the same backward reader. */
export async function* readLinesBackwardAt(readAt: ReadAt, endOffset: number): AsyncGenerator<string> {
  // Bytes of the (so far) incomplete line that starts in an earlier chunk, in file order.
  let carry: Buffer = Buffer.alloc(0);
  let position = endOffset;
  let skipTerminator = true;
  while (position > 0) {
    const size = Math.min(CHUNK_BYTES, position);
    position -= size;
    const chunk = await readAt(position, size);
    let data = Buffer.concat([chunk, carry]);
    if (skipTerminator) {
      // The file's final newline terminates the last line; it does not start an empty one.
      if (data[data.length - 1] === NEWLINE) data = data.subarray(0, data.length - 1);
      skipTerminator = false;
    }
    let end = data.length;
    // Guarded: a negative offset would make lastIndexOf search from the end of the buffer again.
    let newline = end > 0 ? data.lastIndexOf(NEWLINE, end - 1) : -1;
    while (newline !== -1) {
      yield data.subarray(newline + 1, end).toString('utf8');
      end = newline;
      newline = end > 0 ? data.lastIndexOf(NEWLINE, end - 1) : -1;
    }
    carry = Buffer.from(data.subarray(0, end));
  }
  if (carry.length > 0) yield carry.toString('utf8');
}

async function readFully(handle: fs.FileHandle, into: Buffer, position: number): Promise<void> {
  for (let offset = 0; offset < into.length;) {
    const { bytesRead } = await handle.read(into, offset, into.length - offset, position + offset);
    if (bytesRead === 0) throw new Error('file shrank while being read');
    offset += bytesRead;
  }
}
