import assert from 'node:assert/strict';
import { DEMO_BOT_ID } from '../../../src/demo/demoConstants';
import { MSSP_TENANTS } from '../../../src/simulator/seed/msspSeeds';
import { assertEntraError, redirectedError } from '../entra/entraTestClient';
import { MsspWorld } from './msspWorld';

const REDIRECT = encodeURIComponent('http://127.0.0.1:3978/auth/consented');

/*
 * Onboarding a customer through Entra: discovery and consent by the customer's domain name, an administrator who
 * declines, a single-tenant app consented from elsewhere, and revocation (offboarding from the customer's side).
 */
describe('MSSP world: discovery by domain and admin consent', () => {
  let world: MsspWorld;

  // A fresh world per test: these tests change consent state.
  beforeEach(async () => {
    world = await MsspWorld.start();
  });
  afterEach(async () => {
    await world.close();
  });

  it("answers OpenID discovery for a seeded domain with the tenant's GUID, and 90002 for an unknown one", async () => {
    const v2 = await world.request('GET', '/tailspintoys.com/v2.0/.well-known/openid-configuration');
    assert.equal(v2.status, 200);
    assert.equal(v2.json.issuer, `${world.simulator.url}/${MSSP_TENANTS.tailspin}/v2.0`);
    assert.equal(v2.json.token_endpoint, `${world.simulator.url}/${MSSP_TENANTS.tailspin}/oauth2/v2.0/token`);
    const v1 = await world.request('GET', '/fabrikam.onmicrosoft.com/.well-known/openid-configuration');
    assert.equal(v1.json.issuer, `https://sts.windows.net/${MSSP_TENANTS.fabrikam}/`);

    const unknown = await world.request('GET', '/northwindtraders.com/v2.0/.well-known/openid-configuration');
    assert.equal(unknown.status, 400);
    assertEntraError(unknown.json, 'invalid_tenant', 90002);
    assert.match(String(unknown.json.error_description), /Tenant 'northwindtraders.com' not found/);
  });

  it('onboards a customer by domain: admin consent redirects with the tenant id and the state, then OBO works', async () => {
    assertEntraError((await world.obo(MSSP_TENANTS.tailspin, world.ssoToken('ana'))).json, 'invalid_grant', 65001);
    assertEntraError((await world.appToken('tailspintoys.com')).json, 'invalid_client', 7000229);

    const consent = await world.request(
      'GET',
      `/tailspintoys.com/adminconsent?client_id=${DEMO_BOT_ID}&redirect_uri=${REDIRECT}&state=onboard-42`,
    );
    assert.equal(consent.status, 302);
    assert.equal(consent.location?.searchParams.get('tenant'), MSSP_TENANTS.tailspin);
    assert.equal(consent.location?.searchParams.get('admin_consent'), 'True');
    assert.equal(consent.location?.searchParams.get('state'), 'onboard-42');

    assert.equal((await world.obo('tailspintoys.com', world.ssoToken('ana'))).status, 200);
    assert.equal((await world.appToken(MSSP_TENANTS.tailspin)).status, 200);
  });

  it('redirects an administrator who declines with access_denied, AADSTS65004 and the state; nothing is granted', async () => {
    const decline = await world.request('POST', '/_sim/entra/consent/decline', {
      json: { tenantId: 'tailspintoys.com' },
    });
    assert.equal(decline.status, 200);
    const consent = await world.request(
      'GET',
      `/${MSSP_TENANTS.tailspin}/adminconsent?client_id=${DEMO_BOT_ID}&redirect_uri=${REDIRECT}&state=s-7`,
    );
    assert.equal(consent.status, 302);
    assert.deepEqual(redirectedError(consent.location), { error: 'access_denied', aadsts: '65004', state: 's-7' });
    assert.match(String(consent.location?.searchParams.get('error_description')), /User declined to consent/);
    assert.equal(consent.location?.searchParams.get('admin_consent'), null);
    assertEntraError((await world.obo(MSSP_TENANTS.tailspin, world.ssoToken('ana'))).json, 'invalid_grant', 65001);

    // The decline is used up: the administrator's next visit consents.
    const again = await world.request('GET', `/${MSSP_TENANTS.tailspin}/adminconsent?client_id=${DEMO_BOT_ID}`);
    assert.equal(again.json.admin_consent, 'True');
  });

  it("refuses a single-tenant app's admin consent from another tenant with an error redirect (700016)", async () => {
    world.registerSingleTenantApp('0b5e7c11-2222-4aaa-8bbb-000000000002');
    const consent = await world.request(
      'GET',
      `/tailspintoys.com/adminconsent?client_id=0b5e7c11-2222-4aaa-8bbb-000000000002&redirect_uri=${REDIRECT}&state=x`,
    );
    assert.deepEqual(redirectedError(consent.location), { error: 'unauthorized_client', aadsts: '700016', state: 'x' });
  });

  it('revokes and grants consent through the control endpoints; unknown tenants are 404', async () => {
    const revoke = await world.request('POST', '/_sim/entra/consent/revoke', {
      json: { tenantId: 'contoso.com', clientId: DEMO_BOT_ID },
    });
    assert.equal(revoke.status, 200);
    assertEntraError((await world.obo(MSSP_TENANTS.contoso, world.ssoToken('bruno'))).json, 'invalid_grant', 65001);
    const app = await world.appToken(MSSP_TENANTS.contoso);
    assert.equal(app.status, 200, 'the service principal stays; its roles go');
    assert.equal((await world.claims(String(app.json.access_token))).roles, undefined);

    const grant = await world.request('POST', '/_sim/entra/consent/grant', {
      json: { tenantId: MSSP_TENANTS.contoso, clientId: DEMO_BOT_ID },
    });
    assert.equal(grant.status, 200);
    assert.equal((await world.obo(MSSP_TENANTS.contoso, world.ssoToken('bruno'))).status, 200);

    const unknown = await world.request('POST', '/_sim/entra/consent/decline', {
      json: { tenantId: 'northwindtraders.com' },
    });
    assert.equal(unknown.status, 404);
    const incomplete = await world.request('POST', '/_sim/entra/consent/revoke', {
      json: { tenantId: MSSP_TENANTS.contoso },
    });
    assert.equal(incomplete.status, 400);
  });
});
