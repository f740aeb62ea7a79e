import assert from 'node:assert/strict';
import { SINGLE_INSTANCE } from '../../src/background/membership';
import type { RateWindow } from '../../src/http/slidingWindowLimiter';
import { SlidingWindowLimiter } from '../../src/http/slidingWindowLimiter';
import { isAppError } from '../../src/errors';
import { FakeLimiterClock } from '../support/fakeLimiterClock';
import type { FakeMember } from './fakeCluster';
import { FakeCluster } from './fakeCluster';

const MINUTE: RateWindow = { limit: 100, windowMs: 60_000 };
const HOUR: RateWindow = { limit: 1_500, windowMs: 3_600_000 };

interface Admitted {
  instance: string;
  tenant: string;
  at: number;
  background: boolean;
}

/** Limiters of several instances on one fake clock, each recording what it admitted into one shared log. */
function fakeInstances(options: { windows?: RateWindow[]; backgroundShare?: number; joinWaitMs?: number } = {}) {
  const clock = new FakeLimiterClock();
  const cluster = new FakeCluster();
  const admitted: Admitted[] = [];
  const refused: string[] = [];
  const limiters = new Map<string, SlidingWindowLimiter>();
  /** Starts an instance; `joinWaitMs` 'default' leaves the limiter's own default. */
  const start = (instance: string, joinWaitMs: number | 'default' = options.joinWaitMs ?? 'default') => {
    const member: FakeMember = cluster.join(instance);
    limiters.set(
      instance,
      new SlidingWindowLimiter({
        windows: options.windows ?? [MINUTE],
        maxWaitMs: 60 * 60_000,
        backgroundShare: options.backgroundShare ?? 0.2,
        backgroundMaxWaitMs: 60 * 60_000,
        marginMs: 0,
        clock,
        membership: member,
        ownership: member,
        ...(joinWaitMs === 'default' ? {} : { joinWaitMs }),
      }),
    );
  };
  const call = (instance: string, tenant: string, background = false, person = 'alex') =>
    void limiters
      .get(instance)!
      .acquire(tenant, background ? 'background' : 'interactive', { queueKey: person })
      .then(
        () => void admitted.push({ instance, tenant, at: clock.now(), background }),
        (err: unknown) => {
          if (!isAppError(err, 'rateLimited')) throw err;
          refused.push(`${instance}:${tenant}`);
        },
      );
  const count = (filter: (a: Admitted) => boolean) => admitted.filter(filter).length;
  return { clock, cluster, admitted, refused, start, call, count };
}

/** The most admissions of a tenant, over all instances, in any window of `windowMs`. */
function busiestWindow(admitted: Admitted[], tenant: string, windowMs: number): number {
  const times = admitted.filter((a) => a.tenant === tenant).map((a) => a.at);
  return Math.max(0, ...times.map((from) => times.filter((t) => t >= from && t < from + windowMs).length));
}

/**
 * Instances a and b at 100 a minute, tenant-1 owned by a, a minute on: both have seen the tenant for a window, as
 * ownership is never taken as older than first seen. Nothing they admitted is left in the window.
 */
async function ownedByAForAWindow() {
  const f = fakeInstances({ windows: [{ limit: 100, windowMs: 60_000 }], joinWaitMs: 0 });
  f.start('a');
  f.start('b');
  f.cluster.setOwner('tenant-1', 'a');
  f.call('a', 'tenant-1', true);
  f.call('b', 'tenant-1', true);
  await f.clock.advance(60_000);
  return f;
}

