/** Why a storage operation failed; callers switch on it instead of matching message text. */
export type StorageErrorReason =
  /** A conditional write carried an eTag that is no longer the stored one (someone else wrote first). */
  | 'eTagConflict'
  /** A stored item could not be parsed: the store fails closed instead of treating it as missing. */
  | 'corruptItem'
  /** The caller passed something that is not a JSON object item or a key list. */
  | 'invalidInput'
  /**
   * The store did not answer, or answered "busy" or a server error: the operation's outcome is unknown (a write
   * may or may not have landed). Transient; the product answers "temporarily unavailable" and never proceeds as
   * if the operation had succeeded.
   */
  | 'unavailable'
  /** The file store's directory is held by another process (a second bot on the same DATA_DIR). */
  | 'inUse';

/**
 * The error our stores throw. For `eTagConflict` the message is MemoryStorage's wording exactly
 * (`Storage: error writing "<key>" due to eTag conflict.`), so code written against botbuilder's stores keeps
 * working; prefer `isETagConflict` over matching text.
 */
export class StorageError extends Error {
  override readonly name = 'StorageError';

  constructor(
    readonly reason: StorageErrorReason,
    readonly key: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The conflict error for `key`, worded like botbuilder's MemoryStorage and BlobsStorage. */
  static eTagConflict(key: string): StorageError {
    return new StorageError('eTagConflict', key, `Storage: error writing "${key}" due to eTag conflict.`);
  }
}

/** True when the store could not be reached or was busy: retry later, never treat the operation as done. */
export function isStorageUnavailable(error: unknown): boolean {
  return error instanceof StorageError && error.reason === 'unavailable';
}

/**
 * True for an optimistic-concurrency conflict from any Storage: ours (by reason) or botbuilder's stores, which
 * throw a plain Error whose message contains "eTag conflict".
 */
export function isETagConflict(error: unknown): boolean {
  if (error instanceof StorageError) return error.reason === 'eTagConflict';
  return error instanceof Error && error.message.includes('eTag conflict');
}
