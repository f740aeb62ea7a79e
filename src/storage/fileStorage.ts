import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { DirectoryLock } from './directoryLock';
import { isErrorCode } from './isErrorCode';
import { KeyedMutex } from './keyedMutex';
import type { Storage, StoreItems } from './storage';
import { StorageError } from './storageError';
import { toStorageFileName } from './storageFileName';
import {
  isUnconditional,
  parseChanges,
  parseStoredRecord,
  parseKeys,
  settleInKeyOrder,
  toStoreItems,
} from './storeItems';

/** Where a FileStorage keeps its files. */
export interface FileStorageOptions {
  /** The store's directory (created with mode 0700 if missing); one file per key. */
  dir: string;
}

/** Suffix of in-progress writes; such files are never items and are removed when a store starts. */
const TEMP_FILE_SUFFIX = '.tmp';

/** Version of the on-disk record, so a future layout can be recognised instead of misread. */
const RECORD_FORMAT = 1;

/** One file's content: the original key (file names are hashes), the current eTag and the item. */
const storedRecordSchema = z.object({
  format: z.literal(RECORD_FORMAT),
  key: z.string(),
  eTag: z.string().min(1),
  item: z.record(z.string(), z.unknown()),
});
type StoredRecord = z.infer<typeof storedRecordSchema>;

/** A change validated and deep-copied at call time, so later mutation by the caller changes nothing. */
interface PreparedChange {
  key: string;
  /** Undefined when the write is unconditional (eTag absent, empty or `'*'`). */
  expectedETag: string | undefined;
  item: Record<string, unknown>;
}

/** Per-directory state shared by every FileStorage of this process opened on the same directory. */
interface DirectoryState {
  dir: string;
  locks: KeyedMutex;
  /** Temp files of writes in flight, so a second instance starting up never removes a live one. */
  tempFilesInFlight: Set<string>;
  /** This process's hold on the directory against other processes. */
  lock: DirectoryLock;
  /** FileStorage instances of this process using the directory; the lock is released when the last closes. */
  users: number;
}

/**
 * Keyed by real path: two instances on one directory in one process share locks and stay linearizable. A
 * promise, so two instances opening at once take the directory's lock once.
 */
const directories = new Map<string, Promise<DirectoryState>>();

/**
 * The default, embedded Storage: one JSON file per key in a directory, for a single bot process.
 *
 * - Durable and atomic: each write goes to a temp file in the same directory, is fsynced, renamed over the
 *   item file, and the directory is fsynced. A crash leaves the old or the new content, never a torn file;
 *   leftover temp files are ignored and removed when the store starts.
 * - eTags: a new random value per successful write, stored in the file, so conditional writes keep working
 *   across restarts.
 * - Linearizable within the process: writes and deletes of one key are serialised by a per-key async mutex
 *   (shared by every instance on the same directory), so of N concurrent writes with the same eTag exactly
 *   one wins. Reads take no lock: the atomic rename means they see the old or the new file, and a write has
 *   completed its rename before its promise resolves (read-your-writes).
 * - Several keys in one `write` call: each key succeeds or fails on its own, like MemoryStorage; the call
 *   rejects with the first failure (in key order) after every key has been attempted.
 * - Fails closed: an unreadable item file (invalid JSON, wrong shape, another key inside) makes `read` and
 *   conditional writes throw a `corruptItem` StorageError naming the key; it is never treated as missing.
 *   An unconditional write replaces it (the way an operator repairs one).
 * - One process per directory: the per-key locks are in memory, so the store takes `<dir>/.lock` (see
 *   DirectoryLock) when it opens and a second process fails to open with StorageError `inUse`. Several
 *   instances share BlobStorage instead (STORAGE_CONNECTION_STRING).
 */
export class FileStorage implements Storage {
  private readonly dir: string;
  private opening: Promise<DirectoryState> | undefined;

  constructor(options: FileStorageOptions) {
    this.dir = path.resolve(options.dir);
  }

  /** Creates the directory and removes leftover temp files; called by every operation, or early to fail fast. */
  async ready(): Promise<void> {
    await this.directory();
  }

  /** Reads the items that exist (missing keys are absent from the result); each carries its eTag. */
  async read(keys: string[]): Promise<StoreItems> {
    const validKeys = parseKeys(keys, 'read');
    const state = await this.directory();
    return toStoreItems(await Promise.all(validKeys.map((key) => readRecord(state.dir, key))));
  }

  /** Writes each item (conditionally when it carries an eTag other than `'*'`); see the class comment. */
  async write(changes: StoreItems): Promise<void> {
    // Validated and copied before the first await: the caller may mutate its objects as soon as we return.
    const prepared = prepareChanges(changes);
    const state = await this.directory();
    await settleInKeyOrder(prepared.map((change) => state.locks.run(change.key, () => writeItem(state, change))));
  }

