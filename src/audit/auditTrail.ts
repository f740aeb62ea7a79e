import type { AuditEntry, AuditEntryInput } from './auditEntry';
import type { AuditQuery } from './auditQuery';
import type { AuditHead, AuditVerification } from './verifyAuditChain';

/**
 * The audit trail as the app uses it, whatever holds it: one instance's JSON Lines file (AuditLog) or the
 * chain shared by all instances in Azure append blobs (BlobAuditLog). Built by `openAuditLog`.
 */
export interface AuditTrail {
  /** The last entry this process appended or saw at the end of the chain. */
  readonly lastEntry: AuditHead;
  /** Appends one entry; resolves once it is durable, rejects (AuditError) if it was not recorded. */
  append(input: AuditEntryInput): Promise<AuditEntry>;
  /** The newest entries first, filtered (the bot's `audit` command). */
  recent(query?: AuditQuery): Promise<AuditEntry[]>;
  /** The stored lines whose `at` is at or after `since`, oldest first. */
  exportSince(since: Date): AsyncGenerator<string>;
  /** Checks the whole hash chain. */
  verify(): Promise<AuditVerification>;
  /** Refuses new appends and waits for those in flight. */
  close(): Promise<void>;
}
