import assert from 'node:assert/strict';
import type { SlidingWindowLimiterOptions } from '../../src/http/slidingWindowLimiter';
import { SlidingWindowLimiter } from '../../src/http/slidingWindowLimiter';
import { isAppError } from '../../src/errors';
import { FakeLimiterClock } from '../support/fakeLimiterClock';

/** A limiter on a fake clock, recording who was admitted when (and who was refused). */
function fakeLimiter(options: Omit<SlidingWindowLimiterOptions, 'clock'>) {
  const clock = new FakeLimiterClock();
  const limiter = new SlidingWindowLimiter({ marginMs: 0, ...options, clock });
  const admitted: string[] = [];
  const refused: string[] = [];
  const queued: { label: string; estimateMs: number; ahead: number }[] = [];
  const acquire = (label: string, person: string, extra: { maxWaitMs?: number; tenant?: string } = {}) =>
    limiter
      .acquire(extra.tenant ?? 'tenant-a', 'interactive', {
        queueKey: person,
        maxWaitMs: extra.maxWaitMs,
        onQueued: (estimateMs, ahead) => queued.push({ label, estimateMs, ahead }),
      })
      .then(
        () => void admitted.push(`${label}@${clock.now()}`),
        (err: unknown) => {
          if (!isAppError(err, 'rateLimited')) throw err;
          refused.push(`${label} (retry after ${err.details.retryAfterSeconds} s)`);
        },
      );
  return { clock, limiter, admitted, refused, queued, acquire };
}

