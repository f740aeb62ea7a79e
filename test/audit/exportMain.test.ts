import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ContainerClient } from '@azure/storage-blob';
import { AuditLog } from '../../src/audit/auditLog';
import { BlobAuditLog } from '../../src/audit/blobAuditLog';
import { AuditAppendBlobs } from '../../src/storage/auditAppendBlob';
import { useAzurite } from '../support/azurite';
import { useTempDirs } from '../storage/support/tempDir';

const run = promisify(execFile);
const exportMain = path.join(__dirname, '..', '..', 'src', 'audit', 'exportMain.js');
/** The project's env folder, where the bot (and the tool) read env/.env.<ENV_NAME>[.user]. */
const envDir = path.join(__dirname, '..', '..', '..', 'env');

/** The test runner's environment without the settings these tests choose. */
function baseEnv(): NodeJS.ProcessEnv {
  const {
    DATA_DIR: _dataDir,
    ENV_NAME: _envName,
    STORAGE_CONNECTION_STRING: _connectionString,
    STORAGE_ACCOUNT_URL: _accountUrl,
    STORAGE_CONTAINER: _container,
    ...rest
  } = process.env;
  return rest;
}

/** Runs the export tool; resolves with its exit code and output whatever the code. */
async function exportTool(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return exportToolWith({}, ...args);
}

