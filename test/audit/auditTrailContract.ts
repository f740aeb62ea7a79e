import assert from 'node:assert/strict';
import type { AuditEntryInput } from '../../src/audit/auditEntry';
import { AuditError } from '../../src/audit/auditError';
import { GENESIS_HASH, hashAuditEntry } from '../../src/audit/auditHash';
import type { AuditTrail } from '../../src/audit/auditTrail';
import { TENANT, entry, fakeJwt } from './support/auditFixtures';

/** One place holding a trail: `open` may be called again after `close`, as a restarted instance would. */
export interface TrailHome {
  open(clock: () => Date): Promise<AuditTrail>;
}

/**
 * The behaviours every AuditTrail has, whatever holds it (a file or append blobs): the same suite runs against
 * each, as botbuilder runs one storage contract against every store.
 */
export function describeAuditTrailContract(name: string, freshHome: () => Promise<TrailHome>): void {
  describe(`${name}: the audit trail contract`, () => {
    let now = Date.parse('2024-05-01T08:00:00.000Z');
    const clock = (): Date => new Date((now += 60_000));
    const opened: AuditTrail[] = [];
    async function open(home: TrailHome): Promise<AuditTrail> {
      const trail = await home.open(clock);
      opened.push(trail);
      return trail;
    }
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((trail) => trail.close()));
    });

    it('chains entries: seq 1, 2, 3, each prevHash the previous hash, each hash over its content', async () => {
      const trail = await open(await freshHome());
      const appended = [];
      for (const approvalId of ['a1', 'a2', 'a3']) appended.push(await trail.append(entry({ approvalId })));
      assert.deepEqual(
        appended.map((e) => e.seq),
        [1, 2, 3],
      );
      assert.equal(appended[0]!.prevHash, GENESIS_HASH);
      for (const [i, stored] of appended.entries()) {
        if (i > 0) assert.equal(stored.prevHash, appended[i - 1]!.hash);
        const { hash, ...rest } = stored;
        assert.equal(hashAuditEntry(rest), hash);
      }
      assert.equal(new Set(appended.map((e) => e.id)).size, 3, 'ids are unique');
      assert.deepEqual(trail.lastEntry, { seq: 3, hash: appended[2]!.hash });
      assert.deepEqual(await trail.verify(), { ok: true, entries: 3 });
    });

    it('answers recent() newest first, filtered and limited', async () => {
      const trail = await open(await freshHome());
      await trail.append(entry({ approvalId: 'a1' }));
      await trail.append(entry({ approvalId: 'a2', tenantId: 'other-tenant' }));
      await trail.append(entry({ approvalId: 'a3', device: { id: 'dev-2', name: 'db-01' } }));
      await trail.append(entry({ approvalId: 'a4', actor: { system: 'bot' } }));
      const ids = async (query: Parameters<AuditTrail['recent']>[0]) =>
        (await trail.recent(query)).map((e) => e.approvalId);
      assert.deepEqual(await ids({}), ['a4', 'a3', 'a2', 'a1']);
      assert.deepEqual(await ids({ limit: 2 }), ['a4', 'a3']);
      assert.deepEqual(await ids({ tenantId: TENANT }), ['a4', 'a3', 'a1']);
      assert.deepEqual(await ids({ deviceName: 'DB-01' }), ['a3']);
      assert.deepEqual(await ids({ userPrincipalName: 'ALICE@contoso.com' }), ['a3', 'a2', 'a1']);
      assert.deepEqual(await ids({ approvalId: 'a2' }), ['a2']);
    });

    it('exports the lines at or after a date, exactly as they chain', async () => {
      const trail = await open(await freshHome());
      const appended = [];
      for (const approvalId of ['a1', 'a2', 'a3']) appended.push(await trail.append(entry({ approvalId })));
      const exported: string[] = [];
      for await (const line of trail.exportSince(new Date(appended[1]!.at))) exported.push(line);
      assert.deepEqual(
        exported.map((line) => (JSON.parse(line) as { hash: string }).hash),
        appended.slice(1).map((e) => e.hash),
      );
    });

    it('refuses an entry carrying a token, or an unknown field, and records nothing', async () => {
      const trail = await open(await freshHome());
      await assert.rejects(trail.append(entry({ detail: `Bearer ${fakeJwt()}` })), (error: unknown) => {
        assert.ok(error instanceof AuditError && error.reason === 'tokenInEntry');
        return true;
      });
      await assert.rejects(trail.append({ ...entry(), token: 'x' } as AuditEntryInput), (error: unknown) => {
        assert.ok(error instanceof AuditError && error.reason === 'invalidEntry');
        return true;
      });
      assert.deepEqual(await trail.recent({}), []);
      assert.equal((await trail.append(entry())).seq, 1, 'the refusals left no gap');
    });

    it('continues the same chain after a restart', async () => {
      const home = await freshHome();
      const first = await open(home);
      await first.append(entry({ approvalId: 'a1' }));
      const second = await first.append(entry({ approvalId: 'a2' }));
      await first.close();
      const reopened = await open(home);
      assert.deepEqual(reopened.lastEntry, { seq: 2, hash: second.hash });
      const third = await reopened.append(entry({ approvalId: 'a3' }));
      assert.equal(third.seq, 3);
      assert.equal(third.prevHash, second.hash);
      assert.deepEqual(await reopened.verify(), { ok: true, entries: 3 });
    });
  });
}