describe('SlidingWindowLimiter', () => {
  it('admits up to the limit at once, then the next call when the window frees a slot', async () => {
    const l = fakeLimiter({ windows: [{ limit: 3, windowMs: 60_000 }], maxWaitMs: 120_000 });
    for (let i = 1; i <= 5; i++) void l.acquire(`c${i}`, 'alex');
    await l.clock.advance(200_000);
    assert.deepEqual(l.admitted, ['c1@0', 'c2@0', 'c3@0', 'c4@60000', 'c5@60000']);
  });

  it('never admits more than the limit in any window, per minute and per hour', async () => {
    const l = fakeLimiter({
      windows: [
        { limit: 100, windowMs: 60_000 },
        { limit: 1500, windowMs: 3_600_000 },
      ],
      maxWaitMs: 2 * 3_600_000,
    });
    for (let i = 0; i < 1_700; i++) {
      void l.acquire(`c${i}`, `person-${i % 30}`);
      if (i % 7 === 0) await l.clock.advance(1_000);
    }
    await l.clock.advance(3 * 3_600_000);
    assert.equal(l.admitted.length, 1_700);
    const times = l.admitted.map((a) => Number(a.split('@')[1]));
    for (const start of times) {
      assert.ok(times.filter((t) => t >= start && t < start + 60_000).length <= 100, `minute from ${start}`);
      assert.ok(times.filter((t) => t >= start && t < start + 3_600_000).length <= 1500, `hour from ${start}`);
    }
  });

  it("queues people fairly: round robin between people, each person's oldest call first", async () => {
    const l = fakeLimiter({ windows: [{ limit: 2, windowMs: 60_000 }], maxWaitMs: 30 * 60_000 });
    // Alex fires five commands, then Megan and Isaiah one each, then Alex's sixth and Megan's second.
    for (let i = 1; i <= 5; i++) void l.acquire(`alex${i}`, 'alex');
    void l.acquire('megan1', 'megan');
    void l.acquire('isaiah1', 'isaiah');
    void l.acquire('alex6', 'alex');
    void l.acquire('megan2', 'megan');
    await l.clock.advance(10 * 60_000);
    assert.deepEqual(l.admitted, [
      'alex1@0',
      'alex2@0',
      'alex3@60000',
      'megan1@60000',
      'isaiah1@120000',
      'alex4@120000',
      'megan2@180000',
      'alex5@180000',
      'alex6@240000',
    ]);
    assert.deepEqual(l.refused, []);
  });

  it('tells a queued call about how long it will wait and how many calls go first', async () => {
    const l = fakeLimiter({ windows: [{ limit: 2, windowMs: 60_000 }], maxWaitMs: 30 * 60_000, noticeAfterMs: 5_000 });
    for (let i = 1; i <= 4; i++) void l.acquire(`alex${i}`, 'alex');
    void l.acquire('megan1', 'megan');
    await l.clock.advance(1_000);
    // alex3 and alex4 go in the next window, Megan's first call with alex3: one call ahead of her.
    assert.deepEqual(l.queued, [
      { label: 'alex3', estimateMs: 60_000, ahead: 0 },
      { label: 'alex4', estimateMs: 60_000, ahead: 1 },
      { label: 'megan1', estimateMs: 60_000, ahead: 1 },
    ]);
    // A short wait is just waited: nobody is told about four seconds.
    await l.clock.advance(120_000 - 1_000 - 3_000);
    void l.acquire('isaiah1', 'isaiah');
    await l.clock.advance(10_000);
    assert.equal(l.queued.length, 3);
    assert.ok(l.admitted.includes('isaiah1@120000'), l.admitted.join());
  });

  it('refuses with retryAfterSeconds when the expected wait exceeds the bound, and a call past its bound', async () => {
    const l = fakeLimiter({ windows: [{ limit: 2, windowMs: 60_000 }], maxWaitMs: 90_000 });
    for (let i = 1; i <= 4; i++) void l.acquire(`alex${i}`, 'alex');
    // Two more windows away: over the bound at once.
    void l.acquire('alex5', 'alex');
    // A card click may wait only a few seconds.
    void l.acquire('click', 'megan', { maxWaitMs: 5_000 });
    await l.clock.advance(1_000);
    assert.deepEqual(l.refused, ['alex5 (retry after 120 s)', 'click (retry after 60 s)']);
    // Megan's call, queued within the bound, is pushed back by newcomers (round robin) beyond it: refused then.
    const m = fakeLimiter({ windows: [{ limit: 1, windowMs: 60_000 }], maxWaitMs: 200_000 });
    void m.acquire('megan1', 'megan');
    void m.acquire('megan2', 'megan');
    void m.acquire('megan3', 'megan');
    void m.acquire('alex1', 'alex');
    void m.acquire('isaiah1', 'isaiah');
    await m.clock.advance(10 * 60_000);
    assert.deepEqual(m.admitted, ['megan1@0', 'megan2@60000', 'alex1@120000', 'isaiah1@180000']);
    assert.deepEqual(m.refused, ['megan3 (retry after 40 s)']);
  });

  it('keeps tenants apart', async () => {
    const l = fakeLimiter({ windows: [{ limit: 1, windowMs: 60_000 }], maxWaitMs: 0 });
    void l.acquire('a1', 'alex', { tenant: 'tenant-a' });
    void l.acquire('b1', 'alex', { tenant: 'tenant-b' });
    void l.acquire('a2', 'alex', { tenant: 'tenant-a' });
    await l.clock.advance(0);
    assert.deepEqual(l.admitted, ['a1@0', 'b1@0']);
    assert.deepEqual(l.refused, ['a2 (retry after 60 s)']);
  });

  it('reuses a slot only a margin after its window, as Defender counts a call when it arrives', async () => {
    const l = fakeLimiter({ windows: [{ limit: 1, windowMs: 60_000 }], maxWaitMs: 120_000, marginMs: 2_000 });
    void l.acquire('c1', 'alex');
    void l.acquire('c2', 'alex');
    await l.clock.advance(120_000);
    assert.deepEqual(l.admitted, ['c1@0', 'c2@62000']);
  });

  it('gives background work its share of each window first, never more, and people the rest', async () => {
    const clock = new FakeLimiterClock();
    const admitted: string[] = [];
    const limiter = new SlidingWindowLimiter({
      windows: [{ limit: 10, windowMs: 60_000 }],
      maxWaitMs: 10 * 60_000,
      backgroundShare: 0.3,
      backgroundMaxWaitMs: 120_000,
      marginMs: 0,
      clock,
    });
    const call = (label: string, priority: 'interactive' | 'background') =>
      void limiter
        .acquire('tenant-a', priority, { queueKey: 'alex' })
        .then(() => admitted.push(`${label}@${clock.now()}`));
    // People fill the window; a poller's burst waits for the slots that free up and takes its three…
    for (let i = 1; i <= 14; i++) call(`person${i}`, 'interactive');
    for (let i = 1; i <= 4; i++) call(`poll${i}`, 'background');
    await clock.advance(120_000);
    assert.deepEqual(admitted, [
      ...Array.from({ length: 10 }, (_, i) => `person${i + 1}@0`),
      'poll1@60000',
      'poll2@60000',
      'poll3@60000',
      'person11@60000',
      'person12@60000',
      'person13@60000',
      'person14@60000',
      // …and its fourth call waits for its own share to free up, though people leave room in the window.
      'poll4@120000',
    ]);
  });
});
