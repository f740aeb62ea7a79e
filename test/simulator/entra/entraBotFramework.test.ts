import assert from 'node:assert/strict';
import { BOT_FRAMEWORK_RESOURCE, BOT_FRAMEWORK_TENANT_ID } from '../../../src/simulator/entra/botFrameworkTenant';
import { servicePrincipalId } from '../../../src/simulator/entra/entraDirectory';
import { assertEntraError, EntraTestClient, msalClientFor } from './entraTestClient';
import { BOT, DISABLED_CLIENT, TENANT_A, testSeeds } from './entraTestSeeds';
import { startEntraTestServer } from './entraTestServer';
import type { EntraTestServer } from './entraTestServer';

const BF_SCOPE = `${BOT_FRAMEWORK_RESOURCE}/.default`;
const botCredentials = { client_id: BOT.clientId, client_secret: BOT.clientSecret };

describe('Entra emulator: Bot Framework tokens (the bot’s replies)', () => {
  let server: EntraTestServer;
  let client: EntraTestClient;

  before(async () => {
    server = await startEntraTestServer(testSeeds());
    client = new EntraTestClient(server);
  });
  after(async () => {
    client.close();
    await server.close();
  });
  beforeEach(() => server.emulator.resetStats());

  it('issues a multi-tenant bot a v2 app token from the botframework.com authority', async () => {
    const { status, body } = await client.postToken(
      { ...botCredentials, grant_type: 'client_credentials', scope: BF_SCOPE },
      'botframework.com',
    );
    assert.equal(status, 200);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 3599);
    assert.equal(body.scope, BF_SCOPE);
    assert.equal(body.refresh_token, undefined);
    const claims = await client.verify(String(body.access_token));
    assert.equal(claims.aud, 'https://api.botframework.com');
    assert.equal(claims.iss, `${server.url}/${BOT_FRAMEWORK_TENANT_ID}/v2.0`);
    assert.equal(claims.tid, BOT_FRAMEWORK_TENANT_ID);
    assert.equal(claims.ver, '2.0');
    assert.equal(claims.idtyp, 'app');
    assert.equal(claims.azp, BOT.clientId);
    assert.equal(claims.appid, BOT.clientId);
    assert.equal(claims.roles, undefined);
    assert.equal(claims.scp, undefined);
    assert.equal(claims.oid, servicePrincipalId(BOT_FRAMEWORK_TENANT_ID, BOT.clientId));
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 3599);
    assert.deepEqual(server.emulator.stats(), { tokenRequests: 1, byGrant: { client_credentials: 1 } });
  });

  it('accepts the Bot Framework tenant id as well as its alias', async () => {
    const { status, body } = await client.postToken(
      { ...botCredentials, grant_type: 'client_credentials', scope: BF_SCOPE },
      BOT_FRAMEWORK_TENANT_ID,
    );
    assert.equal(status, 200);
    assert.equal((await client.verify(String(body.access_token))).tid, BOT_FRAMEWORK_TENANT_ID);
  });

  it('issues a single-tenant bot the token from its home tenant', async () => {
    const { status, body } = await client.postToken(
      { ...botCredentials, grant_type: 'client_credentials', scope: BF_SCOPE },
      TENANT_A,
    );
    assert.equal(status, 200);
    const claims = await client.verify(String(body.access_token));
    assert.equal(claims.tid, TENANT_A);
    assert.equal(claims.iss, `${server.url}/${TENANT_A}/v2.0`);
    assert.equal(claims.aud, 'https://api.botframework.com');
  });

  it('works with msal-node 7 against the botframework.com authority (metadata resolves the alias)', async () => {
    const metadata = await client.get('/botframework.com/v2.0/.well-known/openid-configuration');
    assert.equal(metadata.body?.issuer, `${server.url}/${BOT_FRAMEWORK_TENANT_ID}/v2.0`);
    assert.equal(metadata.body?.token_endpoint, `${server.url}/${BOT_FRAMEWORK_TENANT_ID}/oauth2/v2.0/token`);

    const msal = msalClientFor(server, client.http, { tenant: 'botframework.com' });
    const result = await msal.acquireTokenByClientCredential({ scopes: [BF_SCOPE] });
    assert.ok(result);
    const claims = await client.verify(result.accessToken);
    assert.equal(claims.aud, 'https://api.botframework.com');
    assert.equal(claims.tid, BOT_FRAMEWORK_TENANT_ID);
    const cached = await msal.acquireTokenByClientCredential({ scopes: [BF_SCOPE] });
    assert.equal(cached?.fromCache, true, 'the second call is served from msal’s cache');
  });

  it('keeps Defender out of the Bot Framework tenant (500011) and Defender app tokens unchanged elsewhere', async () => {
    const defenderInBf = await client.postToken(
      {
        ...botCredentials,
        grant_type: 'client_credentials',
        scope: 'https://api.securitycenter.microsoft.com/.default',
      },
      'botframework.com',
    );
    assert.equal(defenderInBf.status, 400);
    assertEntraError(defenderInBf.body, 'invalid_resource', 500011);

    const defender = await client.postToken(
      {
        ...botCredentials,
        grant_type: 'client_credentials',
        scope: 'https://api.securitycenter.microsoft.com/.default',
      },
      TENANT_A,
    );
    const claims = await client.verify(String(defender.body.access_token));
    assert.equal(claims.aud, 'https://api.securitycenter.microsoft.com');
    assert.deepEqual(claims.roles, BOT.applicationPermissions);
  });

  it('refuses a named Bot Framework permission, a wrong secret and an unknown app', async () => {
    const named = await client.postToken(
      { ...botCredentials, grant_type: 'client_credentials', scope: `${BOT_FRAMEWORK_RESOURCE}/Send` },
      'botframework.com',
    );
    assertEntraError(named.body, 'invalid_scope', 70011);
    const wrongSecret = await client.postToken(
      { ...botCredentials, client_secret: 'nope', grant_type: 'client_credentials', scope: BF_SCOPE },
      'botframework.com',
    );
    assert.equal(wrongSecret.status, 401);
    assertEntraError(wrongSecret.body, 'invalid_client', 7000215);
    const unknown = await client.postToken(
      {
        client_id: 'eeeeeeee-0000-4000-8000-00000000000e',
        client_secret: 'whatever-0123456789',
        grant_type: 'client_credentials',
        scope: BF_SCOPE,
      },
      'botframework.com',
    );
    assertEntraError(unknown.body, 'unauthorized_client', 700016);
    const disabled = await client.postToken(
      {
        client_id: DISABLED_CLIENT.clientId,
        client_secret: DISABLED_CLIENT.clientSecret,
        grant_type: 'client_credentials',
        scope: BF_SCOPE,
      },
      'botframework.com',
    );
    assertEntraError(disabled.body, 'unauthorized_client', 7000112);
  });
});
