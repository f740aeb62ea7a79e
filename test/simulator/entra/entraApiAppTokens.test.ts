import assert from 'node:assert/strict';
import { servicePrincipalId } from '../../../src/simulator/entra/entraDirectory';
import { seedSchema } from '../../../src/simulator/seed/seedSchema';
import {
  ANALYST,
  API_TENANT_A,
  API_TENANT_B,
  API_TENANT_C,
  apiTestSeeds,
  FABRIKAM_NOTIFIER,
  LEGACY_API,
  NO_ROLE_APP,
  NORTHWIND_APP,
  NOTIFIER,
  NOTIFY_ROLE,
  SOC_BOT,
} from './entraApiTestSeeds';
import { assertEntraError, EntraTestClient, msalClientFor } from './entraTestClient';
import type { Json } from './entraTestClient';
import { startEntraTestServer } from './entraTestServer';
import type { EntraTestServer } from './entraTestServer';

const BOT_API = `api://botid-${SOC_BOT.clientId}`;

describe("Entra emulator: app tokens for another registered app's API", () => {
  let server: EntraTestServer;
  let client: EntraTestClient;

  before(async () => {
    server = await startEntraTestServer(apiTestSeeds());
    client = new EntraTestClient(server);
  });
  after(async () => {
    client.close();
    await server.close();
  });

  function appToken(
    app: { clientId: string; clientSecret: string },
    scope: string,
    tenant = API_TENANT_A,
  ): Promise<{ status: number; body: Json }> {
    return client.postToken(
      { client_id: app.clientId, client_secret: app.clientSecret, grant_type: 'client_credentials', scope },
      tenant,
    );
  }

  it('issues a v2 app token for api://botid-<id>/.default carrying the app roles assigned on that API', async () => {
    const { status, body } = await appToken(NOTIFIER, `${BOT_API}/.default`);
    assert.equal(status, 200);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 3599);
    assert.equal(body.scope, `${BOT_API}/.default`);
    assert.equal(body.refresh_token, undefined);
    const claims = await client.verify(String(body.access_token));
    // v2 tokens name the resource app by its client id, whichever identifier was asked for.
    assert.equal(claims.aud, SOC_BOT.clientId);
    assert.equal(claims.iss, `${server.url}/${API_TENANT_A}/v2.0`);
    assert.equal(claims.ver, '2.0');
    assert.equal(claims.tid, API_TENANT_A);
    assert.equal(claims.azp, NOTIFIER.clientId);
    assert.equal(claims.azpacr, '1');
    assert.equal(claims.appid, undefined, 'v2 tokens name the caller in azp only');
    assert.equal(claims.idtyp, 'app');
    assert.equal(claims.scp, undefined);
    assert.deepEqual(
      claims.roles,
      [NOTIFY_ROLE, 'SOC.Other'],
      'only the roles assigned on the bot, not on the legacy API',
    );
    assert.equal(claims.oid, servicePrincipalId(API_TENANT_A, NOTIFIER.clientId));
    assert.equal(claims.sub, claims.oid);
  });

  it('accepts the bare client id as the resource, and gives msal-node a token it caches', async () => {
    const { status, body } = await appToken(NOTIFIER, `${SOC_BOT.clientId}/.default`);
    assert.equal(status, 200);
    assert.equal((await client.verify(String(body.access_token))).aud, SOC_BOT.clientId);

    const msal = msalClientFor(server, client.http, { tenant: API_TENANT_A, ...NOTIFIER });
    server.emulator.resetStats();
    const first = await msal.acquireTokenByClientCredential({ scopes: [`${BOT_API}/.default`] });
    const again = await msal.acquireTokenByClientCredential({ scopes: [`${BOT_API}/.default`] });
    assert.ok(first?.accessToken);
    assert.deepEqual((await client.verify(first.accessToken)).roles, [NOTIFY_ROLE, 'SOC.Other']);
    assert.equal(again?.accessToken, first.accessToken);
    assert.equal(server.emulator.stats().tokenRequests, 1, 'the repeat is served from msal-node’s cache');
  });

  it('issues the token without a roles claim to an app with no role on that API (the API must check)', async () => {
    const { status, body } = await appToken(NO_ROLE_APP, `${BOT_API}/.default`);
    assert.equal(status, 200);
    const claims = await client.verify(String(body.access_token));
    assert.equal(claims.aud, SOC_BOT.clientId);
    assert.equal(claims.azp, NO_ROLE_APP.clientId);
    assert.equal('roles' in claims, false);
  });

  it('issues a v1 token (sts.windows.net issuer, appid, aud as requested) for an API that accepts v1', async () => {
    const legacyApi = `api://botid-${LEGACY_API.clientId}`;
    const { status, body } = await appToken(NOTIFIER, `${legacyApi}/.default`);
    assert.equal(status, 200);
    const claims = await client.verify(String(body.access_token));
    assert.equal(claims.aud, legacyApi);
    assert.equal(claims.iss, `https://sts.windows.net/${API_TENANT_A}/`);
    assert.equal(claims.ver, '1.0');
    assert.equal(claims.appid, NOTIFIER.clientId);
    assert.equal(claims.azp, undefined);
    assert.equal(claims.idtyp, 'app');
    assert.deepEqual(claims.roles, [NOTIFY_ROLE]);

    // The legacy v1 endpoint names the resource instead of a scope; the token format follows the API, not the endpoint.
    const v1 = await client.http.request({
      method: 'POST',
      url: `${server.url}/${API_TENANT_A}/oauth2/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: NOTIFIER.clientId,
        client_secret: NOTIFIER.clientSecret,
        grant_type: 'client_credentials',
        resource: BOT_API,
      }).toString(),
    });
    assert.equal(v1.status, 200);
    const v1Body = JSON.parse(v1.body) as Json;
    assert.equal(v1Body.resource, BOT_API);
    assert.equal((await client.verify(String(v1Body.access_token))).ver, '2.0');
  });

  it('issues in each tenant where the API has a service principal, with that tenant in tid and iss', async () => {
    const { status, body } = await appToken(FABRIKAM_NOTIFIER, `${BOT_API}/.default`, API_TENANT_B);
    assert.equal(status, 200);
    const claims = await client.verify(String(body.access_token));
    assert.equal(claims.tid, API_TENANT_B);
    assert.equal(claims.iss, `${server.url}/${API_TENANT_B}/v2.0`);
    assert.deepEqual(claims.roles, [NOTIFY_ROLE]);
  });

  it('refuses an API that is not registered, or not in the tenant, with 400 invalid_resource (500011)', async () => {
    const unknown = await appToken(NOTIFIER, 'api://botid-0badc0de-1111-4000-8000-000000000000/.default');
    assert.equal(unknown.status, 400);
    assertEntraError(unknown.body, 'invalid_resource', 500011);
    assert.match(
      String(unknown.body.error_description),
      /api:\/\/botid-0badc0de-.* was not found in the tenant named Contoso/,
    );

    // The bot is registered (in Contoso and Fabrikam) but has no service principal in Northwind.
    const elsewhere = await appToken(NORTHWIND_APP, `${BOT_API}/.default`, API_TENANT_C);
    assert.equal(elsewhere.status, 400);
    assertEntraError(elsewhere.body, 'invalid_resource', 500011);
    assert.match(String(elsewhere.body.error_description), /tenant named Northwind/);
  });

  it('refuses named scopes on another API for client credentials (1002012), and OBO for it (70011)', async () => {
    const named = await appToken(NOTIFIER, `${BOT_API}/${NOTIFY_ROLE}`);
    assert.equal(named.status, 400);
    assertEntraError(named.body, 'invalid_scope', 1002012);

    const assertion = server.emulator.mintUserAssertion({ ...ANALYST, audience: SOC_BOT.clientId }).token;
    const obo = await client.postToken(
      {
        client_id: SOC_BOT.clientId,
        client_secret: SOC_BOT.clientSecret,
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        requested_token_use: 'on_behalf_of',
        assertion,
        scope: `api://botid-${NOTIFIER.clientId}/.default`,
      },
      API_TENANT_A,
    );
    assert.equal(obo.status, 400);
    assertEntraError(obo.body, 'invalid_scope', 70011);
  });

  it('validates apiAppRoles in seeds: a GUID resource and at least one role, named by path', () => {
    const seed = (apiAppRoles: unknown) => ({
      tenant: { id: API_TENANT_A, name: 'Contoso' },
      users: [],
      clients: [{ ...NOTIFIER, apiAppRoles }],
      machines: [],
      alerts: [],
    });
    assert.equal(seedSchema.safeParse(seed([{ resource: SOC_BOT.clientId, roles: [NOTIFY_ROLE] }])).success, true);
    const badResource = seedSchema.safeParse(seed([{ resource: 'the-bot', roles: [NOTIFY_ROLE] }]));
    assert.equal(badResource.success, false);
    assert.deepEqual(badResource.error?.issues[0]?.path, ['clients', 0, 'apiAppRoles', 0, 'resource']);
    const noRoles = seedSchema.safeParse(seed([{ resource: SOC_BOT.clientId, roles: [] }]));
    assert.deepEqual(noRoles.error?.issues[0]?.path, ['clients', 0, 'apiAppRoles', 0, 'roles']);
    const version = seedSchema.safeParse({
      ...seed(undefined),
      clients: [{ ...SOC_BOT, requestedAccessTokenVersion: 3 }],
    });
    assert.deepEqual(version.error?.issues[0]?.path, ['clients', 0, 'requestedAccessTokenVersion']);
  });
});