  /** Deletes the keys; a missing key is not an error. */
  async delete(keys: string[]): Promise<void> {
    const validKeys = parseKeys(keys, 'delete');
    const state = await this.directory();
    await Promise.all(
      validKeys.map((key) =>
        state.locks.run(key, async () => {
          await fs.rm(path.join(state.dir, toStorageFileName(key)), { force: true });
          await syncDirectory(state.dir);
        }),
      ),
    );
  }

  /** Deletes `key` only while it holds the version `eTag` (serialised with the key's writes in this process). */
  async deleteIfMatch(key: string, eTag: string): Promise<boolean> {
    const [validKey] = parseKeys([key], 'delete');
    const state = await this.directory();
    return state.locks.run(validKey!, async () => {
      const current = await readRecord(state.dir, validKey!);
      if (!current) return true;
      if (current.eTag !== eTag) return false;
      await fs.rm(path.join(state.dir, toStorageFileName(validKey!)), { force: true });
      await syncDirectory(state.dir);
      return true;
    });
  }

  /** Stops using the directory; the last instance of this process on it releases the directory's lock. */
  async close(): Promise<void> {
    const opening = this.opening;
    this.opening = undefined;
    if (!opening) return;
    const state = await opening.catch(() => undefined);
    if (!state || --state.users > 0) return;
    directories.delete(state.dir);
    await state.lock.release();
  }

  private directory(): Promise<DirectoryState> {
    this.opening ??= openDirectory(this.dir).catch((error: unknown) => {
      // A failed start (e.g. permissions) may be fixed by an operator: let the next call try again.
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }
}

async function openDirectory(dir: string): Promise<DirectoryState> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const realDir = await fs.realpath(dir);
  let opening = directories.get(realDir);
  if (!opening) {
    opening = DirectoryLock.acquire(realDir).then((lock): DirectoryState => ({
      dir: realDir,
      locks: new KeyedMutex(),
      tempFilesInFlight: new Set(),
      lock,
      users: 0,
    }));
    directories.set(realDir, opening);
    // A refused lock is not remembered: the other process may stop, and the next open tries again.
    const mine = opening;
    mine.catch(() => directories.get(realDir) === mine && directories.delete(realDir));
  }
  const state = await opening;
  await removeLeftoverTempFiles(state);
  state.users++;
  return state;
}

/** Temp files not written by this process are remains of a crash: their rename never happened, so drop them. */
async function removeLeftoverTempFiles(state: DirectoryState): Promise<void> {
  const names = await fs.readdir(state.dir);
  const leftovers = names.filter((name) => name.endsWith(TEMP_FILE_SUFFIX) && !state.tempFilesInFlight.has(name));
  await Promise.all(leftovers.map((name) => fs.rm(path.join(state.dir, name), { force: true })));
}

async function readRecord(dir: string, key: string): Promise<StoredRecord | undefined> {
  const fileName = toStorageFileName(key);
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, fileName), 'utf8');
  } catch (error: unknown) {
    if (isErrorCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  return parseStoredRecord(text, key, fileName, storedRecordSchema);
}

async function writeItem(state: DirectoryState, change: PreparedChange): Promise<void> {
  if (change.expectedETag !== undefined) {
    const current = await readRecord(state.dir, change.key);
    // A missing item does not conflict: MemoryStorage creates it (see src/storage/storage.ts).
    if (current && current.eTag !== change.expectedETag) throw StorageError.eTagConflict(change.key);
  }
  const record: StoredRecord = { format: RECORD_FORMAT, key: change.key, eTag: randomUUID(), item: change.item };
  await replaceFile(state, toStorageFileName(change.key), `${JSON.stringify(record)}\n`);
}

/** Temp file, fsync, rename over the target, fsync the directory: the target is old or new, never torn. */
async function replaceFile(state: DirectoryState, fileName: string, content: string): Promise<void> {
  const tempName = `${fileName}.${randomBytes(6).toString('hex')}${TEMP_FILE_SUFFIX}`;
  const tempPath = path.join(state.dir, tempName);
  state.tempFilesInFlight.add(tempName);
  try {
    const handle = await fs.open(tempPath, 'wx', 0o600);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tempPath, path.join(state.dir, fileName));
    await syncDirectory(state.dir);
  } catch (error: unknown) {
    await fs.rm(tempPath, { force: true });
    throw error;
  } finally {
    state.tempFilesInFlight.delete(tempName);
  }
}

/** Makes the rename itself durable. Some platforms (Windows) cannot fsync a directory; that is not fatal. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(dir, 'r');
  } catch (error: unknown) {
    if (isErrorCode(error, 'EISDIR', 'EPERM', 'EACCES')) return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error: unknown) {
    if (!isErrorCode(error, 'EINVAL', 'EISDIR', 'EPERM', 'EBADF')) throw error;
  } finally {
    await handle.close();
  }
}

function prepareChanges(changes: StoreItems): PreparedChange[] {
  return parseChanges(changes).map(({ key, eTag, item }) => ({
    key,
    expectedETag: isUnconditional(eTag) ? undefined : eTag,
    item,
  }));
}
