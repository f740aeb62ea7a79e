/*
 * botbuilder's Storage contract, declared here because only src/bot/ may import botbuilder (see
 * eslint.config.mjs). src/bot/storageContract.ts proves at compile time that these types and botbuilder's
 * are assignable both ways, so any botbuilder store (MemoryStorage, BlobsStorage) plugs in where a `Storage`
 * is expected, and ours plug into botbuilder's state classes.
 *
 * Semantics (those of botbuilder's MemoryStorage, checked by test/storage/storageContract.ts):
 * - `read` returns only the keys that exist; each item carries its current `eTag`.
 * - `write` is unconditional when an item's `eTag` is absent, empty or `'*'`; otherwise the stored eTag must
 *   be equal or the write rejects with an Error whose message contains `eTag conflict`. An eTag given for a key
 *   that does not exist does NOT conflict in MemoryStorage (it creates the item); BlobsStorage does conflict
 *   there (HTTP 412). Domain code must not depend on either: create records under fresh ids, never delete a
 *   record that a stale writer could resurrect.
 * - Create-only: an item whose `eTag` is CREATE_ONLY_ETAG is written only if the key does not exist, else the
 *   write rejects with the same `eTag conflict` error. Every store honours it without knowing about it: the
 *   value never equals a stored eTag, so MemoryStorage and FileStorage create a missing key and conflict on an
 *   existing one; BlobStorage sends it as `If-None-Match: *`, atomic across processes. (`'*'` cannot mean
 *   create-only: botbuilder, and this product, use it for "last writer wins".)
 * - Every successful write assigns a new eTag; keys of one `write` call succeed or fail independently.
 * - `delete` of a missing key is not an error.
 */

/**
 * A store that can delete a record only while it still holds the version read (our stores; botbuilder's do not):
 * resolves false, deleting nothing, when the record was written since. A missing record counts as deleted.
 */
export interface ConditionalDelete {
  deleteIfMatch(key: string, eTag: string): Promise<boolean>;
}

/** True when `storage` offers `deleteIfMatch` (FileStorage, BlobStorage). */
export function hasConditionalDelete<S extends object>(storage: S): storage is S & ConditionalDelete {
  return typeof (storage as Partial<ConditionalDelete>).deleteIfMatch === 'function';
}

/** The eTag that makes a write create-only (see above); never the eTag of a stored item. */
export const CREATE_ONLY_ETAG = 'create-only';

/** One stored object: JSON-serialisable fields plus the optional eTag used for optimistic concurrency. */
export interface StoreItem {
  // `unknown` where botbuilder says `any`: still assignable both ways, but a value read back is an edge and
  // must be parsed (zod) before it is trusted.
  [key: string]: unknown;
  eTag?: string;
}

/** Items by key, as `read` returns and `write` takes them (botbuilder's `StoreItems`). */
export interface StoreItems {
  [key: string]: unknown;
}

/** A key-value store with eTags: botbuilder's Storage contract, so every botbuilder store fits. */
export interface Storage {
  read(keys: string[]): Promise<StoreItems>;
  write(changes: StoreItems): Promise<void>;
  delete(keys: string[]): Promise<void>;
}
