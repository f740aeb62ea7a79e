import assert from 'node:assert/strict';
import { assertEntraError, EntraTestClient, pkcePair, redirectedError } from './entraTestClient';
import { ALICE, BOT, CAROL, TENANT_A, TENANT_C, testSeeds } from './entraTestSeeds';
import { startEntraTestServer } from './entraTestServer';
import type { EntraTestServer } from './entraTestServer';

const MDE = 'https://api.securitycenter.microsoft.com';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** A multi-tenant app registered (and so consented) in tenant A only, as a freshly published bot is. */
const NEW_BOT = {
  clientId: 'b0700000-0000-4000-8000-0000000000ff',
  clientSecret: 'new-bot-secret-0123456789',
  displayName: 'New SOC Bot',
  delegatedPermissions: ['Alert.ReadWrite'],
  applicationPermissions: ['Alert.Read.All'],
  homeTenantId: TENANT_A,
  multiTenant: true,
};

describe('Entra emulator: admin consent, revocation and unconsented tenants', () => {
  let server: EntraTestServer;
  let client: EntraTestClient;

  // A fresh emulator per test: these tests change consent state.
  beforeEach(async () => {
    server = await startEntraTestServer(testSeeds());
    client = new EntraTestClient(server);
  });
  afterEach(async () => {
    client.close();
    await server.close();
  });

  function appToken(app: { clientId: string; clientSecret: string }, tenant: string) {
    return client.postToken(
      {
        client_id: app.clientId,
        client_secret: app.clientSecret,
        grant_type: 'client_credentials',
        scope: `${MDE}/.default`,
      },
      tenant,
    );
  }

  function obo(app: { clientId: string; clientSecret: string }, who: { tenantId: string; aadObjectId: string }) {
    const assertion = server.emulator.mintUserAssertion({ ...who, audience: app.clientId }).token;
    return client.postToken(
      {
        client_id: app.clientId,
        client_secret: app.clientSecret,
        grant_type: JWT_BEARER,
        requested_token_use: 'on_behalf_of',
        assertion,
        scope: `${MDE}/.default`,
      },
      who.tenantId,
    );
  }

  function authorize(app: { clientId: string }, tenant: string, upn: string) {
    return client.authorize(tenant, {
      client_id: app.clientId,
      response_type: 'code',
      redirect_uri: 'http://localhost:3978/auth/end',
      scope: `api://botid-${app.clientId}/access_as_user`,
      state: 's',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
      login_hint: upn,
    });
  }

  it('redirects admin consent to a loopback http redirect_uri with tenant, admin_consent and the state', async () => {
    const redirect = encodeURIComponent('http://127.0.0.1:3978/admin/consented?keep=1');
    const state = encodeURIComponent('opaque state/with+chars');
    const { status, location } = await client.get(
      `/${TENANT_C}/adminconsent?client_id=${BOT.clientId}&redirect_uri=${redirect}&state=${state}`,
    );
    assert.equal(status, 302);
    assert.ok(location);
    assert.equal(`${location.origin}${location.pathname}`, 'http://127.0.0.1:3978/admin/consented');
    assert.equal(location.searchParams.get('keep'), '1');
    assert.equal(location.searchParams.get('tenant'), TENANT_C);
    assert.equal(location.searchParams.get('admin_consent'), 'True');
    assert.equal(location.searchParams.get('state'), 'opaque state/with+chars');
    assert.deepEqual(
      (await client.verify(String((await appToken(BOT, TENANT_C)).body.access_token))).roles,
      BOT.applicationPermissions,
    );
  });

  it('never redirects admin consent off this machine', async () => {
    const { status, location, body } = await client.get(
      `/${TENANT_C}/adminconsent?client_id=${BOT.clientId}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}&state=s`,
    );
    assert.equal(status, 200);
    assert.equal(location, undefined);
    assert.equal(body?.admin_consent, 'True');
  });

  it('revokes consent: OBO answers 65001, app tokens lose their roles, authorize asks for consent', async () => {
    server.emulator.revokeAdminConsent(TENANT_A, BOT.clientId);

    const refused = await obo(BOT, ALICE);
    assert.equal(refused.status, 400);
    assertEntraError(refused.body, 'invalid_grant', 65001);
    assert.equal(refused.body.suberror, 'consent_required');
    const app = await appToken(BOT, TENANT_A);
    assert.equal(app.status, 200, 'the home tenant still knows the app');
    assert.equal((await client.verify(String(app.body.access_token))).roles, undefined);
    assert.equal(redirectedError((await authorize(BOT, TENANT_A, ALICE.upn)).location).error, 'consent_required');

    server.emulator.grantAdminConsent(TENANT_A, BOT.clientId);
    assert.equal((await obo(BOT, ALICE)).status, 200);
  });

  it('knows a multi-tenant app in an unconsented tenant but grants it nothing there until consent', async () => {
    server.emulator.registerClient(NEW_BOT);
    assert.equal((await obo(NEW_BOT, ALICE)).status, 200, 'home tenant: consented at registration');

    const app = await appToken(NEW_BOT, TENANT_C);
    assert.equal(app.status, 401, 'no service principal in a tenant that never consented');
    assertEntraError(app.body, 'invalid_client', 7000229);
    assertEntraError((await obo(NEW_BOT, CAROL)).body, 'invalid_grant', 65001);
    assert.equal(redirectedError((await authorize(NEW_BOT, TENANT_C, CAROL.upn)).location).error, 'consent_required');

    const consent = await client.get(`/${TENANT_C}/adminconsent?client_id=${NEW_BOT.clientId}`);
    assert.equal(consent.status, 200);
    assert.equal((await obo(NEW_BOT, CAROL)).status, 200);
    assert.ok((await authorize(NEW_BOT, TENANT_C, CAROL.upn)).location?.searchParams.get('code'));
  });

  it('does not know a single-tenant app outside its home tenant (700016)', async () => {
    server.emulator.registerClient({ ...NEW_BOT, multiTenant: false });
    assertEntraError((await appToken(NEW_BOT, TENANT_C)).body, 'unauthorized_client', 700016);
    assert.equal(
      redirectedError((await authorize(NEW_BOT, TENANT_C, CAROL.upn)).location).error,
      'unauthorized_client',
    );
  });
});
