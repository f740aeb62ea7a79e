import assert from 'node:assert/strict';
import { CONSENT_STATE_TTL_MS } from '../../src/customers/customerOnboarding';
import { customerKeys, refusalOf } from '../../src/customers/customerRecords';
import { resolveTenantId } from '../../src/customers/tenantDiscovery';
import { DEMO_APPLICATION_PERMISSIONS, DEMO_BOT_ID } from '../../src/demo/demoConstants';
import { BOT_FRAMEWORK_TENANT_ID } from '../../src/simulator/entra/botFrameworkTenant';
import type { CustomerWorld } from './customerWorld';
import {
  ADMIN,
  CUSTOMER_TENANT_ID,
  PROVIDER_TENANT_ID,
  queryOf,
  startCustomerWorld,
  visitConsentLink,
} from './customerWorld';

const T0 = new Date('2026-12-07T01:00:00Z');

describe('customer onboarding with admin consent (real Entra emulator, Defender and Graph simulators)', function () {
  this.timeout(30_000);
  let world: CustomerWorld;
  let clock: Date;

  beforeEach(async () => {
    clock = T0;
    world = await startCustomerWorld({ now: () => clock });
  });
  afterEach(() => world.close());

  function start(name = 'Fabrikam', tenant = CUSTOMER_TENANT_ID) {
    return world.onboarding.start({ name, tenant, requestedBy: ADMIN, now: clock });
  }

  it('connects a customer: consent link, redirect, app token with roles, health, active', async () => {
    const started = await start();
    assert.equal(started.customer.status, 'pendingConsent');
    const link = new URL(started.consentUrl);
    assert.equal(`${link.origin}${link.pathname}`, `${world.simulator.url}/${CUSTOMER_TENANT_ID}/adminconsent`);
    assert.equal(link.searchParams.get('client_id'), DEMO_BOT_ID);
    assert.equal(link.searchParams.get('redirect_uri'), 'http://127.0.0.1:3978/auth/consent');
    const state = link.searchParams.get('state') ?? '';
    assert.ok(Buffer.from(state, 'base64url').length >= 32, 'the state carries at least 32 random bytes');

    const redirect = await visitConsentLink(world, started.consentUrl);
    assert.equal(redirect.pathname, '/auth/consent');
    const outcome = await world.onboarding.complete(queryOf(redirect));

    assert.equal(outcome.kind, 'connected');
    const customer = await world.registry.activeCustomer(CUSTOMER_TENANT_ID);
    assert.ok(customer);
    assert.equal(customer.name, 'Fabrikam');
    assert.equal(customer.consentedAt, T0.toISOString());
    assert.deepEqual(customer.permissions, DEMO_APPLICATION_PERMISSIONS);
    assert.deepEqual(customer.health, { checkedAt: T0.toISOString(), token: 'ok', defender: 'ok', graph: 'ok' });
    assert.deepEqual(
      world.audit.entries.map((e) => [e.type, e.tenantId]),
      [
        ['customer.onboardingStarted', CUSTOMER_TENANT_ID],
        ['customer.onboarded', CUSTOMER_TENANT_ID],
      ],
    );
    assert.ok(!JSON.stringify(world.audit.entries).includes(state), 'the state is never audited');
  });

  it('stores the state only as a hash', async () => {
    const started = await start();
    const state = new URL(started.consentUrl).searchParams.get('state') ?? '';
    const stored = await world.storage.read([customerKeys.consent(state)]);
    assert.equal(Object.keys(stored).length, 1);
    assert.ok(!JSON.stringify(stored).includes(state));
  });

  it('refuses a replayed redirect: the state is taken once', async () => {
    const redirect = await visitConsentLink(world, (await start()).consentUrl);
    assert.equal((await world.onboarding.complete(queryOf(redirect))).kind, 'connected');
    const replay = await world.onboarding.complete(queryOf(redirect));
    assert.deepEqual(replay, { kind: 'rejected', reason: 'unknownState' });
    assert.equal(world.audit.ofType('customer.consentRefused').length, 1);
  });

  it('lets exactly one of two concurrent redirects with the same state through', async () => {
    const redirect = await visitConsentLink(world, (await start()).consentUrl);
    const outcomes = await Promise.all([
      world.onboarding.complete(queryOf(redirect)),
      world.onboarding.complete(queryOf(redirect)),
    ]);
    assert.deepEqual(outcomes.map((o) => o.kind).sort(), ['connected', 'rejected']);
  });

  it('refuses a forged state and a missing state, recording nothing but the audit', async () => {
    await start();
    const forged = await world.onboarding.complete({
      tenant: CUSTOMER_TENANT_ID,
      admin_consent: 'True',
      state: 'Zm9yZ2VkLXN0YXRlLXRoYXQtd2FzLW5ldmVyLWlzc3VlZC1ieS10aGUtYm90',
    });
    assert.deepEqual(forged, { kind: 'rejected', reason: 'unknownState' });
    const missing = await world.onboarding.complete({ tenant: CUSTOMER_TENANT_ID, admin_consent: 'True' });
    assert.deepEqual(missing, { kind: 'rejected', reason: 'missingState' });
    assert.equal((await world.registry.get(CUSTOMER_TENANT_ID))?.status, 'pendingConsent');
    assert.deepEqual(
      world.audit.ofType('customer.consentRefused').map((e) => (e.detail as Record<string, unknown>).reason),
      ['unknownState', 'missingState'],
    );
  });

  it('refuses an expired state (one hour)', async () => {
    const redirect = await visitConsentLink(world, (await start()).consentUrl);
    clock = new Date(T0.getTime() + CONSENT_STATE_TTL_MS + 1);
    assert.deepEqual(await world.onboarding.complete(queryOf(redirect)), { kind: 'rejected', reason: 'unknownState' });
    assert.equal(await world.registry.activeCustomer(CUSTOMER_TENANT_ID), undefined);
  });

  it('refuses a redirect from another tenant than the one the state was issued for', async () => {
    const redirect = await visitConsentLink(world, (await start()).consentUrl);
    const query = { ...queryOf(redirect), tenant: PROVIDER_TENANT_ID };
    assert.deepEqual(await world.onboarding.complete(query), { kind: 'rejected', reason: 'tenantMismatch' });
    assert.equal(await world.registry.activeCustomer(CUSTOMER_TENANT_ID), undefined);
    assert.equal(world.audit.ofType('customer.onboarded').length, 0);
  });

  it("records Entra's error (access_denied) as consentFailed, never its description", async () => {
    const state = new URL((await start()).consentUrl).searchParams.get('state') ?? '';
    const outcome = await world.onboarding.complete({
      tenant: CUSTOMER_TENANT_ID,
      state,
      error: 'access_denied',
      error_description: 'AADSTS65004: User declined to consent <script>alert(1)</script>',
    });
    assert.equal(outcome.kind, 'failed');
    const customer = await world.registry.get(CUSTOMER_TENANT_ID);
    assert.equal(customer?.status, 'consentFailed');
    assert.equal(customer?.failure, 'access_denied');
    assert.ok(!JSON.stringify(world.audit.entries).includes('AADSTS65004'));
  });

  it('does not count a redirect as consent when the app still has no roles there', async () => {
    const state = new URL((await start()).consentUrl).searchParams.get('state') ?? '';
    // A forged "admin_consent=True" with a real state: the emulator never granted consent in this tenant.
    const outcome = await world.onboarding.complete({ tenant: CUSTOMER_TENANT_ID, state, admin_consent: 'True' });
    assert.equal(outcome.kind, 'failed');
    // Entra has no service principal of the app there (AADSTS7000229): the consent is not proven.
    assert.equal((await world.registry.get(CUSTOMER_TENANT_ID))?.failure, 'consentRequired');
  });

  it('voids a consent link made before the customer was offboarded: the customer stays offboarded', async () => {
    const state = new URL((await start()).consentUrl).searchParams.get('state') ?? '';
    await world.registry.offboard(CUSTOMER_TENANT_ID, ADMIN, new Date());
    const outcome = await world.onboarding.complete({ tenant: CUSTOMER_TENANT_ID, state, admin_consent: 'True' });
    assert.equal(outcome.kind, 'rejected');
    assert.equal((await world.registry.get(CUSTOMER_TENANT_ID))?.status, 'offboarded');
  });

  it("refuses the provider's own tenant, an unknown tenant, and a bad or taken name", async () => {
    const refused = async (name: string, tenant: string) => {
      try {
        await start(name, tenant);
      } catch (err) {
        return refusalOf(err);
      }
      return 'accepted';
    };
    assert.equal(await refused('Contoso', PROVIDER_TENANT_ID), 'providerTenant');
    assert.equal(await refused('Nobody', '0badc0de-0000-4000-8000-000000000000'), 'noSuchTenant');
    assert.equal(await refused('Nobody', 'not a tenant'), 'notATenant');
    assert.equal(await refused('<b>Fab</b>', CUSTOMER_TENANT_ID), 'nameInvalid');
    assert.equal(await refused('x'.repeat(65), CUSTOMER_TENANT_ID), 'nameInvalid');
    assert.equal(await refused('Fabrikam & Co.', CUSTOMER_TENANT_ID), 'accepted');
    assert.equal(await refused('Fabrikam & Co.', CUSTOMER_TENANT_ID), 'accepted', 'the same tenant may ask again');
    await world.registry.offboard(CUSTOMER_TENANT_ID, ADMIN, clock);
    assert.equal(await refused('Fabrikam & Co.', CUSTOMER_TENANT_ID), 'accepted', 'and re-onboard after offboarding');
    world.publicUrl.value = undefined;
    assert.equal(await refused('Other', CUSTOMER_TENANT_ID), 'noPublicUrl');
  });

  it("resolves a domain to the tenant id in its discovery document's issuer", async () => {
    // The emulator's one domain is botframework.com (customer domains arrive with the MSSP seeds).
    assert.equal(await resolveTenantId(world.http, world.simulator.url, 'BotFramework.com'), BOT_FRAMEWORK_TENANT_ID);
    assert.equal(
      await resolveTenantId(world.http, world.simulator.url, CUSTOMER_TENANT_ID.toUpperCase()),
      CUSTOMER_TENANT_ID,
    );
  });

  it('refuses an unknown domain', async () => {
    // The emulator serves discovery by tenant id (and botframework.com); customer domains arrive with k1's seeds.
    try {
      await start('Fabrikam', 'no-such-tenant.example');
      assert.fail('an unknown domain was accepted');
    } catch (err) {
      assert.equal(refusalOf(err), 'noSuchTenant');
    }
  });
});