/** Runs the export tool with these environment variables and working directory. */
async function exportToolWith(
  options: { env?: NodeJS.ProcessEnv; cwd?: string },
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [exportMain, ...args], {
      env: { ...baseEnv(), ...options.env },
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    return { code: 0, stdout, stderr };
  } catch (error: unknown) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('audit export tool', () => {
  const tempDir = useTempDirs('soc-bot-audit-export-');

  async function logWithThreeEntries(dir?: string): Promise<string> {
    dir ??= await tempDir();
    let now = Date.parse('2024-05-01T08:00:00.000Z');
    const log = await AuditLog.open({ dir, clock: () => new Date((now += 60_000)) });
    for (const approvalId of ['a1', 'a2', 'a3']) {
      await log.append({ type: 'approval.requested', tenantId: 't1', actor: { system: 'bot' }, approvalId });
    }
    await log.close();
    return dir;
  }

  it('prints the JSON lines since a date, exactly as stored', async () => {
    const dir = await logWithThreeEntries();
    const stored = (await fs.readFile(path.join(dir, 'audit.jsonl'), 'utf8')).trimEnd().split('\n');
    const all = await exportTool('--dir', dir);
    assert.equal(all.code, 0);
    assert.deepEqual(all.stdout.trimEnd().split('\n'), stored);
    const since = await exportTool('--dir', dir, '--since', '2024-05-01T08:02:00Z');
    assert.deepEqual(since.stdout.trimEnd().split('\n'), stored.slice(1));
  });

  it('verifies the chain, and exits 1 when it is broken', async () => {
    const dir = await logWithThreeEntries();
    const ok = await exportTool('--dir', dir, '--verify');
    assert.equal(ok.code, 0);
    assert.deepEqual(JSON.parse(ok.stdout), { ok: true, entries: 3 });

    const file = path.join(dir, 'audit.jsonl');
    await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('"a2"', '"a9"'));
    const broken = await exportTool('--dir', dir, '--verify');
    assert.equal(broken.code, 1);
    assert.equal((JSON.parse(broken.stdout) as { line: number }).line, 2);
  });

  it('exits 2 on a bad date', async () => {
    const dir = await logWithThreeEntries();
    assert.equal((await exportTool('--dir', dir, '--since', 'yesterday-ish')).code, 2);
  });

  describe('without --dir, the audit folder of the bot’s DATA_DIR', () => {
    it('reads DATA_DIR from the environment, whatever the working directory', async () => {
      const dataDir = await tempDir();
      await logWithThreeEntries(path.join(dataDir, 'audit'));
      const elsewhere = await tempDir();
      const verified = await exportToolWith({ env: { DATA_DIR: dataDir }, cwd: elsewhere }, '--verify');
      assert.equal(verified.code, 0, verified.stderr);
      assert.deepEqual(JSON.parse(verified.stdout), { ok: true, entries: 3 });
      const printed = await exportToolWith({ env: { DATA_DIR: dataDir }, cwd: elsewhere });
      assert.equal(printed.stdout.trimEnd().split('\n').length, 3);
    });

    it('reads DATA_DIR from env/.env.<ENV_NAME>.user as the bot does', async () => {
      const dataDir = await tempDir();
      await logWithThreeEntries(path.join(dataDir, 'audit'));
      const envName = `audit-export-test-${randomUUID().slice(0, 8)}`;
      const envFile = path.join(envDir, `.env.${envName}.user`);
      await fs.writeFile(envFile, `DATA_DIR=${dataDir}\n`);
      try {
        const verified = await exportToolWith({ env: { ENV_NAME: envName }, cwd: await tempDir() }, '--verify');
        assert.equal(verified.code, 0, verified.stderr);
        assert.deepEqual(JSON.parse(verified.stdout), { ok: true, entries: 3 });
      } finally {
        await fs.rm(envFile, { force: true });
      }
    });
  });

  describe('with STORAGE_CONNECTION_STRING, the chain shared by all instances in Blob Storage', () => {
    const azurite = useAzurite();

    async function blobChainWithThreeEntries(container: string): Promise<void> {
      const segments = new AuditAppendBlobs({ connectionString: azurite().connectionString, container });
      // Two entries per segment: the tool must read across a segment boundary.
      const log = await BlobAuditLog.open({ segments, entriesPerSegment: 2 });
      for (const approvalId of ['a1', 'a2', 'a3']) {
        await log.append({ type: 'approval.requested', tenantId: 't1', actor: { system: 'bot' }, approvalId });
      }
      await log.close();
    }

    it('verifies and prints the shared chain, read as the bot reads STORAGE_*', async () => {
      const container = `audit-export-${randomUUID().slice(0, 8)}`;
      await blobChainWithThreeEntries(container);
      // An empty DATA_DIR: if the tool read files, it would find no entries.
      const env = { STORAGE_CONNECTION_STRING: azurite().connectionString, STORAGE_CONTAINER: container };
      const verified = await exportToolWith({ env: { ...env, DATA_DIR: await tempDir() } }, '--verify');
      assert.equal(verified.code, 0, verified.stderr);
      assert.deepEqual(JSON.parse(verified.stdout), { ok: true, entries: 3 });
      const printed = await exportToolWith({ env });
      assert.deepEqual(
        printed.stdout
          .trimEnd()
          .split('\n')
          .map((line) => (JSON.parse(line) as { seq: number }).seq),
        [1, 2, 3],
      );
    });

    it('refuses both STORAGE_CONNECTION_STRING and STORAGE_ACCOUNT_URL as the bot does, without echoing them', async () => {
      const env = {
        STORAGE_CONNECTION_STRING: azurite().connectionString,
        STORAGE_ACCOUNT_URL: 'https://example.blob.core.windows.net',
      };
      const refused = await exportToolWith({ env }, '--verify');
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /STORAGE_ACCOUNT_URL: set either/);
      assert.ok(!refused.stderr.includes('AccountKey'), 'the connection string is not echoed');
    });

    it('exits 1 and names the line when a segment was edited', async () => {
      const container = `audit-export-${randomUUID().slice(0, 8)}`;
      await blobChainWithThreeEntries(container);
      const blob = new ContainerClient(azurite().connectionString, container).getAppendBlobClient(
        'audit/segment-000001.jsonl',
      );
      const text = (await blob.downloadToBuffer()).toString('utf8').replace('"a2"', '"a9"');
      await blob.delete();
      await blob.create();
      await blob.appendBlock(text, Buffer.byteLength(text));
      const env = { STORAGE_CONNECTION_STRING: azurite().connectionString, STORAGE_CONTAINER: container };
      const broken = await exportToolWith({ env }, '--verify');
      assert.equal(broken.code, 1);
      assert.equal((JSON.parse(broken.stdout) as { line: number }).line, 2);
    });
  });
});
