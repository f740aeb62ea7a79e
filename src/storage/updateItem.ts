import { CREATE_ONLY_ETAG } from './storage';
import type { Storage, StoreItem } from './storage';
import { KeyedMutex } from './keyedMutex';

/** Returned by a mutation to delete the item instead of writing it. */
export const DELETE_ITEM = Symbol('delete item');

const locks = new WeakMap<Storage, KeyedMutex>();
const MAX_ATTEMPTS = 8;

/**
 * Read-modify-write of one record: `parse` validates what is stored (undefined when absent or unreadable),
 * `mutate` returns the new value, the same object (or undefined) to leave it unchanged, or DELETE_ITEM. Writers in this process
 * are serialised per key; writers in other processes are caught by the eTag, or by CREATE_ONLY_ETAG when the
 * item did not exist, and the mutation is retried on the fresh value.
 */
export async function updateItem<T extends object>(
  storage: Storage,
  key: string,
  parse: (raw: unknown) => T | undefined,
  mutate: (current: T | undefined) => T | undefined | typeof DELETE_ITEM,
): Promise<T | undefined> {
  let lock = locks.get(storage);
  if (!lock) {
    lock = new KeyedMutex();
    locks.set(storage, lock);
  }
  return lock.run(key, async () => {
    for (let attempt = 1; ; attempt++) {
      const raw = (await storage.read([key]))[key] as StoreItem | undefined;
      const current = raw === undefined ? undefined : parse(stripETag(raw));
      const next = mutate(current);
      if (next === DELETE_ITEM) {
        if (raw !== undefined) await storage.delete([key]);
        return undefined;
      }
      if (next === undefined || next === current) return current;
      try {
        await storage.write({ [key]: { ...next, eTag: raw?.eTag ?? CREATE_ONLY_ETAG } });
        return next;
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS || !(err instanceof Error) || !err.message.includes('eTag conflict')) throw err;
      }
    }
  });
}

/** Reads one record and validates it; undefined when absent or unreadable. */
export async function readItem<T>(storage: Storage, key: string, parse: (raw: unknown) => T | undefined) {
  const raw = (await storage.read([key]))[key] as StoreItem | undefined;
  return raw === undefined ? undefined : parse(stripETag(raw));
}

function stripETag(item: StoreItem): Record<string, unknown> {
  const { eTag: _eTag, ...rest } = item;
  return rest;
}
