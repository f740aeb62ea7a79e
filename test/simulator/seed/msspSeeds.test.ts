import assert from 'node:assert/strict';
import { loadMsspSeeds, msspSeedList, MSSP_PEOPLE, MSSP_TENANTS } from '../../../src/simulator/seed/msspSeeds';
import { parseSeed, SeedError } from '../../../src/simulator/seed/loadSeed';

/** The MSSP seeds as src/simulator/seed/mssp/README.md describes them. */
describe('MSSP seeds', () => {
  const seeds = loadMsspSeeds();
  const list = msspSeedList(seeds);

  it('loads four small tenants with distinct ids, names and domains', () => {
    assert.deepEqual(
      list.map((s) => s.tenant.id),
      [MSSP_TENANTS.provider, MSSP_TENANTS.contoso, MSSP_TENANTS.fabrikam, MSSP_TENANTS.tailspin],
    );
    assert.equal(new Set(list.map((s) => s.tenant.name)).size, 4);
    const domains = list.flatMap((s) => s.tenant.domains ?? []);
    assert.equal(new Set(domains).size, domains.length);
    assert.ok(list.every((s) => (s.tenant.domains ?? []).some((d) => d.endsWith('.onmicrosoft.com'))));
    for (const seed of list) {
      assert.ok(seed.machines.length <= 15, `${seed.tenant.name}: ${seed.machines.length} devices`);
      assert.ok(seed.alerts.length <= 30 && seed.alertsV2.length <= 30, `${seed.tenant.name}: alerts`);
      assert.ok(seed.alerts.every((a) => a.aadTenantId === seed.tenant.id));
    }
    assert.equal(seeds.tailspin.tenant.adminConsent, false);
  });

  it('gives each customer its own devices and alerts', () => {
    const [, ...customers] = list;
    const machineIds = customers.flatMap((s) => s.machines.map((m) => m.id));
    const alertIds = customers.flatMap((s) => s.alerts.map((a) => a.id));
    assert.equal(new Set(machineIds).size, machineIds.length);
    assert.equal(new Set(alertIds).size, alertIds.length);
    assert.ok(seeds.fabrikam.alerts.some((a) => /ransomware/i.test(`${a.title} ${a.category}`)));
  });

  it('has guests for Ana, Bruno and Carla in Contoso, for Ana and Bruno in Tailspin, never for Diego', () => {
    const guestsOf = (tenant: 'contoso' | 'fabrikam' | 'tailspin') =>
      seeds[tenant].users.flatMap((u) => (u.guestOf ? [u.guestOf.objectId] : []));
    assert.deepEqual(guestsOf('contoso'), [MSSP_PEOPLE.ana, MSSP_PEOPLE.bruno, MSSP_PEOPLE.carla]);
    assert.deepEqual(guestsOf('tailspin'), [MSSP_PEOPLE.ana, MSSP_PEOPLE.bruno]);
    assert.deepEqual(guestsOf('fabrikam'), []);
    const carla = seeds.contoso.users.find((u) => u.guestOf?.objectId === MSSP_PEOPLE.carla);
    assert.deepEqual(carla?.defenderPermissions, ['ViewData']);
    assert.ok(list.every((s) => s.users.every((u) => !u.guestOf || u.guestOf.tenantId === MSSP_TENANTS.provider)));
  });

  it('grants the provider GDAP in Fabrikam: Security Operator for Ana, Bruno and Felipe, Security Reader for Diego', () => {
    assert.deepEqual(seeds.fabrikam.delegatedAdmin, [
      {
        partnerTenantId: MSSP_TENANTS.provider,
        principals: [MSSP_PEOPLE.ana, MSSP_PEOPLE.bruno, MSSP_PEOPLE.felipe],
        roles: ['Security Operator'],
      },
      { partnerTenantId: MSSP_TENANTS.provider, principals: [MSSP_PEOPLE.diego], roles: ['Security Reader'] },
    ]);
    assert.deepEqual(seeds.contoso.delegatedAdmin, []);
  });

  it('refuses a guest of its own tenant and a GDAP partner that is the tenant itself', () => {
    const base = structuredClone(seeds.provider);
    const ownGuest = structuredClone(base);
    const first = ownGuest.users[0];
    assert.ok(first);
    first.guestOf = { tenantId: base.tenant.id, objectId: MSSP_PEOPLE.ana };
    assert.throws(() => parseSeed(ownGuest, 'own-guest.json'), SeedError);
    const selfPartner = {
      ...structuredClone(base),
      delegatedAdmin: [{ partnerTenantId: base.tenant.id, principals: [MSSP_PEOPLE.ana], roles: ['Security Reader'] }],
    };
    assert.throws(() => parseSeed(selfPartner, 'self-partner.json'), SeedError);
    assert.throws(
      () => parseSeed({ ...structuredClone(base), tenant: { ...base.tenant, domains: ['not a domain'] } }, 'bad.json'),
      SeedError,
    );
  });
});
