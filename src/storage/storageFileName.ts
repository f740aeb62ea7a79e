import { createHash } from 'node:crypto';

/** Length of the human-readable prefix kept in file names (the hash alone guarantees uniqueness). */
const READABLE_PREFIX_LENGTH = 48;

/** Suffix of every item file; anything else in the directory (temp files included) is not an item. */
export const ITEM_FILE_SUFFIX = '.json';

/**
 * The file name for a storage key: a readable prefix (only `[A-Za-z0-9_-]`, so never a separator, a dot or
 * `..`) for operators listing the directory, then the sha256 of the full key. Any string is a valid key: very
 * long, unicode, empty or `../../etc/passwd` all map to a fixed-length name inside the directory. Not
 * reversible on purpose: the original key is stored inside the file and checked on read.
 */
export function toStorageFileName(key: string): string {
  const readable = key
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .slice(0, READABLE_PREFIX_LENGTH)
    .replace(/^_+|_+$/g, '');
  // UTF-16 code units, not UTF-8: lossless for every JS string, lone surrogates included, so distinct keys never
  // hash the same input.
  const hash = createHash('sha256').update(key, 'utf16le').digest('hex');
  return `${readable === '' ? 'key' : readable}.${hash}${ITEM_FILE_SUFFIX}`;
}
