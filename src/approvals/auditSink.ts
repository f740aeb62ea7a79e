import type { AuditEntryInput } from '../audit/auditEntry';

/** Where the approval flow writes its audit trail: the append-only AuditLog (src/audit/) in production. */
export interface AuditSink {
  append(entry: AuditEntryInput): Promise<unknown>;
}
