import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

/** Fresh temp directories for a suite, removed after it (call inside a describe). */
export function useTempDirs(prefix: string): () => Promise<string> {
  const created: string[] = [];
  after(async () => {
    await Promise.all(created.map((dir) => fs.rm(dir, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
    created.push(dir);
    return dir;
  };
}
