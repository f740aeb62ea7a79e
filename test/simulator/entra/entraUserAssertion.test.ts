import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { EntraTestClient, assertEntraError, msalClientFor } from './entraTestClient';
import type { Json } from './entraTestClient';
import { ALICE, BOT, MALLORY_MFA, TENANT_A, testSeeds } from './entraTestSeeds';
import { startEntraTestServer } from './entraTestServer';
import type { EntraTestServer } from './entraTestServer';

const MDE_DEFAULT = 'https://api.securitycenter.microsoft.com/.default';
const SSO_AUDIENCE = `api://botid-${BOT.clientId}`;

describe('Entra emulator: Teams SSO assertions for tests', () => {
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

  it('lets msal-node exchange an assertion addressed to api://botid-<clientId> on behalf of the user', async () => {
    const assertion = server.emulator.mintUserAssertion({ ...ALICE, audience: SSO_AUDIENCE }).token;
    assert.equal(decodeJwt(assertion).aud, SSO_AUDIENCE);
    const msal = msalClientFor(server, client.http, { tenant: TENANT_A });
    const result = await msal.acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [MDE_DEFAULT] });
    assert.ok(result);
    const claims = await client.verify(result.accessToken);
    assert.equal(claims.aud, 'https://api.securitycenter.microsoft.com');
    assert.equal(claims.oid, ALICE.aadObjectId);
    assert.equal(claims.appid, BOT.clientId);
  });

  it('mints an already expired assertion, which OBO refuses with 500133', async () => {
    const minted = server.emulator.mintUserAssertion({ ...ALICE, audience: BOT.clientId, expired: true });
    const claims = decodeJwt(minted.token);
    const nowSeconds = Date.now() / 1000;
    assert.ok((claims.exp ?? 0) < nowSeconds - 300, 'expired beyond the usual five minutes of clock skew');
    assert.ok(minted.expiresOn.getTime() < Date.now());
    const { status, body } = await client.postToken(
      {
        client_id: BOT.clientId,
        client_secret: BOT.clientSecret,
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        requested_token_use: 'on_behalf_of',
        assertion: minted.token,
        scope: MDE_DEFAULT,
      },
      TENANT_A,
    );
    assert.equal(status, 400);
    assertEntraError(body, 'invalid_grant', 500133);
  });

  it('mints an assertion with another scp (the bot, not the emulator, must refuse it)', () => {
    const claims = decodeJwt(
      server.emulator.mintUserAssertion({ ...ALICE, audience: BOT.clientId, scope: 'User.Read' }).token,
    );
    assert.equal(claims.scp, 'User.Read');
    assert.equal(
      decodeJwt(server.emulator.mintUserAssertion({ ...ALICE, audience: BOT.clientId }).token).scp,
      'access_as_user',
    );
  });

  it('mints a step-up (MFA) assertion that passes OBO for a user scripted for MFA', async () => {
    const msal = msalClientFor(server, client.http, { tenant: TENANT_A });
    const plain = server.emulator.mintUserAssertion({ ...MALLORY_MFA, audience: BOT.clientId }).token;
    await assert.rejects(msal.acquireTokenOnBehalfOf({ oboAssertion: plain, scopes: [MDE_DEFAULT] }), {
      errorCode: 'interaction_required',
    });
    const stepUp = server.emulator.mintUserAssertion({ ...MALLORY_MFA, audience: BOT.clientId, mfa: true }).token;
    assert.deepEqual(decodeJwt(stepUp).amr, ['pwd', 'mfa']);
    const result = await msal.acquireTokenOnBehalfOf({ oboAssertion: stepUp, scopes: [MDE_DEFAULT] });
    assert.equal((await client.verify(result?.accessToken ?? '')).oid, MALLORY_MFA.aadObjectId);
  });

  it('offers the same options on the control route', async () => {
    const response = await client.http.request({
      method: 'POST',
      url: `${server.url}/_sim/entra/assertions`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...ALICE, upn: undefined, audience: SSO_AUDIENCE, scope: 'Other.Scope', expired: true }),
    });
    assert.equal(response.status, 200);
    const token = String((JSON.parse(response.body) as Json).token);
    const claims = decodeJwt(token);
    assert.equal(claims.scp, 'Other.Scope');
    assert.equal(claims.aud, SSO_AUDIENCE);
    assert.ok((claims.exp ?? 0) < Date.now() / 1000);
  });
});
