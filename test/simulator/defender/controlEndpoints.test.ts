import assert from 'node:assert/strict';
import { startHarness } from './defenderHarness';
import type { Harness } from './defenderHarness';
import { FIN_WS, TENANT_A, TENANT_B } from './testSeeds';

const A1 = 'da638412900382838869_1364969601';

describe('simulator/defender control endpoints', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  it('dumps the state of every tenant, or of one with ?tenantId=', async () => {
    const res = await h.server.request('/_sim/state');
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.json.tenants.map((t: { id: string }) => t.id),
      [TENANT_A, TENANT_B],
    );
    const a = res.json.tenants[0]!;
    assert.equal(a.machines.length, 4);
    assert.equal(a.alerts.length, 5);
    assert.deepEqual(a.deviceStatus[FIN_WS], { isolated: false, codeExecutionRestricted: false });
    assert.equal('clients' in a, false);
    const only = await h.server.request(`/_sim/state?tenantId=${TENANT_B}`);
    assert.deepEqual(
      only.json.tenants.map((t: { id: string }) => t.id),
      [TENANT_B],
    );
    const unknown = await h.server.request('/_sim/state?tenantId=nope');
    assert.equal(unknown.status, 404);
    assert.match(unknown.json.error.message, /unknown tenant 'nope'; loaded tenants:/);
  });

  describe('POST /_sim/alerts', () => {
    it('completes a partial alert and serves it on /api/alerts', async () => {
      h.clock.advance(5_000);
      const res = await h.server.request('/_sim/alerts', {
        method: 'POST',
        body: {
          title: 'Ransomware behavior detected',
          severity: 'High',
          machineId: FIN_WS,
          evidence: [{ fileName: 'x.exe' }],
        },
      });
      assert.equal(res.status, 201);
      const alert = res.json;
      assert.match(alert.id, /^da\d{18}_\d{10}$/);
      assert.equal(alert.status, 'New');
      assert.equal(alert.computerDnsName, 'ws-fin-042.corp.contoso.com');
      assert.equal(alert.rbacGroupName, 'Finance');
      assert.equal(alert.aadTenantId, TENANT_A);
      assert.equal(new Date(alert.alertCreationTime).getTime(), h.clock.now().getTime());
      assert.equal(alert.evidence[0]!.fileName, 'x.exe');
      assert.equal(alert.evidence[0]!.sha1, null);

      const token = await h.userToken('admin');
      const list = await h.server.request('/api/alerts?$top=1&$expand=evidence', { token });
      assert.equal(list.json.value[0]!.id, alert.id);
      assert.equal(list.json.value[0]!.evidence.length, 1);
    });

    it('injects into the tenant named by ?tenantId=', async () => {
      const res = await h.server.request(`/_sim/alerts?tenantId=${TENANT_B}`, { method: 'POST', body: {} });
      assert.equal(res.status, 201);
      assert.equal(res.json.aadTenantId, TENANT_B);
      assert.equal(h.api.state.alerts(TENANT_B).length, 2);
      assert.equal(h.api.state.alerts(TENANT_A).length, 5);
    });

    it('answers 400 with the zod issue path for bad input', async () => {
      const cases: [unknown, string][] = [
        [{ severity: 'Critical' }, 'severity'],
        [{ alertCreationTime: 'yesterday' }, 'alertCreationTime'],
        [{ machineId: 'f'.repeat(40) }, 'machineId'],
        [{ evidence: [{ processId: 'x' }] }, 'evidence.0.processId'],
      ];
      for (const [body, path] of cases) {
        const res = await h.server.request('/_sim/alerts', { method: 'POST', body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.json.error.code, 'InvalidInput');
        assert.ok(
          (res.json.error.issues as { path: string }[]).some((i) => i.path === path),
          `${JSON.stringify(body)} → ${JSON.stringify(res.json.error.issues)}`,
        );
      }
      for (const body of ['[1]', 'nope']) {
        const res = await h.server.request('/_sim/alerts', { method: 'POST', body });
        assert.equal(res.status, 400);
      }
    });

    it('refuses a duplicate id with 409', async () => {
      const res = await h.server.request('/_sim/alerts', { method: 'POST', body: { id: A1 } });
      assert.equal(res.status, 409);
      assert.equal(res.json.error.code, 'Conflict');
    });
  });

  describe('PATCH /_sim/alerts/{id} and /_sim/machines/{id}', () => {
    it('updates any alert field and bumps lastUpdateTime', async () => {
      h.clock.advance(60_000);
      const res = await h.server.request(`/_sim/alerts/${A1}`, {
        method: 'PATCH',
        body: { severity: 'Low', title: 'Renamed' },
      });
      assert.equal(res.status, 200);
      assert.equal(res.json.severity, 'Low');
      assert.equal(res.json.title, 'Renamed');
      assert.equal(new Date(res.json.lastUpdateTime).getTime(), h.clock.now().getTime());
      assert.equal(h.api.state.alert(A1)?.severity, 'Low');
    });

    it('refuses invalid edits and unknown alerts', async () => {
      const bad = await h.server.request(`/_sim/alerts/${A1}`, { method: 'PATCH', body: { status: 'Done' } });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.issues[0]!.path, 'status');
      const id = await h.server.request(`/_sim/alerts/${A1}`, { method: 'PATCH', body: { id: 'other' } });
      assert.equal(id.status, 400);
      const missing = await h.server.request('/_sim/alerts/nope', { method: 'PATCH', body: {} });
      assert.equal(missing.status, 404);
    });

    it('updates a machine, e.g. to take it offline', async () => {
      const res = await h.server.request(`/_sim/machines/${FIN_WS}`, {
        method: 'PATCH',
        body: { healthStatus: 'Inactive' },
      });
      assert.equal(res.status, 200);
      assert.equal(h.api.state.machine(FIN_WS)?.healthStatus, 'Inactive');
      const bad = await h.server.request(`/_sim/machines/${FIN_WS}`, {
        method: 'PATCH',
        body: { healthStatus: 'Asleep' },
      });
      assert.equal(bad.status, 400);
    });
  });

  it('reports and resets statistics', async () => {
    const token = await h.userToken('admin');
    await h.server.request('/api/alerts', { token });
    await h.server.request(`/api/machines/${FIN_WS}`, { token });
    const stats = await h.server.request('/_sim/stats');
    assert.deepEqual(stats.json, {
      defenderCalls: 2,
      byApi: { 'alerts.list': 1, 'machines.get': 1 },
      byTenant: { [TENANT_A]: 2 },
    });
    const reset = await h.server.request('/_sim/stats/reset', { method: 'POST' });
    assert.deepEqual(reset.json, { defenderCalls: 0, byApi: {}, byTenant: {} });
    // Control requests are not Defender calls.
    assert.equal(h.api.stats().defenderCalls, 0);
  });

  it('answers a wrong method with 405', async () => {
    const res = await h.server.request('/_sim/state', { method: 'POST', body: {} });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET');
  });

  it('refuses callers that are not on this machine, through the real loopback check', async () => {
    const remote = await startHarness({}, { remoteAddress: '10.0.0.7' });
    try {
      for (const [path, method] of [
        ['/_sim/state', 'GET'],
        ['/_sim/alerts', 'POST'],
        ['/_sim/faults', 'PUT'],
        ['/_sim/stats/reset', 'POST'],
      ] as const) {
        const res = await remote.server.request(path, { method, body: method === 'GET' ? undefined : {} });
        assert.equal(res.status, 403, path);
        assert.equal(res.json.error.code, 'Forbidden');
      }
      assert.equal(remote.api.state.alerts().length, 5);
      // The Defender API itself is not loopback-restricted.
      const token = await remote.userToken('admin');
      assert.equal((await remote.server.request('/api/alerts', { token })).status, 200);
    } finally {
      await remote.close();
    }
  });
});
