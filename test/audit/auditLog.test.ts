import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { AuditEntry, AuditEntryInput } from '../../src/audit/auditEntry';
import { AuditError } from '../../src/audit/auditError';
import { GENESIS_HASH, hashAuditEntry } from '../../src/audit/auditHash';
import { AUDIT_FILE_NAME, AuditLog, type AuditLogLogger, type AuditLogOptions } from '../../src/audit/auditLog';
import { createLogger } from '../../src/logging/logger';
import { useTempDirs } from '../storage/support/tempDir';
import { ALICE, BOB, TENANT, entry, fakeJwt } from './support/auditFixtures';

/** A clock the test moves by hand. */
class FakeClock {
  constructor(private now: number = Date.parse('2024-05-01T08:00:00.000Z')) {}
  readonly read = (): Date => new Date(this.now);
  advance(ms: number): void {
    this.now += ms;
  }
}

/** Records warnings instead of printing them. */
class RecordingLogger implements AuditLogLogger {
  readonly warnings: { fields: Record<string, unknown>; message: string }[] = [];
  warn(fields: Record<string, unknown>, message: string): void {
    this.warnings.push({ fields, message });
  }
}

async function fileLines(log: AuditLog): Promise<string[]> {
  const text = await fs.readFile(log.exportPath, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'the file ends with a newline');
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

// The product's pino logger is an AuditLogLogger (checked by the compiler; the function is never called).
export function productLoggerFits(): AuditLogLogger {
  return createLogger({ level: 'silent' });
}

describe('AuditLog', () => {
  const tempDir = useTempDirs('soc-bot-audit-');
  const openLogs: AuditLog[] = [];
  let clock: FakeClock;

  async function open(options: Partial<AuditLogOptions> & { dir: string }): Promise<AuditLog> {
    const log = await AuditLog.open({ clock: clock.read, ...options });
    openLogs.push(log);
    return log;
  }

  beforeEach(() => {
    clock = new FakeClock();
  });

  afterEach(async () => {
    await Promise.all(openLogs.splice(0).map((log) => log.close()));
  });

  describe('append', () => {
    it('adds seq, time, id and the hash chain, and writes exactly that as one JSON line', async () => {
      const log = await open({ dir: await tempDir() });
      const first = await log.append(entry());
      clock.advance(1500);
      const second = await log.append(entry({ type: 'approval.approved', actor: BOB, detail: { comment: 'ok' } }));

      assert.equal(first.seq, 1);
      assert.equal(first.at, '2024-05-01T08:00:00.000Z');
      assert.match(first.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const zeros = '0'.repeat(64);
      assert.equal(first.prevHash, zeros);
      // The link worked out without the product's code: sha256 over the previous hash and the entry's canonical
      // JSON (keys sorted, no whitespace), written out by hand. See auditHash.test.ts for fixed vectors.
      const canonical =
        `{"action":"isolate","actor":{"aadObjectId":"${ALICE.aadObjectId}","userPrincipalName":"alice@contoso.com"},` +
        `"approvalId":"appr-1","at":"2024-05-01T08:00:00.000Z","device":{"id":"dev-1","name":"web-01.contoso.com"},` +
        `"id":"${first.id}","payloadHash":"${entry().payloadHash}","prevHash":"${zeros}","seq":1,` +
        `"tenantId":"${TENANT}","type":"approval.requested"}`;
      assert.equal(first.hash, createHash('sha256').update(`${zeros}${canonical}`, 'utf8').digest('hex'));
      assert.equal(second.seq, 2);
      assert.equal(second.at, '2024-05-01T08:00:01.500Z');
      assert.equal(second.prevHash, first.hash);
      assert.notEqual(second.id, first.id);

      const lines = await fileLines(log);
      assert.deepEqual(
        lines.map((line) => JSON.parse(line) as unknown),
        [first, second],
      );
      assert.deepEqual(log.lastEntry, { seq: 2, hash: second.hash });
    });

    it('records the bot as actor for what happens on its own', async () => {
      const log = await open({ dir: await tempDir() });
      const expired = await log.append(entry({ type: 'approval.expired', actor: { system: 'bot' } }));
      assert.deepEqual(expired.actor, { system: 'bot' });
    });

    it('writes a valid JSON Lines file: one object per line, nothing else', async () => {
      const log = await open({ dir: await tempDir() });
      await log.append(entry({ detail: 'line one\nline two "quoted" \u2028 ünïcødé' }));
      await log.append(entry({ detail: { reason: 'selfApproval', status: 403, retry: false, note: null } }));
      const lines = await fileLines(log);
      assert.equal(lines.length, 2);
      for (const line of lines) {
        const parsed: unknown = JSON.parse(line);
        assert.ok(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed));
      }
    });

    it('returns a copy: changing the returned entry changes nothing stored', async () => {
      const log = await open({ dir: await tempDir() });
      const appended = await log.append(entry());
      appended.tenantId = 'changed';
      assert.equal((await log.recent())[0]?.tenantId, TENANT);
    });

    it('keeps 200 concurrent appends whole and in order: seq 1..200, chain verifies', async () => {
      const log = await open({ dir: await tempDir() });
      const appended = await Promise.all(
        Array.from({ length: 200 }, (_, i) => log.append(entry({ approvalId: `appr-${i}` }))),
      );
      assert.deepEqual(
        appended.map((e) => e.seq).sort((a, b) => a - b),
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      // Queue order is call order: the i-th call got seq i+1.
      appended.forEach((e, i) => assert.equal(e.approvalId, `appr-${i}`));
      const lines = await fileLines(log);
      assert.equal(lines.length, 200);
      lines.forEach((line, i) => assert.equal((JSON.parse(line) as AuditEntry).seq, i + 1));
      assert.deepEqual(await log.verify(), { ok: true, entries: 200 });
    });

    it('refuses invalid entries without echoing their values', async () => {
      const log = await open({ dir: await tempDir() });
      const invalid: unknown[] = [
        { ...entry(), type: 'approval.deleted' },
        { ...entry(), tenantId: '' },
        { ...entry(), secretField: 'hunter2-value' },
        { ...entry(), actor: { ...ALICE, password: 'hunter2-value' } },
        { ...entry(), actor: { system: 'someone' } },
        { ...entry(), detail: 'x'.repeat(1001) },
        { ...entry(), detail: { nested: { deep: 'hunter2-value' } } },
        { ...entry(), payloadHash: 'not a hash; hunter2-value' },
      ];
      for (const input of invalid) {
        await assert.rejects(log.append(input as AuditEntryInput), (error: unknown) => {
          assert.ok(error instanceof AuditError);
          assert.equal(error.reason, 'invalidEntry');
          assert.doesNotMatch(error.message, /hunter2/);
          return true;
        });
      }
      assert.deepEqual(await fileLines(log), []);
      assert.equal((await log.append(entry())).seq, 1, 'refused entries consume no seq');
    });
  });

  describe('tokens', () => {
    it('refuses an entry containing anything shaped like a JWT, wherever it hides', async () => {
      const log = await open({ dir: await tempDir() });
      const jwt = fakeJwt();
      const carriers: AuditEntryInput[] = [
        entry({ detail: `Defender said: Bearer ${jwt}` }),
        entry({ detail: { upstream: jwt } }),
        entry({ device: { id: 'dev-1', name: jwt } }),
        entry({ approvalId: jwt }),
        entry({ actor: { aadObjectId: 'x', userPrincipalName: jwt } }),
        // Only the first two segments and their dots: still a token's shape.
        entry({ detail: jwt.split('.').slice(0, 2).join('.') + '.' }),
      ];
      for (const input of carriers) {
        await assert.rejects(log.append(input), (error: unknown) => {
          assert.ok(error instanceof AuditError);
          assert.equal(error.reason, 'tokenInEntry');
          assert.equal(error.message.includes(jwt.slice(0, 20)), false, 'the token is not echoed');
          return true;
        });
      }
      assert.deepEqual(await fileLines(log), [], 'nothing reached the file');
    });

    it('accepts ordinary ids and hashes that merely contain "eyJ"', async () => {
      const log = await open({ dir: await tempDir() });
      await log.append(entry({ detail: 'eyJ is how base64 JSON starts; eyJhbGci alone is not a token' }));
      assert.equal((await fileLines(log)).length, 1);
    });
  });

  describe('restart', () => {
    it('continues seq and the chain after reopening', async () => {
      const dir = await tempDir();
      const before = await AuditLog.open({ dir, clock: clock.read });
      await before.append(entry());
      const last = await before.append(entry({ type: 'approval.approved', actor: BOB }));
      await before.close();

      const after = await open({ dir });
      assert.deepEqual(after.lastEntry, { seq: 2, hash: last.hash });
      const next = await after.append(entry({ type: 'action.submitted', defenderActionId: 'ma-1' }));
      assert.equal(next.seq, 3);
      assert.equal(next.prevHash, last.hash);
      assert.deepEqual(await after.verify(), { ok: true, entries: 3 });
    });

    it('refuses a second writer on the same file in one process', async () => {
      const dir = await tempDir();
      await open({ dir });
      await assert.rejects(AuditLog.open({ dir }), (error: unknown) => {
        return error instanceof AuditError && error.reason === 'logUnavailable';
      });
    });

    it('refuses appends after close, but finishes those already queued', async () => {
      const log = await AuditLog.open({ dir: await tempDir(), clock: clock.read });
      const queued = log.append(entry());
      const closing = log.close();
      await assert.rejects(log.append(entry()), /closed/);
      assert.equal((await queued).seq, 1);
      await closing;
    });

    it('moves a torn last line (a crash mid-append) aside and continues after the last whole entry', async () => {
      const dir = await tempDir();
      const before = await AuditLog.open({ dir, clock: clock.read });
      await before.append(entry());
      const last = await before.append(entry());
      await before.close();
      const torn = '{"seq":3,"at":"2024-05-01T08:00:00.000Z","id":"';
      await fs.appendFile(path.join(dir, AUDIT_FILE_NAME), torn);

      const logger = new RecordingLogger();
      const after = await open({ dir, logger });
      assert.equal(logger.warnings.length, 1);
      const next = await after.append(entry());
      assert.equal(next.seq, 3);
      assert.equal(next.prevHash, last.hash);
      assert.deepEqual(await after.verify(), { ok: true, entries: 3 });
      const aside = (await fs.readdir(dir)).filter((name) => name.startsWith(`${AUDIT_FILE_NAME}.torn-`));
      assert.equal(aside.length, 1);
      assert.equal(await fs.readFile(path.join(dir, aside[0]!), 'utf8'), torn);
    });

    it('refuses to open when the last whole line is not an entry (rather than start a new chain)', async () => {
      const dir = await tempDir();
      const before = await AuditLog.open({ dir, clock: clock.read });
      await before.append(entry());
      await before.close();
      await fs.appendFile(path.join(dir, AUDIT_FILE_NAME), '{"seq":2,"forged":true}\n');
      await assert.rejects(AuditLog.open({ dir }), (error: unknown) => {
        return error instanceof AuditError && error.reason === 'corruptLog';
      });
    });

    it('stops appending after a failed write (fail closed)', async function () {
      if (!existsSync('/dev/full')) this.skip();
      const dir = await tempDir();
      // Every write to /dev/full fails with ENOSPC: a full disk on demand.
      await fs.symlink('/dev/full', path.join(dir, AUDIT_FILE_NAME));
      const log = await open({ dir });
      await assert.rejects(log.append(entry()), (error: unknown) => {
        return error instanceof AuditError && error.reason === 'logUnavailable';
      });
      await assert.rejects(log.append(entry()), /earlier write/);
    });
  });

  describe('verify (tamper evidence)', () => {
    async function logWithTenEntries(): Promise<{ dir: string; file: string; lines: string[] }> {
      const dir = await tempDir();
      const log = await AuditLog.open({ dir, clock: clock.read });
      for (let i = 1; i <= 10; i++) await log.append(entry({ approvalId: `appr-${i}`, detail: `step ${i}` }));
      await log.close();
      const file = path.join(dir, AUDIT_FILE_NAME);
      return { dir, file, lines: (await fs.readFile(file, 'utf8')).trimEnd().split('\n') };
    }

    async function writeLines(file: string, lines: string[]): Promise<void> {
      await fs.writeFile(file, `${lines.join('\n')}\n`);
    }

    it('reports an edited line', async () => {
      const { dir, file, lines } = await logWithTenEntries();
      lines[4] = lines[4]!.replace('"step 5"', '"step five"');
      await writeLines(file, lines);
      assert.deepEqual(await (await open({ dir })).verify(), {
        ok: false,
        line: 5,
        reason: 'hash does not match the content',
      });
    });

    it('reports the line after an edit whose hash was recomputed', async () => {
      const { dir, file, lines } = await logWithTenEntries();
      const edited = { ...(JSON.parse(lines[4]!) as AuditEntry), tenantId: 'other-tenant' };
      const { hash: _old, ...rest } = edited;
      lines[4] = JSON.stringify({ ...rest, hash: hashAuditEntry(rest) });
      await writeLines(file, lines);
      const result = await (await open({ dir })).verify();
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.line, 6);
    });

    it('reports a deleted line', async () => {
      const { dir, file, lines } = await logWithTenEntries();
      lines.splice(4, 1);
      await writeLines(file, lines);
      const result = await (await open({ dir })).verify();
      assert.deepEqual(result, { ok: false, line: 5, reason: 'seq 6 where 5 was expected' });
    });

    it('reports swapped lines', async () => {
      const { dir, file, lines } = await logWithTenEntries();
      [lines[2], lines[3]] = [lines[3]!, lines[2]!];
      await writeLines(file, lines);
      const result = await (await open({ dir })).verify();
      assert.equal(!result.ok && result.line, 3);
    });

    it('reports a line that is not JSON', async () => {
      const { dir, file, lines } = await logWithTenEntries();
      lines[6] = '{"seq":7,';
      await writeLines(file, lines);
      assert.deepEqual(await (await open({ dir })).verify(), { ok: false, line: 7, reason: 'not valid JSON' });
    });

    it('reports lines cut off the end behind the writer’s back', async () => {
      const dir = await tempDir();
      const log = await open({ dir });
      for (let i = 0; i < 5; i++) await log.append(entry());
      const lines = await fileLines(log);
      await fs.writeFile(log.exportPath, `${lines.slice(0, 3).join('\n')}\n`);
      const result = await log.verify();
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.line, 4);
    });

    it('reports a chain rewritten from scratch, against the writer’s own last hash', async () => {
      const dir = await tempDir();
      const log = await open({ dir });
      for (let i = 0; i < 3; i++) await log.append(entry({ detail: `original ${i}` }));
      // An attacker with write access re-hashes a whole forged chain: internally consistent.
      let prevHash = GENESIS_HASH;
      const forged = (await fileLines(log)).map((line) => {
        const { hash: _h, ...rest } = JSON.parse(line) as AuditEntry;
        const unhashed = { ...rest, detail: 'forged', prevHash };
        prevHash = hashAuditEntry(unhashed);
        return JSON.stringify({ ...unhashed, hash: prevHash });
      });
      await fs.writeFile(log.exportPath, `${forged.join('\n')}\n`);
      const result = await log.verify();
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.line, 4);
    });

    it('verifies an empty log', async () => {
      assert.deepEqual(await (await open({ dir: await tempDir() })).verify(), { ok: true, entries: 0 });
    });
  });

  describe('recent', () => {
    it('returns the newest 20 first by default, or `limit`', async () => {
      const log = await open({ dir: await tempDir() });
      for (let i = 1; i <= 25; i++) await log.append(entry({ approvalId: `appr-${i}` }));
      const recent = await log.recent();
      assert.deepEqual(
        recent.map((e) => e.seq),
        Array.from({ length: 20 }, (_, i) => 25 - i),
      );
      assert.deepEqual(
        (await log.recent({ limit: 3 })).map((e) => e.approvalId),
        ['appr-25', 'appr-24', 'appr-23'],
      );
    });

    it('returns nothing for an empty log', async () => {
      assert.deepEqual(await (await open({ dir: await tempDir() })).recent(), []);
    });

    it('filters by device id, device name, user, approval and tenant', async () => {
      const log = await open({ dir: await tempDir() });
      await log.append(entry({ approvalId: 'a1', device: { id: 'dev-1', name: 'WEB-01.contoso.com' } }));
      await log.append(entry({ approvalId: 'a2', actor: BOB, device: { id: 'dev-2', name: 'db-01' } }));
      await log.append(entry({ approvalId: 'a2', type: 'action.submitted', actor: { system: 'bot' } }));
      await log.append(entry({ approvalId: 'a3', tenantId: 'other-tenant', device: { id: 'dev-2', name: 'db-01' } }));
      await log.append(entry({ approvalId: 'a4', type: 'policy.changed', device: undefined }));

      const ids = async (query: Parameters<AuditLog['recent']>[0]): Promise<string[]> =>
        (await log.recent(query)).map((e) => `${e.seq}`);
      assert.deepEqual(await ids({ deviceId: 'dev-2' }), ['4', '2']);
      assert.deepEqual(await ids({ deviceName: 'web-01.CONTOSO.com' }), ['3', '1']);
      assert.deepEqual(await ids({ userPrincipalName: 'BOB@contoso.com' }), ['2']);
      assert.deepEqual(await ids({ approvalId: 'a2' }), ['3', '2']);
      assert.deepEqual(await ids({ tenantId: TENANT, deviceId: 'dev-2' }), ['2']);
      assert.deepEqual(await ids({ deviceId: 'dev-2', userPrincipalName: 'alice@contoso.com' }), ['4']);
      assert.deepEqual(await ids({ deviceId: 'nope' }), []);
    });

    it('finds old entries across many 64 KiB chunks, newest first, in exact reverse order', async () => {
      const log = await open({ dir: await tempDir() });
      // ~1.3 KB lines with multi-byte characters: chunk boundaries fall inside lines and inside characters.
      for (let i = 1; i <= 300; i++)
        await log.append(entry({ approvalId: `appr-${i}`, detail: `é${'ß'.repeat(550)}` }));
      const { size } = await fs.stat(log.exportPath);
      assert.ok(size > 5 * 64 * 1024, `the file spans several chunks (${size} bytes)`);
      const all = await log.recent({ limit: 1000 });
      assert.deepEqual(
        all.map((e) => e.seq),
        Array.from({ length: 300 }, (_, i) => 300 - i),
      );
      assert.deepEqual(
        (await log.recent({ approvalId: 'appr-1' })).map((e) => e.seq),
        [1],
      );
    });

    it('rejects a query out of bounds', async () => {
      const log = await open({ dir: await tempDir() });
      await assert.rejects(log.recent({ limit: 0 }));
      await assert.rejects(log.recent({ limit: 5000 }));
    });
  });

  describe('export', () => {
    it('exposes the JSON Lines file itself as the export', async () => {
      const dir = await tempDir();
      const log = await open({ dir });
      assert.equal(log.exportPath, path.join(await fs.realpath(dir), AUDIT_FILE_NAME));
    });

    it('returns the stored lines, byte for byte, at or after a date', async () => {
      const log = await open({ dir: await tempDir() });
      for (let i = 0; i < 5; i++) {
        await log.append(entry({ approvalId: `appr-${i}` }));
        clock.advance(60_000);
      }
      const exported: string[] = [];
      for await (const line of log.exportSince(new Date('2024-05-01T08:02:00.000Z'))) exported.push(line);
      assert.deepEqual(exported, (await fileLines(log)).slice(2));
    });
  });
});
