import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ContainerClient } from '@azure/storage-blob';
import { openAuditLog } from '../../src/audit/openAuditLog';
import { useAzurite } from '../support/azurite';
import { useTempDirs } from '../storage/support/tempDir';
import { entry } from './support/auditFixtures';

describe('openAuditLog: the trail follows config.storage', () => {
  const tempDir = useTempDirs('soc-bot-open-audit-');
  const azurite = useAzurite();

  it('keeps DATA_DIR/audit/audit.jsonl with the file store', async () => {
    const dataDir = await tempDir();
    const trail = await openAuditLog({ kind: 'file' }, dataDir);
    try {
      const appended = await trail.append(entry());
      const text = await fs.readFile(path.join(dataDir, 'audit', 'audit.jsonl'), 'utf8');
      assert.equal((JSON.parse(text) as { id: string }).id, appended.id);
    } finally {
      await trail.close();
    }
  });

  it('writes the shared chain to append blobs in the state container with Blob Storage, and nothing to DATA_DIR', async () => {
    const dataDir = await tempDir();
    const container = `audit-${randomBytes(6).toString('hex')}`;
    const trail = await openAuditLog(
      { kind: 'blob', connectionString: azurite().connectionString, container },
      dataDir,
    );
    try {
      const appended = await trail.append(entry());
      const segment = new ContainerClient(azurite().connectionString, container).getAppendBlobClient(
        'audit/segment-000001.jsonl',
      );
      const text = (await segment.downloadToBuffer()).toString('utf8');
      assert.equal((JSON.parse(text) as { id: string }).id, appended.id);
      assert.deepEqual(await fs.readdir(dataDir), []);
    } finally {
      await trail.close();
    }
  });
});
