import { FileStorage } from '../../../src/storage/fileStorage';

/*
 * Child process for the crash test: writes ever-larger generations of one key as fast as it can and reports
 * each completed write on stdout, until the parent kills it with SIGKILL at an arbitrary moment.
 * Usage: node crashWriter.js <dir> <key>
 */
async function main(): Promise<void> {
  const [dir, key] = process.argv.slice(2);
  if (dir === undefined || key === undefined) throw new Error('usage: crashWriter <dir> <key>');
  const store = new FileStorage({ dir });
  for (let generation = 0; ; generation++) {
    // Large enough that a write takes a while, so the kill often lands in the middle of one.
    await store.write({ [key]: { generation, padding: String(generation % 10).repeat(512 * 1024) } });
    process.stdout.write(`${generation}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
