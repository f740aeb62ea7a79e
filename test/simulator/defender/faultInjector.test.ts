import assert from 'node:assert/strict';
import { startHarness } from './defenderHarness';
import type { Harness } from './defenderHarness';

/** Cycles through fixed values so "a share of requests" is deterministic. */
function sequence(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe('simulator/defender fault knobs', () => {
  let h: Harness;
  let token: string;
  beforeEach(async () => {
    h = await startHarness({ random: sequence([0.1, 0.9]) });
    token = await h.userToken('admin');
  });
  afterEach(() => h.close());

  const statuses = async (path: string, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i += 1) out.push((await h.server.request(path, { token })).status);
    return out;
  };

  it('answers a share of requests with 500 InternalServerError', async () => {
    h.api.faults.set({ errors: { rate: 0.5 } });
    assert.deepEqual(await statuses('/api/alerts', 4), [500, 200, 500, 200]);
    const res = await h.server.request('/api/alerts', { token });
    assert.equal(res.json.error.code, 'InternalServerError');
    assert.match(res.json.error.target, /^[0-9a-f-]{36}$/);
  });

  it('can answer 503 instead, and only under a path prefix', async () => {
    h.api.faults.set({ errors: { rate: 1, status: 503, pathPrefix: '/api/machines' } });
    const res = await h.server.request('/api/v1.0/machines', { token });
    assert.equal(res.status, 503);
    assert.equal(res.json.error.code, 'ServiceUnavailable');
    assert.equal((await h.server.request('/api/alerts', { token })).status, 200);
  });

  it('forces 429s for the next N requests with the configured Retry-After', async () => {
    h.api.faults.set({ throttle: { next: 2, retryAfterSeconds: 7 } });
    const first = await h.server.request('/api/alerts', { token });
    assert.equal(first.status, 429);
    assert.equal(first.json.error.code, 'TooManyRequests');
    assert.equal(first.headers.get('retry-after'), '7');
    assert.deepEqual(await statuses('/api/alerts', 2), [429, 200]);
    assert.equal(h.api.faults.get().throttle, undefined);
  });

  it('forces 429s for a share of requests', async () => {
    h.api.faults.set({ throttle: { rate: 0.5 } });
    assert.deepEqual(await statuses('/api/machines', 4), [429, 200, 429, 200]);
  });

  it('adds latency', async () => {
    h.api.faults.set({ latency: { ms: 120, jitterMs: 0, pathPrefix: '/api/alerts' } });
    const started = Date.now();
    await h.server.request('/api/alerts', { token });
    assert.ok(Date.now() - started >= 110, 'latency not applied');
    const fastStart = Date.now();
    await h.server.request('/api/machines', { token });
    assert.ok(Date.now() - fastStart < 110, 'latency leaked outside its prefix');
  });

  it('is configured over /_sim/faults: PUT, GET, DELETE', async () => {
    const put = await h.server.request('/_sim/faults', {
      method: 'PUT',
      body: { errors: { rate: 1 }, actionOutcomes: [{ type: 'Isolate', outcome: 'Failed' }] },
    });
    assert.equal(put.status, 200);
    assert.equal(put.json.errors.status, 500);
    assert.equal(put.json.actionOutcomes[0]!.count, 1);
    assert.equal((await h.server.request('/api/alerts', { token })).status, 500);
    const got = await h.server.request('/_sim/faults');
    assert.deepEqual(got.json, put.json);
    const del = await h.server.request('/_sim/faults', { method: 'DELETE' });
    assert.deepEqual(del.json, { actionOutcomes: [] });
    assert.equal((await h.server.request('/api/alerts', { token })).status, 200);
  });

  it('refuses an invalid fault configuration with the offending path', async () => {
    const cases: [unknown, string][] = [
      [{ errors: { rate: 2 } }, 'errors.rate'],
      [{ errors: { rate: 0.5, status: 502 } }, 'errors.status'],
      [{ throttle: { retryAfterSeconds: 5 } }, 'throttle'],
      [{ latency: { ms: 10, pathPrefix: 'alerts' } }, 'latency.pathPrefix'],
      [{ actionOutcomes: [{ type: 'Reboot', outcome: 'Failed' }] }, 'actionOutcomes.0.type'],
      [{ chaos: true }, '(root)'],
    ];
    for (const [body, path] of cases) {
      const res = await h.server.request('/_sim/faults', { method: 'PUT', body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.json.error.code, 'InvalidInput');
      assert.ok(
        (res.json.error.issues as { path: string }[]).some((i) => i.path === path),
        `${JSON.stringify(body)} → ${JSON.stringify(res.json.error.issues)}`,
      );
    }
    const bad = await h.server.request('/_sim/faults', { method: 'PUT', body: '{not json' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /not valid JSON/);
  });
});
