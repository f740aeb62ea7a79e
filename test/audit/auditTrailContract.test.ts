import { randomBytes } from 'node:crypto';
import { AuditLog } from '../../src/audit/auditLog';
import { BlobAuditLog } from '../../src/audit/blobAuditLog';
import { AuditAppendBlobs } from '../../src/storage/auditAppendBlob';
import { useAzurite } from '../support/azurite';
import { useTempDirs } from '../storage/support/tempDir';
import { describeAuditTrailContract } from './auditTrailContract';

describe('audit trails', () => {
  const tempDir = useTempDirs('soc-bot-audit-contract-');
  describeAuditTrailContract('AuditLog (file)', async () => {
    const dir = await tempDir();
    return { open: (clock) => AuditLog.open({ dir, clock }) };
  });

  const azurite = useAzurite();
  describeAuditTrailContract('BlobAuditLog (append blobs on Azurite)', () => {
    const container = `audit-${randomBytes(6).toString('hex')}`;
    return Promise.resolve({
      open: (clock) =>
        BlobAuditLog.open({
          segments: new AuditAppendBlobs({ connectionString: azurite().connectionString, container }),
          clock,
          // Small, so the contract also runs across segment boundaries.
          entriesPerSegment: 2,
        }),
    });
  });
});
