import { randomUUID } from 'node:crypto';
import { AppError } from '../errors';
import { hasConditionalDelete } from '../storage/storage';
import type { Storage, StoreItem } from '../storage/storage';
import { isETagConflict, isStorageUnavailable } from '../storage/storageError';

const MAX_ATTEMPTS = 4;

/**
 * Reads one record and removes it so that exactly one caller, across every instance sharing the store, gets it:
 * `Storage.delete` is unconditional, so the winner is whoever replaces the record it read with a tombstone under
 * the record's eTag (a conditional write); the tombstone is deleted afterwards. `parse` validates what was read
 * (undefined: consumed all the same, e.g. expired). Undefined when absent, already taken, or contended past a few
 * rounds (fail closed: a command is then not replayed rather than replayed twice).
 */
export async function takeStoredOnce<T>(
  storage: Storage,
  key: string,
  parse: (raw: Record<string, unknown>) => T | undefined,
): Promise<T | undefined> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const raw = (await storage.read([key]))[key] as StoreItem | undefined;
    if (raw === undefined || isTombstone(raw)) return undefined;
    const { eTag, ...fields } = raw;
    if (await deleteIfUnchanged(storage, key, eTag)) return parse(fields);
  }
  return undefined;
}

/**
 * Deletes `key` only if it still holds the version whose eTag is given; false when someone wrote it since (their
 * newer record is left alone). Readers must treat the brief tombstone it writes as absent (`isTombstone`).
 */
export async function deleteIfUnchanged(storage: Storage, key: string, eTag: string | undefined): Promise<boolean> {
  // Without an eTag the write below would be unconditional and every caller would "win".
  if (!eTag) throw new AppError('internal', 'a stored record came back without an eTag');
  const claim = randomUUID();
  try {
    await storage.write({ [key]: { deletedBy: claim, eTag } });
  } catch (err) {
    if (isETagConflict(err)) return false;
    throw err;
  }
  try {
    const tombstone = (await storage.read([key]))[key] as StoreItem | undefined;
    if (tombstone?.deletedBy === claim && tombstone.eTag) {
      // Only that tombstone: a record written since (a new sign-in, a new command) stays. A store without a
      // conditional delete (botbuilder's MemoryStorage in tests) deletes what it read just now.
      if (hasConditionalDelete(storage)) await storage.deleteIfMatch(key, tombstone.eTag);
      else await storage.delete([key]);
    }
  } catch (err) {
    // The record is already consumed; a tombstone left behind reads as absent and the next write replaces it.
    if (!isStorageUnavailable(err)) throw err;
  }
  return true;
}

/** True for the placeholder `deleteIfUnchanged` leaves between its conditional write and its delete. */
export function isTombstone(raw: Record<string, unknown>): boolean {
  return typeof raw.deletedBy === 'string';
}
