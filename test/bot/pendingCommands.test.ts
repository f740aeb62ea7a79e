import assert from 'node:assert/strict';
import { PendingCommands, pendingKey } from '../../src/bot/pendingCommands';
import { describeOnEveryStore } from '../auth/signInStorageKinds';

const MEGAN = {
  tenantId: '6f1c2a3b-0000-4000-8000-00000000000a',
  aadObjectId: '1a2b3c4d-0000-4000-8000-0000000000b1',
  conversationId: 'a:1Xq-personal-chat',
};

describeOnEveryStore('PendingCommands', (shared) => {
  let now: number;
  beforeEach(() => {
    now = Date.parse('2026-12-06T12:00:00Z');
  });

  it('hands a command put on one instance to another instance, once', async () => {
    const s = await shared();
    await new PendingCommands({ storage: s.instance(), now: () => now }).put(MEGAN, 'list alerts');
    const b = new PendingCommands({ storage: s.instance(), now: () => now });
    assert.equal(await b.take(MEGAN), 'list alerts');
    assert.equal(await b.take(MEGAN), undefined);
    assert.equal(await new PendingCommands({ storage: s.instance(), now: () => now }).take(MEGAN), undefined);
  });

  it('keeps one command per user and conversation, the latest', async () => {
    const s = await shared();
    const pending = new PendingCommands({ storage: s.instance(), now: () => now });
    await pending.put(MEGAN, 'list alerts');
    await pending.put(MEGAN, 'show device ws-fin-041');
    await pending.put({ ...MEGAN, conversationId: '19:other@thread.v2' }, 'approvals');
    assert.equal(await pending.take(MEGAN), 'show device ws-fin-041');
    assert.equal(await pending.take({ ...MEGAN, conversationId: '19:other@thread.v2' }), 'approvals');
  });

  it('drops a command older than its time to live, and removes it', async () => {
    const s = await shared();
    const storage = s.instance();
    const pending = new PendingCommands({ storage, ttlMs: 10 * 60_000, now: () => now });
    await pending.put(MEGAN, 'list alerts');
    now += 10 * 60_000;
    assert.equal(await pending.take(MEGAN), undefined);
    assert.deepEqual(await storage.read([pendingKey(MEGAN)]), {});
  });

  it('gives the command to exactly one of 20 concurrent takers on separate instances', async function () {
    this.timeout(30_000);
    const s = await shared();
    for (let round = 0; round < 3; round++) {
      await new PendingCommands({ storage: s.instance(), now: () => now }).put(MEGAN, `list alerts ${round}`);
      const takers = Array.from({ length: 20 }, () => new PendingCommands({ storage: s.instance(), now: () => now }));
      const taken = await Promise.all(takers.map((t) => t.take(MEGAN)));
      assert.deepEqual(
        taken.filter((t) => t !== undefined),
        [`list alerts ${round}`],
      );
    }
  });
});
