import assert from 'node:assert/strict';
import { ALL_SCOPES, startHarness } from './defenderHarness';
import type { Harness } from './defenderHarness';
import { FIN_WS, TENANT_A, TENANT_B, tenantASeed, tenantBSeed, WEB_SRV } from './testSeeds';

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

  const isolateRaw = (machineId: string, signal?: AbortSignal) =>
    fetch(`${h.server.baseUrl}/api/machines/${machineId}/isolate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ Comment: 'contain' }),
      ...(signal ? { signal } : {}),
    });

  describe('late answers', () => {
    it('creates the action at once and only holds the answer back, so an impatient client gives up', async () => {
      h.api.faults.set({ lateAnswers: { ms: 3_000, pathPrefix: '/api/machines' } });
      await assert.rejects(isolateRaw(FIN_WS, AbortSignal.timeout(100)), { name: 'TimeoutError' });
      const actions = h.api.state.machineActions();
      assert.equal(actions.length, 1);
      assert.equal(actions[0]!.machineId, FIN_WS);
      assert.equal(actions[0]!.type, 'Isolate');
    });

    it('delivers the real answer to a client that waits', async () => {
      h.api.faults.set({ lateAnswers: { ms: 150 } });
      const res = await isolateRaw(FIN_WS);
      assert.equal(res.status, 201);
      const body = (await res.json()) as { id: string };
      assert.equal(h.api.state.machineAction(body.id)?.status, 'Pending');
    });

    it('holds back only answers of the given method (every action POST, none of the reads around it)', async () => {
      h.api.faults.set({ lateAnswers: { ms: 3_000, pathPrefix: '/api/machines', method: 'POST' } });
      const read = await fetch(`${h.server.baseUrl}/api/machines/${FIN_WS}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(1_500),
      });
      assert.equal(read.status, 200, 'a GET under the prefix is not held back');
      await assert.rejects(isolateRaw(FIN_WS, AbortSignal.timeout(500)), { name: 'TimeoutError' });
      assert.equal(h.api.state.machineActions().length, 1);
    });

    it('holds back only the next N matching answers when next is set', async () => {
      h.api.faults.set({ lateAnswers: { ms: 100, next: 2, pathPrefix: '/api/machines' } });
      await h.server.request('/api/alerts', { token });
      assert.equal(h.api.faults.get().lateAnswers?.next, 2, 'another path does not count');
      await isolateRaw(FIN_WS);
      assert.equal(h.api.faults.get().lateAnswers?.next, 1);
      await isolateRaw(WEB_SRV);
      assert.equal(h.api.faults.get().lateAnswers, undefined);
    });
  });

  describe('connection reset after the body arrived', () => {
    it('processes the request, then drops the connection without an answer', async () => {
      h.api.faults.set({ resetAfterWrite: { next: 1, pathPrefix: '/api/machines' } });
      await assert.rejects(isolateRaw(FIN_WS), TypeError);
      assert.equal(h.api.state.machineActions().length, 1, 'the action exists although no answer came');
      assert.equal(h.api.faults.get().resetAfterWrite, undefined);
      assert.equal((await isolateRaw(WEB_SRV)).status, 201);
    });

    it('resets a share of matching requests with rate', async () => {
      h.api.faults.set({ resetAfterWrite: { rate: 0.5 } });
      const outcomes: string[] = [];
      for (let i = 0; i < 4; i += 1) {
        outcomes.push(
          await h.server.request('/api/alerts', { token }).then(
            (r) => String(r.status),
            () => 'reset',
          ),
        );
      }
      assert.deepEqual(outcomes, ['reset', '200', 'reset', '200']);
    });

    it('is configured over PUT /_sim/faults like the other knobs', async () => {
      const put = await h.server.request('/_sim/faults', {
        method: 'PUT',
        body: { resetAfterWrite: { next: 1 }, lateAnswers: { ms: 10 } },
      });
      assert.equal(put.status, 200);
      assert.deepEqual(put.json.resetAfterWrite, { next: 1 });
      assert.deepEqual(put.json.lateAnswers, { ms: 10 });
      const bad = await h.server.request('/_sim/faults', { method: 'PUT', body: { lateAnswers: { ms: 0 } } });
      assert.equal(bad.status, 400);
    });
  });

  describe('per-tenant profiles', () => {
    const tenantBToken = () =>
      h.tokens.user({
        tenantId: TENANT_B,
        oid: 'bbbbbbbb-0000-4000-8000-000000000001',
        upn: 'admin@fabrikam.com',
        scp: ALL_SCOPES,
      });

    it("applies a tenant's profile to that tenant's requests only, on top of the global one", async () => {
      const b = await tenantBToken();
      h.api.faults.set({ errors: { rate: 1, status: 503 } }, { tenantId: TENANT_B });
      assert.equal((await h.server.request('/api/alerts', { token: b })).status, 503);
      assert.equal((await h.server.request('/api/alerts', { token })).status, 200);
      h.api.faults.set({ throttle: { next: 2, retryAfterSeconds: 9 } });
      assert.equal((await h.server.request('/api/alerts', { token })).status, 429);
      // Tenant B meets its own 503 first, and the global throttle is left for later requests.
      assert.equal((await h.server.request('/api/alerts', { token: b })).status, 503);
      assert.equal(h.api.faults.get().throttle?.next, 1);
      assert.deepEqual(h.api.faults.get({ tenantId: TENANT_A }), { actionOutcomes: [] });
    });

    it('is set, read and cleared over /_sim/faults?tenantId=', async () => {
      const b = await tenantBToken();
      const put = await h.server.request(`/_sim/faults?tenantId=${TENANT_B}`, {
        method: 'PUT',
        body: { throttle: { next: 1, retryAfterSeconds: 5 } },
      });
      assert.equal(put.status, 200);
      assert.equal((await h.server.request(`/_sim/faults?tenantId=${TENANT_B}`)).json.throttle?.next, 1);
      assert.equal((await h.server.request('/_sim/faults')).json.throttle, undefined, 'the global profile is apart');
      assert.equal((await h.server.request('/api/alerts', { token })).status, 200);
      const throttled = await h.server.request('/api/alerts', { token: b });
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers.get('retry-after'), '5');
      await h.server.request(`/_sim/faults?tenantId=${TENANT_B}`, { method: 'PUT', body: { errors: { rate: 1 } } });
      await h.server.request(`/_sim/faults?tenantId=${TENANT_B}`, { method: 'DELETE' });
      assert.equal((await h.server.request('/api/alerts', { token: b })).status, 200);
      const unknown = await h.server.request('/_sim/faults?tenantId=33333333-3333-4333-8333-333333333333', {
        method: 'PUT',
        body: {},
      });
      assert.equal(unknown.status, 404);
    });

    it("starts with the seed's fault profile, which DELETE /_sim/faults (every profile) removes", async () => {
      const seed = tenantBSeed();
      seed.defender = { provisioned: true, faults: { errors: { rate: 1, status: 500 }, actionOutcomes: [] } };
      const seeded = await startHarness({ seeds: [tenantASeed(), seed] });
      try {
        const b = await seeded.tokens.user({
          tenantId: TENANT_B,
          oid: 'bbbbbbbb-0000-4000-8000-000000000001',
          upn: 'admin@fabrikam.com',
          scp: ALL_SCOPES,
        });
        assert.equal((await seeded.server.request('/api/alerts', { token: b })).status, 500);
        assert.equal(
          (await seeded.server.request('/api/alerts', { token: await seeded.userToken('admin') })).status,
          200,
        );
        await seeded.server.request('/_sim/faults', { method: 'DELETE' });
        assert.equal((await seeded.server.request('/api/alerts', { token: b })).status, 200);
      } finally {
        await seeded.close();
      }
    });

    it('scripts action outcomes per tenant', async () => {
      h.api.faults.set({ actionOutcomes: [{ type: 'Isolate', outcome: 'Failed' }] }, { tenantId: TENANT_B });
      const created = (await (await isolateRaw(FIN_WS)).json()) as { id: string };
      h.clock.advance(3_000);
      assert.equal(h.api.state.machineAction(created.id)?.status, 'Succeeded');
      assert.equal(h.api.faults.get({ tenantId: TENANT_B }).actionOutcomes.length, 1);
      assert.equal(TENANT_A, h.api.state.tenantIds()[0]);
    });
  });
});
