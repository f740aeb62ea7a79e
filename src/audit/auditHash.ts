import { createHash } from 'node:crypto';
import type { AuditEntry } from './auditEntry';
import { canonicalJson } from './canonicalJson';

/** `prevHash` of the first entry: there is nothing before it. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The chain link: sha256(prevHash + canonical JSON of the entry without `hash`). Editing any field of a line
 * changes its hash; deleting or reordering lines breaks the next line's `prevHash`.
 */
export function hashAuditEntry(entry: Omit<AuditEntry, 'hash'>): string {
  const { prevHash } = entry;
  return createHash('sha256').update(prevHash).update(canonicalJson(entry)).digest('hex');
}
