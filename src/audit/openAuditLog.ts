import * as path from 'node:path';
import { createAuditAppendBlobs } from '../storage/auditAppendBlob';
import type { StorageConfig } from '../storage/createStorage';
import { AuditLog, type AuditLogLogger } from './auditLog';
import type { AuditTrail } from './auditTrail';
import { BlobAuditLog } from './blobAuditLog';

/** What both kinds of audit trail take besides where they live. */
export interface OpenAuditLogOptions {
  clock?: () => Date;
  logger?: AuditLogLogger;
}

/**
 * The composition root's one call for the audit trail: with the file store, DATA_DIR/audit/audit.jsonl (one
 * instance); with Blob Storage, one chain in append blobs shared by every instance (same container as the state).
 */
export async function openAuditLog(
  storage: StorageConfig,
  dataDir: string,
  options: OpenAuditLogOptions = {},
): Promise<AuditTrail> {
  switch (storage.kind) {
    case 'file':
      return AuditLog.open({ dir: path.join(dataDir, 'audit'), ...options });
    case 'blob':
      return BlobAuditLog.open({
        segments: createAuditAppendBlobs(storage),
        ...(options.clock ? { clock: options.clock } : {}),
      });
  }
}
