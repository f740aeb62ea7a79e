import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { LOCK_FILE_NAME } from '../../src/storage/directoryLock';
import { FileStorage } from '../../src/storage/fileStorage';
import type { StoreItem } from '../../src/storage/storage';
import { StorageError, isETagConflict } from '../../src/storage/storageError';
import { toStorageFileName } from '../../src/storage/storageFileName';
import { describeStorageContract } from './storageContract';
import { useTempDirs } from './support/tempDir';

describe('FileStorage', () => {
  const tempDir = useTempDirs('soc-bot-filestorage-');

  describeStorageContract('FileStorage', async () => new FileStorage({ dir: await tempDir() }), {
    eTagOnMissingKey: 'creates',
  });

  async function readOne(store: FileStorage, key: string): Promise<StoreItem> {
    const item = (await store.read([key]))[key];
    assert.ok(item !== undefined, `expected "${key}" to exist`);
    return item as StoreItem;
  }

  /** The directory's files but the process lock (tested on its own below). */
  async function filesIn(dir: string): Promise<string[]> {
    return (await fs.readdir(dir)).filter((name) => name !== LOCK_FILE_NAME).sort();
  }

  describe('durability across restarts', () => {
    it('a new instance on the same directory reads what the old one wrote, eTags included', async () => {
      const dir = await tempDir();
      const before = new FileStorage({ dir });
      await before.write({ 'approvals/3f2c': { state: 'pending' } });
      const written = await readOne(before, 'approvals/3f2c');

      const after = new FileStorage({ dir });
      const reread = await readOne(after, 'approvals/3f2c');
      assert.deepEqual(reread, written);

      // The eTag read before the "restart" still works for a conditional write after it, exactly once.
      await after.write({ 'approvals/3f2c': { ...written, state: 'approved' } });
      await assert.rejects(after.write({ 'approvals/3f2c': { ...written, state: 'rejected' } }), /eTag conflict/);
      assert.equal((await readOne(new FileStorage({ dir }), 'approvals/3f2c')).state, 'approved');
    });

    it('two instances on one directory in one process share their locks: still exactly one winner', async () => {
      const dir = await tempDir();
      const first = new FileStorage({ dir });
      const second = new FileStorage({ dir });
      await first.write({ k: { state: 'pending' } });
      const read = await readOne(first, 'k');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? first : second).write({ k: { ...read, by: i } })),
      );
      assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 1);
    });

    it('reads see the old or the new item while writes are in flight, never a torn file', async () => {
      const store = new FileStorage({ dir: await tempDir() });
      await store.write({ k: { n: 0, padding: 'x'.repeat(100_000) } });
      let writing = true;
      const writes = (async () => {
        for (let n = 1; n <= 30; n++) await store.write({ k: { n, padding: 'x'.repeat(100_000) } });
        writing = false;
      })();
      let reads = 0;
      let last = 0;
      while (writing) {
        const item = await readOne(store, 'k');
        assert.ok(typeof item.n === 'number' && item.n >= last, 'reads never go backwards');
        last = item.n;
        reads++;
      }
      await writes;
      assert.ok(reads > 0);
      assert.equal((await readOne(store, 'k')).n, 30);
    });
  });

  describe('atomic writes', () => {
    it('ignores and removes a leftover temp file on start; the previous content stays readable', async () => {
      const dir = await tempDir();
      await new FileStorage({ dir }).write({ k: { n: 1 } });
      const itemFile = toStorageFileName('k');
      // What a crash between "write temp file" and "rename" leaves behind: a torn new version.
      await fs.writeFile(
        path.join(dir, `${itemFile}.0123456789ab.tmp`),
        '{"format":1,"key":"k","eTag":"x","item":{"n"',
      );
      await fs.writeFile(path.join(dir, 'other.json.feedfacecafe.tmp'), '');

      const restarted = new FileStorage({ dir });
      assert.equal((await readOne(restarted, 'k')).n, 1);
      assert.deepEqual(await filesIn(dir), [itemFile]);
    });

    it('leaves no temp file behind after successful writes', async () => {
      const dir = await tempDir();
      const store = new FileStorage({ dir });
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.write({ [`k${i % 5}`]: { i } })));
      const files = await filesIn(dir);
      assert.equal(files.length, 5);
      assert.ok(files.every((name) => name.endsWith('.json')));
    });

    it('survives being killed mid-write: the item is a whole old or new version', async function () {
      this.timeout(60_000);
      const writer = path.join(__dirname, 'support', 'crashWriter.js');
      for (let round = 0; round < 4; round++) {
        const dir = await tempDir();
        const lastReported = await runAndKill(writer, dir, 'approvals/crash', 3 + round);
        const restarted = new FileStorage({ dir });
        const item = await readOne(restarted, 'approvals/crash');
        assert.ok(typeof item.generation === 'number');
        // The reported write is durable; the one in flight when killed may or may not have landed.
        assert.ok(
          item.generation === lastReported || item.generation === lastReported + 1,
          `generation ${item.generation} after last reported ${lastReported}`,
        );
        assert.equal(item.padding, String(item.generation % 10).repeat(512 * 1024));
        assert.deepEqual(await filesIn(dir), [toStorageFileName('approvals/crash')], 'temp files removed on start');
      }
    });
  });

  describe('failing closed', () => {
    async function storeWithItemFile(content: string): Promise<FileStorage> {
      const dir = await tempDir();
      const store = new FileStorage({ dir });
      await store.write({ 'approvals/broken': { n: 1 }, 'approvals/fine': { n: 2 } });
      await fs.writeFile(path.join(dir, toStorageFileName('approvals/broken')), content);
      return store;
    }

    function assertCorrupt(error: unknown): true {
      assert.ok(error instanceof StorageError);
      assert.equal(error.reason, 'corruptItem');
      assert.equal(error.key, 'approvals/broken');
      assert.match(error.message, /"approvals\/broken" is corrupt/);
      assert.equal(isETagConflict(error), false);
      return true;
    }

    it('throws an error naming the key when an item file is not valid JSON', async () => {
      const store = await storeWithItemFile('{"format":1,"key":"approvals/bro');
      await assert.rejects(store.read(['approvals/broken']), assertCorrupt);
      // One corrupt key fails the whole read rather than silently dropping it.
      await assert.rejects(store.read(['approvals/fine', 'approvals/broken']), assertCorrupt);
      assert.equal((await readOne(store, 'approvals/fine')).n, 2);
    });

    it('throws when an item file is JSON of the wrong shape', async () => {
      const store = await storeWithItemFile('{"n":1}');
      await assert.rejects(store.read(['approvals/broken']), assertCorrupt);
    });

    it('throws when an item file holds another key (a file copied over another)', async () => {
      const store = await storeWithItemFile(
        JSON.stringify({ format: 1, key: 'approvals/other', eTag: 'e', item: { n: 1 } }),
      );
      await assert.rejects(store.read(['approvals/broken']), assertCorrupt);
    });

    it('refuses a conditional write over a corrupt item; an unconditional write repairs it', async () => {
      const store = await storeWithItemFile('not json');
      await assert.rejects(store.write({ 'approvals/broken': { n: 5, eTag: 'anything' } }), assertCorrupt);
      await store.write({ 'approvals/broken': { n: 6, eTag: '*' } });
      assert.equal((await readOne(store, 'approvals/broken')).n, 6);
    });

    it('passes on I/O errors other than "missing" instead of reading them as an absent item', async () => {
      const dir = await tempDir();
      const store = new FileStorage({ dir });
      // A directory where the item file should be: reading it fails with EISDIR, which is not "not found".
      await fs.mkdir(path.join(dir, toStorageFileName('approvals/odd')));
      await assert.rejects(store.read(['approvals/odd']), (error: unknown) => {
        return error instanceof Error && (error as NodeJS.ErrnoException).code === 'EISDIR';
      });
    });

    it('rejects items that are not JSON objects, writing nothing', async () => {
      const dir = await tempDir();
      const store = new FileStorage({ dir });
      const invalid: unknown[] = [null, 'text', 42, [1, 2], { n: 1, eTag: 7 }, { n: BigInt(1) }];
      for (const value of invalid) {
        await assert.rejects(
          store.write({ ok: { n: 1 }, bad: value }),
          (error: unknown) => error instanceof StorageError && error.reason === 'invalidInput',
          `should refuse ${typeof value}`,
        );
      }
      assert.deepEqual(await filesIn(dir), []);
    });

    it('writes item files readable by the owner only', async function () {
      if (process.platform === 'win32') this.skip();
      const dir = await tempDir();
      await new FileStorage({ dir }).write({ k: { n: 1 } });
      const stat = await fs.stat(path.join(dir, toStorageFileName('k')));
      assert.equal(stat.mode & 0o077, 0);
    });
  });

  describe('hostile keys', () => {
    const hostile = [
      '../../etc/passwd',
      '..',
      '.',
      '/absolute/path',
      'C:\\Windows\\win.ini',
      'a/b',
      'a_b',
      'A',
      'a',
      'k'.repeat(10_000),
      'ключ/密钥/🔑',
      '\uD800',
      '\uDC00',
      '',
      'nul\u0000byte',
      '__proto__',
      'constructor',
      '.hidden.tmp',
      'x.json',
    ];

    it('keeps every key inside the directory, one file each, and reads each back', async () => {
      const root = await tempDir();
      const dir = path.join(root, 'store');
      const store = new FileStorage({ dir });
      await store.write(Object.fromEntries(hostile.map((key, i) => [key, { i }])));

      assert.deepEqual(await fs.readdir(root), ['store'], 'nothing written next to or above the store');
      const files = await filesIn(dir);
      assert.equal(files.length, hostile.length, 'distinct keys never share a file');
      for (const name of files) assert.match(name, /^[A-Za-z0-9_-]+\.[0-9a-f]{64}\.json$/);

      const items = await store.read(hostile);
      assert.equal(Object.keys(items).length, hostile.length);
      hostile.forEach((key, i) => {
        assert.ok(Object.prototype.hasOwnProperty.call(items, key), `own property for ${JSON.stringify(key)}`);
        assert.equal((items[key] as StoreItem).i, i);
      });
      assert.equal(Object.getPrototypeOf(items), Object.prototype, 'a "__proto__" key did not replace the prototype');
    });

    it('survives a restart with hostile keys', async () => {
      const dir = await tempDir();
      await new FileStorage({ dir }).write({ '../../etc/passwd': { n: 1 } });
      assert.equal((await readOne(new FileStorage({ dir }), '../../etc/passwd')).n, 1);
      await new FileStorage({ dir }).delete(['../../etc/passwd']);
      assert.deepEqual(await filesIn(dir), []);
    });
  });

  describe('one process per directory', () => {
    it('refuses a second process with a message naming the directory and the shared store to use instead', async () => {
      const dir = await tempDir();
      const store = new FileStorage({ dir });
      await store.ready();
      const second = await openInChild(dir);
      assert.equal(second.code, 3, second.output);
      assert.ok(second.output.includes(dir), `names the directory: ${second.output}`);
      assert.match(second.output, new RegExp(`process ${process.pid} on `));
      assert.match(second.output, /STORAGE_CONNECTION_STRING/);

      await store.close();
      const third = await openInChild(dir);
      assert.equal(third.code, 0, `opens once the first closed: ${third.output}`);
    });

    it('keeps the directory while any store of this process on it is open', async () => {
      const dir = await tempDir();
      const [first, second] = [new FileStorage({ dir }), new FileStorage({ dir })];
      await Promise.all([first.ready(), second.ready()]);
      await first.close();
      assert.equal((await openInChild(dir)).code, 3);
      await second.close();
      assert.equal((await openInChild(dir)).code, 0);
    });

    it('takes over the lock of a process that was killed', async () => {
      const dir = await tempDir();
      const holder = spawn(process.execPath, ['-e', childScript(dir, 'hold')], { stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<void>((resolve) => holder.once('close', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        holder.stdout.once('data', () => resolve());
        holder.once('exit', (code) => reject(new Error(`holder exited (${String(code)})`)));
      });
      await assert.rejects(new FileStorage({ dir }).ready(), (error: unknown) => {
        assert.ok(error instanceof StorageError && error.reason === 'inUse', String(error));
        return true;
      });
      holder.kill('SIGKILL');
      await exited;
      const store = new FileStorage({ dir });
      await store.write({ k: { n: 1 } });
      assert.equal((await readOne(store, 'k')).n, 1);
      await store.close();
    });

    it('never takes over a lock held from another host', async () => {
      const dir = await tempDir();
      const lock = { pid: 999_999_999, hostname: 'another-host.example', since: '2026-01-01T00:00:00.000Z' };
      await fs.writeFile(path.join(dir, LOCK_FILE_NAME), JSON.stringify(lock));
      await assert.rejects(
        new FileStorage({ dir }).ready(),
        /in use by another bot process \(process 999999999 on another-host/,
      );
    });
  });
});

/** A `node -e` script that opens a FileStorage on `dir` from the built module: exits 3 with the message if refused. */
function childScript(dir: string, mode: 'open' | 'hold'): string {
  const module = path.join(__dirname, '..', '..', 'src', 'storage', 'fileStorage.js');
  return `
    const { FileStorage } = require(${JSON.stringify(module)});
    new FileStorage({ dir: ${JSON.stringify(dir)} }).ready().then(
      () => { process.stdout.write('opened\\n'); ${mode === 'hold' ? 'setInterval(() => {}, 1000);' : ''} },
      (error) => { process.stderr.write(error.message); process.exit(3); },
    );`;
}

/** Runs a second process that tries to open the store; its exit code and everything it printed. */
async function openInChild(dir: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['-e', childScript(dir, 'open')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode)));
  return { code, output };
}

/**
 * Starts the crash writer, lets it report at least `minimumWrites` completed writes, kills it with SIGKILL at
 * an arbitrary point of a later write, and returns the last generation it reported.
 */
async function runAndKill(writer: string, dir: string, key: string, minimumWrites: number): Promise<number> {
  const child = spawn(process.execPath, [writer, dir, key], { stdio: ['ignore', 'pipe', 'pipe'] });
  let lastReported = -1;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close', not 'exit': every stdout chunk has been delivered by then.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) lastReported = Number(line);
        if (lastReported + 1 >= minimumWrites) resolve();
      });
      child.once('exit', (code) => reject(new Error(`writer exited early (${String(code)}): ${stderr}`)));
    });
    // A little more time so the kill lands somewhere inside the next write(s).
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 15)));
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  // Reports that arrived between the decision to kill and the kill still count.
  return lastReported;
}
