import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { isErrorCode } from './isErrorCode';
import { StorageError } from './storageError';

/** The lock's file name inside the store's directory (not an item: items end in `.json`, temp files in `.tmp`). */
export const LOCK_FILE_NAME = '.lock';

/** What a lock file says about its holder, for the refusal message and the staleness check. */
const holderSchema = z.object({ pid: z.number().int().positive(), hostname: z.string(), since: z.string() });
type Holder = z.infer<typeof holderSchema>;

const processStartedAt = new Date(Date.now() - process.uptime() * 1000).toISOString();

/** Lock files this process holds, removed on exit even if nobody closed the store. */
const held = new Set<DirectoryLock>();
process.on('exit', () => {
  for (const lock of held) lock.releaseSync();
});

/**
 * An exclusive, cross-process lock on a directory: `<dir>/.lock`, holding the pid, host name and start time of
 * the process that owns the directory. Why: the file store's per-key locks are in memory, so a second process
 * on the same directory would break its eTag checks (approvals executed twice). A lock left by a process that
 * is gone (a crash, SIGKILL, or our own pid from before a container restart) is taken over; a lock from another
 * host is never judged stale from here (fail closed).
 */
export class DirectoryLock {
  private constructor(
    readonly file: string,
    private readonly content: string,
  ) {}

  /** Takes the directory's lock, or throws StorageError `inUse` naming the directory and the holder. */
  static async acquire(dir: string): Promise<DirectoryLock> {
    const file = path.join(dir, LOCK_FILE_NAME);
    const mine: Holder = { pid: process.pid, hostname: os.hostname(), since: processStartedAt };
    const content = `${JSON.stringify(mine)}\n`;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await createExclusive(file, content)) {
        const lock = new DirectoryLock(file, content);
        held.add(lock);
        return lock;
      }
      const found = await readLockFile(file);
      if (found === undefined) continue; // released meanwhile: try again
      const holder = parseHolder(found);
      if (!holder || !isStale(holder)) throw inUse(dir, file, holder);
      await removeIfUnchanged(dir, file, found);
    }
    throw inUse(dir, file, parseHolder((await readLockFile(file)) ?? ''));
  }

  /** Gives the directory back (removes the lock file if it is still ours). */
  async release(): Promise<void> {
    held.delete(this);
    if ((await readLockFile(this.file)) === this.content) await fs.promises.rm(this.file, { force: true });
  }

  /** The same, synchronously, for process exit. */
  releaseSync(): void {
    held.delete(this);
    try {
      if (fs.readFileSync(this.file, 'utf8') === this.content) fs.rmSync(this.file, { force: true });
    } catch {
      // Already gone (directory removed): nothing to release.
    }
  }
}

/** Writes the content to a side file and hard-links it into place: the lock file exists only whole. */
async function createExclusive(file: string, content: string): Promise<boolean> {
  const side = `${file}.${randomBytes(6).toString('hex')}.new`;
  await fs.promises.writeFile(side, content, { flag: 'wx', mode: 0o600 });
  try {
    await fs.promises.link(side, file);
    return true;
  } catch (error: unknown) {
    if (isErrorCode(error, 'EEXIST')) return false;
    // Some shares (SMB, Azure Files) have no hard links: create in place (a torn lock reads as held, never free).
    if (!isErrorCode(error, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS')) throw error;
    return fs.promises.writeFile(file, content, { flag: 'wx', mode: 0o600 }).then(
      () => true,
      (fallbackError: unknown) => {
        if (isErrorCode(fallbackError, 'EEXIST')) return false;
        throw fallbackError;
      },
    );
  } finally {
    await fs.promises.rm(side, { force: true });
  }
}

/**
 * Removes a stale lock only if it is still the one judged stale: it is first renamed aside (atomic, so of two
 * processes taking over, one moves it); if what was moved is not what was read, a newer holder's lock was moved
 * and is put back.
 */
async function removeIfUnchanged(dir: string, file: string, staleContent: string): Promise<void> {
  const aside = `${file}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await fs.promises.rename(file, aside);
  } catch (error: unknown) {
    if (isErrorCode(error, 'ENOENT')) return;
    throw error;
  }
  const moved = await readLockFile(aside);
  if (moved !== staleContent) {
    await fs.promises.link(aside, file).catch(() => undefined);
    await fs.promises.rm(aside, { force: true });
    throw inUse(dir, file, parseHolder(moved ?? ''));
  }
  await fs.promises.rm(aside, { force: true });
}

async function readLockFile(file: string): Promise<string | undefined> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch (error: unknown) {
    if (isErrorCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

function parseHolder(content: string): Holder | undefined {
  try {
    const parsed = holderSchema.safeParse(JSON.parse(content));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Stale: same host and the pid is not running, or is this very process (a previous life with the same pid). */
function isStale(holder: Holder): boolean {
  if (holder.hostname !== os.hostname()) return false;
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error: unknown) {
    // EPERM: the pid runs under another user, so it is alive.
    return isErrorCode(error, 'ESRCH');
  }
}

function inUse(dir: string, file: string, holder: Holder | undefined): StorageError {
  const who = holder
    ? `process ${holder.pid} on ${holder.hostname}, running since ${holder.since}`
    : `an unreadable lock file`;
  return new StorageError(
    'inUse',
    undefined,
    `Storage: the data directory ${dir} is in use by another bot process (${who}). The file store serves ` +
      `one process per DATA_DIR; to run several instances, set STORAGE_CONNECTION_STRING (or STORAGE_ACCOUNT_URL) ` +
      `to share Azure Blob Storage. If that process is gone, delete ${file}.`,
  );
}
