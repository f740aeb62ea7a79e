import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { AuditLog } from '../../src/audit/auditLog';
import { useTempDirs } from '../storage/support/tempDir';

const run = promisify(execFile);
const exportMain = path.join(__dirname, '..', '..', 'src', 'audit', 'exportMain.js');

/** Runs the export tool; resolves with its exit code and output whatever the code. */
async function exportTool(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [exportMain, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error: unknown) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('audit export tool', () => {
  const tempDir = useTempDirs('soc-bot-audit-export-');

  async function logWithThreeEntries(): Promise<string> {
    const dir = await tempDir();
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
});
