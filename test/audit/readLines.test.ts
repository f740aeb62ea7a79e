import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { readCompleteLines } from '../../src/audit/readCompleteLines';
import { readLinesBackward } from '../../src/audit/readLinesBackward';
import { useTempDirs } from '../storage/support/tempDir';

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

describe('audit line readers', () => {
  const tempDir = useTempDirs('soc-bot-lines-');

  async function fileWith(content: string): Promise<string> {
    const file = path.join(await tempDir(), 'lines.jsonl');
    await fs.writeFile(file, content);
    return file;
  }

  // Lines of varied length with multi-byte characters, so 64 KiB chunk edges fall everywhere.
  const lines = Array.from({ length: 400 }, (_, i) => `${i}:${'ü€'.repeat((i * 37) % 900)}`);

  it('reads complete lines forward with their line numbers, across chunk boundaries', async () => {
    const file = await fileWith(`${lines.join('\n')}\n`);
    assert.deepEqual(
      await collect(readCompleteLines(file)),
      lines.map((line, i) => [i + 1, line]),
    );
  });

  it('skips a trailing fragment without a newline (an append still in flight)', async () => {
    const file = await fileWith('one\ntwo\nthr');
    assert.deepEqual(await collect(readCompleteLines(file)), [
      [1, 'one'],
      [2, 'two'],
    ]);
  });

  it('stops at the given end offset', async () => {
    const file = await fileWith('one\ntwo\nthree\n');
    assert.deepEqual(await collect(readCompleteLines(file, 8)), [
      [1, 'one'],
      [2, 'two'],
    ]);
  });

  it('reads complete lines backward, across chunk boundaries', async () => {
    const content = `${lines.join('\n')}\n`;
    const file = await fileWith(content);
    assert.deepEqual(await collect(readLinesBackward(file, Buffer.byteLength(content))), [...lines].reverse());
  });

  it('reads backward only up to the end offset, and handles tiny and empty files', async () => {
    const file = await fileWith('one\ntwo\nthree\npartial');
    assert.deepEqual(await collect(readLinesBackward(file, 14)), ['three', 'two', 'one']);
    assert.deepEqual(await collect(readLinesBackward(file, 4)), ['one']);
    assert.deepEqual(await collect(readLinesBackward(file, 0)), []);
  });

  it('keeps empty lines as empty strings so they are reported, not skipped', async () => {
    const file = await fileWith('one\n\nthree\n');
    assert.deepEqual(await collect(readLinesBackward(file, 11)), ['three', '', 'one']);
    assert.deepEqual(await collect(readCompleteLines(file)), [
      [1, 'one'],
      [2, ''],
      [3, 'three'],
    ]);
  });
});
