import assert from 'node:assert/strict';
import { MSSP_TENANTS } from '../../../src/simulator/seed/msspSeeds';
import type { Json } from './msspWorld';
import { GRAPH_SCOPE, MsspWorld } from './msspWorld';

interface Listing {
  value: Json[];
}

/*
 * The customer's Defender decides what an MSSP analyst may do there: a guest account has its own Defender role, a
 * GDAP partner what its Entra roles give (defender-xdr/compare-rbac-roles.md). A token of one tenant never reads
 * another tenant's data, and the simulator's per-tenant counters prove it.
 */
describe('MSSP world: customer RBAC and tenant isolation', () => {
  let world: MsspWorld;

  before(async () => {
    world = await MsspWorld.start();
  });
  after(async () => {
    await world.close();
  });

  const machineOf = (tenant: 'contoso' | 'fabrikam' | 'provider', dnsPrefix: string) => {
    const machine = world.seeds[tenant].machines.find((m) => m.computerDnsName.startsWith(dnsPrefix));
    assert.ok(machine, `${dnsPrefix} in ${tenant}`);
    return machine.id;
  };
  const isolate = (token: string, machineId: string) =>
    world.request('POST', `/api/machines/${machineId}/isolate`, {
      token,
      json: { Comment: 'MSSP containment', IsolationType: 'Full' },
    });

  describe('B2B guests', () => {
    it("reads the customer's alerts with a guest's read-only role, and cannot isolate", async () => {
      const carla = await world.oboToken(MSSP_TENANTS.contoso, 'carla');
      const alerts = await world.request('GET', '/api/alerts', { token: carla });
      assert.equal(alerts.status, 200);
      const value = (alerts.json as unknown as Listing).value;
      assert.equal(value.length, world.seeds.contoso.alerts.length);
      assert.ok(value.every((a) => a.aadTenantId === MSSP_TENANTS.contoso));

      const refused = await isolate(carla, machineOf('contoso', 'ws-fin-042'));
      assert.equal(refused.status, 403);
      assert.match(JSON.stringify(refused.json), /Active remediation actions/);
    });

    it("lets a guest whose customer role allows response actions isolate the customer's device", async () => {
      const bruno = await world.oboToken(MSSP_TENANTS.contoso, 'bruno');
      const action = await isolate(bruno, machineOf('contoso', 'ws-fin-043'));
      assert.equal(action.status, 201, JSON.stringify(action.json));
      assert.equal(action.json.requestor, 'bruno.lima@woodgrovesecurity.com');
    });
  });

  describe('GDAP', () => {
    it('gives a Security Reader read access but no response action, in MDE and in Graph', async () => {
      const diego = await world.oboToken(MSSP_TENANTS.fabrikam, 'diego');
      const alerts = await world.request('GET', '/api/alerts', { token: diego });
      assert.equal(alerts.status, 200);
      assert.equal((alerts.json as unknown as Listing).value.length, world.seeds.fabrikam.alerts.length);
      const refused = await isolate(diego, machineOf('fabrikam', 'srv-file-01'));
      assert.equal(refused.status, 403);
      assert.match(JSON.stringify(refused.json), /Active remediation actions/);

      const graphToken = await world.oboToken(MSSP_TENANTS.fabrikam, 'diego', GRAPH_SCOPE);
      const incidents = await world.request('GET', '/v1.0/security/incidents', { token: graphToken });
      assert.equal(incidents.status, 200);
      assert.equal((incidents.json as unknown as Listing).value.length, world.seeds.fabrikam.incidents.length);
      const patch = await world.request('PATCH', '/v1.0/security/incidents/3302', {
        token: graphToken,
        json: { status: 'inProgress' },
      });
      assert.equal(patch.status, 403);
    });

    it('gives a Security Operator response actions and incident updates', async () => {
      const bruno = await world.oboToken(MSSP_TENANTS.fabrikam, 'bruno');
      const action = await isolate(bruno, machineOf('fabrikam', 'srv-file-01'));
      assert.equal(action.status, 201, JSON.stringify(action.json));
      const graphToken = await world.oboToken(MSSP_TENANTS.fabrikam, 'ana', GRAPH_SCOPE);
      const patch = await world.request('PATCH', '/v1.0/security/incidents/3302', {
        token: graphToken,
        json: { status: 'inProgress' },
      });
      assert.equal(patch.status, 200, JSON.stringify(patch.json));
    });
  });

  describe('isolation', () => {
    it("never lets a customer's token read the provider's or another customer's data", async () => {
      world.simulator.defender.resetStats();
      world.simulator.graph.resetStats();
      const contoso = await world.oboToken(MSSP_TENANTS.contoso, 'bruno');
      for (const foreign of [machineOf('fabrikam', 'srv-file-01'), machineOf('provider', 'vm-qa-test-01')]) {
        assert.equal((await world.request('GET', `/api/machines/${foreign}`, { token: contoso })).status, 404);
      }
      const foreignAlert = world.seeds.fabrikam.alerts[0]?.id ?? '';
      assert.equal((await world.request('GET', `/api/alerts/${foreignAlert}`, { token: contoso })).status, 404);
      const machines = (await world.request('GET', '/api/machines', { token: contoso })).json as unknown as Listing;
      const contosoIds = new Set(world.seeds.contoso.machines.map((m) => m.id));
      assert.equal(machines.value.length, contosoIds.size);
      assert.ok(machines.value.every((m) => contosoIds.has(String(m.id))));

      const graphToken = await world.oboToken(MSSP_TENANTS.contoso, 'bruno', GRAPH_SCOPE);
      assert.equal((await world.request('GET', '/v1.0/security/incidents/3302', { token: graphToken })).status, 404);
      const incidents = (await world.request('GET', '/v1.0/security/incidents', { token: graphToken }))
        .json as unknown as Listing;
      assert.ok(incidents.value.every((i) => i.tenantId === MSSP_TENANTS.contoso));

      assert.deepEqual(world.simulator.defender.stats().byTenant, { [MSSP_TENANTS.contoso]: 4 });
      assert.deepEqual(world.simulator.graph.stats().byTenant, { [MSSP_TENANTS.contoso]: 2 });
    });

    it('counts calls per tenant in /_sim/stats, app tokens included', async () => {
      await world.request('POST', '/_sim/stats/reset');
      for (const tenant of [MSSP_TENANTS.contoso, MSSP_TENANTS.fabrikam]) {
        const app = await world.appToken(tenant);
        assert.equal(app.status, 200);
        const alerts = await world.request('GET', '/api/alerts', { token: String(app.json.access_token) });
        assert.ok((alerts.json as unknown as Listing).value.every((a) => a.aadTenantId === tenant));
      }
      const stats = (await world.request('GET', '/_sim/stats')).json as { byTenant: Json; graph: { byTenant: Json } };
      assert.deepEqual(stats.byTenant, { [MSSP_TENANTS.contoso]: 1, [MSSP_TENANTS.fabrikam]: 1 });
      assert.deepEqual(stats.graph.byTenant, {});
    });
  });
});
