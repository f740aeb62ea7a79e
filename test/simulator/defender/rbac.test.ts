import assert from 'node:assert/strict';
import { startHarness } from './defenderHarness';
import type { Harness } from './defenderHarness';
import { B_MACHINE, FIN_WS, MAC_DEV, TENANT_B, USERS, WEB_SRV } from './testSeeds';

const FIN_ALERT = 'da638412900382838869_1364969601';
const SERVER_ALERT = 'da638412900382838869_1364969603';
const UNGROUPED_ALERT = 'da638412900382838869_1364969605';

describe('simulator/defender RBAC and device groups', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  const get = async (path: string, user: keyof typeof USERS) =>
    h.server.request(path, { token: await h.userToken(user) });
  const post = async (path: string, user: keyof typeof USERS, body: unknown) =>
    h.server.request(path, { method: 'POST', token: await h.userToken(user), body });

  describe('a user scoped to the Finance device group', () => {
    it('sees only Finance machines and alerts in lists', async () => {
      const machines = await get('/api/machines', 'finance');
      assert.deepEqual(
        machines.json.value.map((m: { id: string }) => m.id),
        [FIN_WS, MAC_DEV],
      );
      const alerts = await get('/api/alerts', 'finance');
      assert.ok(alerts.json.value.length > 0);
      assert.ok(alerts.json.value.every((a: { rbacGroupName: string }) => a.rbacGroupName === 'Finance'));
      const actions = await get('/api/machineactions', 'finance');
      assert.equal(actions.status, 200);
    });

    it('gets 404 for a machine or alert outside the group, exactly like a missing one', async () => {
      const machine = await get(`/api/machines/${WEB_SRV}`, 'finance');
      assert.equal(machine.status, 404);
      assert.equal(machine.json.error.message, `Machine ${WEB_SRV} was not found`);
      assert.equal((await get('/api/machines/srv-web-01.corp.contoso.com', 'finance')).status, 404);
      assert.equal((await get(`/api/machines/${WEB_SRV}/alerts`, 'finance')).status, 404);
      assert.equal((await get(`/api/alerts/${SERVER_ALERT}`, 'finance')).status, 404);
      // Ungrouped entities need the "all device groups" scope.
      assert.equal((await get(`/api/alerts/${UNGROUPED_ALERT}`, 'finance')).status, 404);
      assert.equal((await get(`/api/alerts/${UNGROUPED_ALERT}`, 'admin')).status, 200);
      const patch = await h.server.request(`/api/alerts/${SERVER_ALERT}`, {
        method: 'PATCH',
        token: await h.userToken('finance'),
        body: { status: 'InProgress' },
      });
      assert.equal(patch.status, 404);
    });

    it('gets 403 for an action on a device outside the group, and nothing is created', async () => {
      const res = await post(`/api/machines/${WEB_SRV}/isolate`, 'finance', { Comment: 'x' });
      assert.equal(res.status, 403);
      assert.equal(res.json.error.code, 'Forbidden');
      assert.equal(h.api.state.machineActions().length, 0);
      assert.equal((await post(`/api/machines/${FIN_WS}/isolate`, 'finance', { Comment: 'x' })).status, 201);
    });

    it('cannot see or cancel actions on devices outside the group', async () => {
      const created = (await post(`/api/machines/${WEB_SRV}/isolate`, 'admin', { Comment: 'x' })).json;
      assert.equal((await get(`/api/machineactions/${created.id}`, 'finance')).status, 404);
      const list = await get('/api/machineactions', 'finance');
      assert.deepEqual(list.json.value, []);
      const cancel = await post(`/api/machineactions/${created.id}/cancel`, 'finance', { Comment: 'x' });
      assert.equal(cancel.status, 403);
    });

    it('gets 404 instead when configured so (unconfirmed point)', async () => {
      const other = await startHarness({ behaviour: { outOfScopeActionStatus: 404 } });
      try {
        const token = await other.userToken('finance');
        const res = await other.server.request(`/api/machines/${WEB_SRV}/isolate`, {
          method: 'POST',
          token,
          body: { Comment: 'x' },
        });
        assert.equal(res.status, 404);
        assert.equal(res.json.error.code, 'ResourceNotFound');
      } finally {
        await other.close();
      }
    });
  });

  describe('Defender role permissions', () => {
    it('refuses reads to a user without ViewData', async () => {
      const res = await get('/api/alerts', 'investigator');
      assert.equal(res.status, 403);
      assert.match(res.json.error.message, /View data/);
      assert.equal((await get('/api/machines', 'investigator')).status, 403);
    });

    it('refuses remediation to a user without ActiveRemediation', async () => {
      const res = await post(`/api/machines/${FIN_WS}/isolate`, 'viewer', { Comment: 'x' });
      assert.equal(res.status, 403);
      assert.match(res.json.error.message, /Active remediation actions/);
      const scan = await post(`/api/machines/${FIN_WS}/runAntiVirusScan`, 'viewer', {
        Comment: 'x',
        ScanType: 'Quick',
      });
      assert.equal(scan.status, 403);
    });

    it('lets Alerts investigation collect an investigation package', async () => {
      const res = await post(`/api/machines/${FIN_WS}/collectInvestigationPackage`, 'investigator', { Comment: 'x' });
      assert.equal(res.status, 201);
      const isolate = await post(`/api/machines/${FIN_WS}/isolate`, 'investigator', { Comment: 'x' });
      assert.equal(isolate.status, 403);
    });

    it('refuses a user with no Defender role, and an unknown user', async () => {
      const noRole = await get('/api/alerts', 'noRole');
      assert.equal(noRole.status, 403);
      assert.match(noRole.json.error.message, /no Microsoft Defender for Endpoint role/);
      assert.equal((await get('/api/alerts', 'stranger')).status, 403);
    });

    it('does not limit application tokens by device group', async () => {
      const app = await h.appToken(['Machine.Read.All', 'Machine.Isolate']);
      const list = await h.server.request('/api/machines', { token: app });
      assert.equal(list.json.value.length, 4);
      const res = await h.server.request(`/api/machines/${WEB_SRV}/isolate`, {
        method: 'POST',
        token: app,
        body: { Comment: 'x' },
      });
      assert.equal(res.status, 201);
    });
  });

  describe('tenants', () => {
    it("serves each token's own tenant only", async () => {
      const bToken = await h.tokens.user({
        tenantId: TENANT_B,
        oid: 'bbbbbbbb-0000-4000-8000-000000000001',
        upn: 'admin@fabrikam.com',
        scp: 'Alert.Read Machine.Read',
      });
      const machines = await h.server.request('/api/machines', { token: bToken });
      assert.deepEqual(
        machines.json.value.map((m: { id: string }) => m.id),
        [B_MACHINE],
      );
      assert.equal((await h.server.request(`/api/alerts/${FIN_ALERT}`, { token: bToken })).status, 404);
      // A tenant-A user object id presented in a tenant-B token is not a tenant-B user.
      const crossed = await h.tokens.user({ tenantId: TENANT_B, oid: USERS.admin.oid, upn: 'x', scp: 'Alert.Read' });
      assert.equal((await h.server.request('/api/alerts', { token: crossed })).status, 403);
    });
  });
});
