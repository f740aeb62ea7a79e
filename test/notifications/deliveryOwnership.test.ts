import assert from 'node:assert/strict';
import { createLogger } from '../../src/logging/logger';
import type { ConversationKey, DeliveryTimers } from '../../src/notifications/deliveryDispatcher';
import { DeliveryDispatcher } from '../../src/notifications/deliveryDispatcher';
import { FakeCluster } from '../defender/fakeCluster';

/** Timers that fire only when the test says so, on a clock it moves. */
function manualTime() {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  const set: DeliveryTimers['set'] = (fn, ms) => {
    const timer = { at: now + ms, fn };
    timers.push(timer);
    return timer;
  };
  return {
    now: () => now,
    timers: { set, clear: (handle: unknown) => void (timers = timers.filter((t) => t !== handle)) },
    /** Moves the clock to `at` and fires what is due. */
    moveTo(at: number) {
      now = at;
      const due = timers.filter((t) => t.at <= at);
      timers = timers.filter((t) => t.at > at);
      due.forEach((t) => t.fn());
    },
  };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("Teams' tenant budget spent only by the instance that owns the tenant's delivery", () => {
  it('makes no Teams request for a tenant another instance owns, and stops when ownership moves', async () => {
    const cluster = new FakeCluster();
    const time = manualTime();
    const steps: string[] = [];
    const instance = (id: string) =>
      new DeliveryDispatcher({
        step: (c: ConversationKey) => {
          steps.push(`${id}:${c.conversationId}`);
          return Promise.resolve({ kind: 'done', more: false });
        },
        // One request a second for the tenant, so later conversations wait for the budget.
        perTenant: [{ limit: 1, windowMs: 1_000 }],
        ownership: cluster.join(id),
        logger: createLogger({ level: 'silent' }),
        now: time.now,
        timers: time.timers,
      });
    const a = instance('a');
    const b = instance('b');
    cluster.setOwner('tenant-1', 'a');
    // Both instances hear of the same alert (a push lands on either); only the owner delivers.
    for (const dispatcher of [a, b])
      for (const c of ['c1', 'c2', 'c3']) dispatcher.wake({ tenantId: 'tenant-1', conversationId: c });
    await flush();
    assert.deepEqual(steps, ['a:c1']);
    assert.equal(b.stats().notOwned, 3);
    // a's lease is lost while c2 and c3 wait for the tenant's budget: a sends nothing more.
    cluster.setOwner('tenant-1', 'b');
    time.moveTo(5_000);
    await flush();
    assert.deepEqual(steps, ['a:c1']);
    assert.equal(a.stats().notOwned, 2);
    await Promise.all([a.stop(), b.stop()]);
  });
});
