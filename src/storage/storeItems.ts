import { z } from 'zod';
import type { StoreItems } from './storage';
import { StorageError } from './storageError';

/*
 * Input checks and copies every Storage implementation makes the same way, so the stores differ only in
 * where the bytes go.
 */

/** A change as the caller passed it: a JSON object, optionally with a string eTag. */
const changeSchema = z.looseObject({ eTag: z.string().optional() });
const keysSchema = z.array(z.string());

/** One item of a `write` call, validated and deep-copied at call time (later mutation by the caller changes nothing). */
export interface ParsedChange {
  key: string;
  /** The eTag as given (absent, empty, `'*'`, CREATE_ONLY_ETAG or a stored eTag): each store maps it. */
  eTag: string | undefined;
  item: Record<string, unknown>;
}

/** Validates and copies the changes of a `write` call; throws `invalidInput` before any item is written. */
export function parseChanges(changes: StoreItems): ParsedChange[] {
  // Arrays pass like any object (botbuilder's own storage tests write `[]` and expect no error).
  if (typeof changes !== 'object' || changes === null) {
    throw new StorageError('invalidInput', undefined, 'Storage: changes must be an object of items by key.');
  }
  return Object.entries(changes).map(([key, value]) => {
    const parsed = changeSchema.safeParse(value);
    if (!parsed.success || Array.isArray(value)) {
      throw new StorageError('invalidInput', key, `Storage: item "${key}" must be an object with a string eTag.`);
    }
    const { eTag, ...fields } = parsed.data;
    return { key, eTag, item: deepCopy(key, fields) };
  });
}

/** True when a write with this eTag overwrites whatever is stored (botbuilder: absent, empty or `'*'`). */
export function isUnconditional(eTag: string | undefined): eTag is undefined | '' | '*' {
  return eTag === undefined || eTag === '' || eTag === '*';
}

/** A JSON round trip: the deep copy and the check that the item is JSON-serialisable, in one step. */
function deepCopy(key: string, fields: Record<string, unknown>): Record<string, unknown> {
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(fields)) as unknown;
  } catch (cause: unknown) {
    throw new StorageError('invalidInput', key, `Storage: item "${key}" is not JSON-serialisable.`, { cause });
  }
  const parsed = z.record(z.string(), z.unknown()).safeParse(copy);
  if (!parsed.success) {
    throw new StorageError('invalidInput', key, `Storage: item "${key}" does not serialise to a JSON object.`);
  }
  return parsed.data;
}

/** Validates the key list of `read` or `delete`. */
export function parseKeys(keys: string[], operation: 'read' | 'delete'): string[] {
  const parsed = keysSchema.safeParse(keys);
  if (!parsed.success) {
    throw new StorageError('invalidInput', undefined, `Storage: keys to ${operation} must be an array of strings.`);
  }
  return parsed.data;
}

/** An item as a store read it: its key, its current eTag and its fields. */
export interface ReadRecord {
  key: string;
  eTag: string;
  item: Record<string, unknown>;
}

/** The result of `read`: each record that exists, under its own key, carrying its eTag. */
export function toStoreItems(records: (ReadRecord | undefined)[]): StoreItems {
  const items: StoreItems = {};
  for (const record of records) {
    if (record) defineOwn(items, record.key, { ...record.item, eTag: record.eTag });
  }
  return items;
}

/**
 * Parses what a store holds for `key` (`where` names the file or blob): invalid JSON, the wrong shape or another
 * key inside throw `corruptItem` naming the key. Fail closed: a broken item is never treated as missing.
 */
export function parseStoredRecord<T extends { key: string }>(
  text: string,
  key: string,
  where: string,
  schema: z.ZodType<T>,
): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause: unknown) {
    throw corruptItem(key, where, 'not valid JSON', cause);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw corruptItem(key, where, 'not a storage record', parsed.error);
  // Names are hashes of keys; a different key inside means the item was copied or edited by hand.
  if (parsed.data.key !== key) throw corruptItem(key, where, 'holds a different key');
  return parsed.data;
}

/** The `corruptItem` error for `key`, saying where and why. */
export function corruptItem(key: string, where: string, why: string, cause?: unknown): StorageError {
  return new StorageError('corruptItem', key, `Storage: item "${key}" is corrupt (${where}: ${why}).`, { cause });
}

/** Waits for every key's operation (keys are independent), then rejects with the first failure in key order. */
export async function settleInKeyOrder(operations: Promise<void>[]): Promise<void> {
  const outcomes = await Promise.allSettled(operations);
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}

/** defineProperty, not assignment: a key such as "__proto__" must become an own property of a read result. */
function defineOwn(target: StoreItems, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
