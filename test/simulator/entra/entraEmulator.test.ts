import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { HttpClient } from '../../../src/http/httpClient';
import { createLogger } from '../../../src/logging/logger';
import { servicePrincipalId } from '../../../src/simulator/entra/entraDirectory';
import { createEntraEmulator } from '../../../src/simulator/entra/entraEmulator';
import { TEAMS_DESKTOP_CLIENT_ID } from '../../../src/simulator/entra/tokenMinter';
import {
  ALICE,
  BOB,
  BOT,
  CAROL,
  CONNIE_CONSENT,
  DISABLED_CLIENT,
  MALLORY_MFA,
  TENANT_A,
  TENANT_B,
  TENANT_C,
  testSeeds,
} from './entraTestSeeds';
import { startEntraTestServer } from './entraTestServer';
import type { EntraTestServer } from './entraTestServer';

const MDE = 'https://api.securitycenter.microsoft.com';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HOUR_MS = 60 * 60 * 1000;

type Json = Record<string, unknown>;

describe('Entra emulator', () => {
  let server: EntraTestServer;
  let http: HttpClient;
  let offsetMs = 0;
  const logLines: string[] = [];

  before(async () => {
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
    server = await startEntraTestServer(testSeeds(), { now: () => new Date(Date.now() + offsetMs), logger });
    http = new HttpClient({ extraCaPem: [server.caCertPem] });
  });
  after(async () => {
    http.close();
    await server.close();
  });
  beforeEach(() => {
    offsetMs = 0;
    server.emulator.resetStats();
  });

  async function get(path: string): Promise<{ status: number; body: Json }> {
    const response = await http.request({ method: 'GET', url: `${server.url}${path}` });
    return { status: response.status, body: JSON.parse(response.body) as Json };
  }

  async function postToken(
    form: Record<string, string>,
    options: { tenant?: string; headers?: Record<string, string>; v1?: boolean } = {},
  ): Promise<{ status: number; body: Json; headers: Record<string, string> }> {
    const tenant = options.tenant ?? TENANT_A;
    const response = await http.request({
      method: 'POST',
      url: `${server.url}/${tenant}/oauth2/${options.v1 ? 'token' : 'v2.0/token'}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(options.headers ?? {}) },
      body: new URLSearchParams(form).toString(),
    });
    return { status: response.status, body: JSON.parse(response.body) as Json, headers: response.headers };
  }

  async function verify(token: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, createLocalJWKSet(server.emulator.getKeySet()), {
      algorithms: ['RS256'],
    });
    return payload;
  }

  function assertionFor(user: { tenantId: string; aadObjectId: string }, audience = BOT.clientId): string {
    return server.emulator.mintUserAssertion({ ...user, audience }).token;
  }

  const botCredentials = { client_id: BOT.clientId, client_secret: BOT.clientSecret };

  function obo(assertion: string, scope = `${MDE}/.default`): Record<string, string> {
    return { ...botCredentials, grant_type: JWT_BEARER, requested_token_use: 'on_behalf_of', assertion, scope };
  }

  /** Entra's error body shape (defender-api.md §9.2), asserted field by field. */
  function assertEntraError(body: Json, error: string, aadsts: number): void {
    assert.equal(body.error, error);
    assert.deepEqual(body.error_codes, [aadsts]);
    assert.match(String(body.timestamp), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.match(String(body.trace_id), GUID);
    assert.match(String(body.correlation_id), GUID);
    const description = String(body.error_description);
    assert.ok(description.startsWith(`AADSTS${aadsts}: `), description);
    assert.match(
      description,
      new RegExp(
        `\\r\\nTrace ID: ${String(body.trace_id)}\\r\\nCorrelation ID: ${String(body.correlation_id)}\\r\\nTimestamp: ${String(body.timestamp)}$`,
      ),
    );
    assert.ok(!description.includes('eyJ'), 'no token in the description');
  }

  describe('metadata', () => {
    it('serves a tenant openid-configuration whose issuer is the iss of its v2 assertions', async () => {
      const { status, body } = await get(`/${TENANT_A}/v2.0/.well-known/openid-configuration`);
      assert.equal(status, 200);
      assert.equal(body.issuer, `${server.url}/${TENANT_A}/v2.0`);
      assert.equal(body.token_endpoint, `${server.url}/${TENANT_A}/oauth2/v2.0/token`);
      assert.equal(body.authorization_endpoint, `${server.url}/${TENANT_A}/oauth2/v2.0/authorize`);
      assert.equal(body.jwks_uri, `${server.url}/${TENANT_A}/discovery/v2.0/keys`);
      assert.equal(body.end_session_endpoint, `${server.url}/${TENANT_A}/oauth2/v2.0/logout`);
      assert.ok(Array.isArray(body.response_types_supported));
      const claims = await verify(assertionFor(ALICE));
      assert.equal(claims.iss, body.issuer);
    });

    it("keeps Entra's {tenantid} placeholder in the common issuer and serves the v1 document", async () => {
      const common = await get('/common/v2.0/.well-known/openid-configuration');
      assert.equal(common.body.issuer, `${server.url}/{tenantid}/v2.0`);
      assert.equal(common.body.token_endpoint, `${server.url}/common/oauth2/v2.0/token`);
      const v1 = await get(`/${TENANT_A}/.well-known/openid-configuration`);
      assert.equal(v1.body.issuer, `https://sts.windows.net/${TENANT_A}/`);
      assert.equal(v1.body.token_endpoint, `${server.url}/${TENANT_A}/oauth2/token`);
    });

    it('answers AADSTS90002 for the metadata of an unknown tenant', async () => {
      const { status, body } = await get('/dddddddd-0000-4000-8000-00000000000d/v2.0/.well-known/openid-configuration');
      assert.equal(status, 400);
      assertEntraError(body, 'invalid_tenant', 90002);
    });

    it('answers msal instance discovery with the emulator as its own alias, and refuses other hosts', async () => {
      const host = new URL(server.url).host;
      const authorize = encodeURIComponent(`${server.url}/${TENANT_A}/oauth2/v2.0/authorize`);
      const { status, body } = await get(
        `/common/discovery/instance?api-version=1.1&authorization_endpoint=${authorize}`,
      );
      assert.equal(status, 200);
      assert.equal(body.tenant_discovery_endpoint, `${server.url}/${TENANT_A}/v2.0/.well-known/openid-configuration`);
      assert.equal(body['api-version'], '1.1');
      assert.deepEqual(body.metadata, [{ preferred_network: host, preferred_cache: host, aliases: [host] }]);

      const foreign = encodeURIComponent('https://login.microsoftonline.com/common/oauth2/v2.0/authorize');
      const refused = await get(`/common/discovery/instance?api-version=1.1&authorization_endpoint=${foreign}`);
      assert.equal(refused.status, 400);
      assertEntraError(refused.body, 'invalid_instance', 50049);
    });

    it('publishes one RS256 key, the one that signs its tokens, at the tenant and common JWKS URLs', async () => {
      const tenantKeys = await get(`/${TENANT_A}/discovery/v2.0/keys`);
      const commonKeys = await get('/common/discovery/v2.0/keys');
      assert.deepEqual(tenantKeys.body, commonKeys.body);
      const keys = tenantKeys.body.keys as Json[];
      assert.equal(keys.length, 1);
      assert.equal(keys[0]?.kty, 'RSA');
      assert.equal(keys[0]?.use, 'sig');
      assert.equal(keys[0]?.d, undefined, 'no private part');
      assert.equal(decodeProtectedHeader(assertionFor(ALICE)).kid, keys[0]?.kid);
    });

    it('declines paths that are not Entra routes so the Defender simulator can answer them', async () => {
      const emulator = createEntraEmulator({ seeds: testSeeds(), issuerBaseUrl: 'https://127.0.0.1:1' });
      const { req, res } = fakeExchange('127.0.0.1', 'GET');
      assert.equal(await emulator.handle(req, res, new URL('https://127.0.0.1:1/api/alerts'), ''), false);
      assert.equal(await emulator.handle(req, res, new URL(`https://127.0.0.1:1/${TENANT_A}/unknown`), ''), false);
    });
  });

  describe('user assertions (Teams SSO shape)', () => {
    it("carries the seed user's identity and app roles, for the bot's audience", async () => {
      const minted = server.emulator.mintUserAssertion({ ...ALICE, audience: BOT.clientId, lifetimeSeconds: 1800 });
      const claims = await verify(minted.token);
      assert.equal(claims.aud, BOT.clientId);
      assert.equal(claims.iss, `${server.url}/${TENANT_A}/v2.0`);
      assert.equal(claims.ver, '2.0');
      assert.equal(claims.scp, 'access_as_user');
      assert.equal(claims.azp, TEAMS_DESKTOP_CLIENT_ID);
      assert.equal(claims.tid, TENANT_A);
      assert.equal(claims.oid, ALICE.aadObjectId);
      assert.equal(claims.preferred_username, ALICE.upn);
      assert.equal(claims.name, 'Alice Analyst');
      assert.deepEqual(claims.roles, ['SOC.Analyst', 'SOC.Approver']);
      assert.equal(typeof claims.sub, 'string');
      assert.equal(typeof claims.uti, 'string');
      assert.equal(claims.nbf, claims.iat);
      assert.equal(claims.exp, (claims.iat ?? 0) + 1800);
      assert.equal(minted.expiresOn.getTime(), (claims.exp ?? 0) * 1000);
    });

    it('mints through the loopback control route, and answers 404 for an unknown user or tenant', async () => {
      const mint = (body: Json) =>
        http.request({
          method: 'POST',
          url: `${server.url}/_sim/entra/assertions`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const ok = await mint({ tenantId: BOB.tenantId, aadObjectId: BOB.aadObjectId, audience: BOT.clientId });
      assert.equal(ok.status, 200);
      const minted = JSON.parse(ok.body) as { token: string; expiresOn: string };
      assert.equal((await verify(minted.token)).oid, BOB.aadObjectId);
      assert.ok(Date.parse(minted.expiresOn) > Date.now());

      const noUser = await mint({ tenantId: TENANT_A, aadObjectId: BOB.aadObjectId, audience: BOT.clientId });
      assert.equal(noUser.status, 404);
      assert.equal((JSON.parse(noUser.body) as Json).error, 'user_not_found');
      const noTenant = await mint({
        tenantId: 'dddddddd-0000-4000-8000-00000000000d',
        aadObjectId: BOB.aadObjectId,
        audience: BOT.clientId,
      });
      assert.equal(noTenant.status, 404);
      assert.equal((JSON.parse(noTenant.body) as Json).error, 'tenant_not_found');
      const bad = await mint({ tenantId: TENANT_A });
      assert.equal(bad.status, 400);
    });

    it('refuses control requests from another machine with 403', async () => {
      const { req, res } = fakeExchange('10.1.2.3', 'POST');
      const handled = await server.emulator.handle(req, res, new URL(`${server.url}/_sim/entra/stats/reset`), '');
      assert.equal(handled, true);
      assert.equal(res.statusCode, 403);
    });
  });

  describe('client credentials', () => {
    it('issues a v1 app token with the granted roles, idtyp app and the service principal as oid', async () => {
      const { status, body, headers } = await postToken({
        ...botCredentials,
        grant_type: 'client_credentials',
        scope: `${MDE}/.default`,
      });
      assert.equal(status, 200);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3599);
      assert.equal(body.refresh_token, undefined);
      assert.equal(headers['cache-control'], 'no-store, no-cache');
      const claims = await verify(String(body.access_token));
      assert.equal(claims.aud, MDE);
      assert.equal(claims.iss, `https://sts.windows.net/${TENANT_A}/`);
      assert.equal(claims.tid, TENANT_A);
      assert.equal(claims.ver, '1.0');
      assert.equal(claims.appid, BOT.clientId);
      assert.equal(claims.idtyp, 'app');
      assert.deepEqual(claims.roles, BOT.applicationPermissions);
      assert.equal(claims.oid, servicePrincipalId(TENANT_A, BOT.clientId));
      assert.equal(claims.scp, undefined);
      assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 3599);
    });

    it('accepts HTTP Basic client authentication', async () => {
      const basic = Buffer.from(`${encodeURIComponent(BOT.clientId)}:${encodeURIComponent(BOT.clientSecret)}`).toString(
        'base64',
      );
      const { status } = await postToken(
        { grant_type: 'client_credentials', scope: `${MDE}/.default` },
        { headers: { authorization: `Basic ${basic}` } },
      );
      assert.equal(status, 200);
    });

    it('refuses a tenant that never consented (no service principal, 7000229), and issues roles after consent', async () => {
      const before = await postToken(
        { ...botCredentials, grant_type: 'client_credentials', scope: `${MDE}/.default` },
        { tenant: TENANT_C },
      );
      assert.equal(before.status, 401);
      assertEntraError(before.body, 'invalid_client', 7000229);

      const consent = await http.request({
        method: 'GET',
        url: `${server.url}/${TENANT_C}/adminconsent?client_id=${BOT.clientId}&state=s1`,
      });
      assert.equal(consent.status, 200);
      assert.equal((JSON.parse(consent.body) as Json).admin_consent, 'True');
      const after = await postToken(
        { ...botCredentials, grant_type: 'client_credentials', scope: `${MDE}/.default` },
        { tenant: TENANT_C },
      );
      assert.deepEqual((await verify(String(after.body.access_token))).roles, BOT.applicationPermissions);
    });

    it('serves the legacy v1 endpoint with resource=', async () => {
      const { status, body } = await postToken(
        { ...botCredentials, grant_type: 'client_credentials', resource: 'https://api.securitycenter.windows.com' },
        { v1: true },
      );
      assert.equal(status, 200);
      assert.equal(body.expires_in, '3599');
      assert.equal(body.resource, 'https://api.securitycenter.windows.com');
      assert.equal((await verify(String(body.access_token))).aud, 'https://api.securitycenter.windows.com');
    });

    it('requires <resource>/.default (AADSTS1002012)', async () => {
      const { status, body } = await postToken({
        ...botCredentials,
        grant_type: 'client_credentials',
        scope: `${MDE}/Alert.Read.All`,
      });
      assert.equal(status, 400);
      assertEntraError(body, 'invalid_scope', 1002012);
    });
  });

  describe('on-behalf-of', () => {
    it("issues a delegated v1 token with the client's permissions in scp and the user's identity", async () => {
      const { status, body } = await postToken(
        obo(assertionFor(ALICE), `${MDE}/.default offline_access openid profile`),
      );
      assert.equal(status, 200);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3599);
      assert.equal(body.ext_expires_in, 3599);
      assert.equal(body.scope, `${MDE}/.default offline_access`);
      assert.equal(typeof body.refresh_token, 'string', 'offline_access asked for');
      const claims = await verify(String(body.access_token));
      assert.equal(claims.aud, MDE);
      assert.equal(claims.iss, `https://sts.windows.net/${TENANT_A}/`);
      assert.equal(claims.tid, TENANT_A);
      assert.equal(claims.ver, '1.0');
      assert.equal(claims.appid, BOT.clientId);
      assert.equal(claims.scp, 'Alert.ReadWrite Machine.Read Machine.Isolate');
      assert.equal(claims.oid, ALICE.aadObjectId);
      assert.equal(claims.upn, ALICE.upn);
      assert.equal(claims.unique_name, ALICE.upn);
      assert.equal(claims.name, 'Alice Analyst');
      assert.equal(claims.idtyp, undefined);
      assert.equal(claims.roles, undefined);
      assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 3599);
    });

    it('issues no refresh token without offline_access', async () => {
      const { body } = await postToken(obo(assertionFor(ALICE)));
      assert.equal(body.refresh_token, undefined);
    });

    it('narrows scp to named permissions, and answers 65001 for a permission the client does not hold', async () => {
      const named = await postToken(obo(assertionFor(ALICE), `${MDE}/Machine.Isolate`));
      assert.equal((await verify(String(named.body.access_token))).scp, 'Machine.Isolate');
      const missing = await postToken(obo(assertionFor(ALICE), `${MDE}/Machine.Offboard`));
      assert.equal(missing.status, 400);
      assertEntraError(missing.body, 'invalid_grant', 65001);
    });

    it('accepts every Defender resource spelling, and an assertion addressed to api://botid-<id>', async () => {
      for (const resource of [
        'fc780465-2017-40d4-a0c5-307022471b92',
        'https://securitycenter.onmicrosoft.com/windowsatpservice',
        'https://api.securitycenter.windows.com',
      ]) {
        const { status, body } = await postToken(obo(assertionFor(ALICE), `${resource}/.default`));
        assert.equal(status, 200, resource);
        assert.equal((await verify(String(body.access_token))).aud, resource);
      }
      const { status } = await postToken(obo(assertionFor(ALICE, `api://botid-${BOT.clientId}`)));
      assert.equal(status, 200);
    });

    it('takes the tenant from the assertion on /common and /organizations', async () => {
      const { status, body } = await postToken(obo(assertionFor(BOB)), { tenant: 'organizations' });
      assert.equal(status, 200);
      const claims = await verify(String(body.access_token));
      assert.equal(claims.tid, TENANT_B);
      assert.equal(claims.iss, `https://sts.windows.net/${TENANT_B}/`);
    });

    it('answers the documented consent body (65001 + suberror consent_required) for an unconsented tenant', async () => {
      const emulator = await startEntraTestServer(testSeeds());
      const client = new HttpClient({ extraCaPem: [emulator.caCertPem] });
      try {
        const assertion = emulator.emulator.mintUserAssertion({ ...CAROL, audience: BOT.clientId }).token;
        const correlationId = '73d7243c-43ba-4d8a-865a-0b8957def6c6';
        const response = await client.request({
          method: 'POST',
          url: `${emulator.url}/${TENANT_C}/oauth2/v2.0/token`,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'client-request-id': correlationId },
          body: new URLSearchParams(obo(assertion)).toString(),
        });
        const body = JSON.parse(response.body) as Json;
        assert.equal(response.status, 400);
        assertEntraError(body, 'invalid_grant', 65001);
        assert.equal(body.suberror, 'consent_required');
        assert.equal(body.correlation_id, correlationId, 'echoes client-request-id');
        assert.match(
          String(body.error_description),
          new RegExp(`application with ID '${BOT.clientId}' named '${BOT.displayName.replace(/[()]/g, '\\$&')}'`),
        );
      } finally {
        client.close();
        await emulator.close();
      }
    });

    it('answers 65001 for a seed user scripted with signInError consent_required', async () => {
      const { status, body } = await postToken(obo(assertionFor(CONNIE_CONSENT)));
      assert.equal(status, 400);
      assertEntraError(body, 'invalid_grant', 65001);
      assert.equal(body.suberror, 'consent_required');
    });

    it('answers interaction_required (50079) with a claims challenge for a user scripted for MFA', async () => {
      const { status, body } = await postToken(obo(assertionFor(MALLORY_MFA)));
      assert.equal(status, 400);
      assertEntraError(body, 'interaction_required', 50079);
      const claims = JSON.parse(String(body.claims)) as {
        access_token: { capolids: { essential: boolean; values: string[] } };
      };
      assert.equal(claims.access_token.capolids.essential, true);
      assert.match(claims.access_token.capolids.values[0] ?? '', GUID);
    });

    it('answers 500133 once the assertion has expired on the emulator clock', async () => {
      const assertion = assertionFor(ALICE);
      offsetMs = 2 * HOUR_MS;
      const { status, body } = await postToken(obo(assertion));
      assert.equal(status, 400);
      assertEntraError(body, 'invalid_grant', 500133);
    });

    it('answers 50013 for an assertion addressed to another app, or with a broken signature', async () => {
      const otherAudience = await postToken(obo(assertionFor(ALICE, '00000003-0000-0000-c000-000000000000')));
      assertEntraError(otherAudience.body, 'invalid_grant', 50013);
      const [header, payload, signature] = assertionFor(ALICE).split('.') as [string, string, string];
      const tampered = `${header}.${payload}.${signature.slice(0, -4)}AAAA`;
      assertEntraError((await postToken(obo(tampered))).body, 'invalid_grant', 50013);
      assertEntraError((await postToken(obo('not-a-jwt'))).body, 'invalid_request', 50027);
    });

    it("answers 50020 when a user's assertion is presented at another tenant's endpoint", async () => {
      const { status, body } = await postToken(obo(assertionFor(BOB)), { tenant: TENANT_A });
      assert.equal(status, 400);
      assertEntraError(body, 'invalid_grant', 50020);
    });

    it('refuses scopes for several resources (28000) and resources nobody hosts (500011)', async () => {
      const several = await postToken(
        obo(assertionFor(ALICE), `${MDE}/.default https://graph.microsoft.com/User.Read`),
      );
      assertEntraError(several.body, 'invalid_scope', 28000);
      const unknown = await postToken(obo(assertionFor(ALICE), 'https://api.unknown.example/.default'));
      assertEntraError(unknown.body, 'invalid_resource', 500011);
      const mixed = await postToken(obo(assertionFor(ALICE), `${MDE}/.default ${MDE}/Alert.Read`));
      assertEntraError(mixed.body, 'invalid_scope', 70011);
      const none = await postToken(obo(assertionFor(ALICE), ''));
      assertEntraError(none.body, 'invalid_scope', 70011);
    });
  });

  describe('client authentication and grants', () => {
    it('answers a bad secret with 401 invalid_client (7000215)', async () => {
      const { status, body } = await postToken({ ...obo(assertionFor(ALICE)), client_secret: 'wrong-secret' });
      assert.equal(status, 401);
      assertEntraError(body, 'invalid_client', 7000215);
    });

    it('answers a missing secret with 401 invalid_client (7000218)', async () => {
      const { client_secret: _omitted, ...form } = obo(assertionFor(ALICE));
      const { status, body } = await postToken(form);
      assert.equal(status, 401);
      assertEntraError(body, 'invalid_client', 7000218);
    });

    it('answers an unknown app with unauthorized_client 700016 and a disabled app with 7000112', async () => {
      const unknown = await postToken({
        ...obo(assertionFor(ALICE)),
        client_id: 'eeeeeeee-0000-4000-8000-00000000000e',
      });
      assert.equal(unknown.status, 400);
      assertEntraError(unknown.body, 'unauthorized_client', 700016);
      const disabled = await postToken({
        ...obo(assertionFor(ALICE, DISABLED_CLIENT.clientId)),
        client_id: DISABLED_CLIENT.clientId,
        client_secret: DISABLED_CLIENT.clientSecret,
      });
      assertEntraError(disabled.body, 'unauthorized_client', 7000112);
      const notInTenant = await postToken(
        {
          client_id: DISABLED_CLIENT.clientId,
          client_secret: DISABLED_CLIENT.clientSecret,
          grant_type: 'client_credentials',
          scope: `${MDE}/.default`,
        },
        { tenant: TENANT_B },
      );
      assertEntraError(notInTenant.body, 'unauthorized_client', 700016);
    });

    it('answers unsupported grants, missing parameters and unknown tenants', async () => {
      const password = await postToken({ ...botCredentials, grant_type: 'password', scope: `${MDE}/.default` });
      assertEntraError(password.body, 'unsupported_grant_type', 70003);
      const noGrant = await postToken({ ...botCredentials, scope: `${MDE}/.default` });
      assertEntraError(noGrant.body, 'invalid_request', 900144);
      const noTenant = await postToken(
        { ...botCredentials, grant_type: 'client_credentials', scope: `${MDE}/.default` },
        { tenant: 'dddddddd-0000-4000-8000-00000000000d' },
      );
      assertEntraError(noTenant.body, 'invalid_request', 90002);
    });
  });

  describe('stats and logs', () => {
    it('counts token requests by grant, refused ones included, and resets over HTTP', async () => {
      await postToken(obo(assertionFor(ALICE)));
      await postToken({ ...botCredentials, grant_type: 'client_credentials', scope: `${MDE}/.default` });
      await postToken({ ...botCredentials, grant_type: 'client_credentials', scope: `${MDE}/Alert.Read` });
      const stats = await get('/_sim/entra/stats');
      assert.deepEqual(stats.body, { tokenRequests: 3, byGrant: { on_behalf_of: 1, client_credentials: 2 } });
      const reset = await http.request({ method: 'POST', url: `${server.url}/_sim/entra/stats/reset` });
      assert.equal(reset.status, 200);
      assert.deepEqual(server.emulator.stats(), { tokenRequests: 0, byGrant: {} });
    });

    it('logs grant, client, tenant and outcome, never a token, an assertion or a secret', async () => {
      logLines.length = 0;
      await postToken(obo(assertionFor(ALICE)));
      await postToken({ ...obo(assertionFor(ALICE)), client_secret: 'wrong-secret' });
      const tokenLines = logLines.filter((line) => line.includes('entra emulator token request'));
      assert.equal(tokenLines.length, 2);
      const first = JSON.parse(tokenLines[0] ?? '{}') as Json;
      assert.equal(first.grantType, 'on_behalf_of');
      assert.equal(first.clientId, BOT.clientId);
      assert.equal(first.tenantId, TENANT_A);
      assert.equal(first.outcome, 'issued');
      assert.equal((JSON.parse(tokenLines[1] ?? '{}') as Json).outcome, 'AADSTS7000215');
      for (const line of logLines) {
        assert.ok(!line.includes('eyJ'), 'no JWT in logs');
        assert.ok(!line.includes(BOT.clientSecret) && !line.includes('wrong-secret'), 'no secret in logs');
      }
    });
  });
});

/** A request/response pair not bound to a real connection, with the remote address a test needs. */
function fakeExchange(remoteAddress: string, method: string): { req: IncomingMessage; res: ServerResponse } {
  const socket = new Socket();
  Object.defineProperty(socket, 'remoteAddress', { value: remoteAddress });
  const req = new IncomingMessage(socket);
  req.method = method;
  return { req, res: new ServerResponse(req) };
}
