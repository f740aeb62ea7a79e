import assert from 'node:assert/strict';
import { SlidingWindowLimiter } from '../../src/defender/slidingWindowLimiter';
import { isAppError } from '../../src/errors';

/** A limiter on a fake clock: waiting advances time instead of sleeping. */
function fakeLimiter(limit: number, windowMs: number, maxWaitMs: number) {
  let now = 0;
  const admittedAt: number[] = [];
  const limiter = new SlidingWindowLimiter({
    windows: [{ limit, windowMs }],
    maxWaitMs,
    now: () => now,
    wait: (ms) => {
      now += ms;
      return Promise.resolve();
    },
  });
  return {
    async acquire(key = 'tenant-a') {
      await limiter.acquire(key);
      admittedAt.push(now);
    },
    admittedAt,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('SlidingWindowLimiter', () => {
  it('admits up to the limit at once, then schedules the next call when the window frees a slot', async () => {
    const l = fakeLimiter(3, 60_000, 120_000);
    for (let i = 0; i < 5; i++) await l.acquire();
    assert.deepEqual(l.admittedAt, [0, 0, 0, 60_000, 60_000]);
  });

  it('never admits more than the limit in any window', async () => {
    const l = fakeLimiter(100, 60_000, 10 * 60_000);
    for (let i = 0; i < 450; i++) {
      await l.acquire();
      if (i % 7 === 0) l.advance(1_000);
    }
    for (const start of l.admittedAt) {
      const inWindow = l.admittedAt.filter((t) => t >= start && t < start + 60_000).length;
      assert.ok(inWindow <= 100, `${inWindow} calls in the window starting at ${start}`);
    }
  });

  it('fails fast with retryAfterSeconds when the wait would exceed maxWaitMs', async () => {
    const l = fakeLimiter(2, 60_000, 5_000);
    await l.acquire();
    await l.acquire();
    await assert.rejects(l.acquire(), (err) => isAppError(err, 'rateLimited') && err.details.retryAfterSeconds === 60);
  });

  it('keeps tenants apart', async () => {
    const l = fakeLimiter(1, 60_000, 0);
    await l.acquire('tenant-a');
    await l.acquire('tenant-b');
    await assert.rejects(l.acquire('tenant-a'));
  });

  it('keeps a share of the quota for interactive calls: background work uses at most its share', async () => {
    let now = 0;
    const admitted: string[] = [];
    const limiter = new SlidingWindowLimiter({
      windows: [{ limit: 10, windowMs: 60_000 }],
      maxWaitMs: 5_000,
      backgroundShare: 0.5,
      backgroundMaxWaitMs: 120_000,
      now: () => now,
      wait: (ms) => {
        now += ms;
        return Promise.resolve();
      },
    });
    // A poller's burst takes its half at once…
    for (let i = 0; i < 5; i++) {
      await limiter.acquire('tenant-a', 'background');
      admitted.push(`background@${now}`);
    }
    // …people still get the other half at once…
    for (let i = 0; i < 5; i++) {
      await limiter.acquire('tenant-a');
      admitted.push(`person@${now}`);
    }
    // …and more background work waits for the window instead of eating into it.
    await limiter.acquire('tenant-a', 'background');
    admitted.push(`background@${now}`);
    assert.deepEqual(admitted, [
      ...Array<string>(5).fill('background@0'),
      ...Array<string>(5).fill('person@0'),
      'background@60000',
    ]);
  });
});
