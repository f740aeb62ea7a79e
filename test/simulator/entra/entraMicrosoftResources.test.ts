import assert from 'node:assert/strict';
import { assertEntraError, EntraTestClient } from './entraTestClient';
import { ALICE, BOT, DIANA, TENANT_A, TENANT_NO_MDE, testSeeds } from './entraTestSeeds';
import { startEntraTestServer } from './entraTestServer';
import type { EntraTestServer } from './entraTestServer';

const MDE = 'https://api.securitycenter.microsoft.com';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const credentials = { client_id: BOT.clientId, client_secret: BOT.clientSecret };

/** The words of Entra's AADSTS500011 description (defender-api.md §9.2, §14.4), tenant name filled in. */
function resourceNotFoundText(resource: string, tenantName: string): string {
  return (
    `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${tenantName}. ` +
    'This can happen if the application has not been installed by the administrator of the tenant or consented ' +
    'to by any user in the tenant. You might have sent your authentication request to the wrong tenant.'
  );
}

describe('Entra emulator: Microsoft resources and a tenant without Defender for Endpoint', () => {
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

  const appToken = (scope: string, tenant = TENANT_A) =>
    client.postToken({ ...credentials, grant_type: 'client_credentials', scope }, tenant);
  const oboToken = (user: { tenantId: string; aadObjectId: string }, scope: string) =>
    client.postToken(
      {
        ...credentials,
        grant_type: JWT_BEARER,
        requested_token_use: 'on_behalf_of',
        assertion: server.emulator.mintUserAssertion({ ...user, audience: BOT.clientId }).token,
        scope,
      },
      user.tenantId,
    );

  it('mints the audience of each resource as asked: MDE and Microsoft Graph', async () => {
    const cases = [
      MDE,
      'https://securitycenter.onmicrosoft.com/windowsatpservice',
      'https://api.securitycenter.windows.com',
      'fc780465-2017-40d4-a0c5-307022471b92',
      'https://graph.microsoft.com',
      '00000003-0000-0000-c000-000000000000',
    ];
    for (const resource of cases) {
      for (const [flow, answer] of [
        ['client credentials', await appToken(`${resource}/.default`)],
        ['on-behalf-of', await oboToken(ALICE, `${resource}/.default`)],
      ] as const) {
        assert.equal(answer.status, 200, `${flow} ${resource}: ${JSON.stringify(answer.body)}`);
        assert.equal((await client.verify(String(answer.body.access_token))).aud, resource, `${flow} ${resource}`);
      }
    }
  });

  it('answers AADSTS500011 invalid_resource for MDE in a tenant without it, to client credentials and OBO', async () => {
    for (const resource of [MDE, 'https://securitycenter.onmicrosoft.com/windowsatpservice']) {
      const answers = [
        await appToken(`${resource}/.default`, TENANT_NO_MDE),
        await oboToken(DIANA, `${resource}/.default`),
        await oboToken(DIANA, `${resource}/Machine.Isolate`),
      ];
      for (const answer of answers) {
        assert.equal(answer.status, 400);
        assertEntraError(answer.body, 'invalid_resource', 500011);
        assert.ok(String(answer.body.error_description).startsWith(resourceNotFoundText(resource, 'Litware')));
        assert.equal(answer.body.access_token, undefined);
      }
    }
  });

  it('still issues other resources in that tenant, and MDE in the others', async () => {
    assert.equal((await appToken('https://graph.microsoft.com/.default', TENANT_NO_MDE)).status, 200);
    assert.equal((await oboToken(DIANA, 'https://graph.microsoft.com/.default')).status, 200);
    assert.equal((await oboToken(ALICE, `${MDE}/.default`)).status, 200);
  });

  it('issues nothing for the Defender XDR API, which no simulated API accepts: AADSTS500011 in every tenant', async () => {
    for (const resource of ['https://api.security.microsoft.com', '8ee8fdad-f234-4243-8f3b-15c294843740']) {
      const answers = [
        await appToken(`${resource}/.default`),
        await oboToken(ALICE, `${resource}/.default`),
        await oboToken(ALICE, `${resource}/Incident.Read`),
      ];
      for (const answer of answers) {
        assert.equal(answer.status, 400, resource);
        assertEntraError(answer.body, 'invalid_resource', 500011);
        assert.equal(answer.body.access_token, undefined);
      }
    }
  });
});
