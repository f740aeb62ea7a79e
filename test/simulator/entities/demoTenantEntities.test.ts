import assert from 'node:assert/strict';
import { demoSeedPath, loadSeedFile } from '../../../src/simulator/seed/loadSeed';
import { startHarness } from '../defender/defenderHarness';
import type { Harness } from '../defender/defenderHarness';

/*
 * The entity endpoints over the freshened demo tenant: the answers an "investigate" card shows for the phishing
 * incident 2301, read from the same events its saved hunts read.
 */

const DLL_SHA1 = '6673ca04ad3f28f1aaf1c56dfcc14ffd4d336f7c';
const WS_FIN_042 = '1168bc77';

describe('simulator/defender entity endpoints over the demo tenant', () => {
  let h: Harness;
  let token: string;
  let tenantId: string;
  before(async () => {
    const seed = loadSeedFile(demoSeedPath(), { freshen: true });
    tenantId = seed.tenant.id;
    h = await startHarness({ seeds: [seed], now: () => new Date() });
    token = await h.tokens.app({
      tenantId: seed.tenant.id,
      roles: ['File.Read.All', 'Ip.Read.All', 'URL.Read.All', 'User.Read.All', 'Machine.Read.All', 'Alert.Read.All'],
    });
  });
  after(() => h.close());

  const get = (path: string) => h.server.request(path, { token });
  const hosts = (value: { computerDnsName: string }[]) => value.map((m) => m.computerDnsName.split('.')[0]).sort();

  it('finds the dropped DLL on the three devices of the attack, seen in the last day', async () => {
    const stats = await get(`/api/files/${DLL_SHA1}/stats?lookBackHours=24`);
    assert.equal(stats.status, 200);
    assert.equal(stats.json.organizationPrevalence, 3);
    assert.deepEqual(stats.json.topFileNames, ['wvgqzp.dll']);
    assert.ok((stats.json.globallyPrevalence as number) < 1000);
    const machines = await get(`/api/files/${DLL_SHA1}/machines`);
    assert.deepEqual(hosts(machines.json.value), ['dc-01', 'ws-fin-042', 'ws-fin-043']);
    const alerts = await get(`/api/files/${DLL_SHA1}/alerts`);
    assert.ok(alerts.json.value.length >= 3);
  });

  it('counts two devices calling the C2 address and its domain', async () => {
    assert.equal((await get('/api/ips/198.51.100.77/stats')).json.organizationPrevalence, 2);
    assert.equal((await get('/api/domains/cdn-update.evil.example/stats')).json.organizationPrevalence, 2);
  });

  it("lists ws-fin-042's users, the phished user first seen days ago, and the devices the admin account reached", async () => {
    const machine = (await get('/api/machines/ws-fin-042.corp.contoso.com')).json;
    assert.ok(machine.id.startsWith(WS_FIN_042));
    const users = await get(`/api/machines/${machine.id}/logonusers`);
    const names = users.json.value.map((u) => u.accountName);
    assert.ok(names.includes('jonis') && names.includes('adm-allan'), names.join());
    const allan = users.json.value.find((u) => u.accountName === 'adm-allan');
    assert.equal(allan?.isDomainAdmin, true);
    const reached = await get('/api/users/adm-allan/machines');
    assert.equal(reached.status, 403); // documented: Machine.ReadWrite.All, which this token lacks
    const writer = await h.tokens.app({ tenantId, roles: ['Machine.ReadWrite.All'] });
    const devices = await h.server.request('/api/users/adm-allan/machines', { token: writer });
    // web-01 saw only failed logons of the account (alert "Multiple failed logon attempts").
    assert.deepEqual(hosts(devices.json.value), ['dc-01', 'dc-02', 'ws-fin-042', 'ws-fin-043']);
  });
});