describe('SlidingWindowLimiter shared by several instances', () => {
  it('keeps the admissions of three instances within the quota in every window, per tenant, and uses it all', async () => {
    const f = fakeInstances({ windows: [MINUTE, HOUR], joinWaitMs: 0 });
    for (const id of ['a', 'b', 'c']) f.start(id);
    f.cluster.setOwner('tenant-1', 'a');
    f.cluster.setOwner('tenant-2', 'b');
    // Every instance's people want more than the whole quota; each tenant's owner polls; others rarely re-read.
    for (let second = 0; second < 300; second++) {
      for (const id of ['a', 'b', 'c']) {
        for (const tenant of ['tenant-1', 'tenant-2']) {
          f.call(id, tenant, false, `person-${second % 7}`);
          f.call(id, tenant, false, `person-${second % 5}`);
        }
        if (second % 30 === 0) f.call(id, 'tenant-1', true);
      }
      f.call('a', 'tenant-1', true);
      f.call('b', 'tenant-2', true);
      await f.clock.advance(1_000);
    }
    for (const tenant of ['tenant-1', 'tenant-2']) {
      assert.ok(busiestWindow(f.admitted, tenant, MINUTE.windowMs) <= MINUTE.limit, tenant);
      // Shares add up to the whole quota: the fourth minute is used in full.
      assert.equal(
        f.count((a) => a.tenant === tenant && a.at >= 180_000 && a.at < 240_000),
        MINUTE.limit,
        tenant,
      );
    }
    // The owner's poller has its reserve (a fifth of the minute) once it has owned the tenant for a window.
    const polls = f.count((a) => a.instance === 'a' && a.background && a.at >= 180_000 && a.at < 240_000);
    assert.equal(polls, 20);
    assert.ok(f.count((a) => a.instance === 'c' && a.background) > 0, "a non-owner's rare background call goes out");
  });

  it('gives the background reserve to the tenant owner only; a non-owner spends its own slice on it', async () => {
    const f = await ownedByAForAWindow();
    for (let i = 0; i < 60; i++) {
      f.call('a', 'tenant-1', true);
      f.call('b', 'tenant-1', true);
    }
    await f.clock.advance(0);
    const at60 = (instance: string) => f.count((a) => a.instance === instance && a.at === 60_000);
    // 100 × 0.2 reserved for the owner's background work; the other 80 split in two slices of 40.
    assert.equal(at60('a'), 20);
    assert.equal(at60('b'), 40);
    for (let i = 0; i < 60; i++) f.call('a', 'tenant-1', false, `p${i}`);
    await f.clock.advance(0);
    // The owner's people have its slice and what its poller left of the reserve: 60 in all.
    assert.equal(at60('a'), 60);
  });

  it("lets the others take up a leaving instance's share once its calls have left the window", async () => {
    const f = fakeInstances({ windows: [{ limit: 90, windowMs: 60_000 }], backgroundShare: 0, joinWaitMs: 0 });
    for (const id of ['a', 'b', 'c']) f.start(id);
    const burst = (id: string, n: number) => {
      for (let i = 0; i < n; i++) f.call(id, 'tenant-1', false, `p${i}`);
    };
    burst('a', 75);
    burst('b', 75);
    await f.clock.advance(50_000);
    burst('c', 30);
    await f.clock.advance(5_000);
    f.cluster.leave('c');
    await f.clock.advance(120_000);
    const slices = (id: string) =>
      [0, 50_000, 60_000, 115_000].map((at) => f.count((a) => a.instance === id && a.at === at));
    // Thirds of 90 until c leaves at 55 s; c's 30 calls of 50 s are in the window until 110 s, so a and b keep
    // their thirds until 115 s (a window after c left), then take halves.
    assert.deepEqual(slices('a'), [30, 0, 30, 15]);
    assert.deepEqual(slices('b'), [30, 0, 30, 15]);
    assert.ok(busiestWindow(f.admitted, 'tenant-1', 60_000) <= 90);
  });

  it('keeps the total within the quota when an instance joins in mid-window', async () => {
    const f = fakeInstances({ windows: [{ limit: 100, windowMs: 60_000 }], backgroundShare: 0, joinWaitMs: 0 });
    f.start('a');
    f.start('b');
    for (let i = 0; i < 80; i++) {
      f.call('a', 'tenant-1', false, `p${i}`);
      f.call('b', 'tenant-1', false, `p${i}`);
    }
    await f.clock.advance(30_000);
    // The newcomer waits a window by default: a and b may have spent their halves just before it came.
    f.cluster.setOwner('tenant-1', 'a');
    f.start('c', 'default');
    for (let i = 0; i < 80; i++) f.call('c', 'tenant-1', false, `p${i}`);
    await f.clock.advance(120_000);
    assert.ok(busiestWindow(f.admitted, 'tenant-1', 60_000) <= 100);
    // a and b shrink to thirds at once, counting what they admitted under halves; c begins a window after it came.
    assert.equal(
      f.count((a) => a.at === 0),
      100,
    );
    assert.equal(Math.min(...f.admitted.filter((a) => a.instance === 'c').map((a) => a.at)), 90_000);
  });

  it("gives a tenant's new owner the reserve only a window after the old owner lost it", async () => {
    const f = await ownedByAForAWindow();
    // a polls with its reserve of 20 just before its lease passes to b.
    for (let i = 0; i < 20; i++) f.call('a', 'tenant-1', true);
    await f.clock.advance(1_000);
    f.cluster.setOwner('tenant-1', 'b');
    for (let i = 0; i < 80; i++) {
      f.call('b', 'tenant-1', true);
      f.call('b', 'tenant-1', false, `p${i}`);
    }
    await f.clock.advance(120_000);
    const sent = (instance: string, at: number) => f.count((a) => a.instance === instance && a.at === at);
    assert.equal(sent('a', 60_000), 20);
    // b keeps to its slice of 40 while a's polls are in the window, then has the owner's 60 (20 of them polls).
    assert.equal(sent('b', 61_000), 40);
    assert.equal(sent('b', 121_000), 60);
    assert.equal(
      f.count((a) => a.instance === 'b' && a.background && a.at === 121_000),
      20,
    );
    assert.ok(busiestWindow(f.admitted, 'tenant-1', 60_000) <= 100);
  });

  it('with SINGLE_INSTANCE, or no membership, keeps the whole quota for one process at once', async () => {
    const clock = new FakeLimiterClock();
    const limiter = new SlidingWindowLimiter({
      windows: [{ limit: 10, windowMs: 60_000 }],
      maxWaitMs: 0,
      marginMs: 0,
      backgroundShare: 0.2,
      clock,
      membership: SINGLE_INSTANCE,
      ownership: SINGLE_INSTANCE,
    });
    const outcomes = await Promise.allSettled(Array.from({ length: 11 }, () => limiter.acquire('tenant-1')));
    assert.deepEqual(
      outcomes.map((o) => o.status),
      [...Array<string>(10).fill('fulfilled'), 'rejected'],
    );
  });
});
