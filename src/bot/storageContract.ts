import type { Storage as BotbuilderStorage, StoreItem as BotbuilderStoreItem } from 'botbuilder';
import type { Storage, StoreItem } from '../storage/storage';

/*
 * Compile-time proof that src/storage's Storage contract and botbuilder's are assignable in both directions:
 * our FileStorage can back botbuilder's ConversationState/UserState, and botbuilder's stores (MemoryStorage,
 * BlobsStorage) can be passed wherever the domain expects a `Storage`. If botbuilder's interface changes,
 * `tsc` fails here rather than at some call site. The two functions are identities (they exist so the checks
 * are ordinary assignments); the bot layer may use them to hand a store across the boundary without a cast.
 */

/** Our Storage where botbuilder wants one (e.g. `new ConversationState(toBotbuilderStorage(fileStorage))`). */
export function toBotbuilderStorage(storage: Storage): BotbuilderStorage {
  return storage;
}

/** A botbuilder store (MemoryStorage, BlobsStorage) where domain code wants our Storage. */
export function fromBotbuilderStorage(storage: BotbuilderStorage): Storage {
  return storage;
}

// The item types too: an item read through either interface can be written through the other.
type Assert<T extends true> = T;
type MutuallyAssignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Fails to compile if the two item shapes drift apart. */
export type StoreItemsAreCompatible = Assert<MutuallyAssignable<StoreItem, BotbuilderStoreItem>>;
