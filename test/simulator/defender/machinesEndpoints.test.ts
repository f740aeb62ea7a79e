import assert from 'node:assert/strict';
import { startHarness } from './defenderHarness';
import type { Harness } from './defenderHarness';
import type { TestResponse } from './testServer';
import { FIN_WS, LINUX_DB, MAC_DEV, TENANT_A, WEB_SRV, emptyTenantSeed, tenantASeed } from './testSeeds';

describe('simulator/defender machines', () => {
  let h: Harness;
  let token: string;
  beforeEach(async () => {
    h = await startHarness();
    token = await h.userToken('admin');
  });
  afterEach(() => h.close());

  const ids = (res: TestResponse) => (res.json.value as { id: string }[]).map((m) => m.id);
  const list = (query: string, t = token) => h.server.request(`/api/machines${query}`, { token: t });

  it('lists machines with #Machines', async () => {
    const res = await list('');
    assert.equal(res.status, 200);
    assert.equal(res.json['@odata.context'], `${h.server.baseUrl}/api/$metadata#Machines`);
    assert.deepEqual(ids(res), [FIN_WS, WEB_SRV, LINUX_DB, MAC_DEV]);
    assert.equal(res.json.value[0]!.computerDnsName, 'ws-fin-042.corp.contoso.com');
  });

  it('filters on the documented properties', async () => {
    const cases: [string, string[]][] = [
      ["computerDnsName eq 'ws-fin-042.corp.contoso.com'", [FIN_WS]],
      ["startswith(computerDnsName,'srv')", [WEB_SRV]],
      [`id eq '${LINUX_DB}'`, [LINUX_DB]],
      ["healthStatus ne 'Active'", [LINUX_DB]],
      ["riskScore eq 'High'", [FIN_WS]],
      ["exposureLevel eq 'Medium'", [FIN_WS]],
      ["osPlatform eq 'macOS'", [MAC_DEV]],
      ['rbacGroupId eq 150', [WEB_SRV, LINUX_DB]],
      ["machineTags/any(t: t eq 'VIP')", [FIN_WS]],
      ["deviceValue eq 'High'", [FIN_WS]],
      ['lastSeen gt 2024-05-03Z', [FIN_WS, WEB_SRV]],
      ["version eq '21H2'", [WEB_SRV]],
      ['aadDeviceId eq 80fe8ff8-2624-418e-9591-41f0491218f9', [FIN_WS]],
      ["onboardingStatus eq 'Onboarded'", [FIN_WS, WEB_SRV, LINUX_DB, MAC_DEV]],
      ["lastIpAddress eq '10.1.0.9'", [LINUX_DB]],
      ["computerDnsName eq 'nothing-matches'", []],
    ];
    for (const [filter, expected] of cases) {
      const res = await list(`?$filter=${encodeURIComponent(filter)}`);
      assert.equal(res.status, 200, filter);
      assert.deepEqual(ids(res), expected, filter);
    }
  });

  it('reads the documented riskScore+eq example with + as space', async () => {
    const res = await list("?$filter=riskScore+eq+'High'");
    assert.deepEqual(ids(res), [FIN_WS]);
  });

  it('rejects a filter on an alert property', async () => {
    const res = await list("?$filter=severity eq 'High'");
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, 'BadRequest');
  });

  it('pages with $top and $skip', async () => {
    assert.deepEqual(ids(await list('?$top=1&$skip=1')), [WEB_SRV]);
  });

  it('404s the list only for a tenant without any machine', async () => {
    const empty = '44444444-4444-4444-8444-444444444444';
    const other = await startHarness({ seeds: [emptyTenantSeed(empty), tenantASeed()] });
    try {
      const emptyToken = await other.tokens.app({ tenantId: empty, roles: ['Machine.Read.All'] });
      const res = await other.server.request('/api/machines', { token: emptyToken });
      assert.equal(res.status, 404);
      assert.equal(res.json.error.code, 'ResourceNotFound');
      const aToken = await other.tokens.app({ tenantId: TENANT_A, roles: ['Machine.Read.All'] });
      const filtered = await other.server.request("/api/machines?$filter=computerDnsName eq 'x'", { token: aToken });
      assert.equal(filtered.status, 200);
      assert.deepEqual(filtered.json.value, []);
    } finally {
      await other.close();
    }
  });

  describe('GET /api/machines/{id}', () => {
    it('finds a machine by id with #Machines/$entity', async () => {
      const res = await h.server.request(`/api/machines/${FIN_WS}`, { token });
      assert.equal(res.status, 200);
      assert.equal(res.json['@odata.context'], `${h.server.baseUrl}/api/$metadata#Machines/$entity`);
      assert.equal(res.json.id, FIN_WS);
    });

    it('finds a machine by computer name, case-insensitively', async () => {
      const res = await h.server.request('/api/machines/SRV-WEB-01.corp.contoso.com', { token });
      assert.equal(res.status, 200);
      assert.equal(res.json.id, WEB_SRV);
    });

    it('404s an unknown id or name with the documented message', async () => {
      const res = await h.server.request('/api/machines/123123123', { token });
      assert.equal(res.status, 404);
      assert.equal(res.json.error.code, 'ResourceNotFound');
      assert.equal(res.json.error.message, 'Machine 123123123 was not found');
      const hex = await h.server.request(`/api/machines/${'f'.repeat(40)}`, { token });
      assert.equal(hex.status, 404);
    });

    it('needs Machine.Read(Write)', async () => {
      const alertsOnly = await h.userToken('admin', 'Alert.Read');
      const res = await h.server.request(`/api/machines/${FIN_WS}`, { token: alertsOnly });
      assert.equal(res.status, 403);
      assert.equal(res.json.error.code, 'Forbidden');
      const app = await h.appToken(['Machine.ReadWrite.All']);
      assert.equal((await h.server.request(`/api/machines/${FIN_WS}`, { token: app })).status, 200);
    });
  });

  describe('GET /api/machines/{id}/alerts', () => {
    it("lists the machine's alerts and honours $filter", async () => {
      const all = await h.server.request(`/api/machines/${FIN_WS}/alerts`, { token });
      assert.equal(all.status, 200);
      assert.equal(all.json['@odata.context'], `${h.server.baseUrl}/api/$metadata#Alerts`);
      assert.equal(all.json.value.length, 2);
      const high = await h.server.request(`/api/machines/${FIN_WS}/alerts?$filter=severity eq 'High'`, { token });
      assert.equal(high.json.value.length, 1);
    });

    it('counts with /$count as a bare number that honours $filter', async () => {
      const res = await h.server.request(`/api/machines/${FIN_WS}/alerts/$count`, { token });
      assert.equal(res.status, 200);
      assert.equal(res.text, '2');
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      const open = await h.server.request(
        `/api/machines/${FIN_WS}/alerts/%24count?$filter=${encodeURIComponent("status ne 'InProgress'")}`,
        { token },
      );
      assert.equal(open.text, '1');
    });

    it('404s an unknown machine', async () => {
      const res = await h.server.request('/api/machines/nope/alerts', { token });
      assert.equal(res.status, 404);
      assert.equal(res.json.error.message, 'Machine nope was not found');
    });

    it('needs the alert permissions', async () => {
      const machinesOnly = await h.userToken('admin', 'Machine.Read');
      assert.equal((await h.server.request(`/api/machines/${FIN_WS}/alerts`, { token: machinesOnly })).status, 403);
    });
  });
});
