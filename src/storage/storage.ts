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
 * - Every successful write assigns a new eTag; keys of one `write` call succeed or fail independently.
 * - `delete` of a missing key is not an error.
 */

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
