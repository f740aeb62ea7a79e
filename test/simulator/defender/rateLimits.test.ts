import assert from 'node:assert/strict';
import { SlidingWindowRateLimiter } from '../../../src/simulator/defender/rateLimiter';
import { startHarness } from './defenderHarness';
import type { Harness } from './defenderHarness';
import { TENANT_A } from './testSeeds';

describe('simulator/defender rate limits', () => {
  describe('SlidingWindowRateLimiter', () => {
    it('admits perMinute calls per sliding minute and reports when the oldest slot frees', () => {
      let now = 0;
      const limiter = new SlidingWindowRateLimiter({ perMinute: 3, perHour: 100 }, () => now);
      assert.equal(limiter.tryAcquire('k').allowed, true);
      now = 10_000;
      assert.equal(limiter.tryAcquire('k').allowed, true);
      now = 20_000;
      assert.equal(limiter.tryAcquire('k').allowed, true);
      now = 30_500;
      assert.deepEqual(limiter.tryAcquire('k'), { allowed: false, retryAfterSeconds: 30, limit: 3, window: '1m' });
      // Another key has its own window.
      assert.equal(limiter.tryAcquire('other').allowed, true);
      now = 60_000;
      assert.equal(limiter.tryAcquire('k').allowed, true);
      assert.equal(limiter.tryAcquire('k').allowed, false);
    });

    it('enforces the hourly window too and does not count refused calls', () => {
      let now = 0;
      const limiter = new SlidingWindowRateLimiter({ perMinute: 100, perHour: 2 }, () => now);
      limiter.tryAcquire('k');
      now = 120_000;
      limiter.tryAcquire('k');
      now = 180_000;
      const refused = limiter.tryAcquire('k');
      assert.deepEqual(refused, { allowed: false, retryAfterSeconds: 3420, limit: 2, window: '1h' });
      now = 3_600_001;
      assert.equal(limiter.tryAcquire('k').allowed, true);
    });

    it('never asks to wait less than a second', () => {
      let now = 0;
      const limiter = new SlidingWindowRateLimiter({ perMinute: 1, perHour: 10 }, () => now);
      limiter.tryAcquire('k');
      now = 59_999;
      const refused = limiter.tryAcquire('k');
      assert.equal(refused.allowed, false);
      if (!refused.allowed) assert.equal(refused.retryAfterSeconds, 1);
    });
  });

  describe('over HTTP', () => {
    let h: Harness;
    beforeEach(async () => {
      h = await startHarness({ rateLimits: { perMinute: 3, perHour: 100 } });
    });
    afterEach(() => h.close());

    it('answers 429 TooManyRequests with Retry-After once an API quota is used up', async () => {
      const token = await h.userToken('admin');
      for (let i = 0; i < 3; i += 1) {
        assert.equal((await h.server.request('/api/alerts', { token })).status, 200);
        h.clock.advance(1_000);
      }
      const refused = await h.server.request('/api/alerts', { token });
      assert.equal(refused.status, 429);
      assert.equal(refused.json.error.code, 'TooManyRequests');
      assert.equal(refused.headers.get('retry-after'), '57');
      assert.match(refused.json.error.message, /Maximum admitted 3 per 1m/);

      // Other APIs have their own quota; /api/v1.0 shares the quota of /api.
      assert.equal((await h.server.request('/api/machines', { token })).status, 200);
      assert.equal((await h.server.request('/api/v1.0/alerts', { token })).status, 429);

      // Another app in the same tenant has its own quota.
      const otherApp = await h.tokens.app({
        tenantId: TENANT_A,
        roles: ['Alert.Read.All'],
        appId: 'b0b0b0b0-0000-4000-8000-000000000000',
      });
      assert.equal((await h.server.request('/api/alerts', { token: otherApp })).status, 200);

      h.clock.advance(57_000);
      assert.equal((await h.server.request('/api/alerts', { token })).status, 200);
    });

    it('counts every request in stats, refused ones included', async () => {
      const token = await h.userToken('admin');
      for (let i = 0; i < 5; i += 1) await h.server.request('/api/alerts', { token });
      await h.server.request('/api/alerts');
      await h.server.request('/api/nothing-here', { token });
      const stats = h.api.stats();
      assert.equal(stats.defenderCalls, 7);
      assert.deepEqual(stats.byApi, { 'alerts.list': 6, unmatched: 1 });
      h.api.resetStats();
      assert.deepEqual(h.api.stats(), { defenderCalls: 0, byApi: {}, byTenant: {} });
    });

    it('can be emptied for a fresh rehearsal', async () => {
      const token = await h.userToken('admin');
      for (let i = 0; i < 3; i += 1) await h.server.request('/api/alerts', { token });
      assert.equal((await h.server.request('/api/alerts', { token })).status, 429);
      h.api.resetRateLimits();
      assert.equal((await h.server.request('/api/alerts', { token })).status, 200);
    });
  });
});
