import assert from 'node:assert/strict';
import { createDefenderApi } from '../../../src/simulator/defender/defenderApi';
import type { DefenderApi } from '../../../src/simulator/defender/defenderApi';
import { createGraphApi } from '../../../src/simulator/graph/graphApi';
import { demoSeedPath, loadSeedFile } from '../../../src/simulator/seed/loadSeed';
import { createTokenFactory } from '../defender/testTokens';
import { startTestServer } from '../defender/testServer';
import type { TestServer } from '../defender/testServer';

/*
 * A hunt and an "investigate" card agree: Graph's runHuntingQuery and the MDE entity endpoints over the freshened
 * demo tenant, the Graph simulator reading the Defender simulator's tables (DefenderStateView.huntingTables), as
 * the simulator server wires them.
 */

const DLL_SHA1 = '6673ca04ad3f28f1aaf1c56dfcc14ffd4d336f7c';
const C2_IP = '198.51.100.77';

describe('simulator: a hunt and an entity card read the same events', () => {
  const seed = loadSeedFile(demoSeedPath(), { freshen: true });
  const tenantId = seed.tenant.id;
  let server: TestServer;
  let defender: DefenderApi | undefined;
  let mdeToken: string;
  let graphToken: string;

  before(async () => {
    const tokens = await createTokenFactory();
    server = await startTestServer((baseUrl) => {
      const mde = createDefenderApi({ seeds: [seed], keys: tokens.keys, baseUrlForLinks: baseUrl });
      const graph = createGraphApi({
        seeds: [seed],
        keys: tokens.keys,
        baseUrlForLinks: baseUrl,
        huntingTables: (tenant) => mde.state.huntingTables(tenant),
      });
      defender = mde;
      return async (req, res, url, body) =>
        (await mde.handle(req, res, url, body)) || graph.handle(req, res, url, body);
    });
    mdeToken = await tokens.app({
      tenantId,
      roles: ['File.Read.All', 'Ip.Read.All', 'User.Read.All', 'Machine.Read.All', 'Alert.Read.All'],
    });
    graphToken = await tokens.app({
      tenantId,
      roles: ['ThreatHunting.Read.All'],
      overrides: { aud: 'https://graph.microsoft.com' },
    });
  });
  after(async () => {
    defender?.close();
    await server.close();
  });

  const card = async (path: string) => {
    const res = await server.request(path, { token: mdeToken });
    assert.equal(res.status, 200, res.text);
    return res.json;
  };
  const hunt = async (query: string): Promise<Record<string, unknown>[]> => {
    const res = await server.request('/v1.0/security/runHuntingQuery', {
      method: 'POST',
      token: graphToken,
      body: { Query: query },
    });
    assert.equal(res.status, 200, res.text);
    return res.json.results as Record<string, unknown>[];
  };
  const sorted = (values: unknown[]) => values.map(String).sort();
  const instant = (value: unknown) => Date.parse(String(value));

  it("IP statistics: the devices and first/last connection a hunt counts are the card's", async () => {
    const [row] = await hunt(
      `DeviceNetworkEvents | where RemoteIP == '${C2_IP}' | summarize Devices = dcount(DeviceId), First = min(Timestamp), Last = max(Timestamp)`,
    );
    const stats = await card(`/api/ips/${C2_IP}/stats`);
    assert.equal(row?.Devices, stats.organizationPrevalence);
    assert.equal(instant(row?.First), instant(stats.orgFirstSeen));
    assert.equal(instant(row?.Last), instant(stats.orgLastSeen));
  });

  it("a file's devices and alerts: the hunt's are the card's", async () => {
    const devices = await hunt(`DeviceFileEvents | where SHA1 == '${DLL_SHA1}' | summarize by DeviceId`);
    const machines = await card(`/api/files/${DLL_SHA1}/machines`);
    assert.deepEqual(sorted(devices.map((r) => r.DeviceId)), sorted(machines.value.map((m) => m.id)));
    const alertIds = await hunt(`AlertEvidence | where SHA1 == '${DLL_SHA1}' | summarize by AlertId`);
    const alerts = await card(`/api/files/${DLL_SHA1}/alerts`);
    assert.deepEqual(sorted(alertIds.map((r) => r.AlertId)), sorted(alerts.value.map((a) => a.id)));
  });

  it("a device's logged-on users: the hunt's accounts are the card's", async () => {
    const machine = await card('/api/machines/ws-fin-042.corp.contoso.com');
    const accounts = await hunt(
      `DeviceLogonEvents | where DeviceId == '${machine.id}' and ActionType == 'LogonSuccess' | summarize by AccountName`,
    );
    const users = await card(`/api/machines/${machine.id}/logonusers`);
    assert.deepEqual(sorted(accounts.map((r) => r.AccountName)), sorted(users.value.map((u) => u.accountName)));
  });

  it('an alert injected at run time is in the hunt too', async () => {
    const machine = await card('/api/machines/ws-fin-042.corp.contoso.com');
    const injected = defender!.state.injectAlert({ machineId: machine.id, title: 'Injected for the hunt' }, tenantId);
    const rows = await hunt(`AlertInfo | where AlertId == '${injected.id}' | project Title`);
    assert.deepEqual(rows, [{ Title: 'Injected for the hunt' }]);
  });
});
