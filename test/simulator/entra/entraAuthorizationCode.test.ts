import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { CryptoProvider } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { TEAMS_DESKTOP_CLIENT_ID } from '../../../src/simulator/entra/tokenMinter';
import { assertEntraError, EntraTestClient, msalClientFor, pkcePair, redirectedError } from './entraTestClient';
import type { Json } from './entraTestClient';
import {
  DIANA,
  ALICE,
  BOT,
  CAROL,
  CONNIE_CONSENT,
  MALLORY_MFA,
  TENANT_A,
  TENANT_B,
  TENANT_C,
  TENANT_NO_MDE,
  testSeeds,
} from './entraTestSeeds';
import { startEntraTestServer } from './entraTestServer';
import type { EntraTestServer } from './entraTestServer';

const REDIRECT = 'http://127.0.0.1:3978/auth/end';
const OWN_SCOPE = `api://botid-${BOT.clientId}/access_as_user`;
const MDE = 'https://api.securitycenter.microsoft.com';
const MINUTE_MS = 60 * 1000;
const botCredentials = { client_id: BOT.clientId, client_secret: BOT.clientSecret };

describe('Entra emulator: authorization code flow with PKCE (the sign-in button fallback)', () => {
  let server: EntraTestServer;
  let client: EntraTestClient;
  let offsetMs = 0;

  before(async () => {
    server = await startEntraTestServer(testSeeds(), { now: () => new Date(Date.now() + offsetMs) });
    client = new EntraTestClient(server);
  });
  after(async () => {
    client.close();
    await server.close();
  });
  beforeEach(() => {
    offsetMs = 0;
    server.emulator.resetStats();
  });

  /** The authorize request the bot's /auth/start page would redirect the browser to. */
  function authorizeParams(
    challenge: string,
    extra: Record<string, string> = {},
    loginHint: string = ALICE.upn,
  ): Record<string, string> {
    return {
      client_id: BOT.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: `${OWN_SCOPE} openid profile offline_access`,
      state: 'state-123',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      login_hint: loginHint,
      ...extra,
    };
  }

  /** Runs authorize and returns the code it redirected with (asserting the redirect). */
  async function codeFor(
    challenge: string,
    extra: Record<string, string> = {},
    tenant = TENANT_A,
    loginHint = ALICE.upn,
  ): Promise<string> {
    const { status, location } = await client.authorize(tenant, authorizeParams(challenge, extra, loginHint));
    assert.equal(status, 302);
    assert.ok(location);
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT);
    const code = location.searchParams.get('code');
    assert.ok(code, `a code, got ${location.toString()}`);
    return code;
  }

  function redeem(code: string, verifier: string, extra: Record<string, string> = {}, tenant = TENANT_A) {
    return client.postToken(
      {
        ...botCredentials,
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
        scope: `${OWN_SCOPE} openid profile offline_access`,
        ...extra,
      },
      tenant,
    );
  }

  describe('happy path', () => {
    it('redirects with code and state, and redeems it for a token shaped like the Teams SSO token', async () => {
      const pkce = pkcePair();
      const code = await codeFor(pkce.challenge, { nonce: 'nonce-1' }, TENANT_A, ALICE.upn.toUpperCase());
      const { status, body } = await redeem(code, pkce.verifier, { client_info: '1' });
      assert.equal(status, 200);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3599);
      assert.equal(body.scope, `${OWN_SCOPE} offline_access`);
      assert.equal(typeof body.refresh_token, 'string');
      assert.equal(typeof body.client_info, 'string');

      const claims = await client.verify(String(body.access_token));
      assert.equal(claims.aud, BOT.clientId, 'v2 tokens name the API by its client id');
      assert.equal(claims.iss, `${server.url}/${TENANT_A}/v2.0`);
      assert.equal(claims.ver, '2.0');
      assert.equal(claims.scp, 'access_as_user');
      assert.equal(claims.tid, TENANT_A);
      assert.equal(claims.oid, ALICE.aadObjectId);
      assert.equal(claims.preferred_username, ALICE.upn);
      assert.equal(claims.name, 'Alice Analyst');
      assert.deepEqual(claims.roles, ['SOC.Analyst', 'SOC.Approver']);
      assert.equal(claims.azp, BOT.clientId, 'the bot itself asked, not Teams');
      assert.equal(claims.amr, undefined);

      // Same claim set as a Teams SSO assertion, apart from who asked for it.
      const sso = decodeJwt(server.emulator.mintUserAssertion({ ...ALICE, audience: BOT.clientId }).token);
      assert.equal(sso.azp, TEAMS_DESKTOP_CLIENT_ID);
      assert.deepEqual(Object.keys(claims).sort(), Object.keys(sso).sort());

      const idToken = await client.verify(String(body.id_token));
      assert.equal(idToken.aud, BOT.clientId);
      assert.equal(idToken.nonce, 'nonce-1');
      assert.equal(idToken.oid, ALICE.aadObjectId);
      assert.equal(idToken.preferred_username, ALICE.upn);
      assert.equal(idToken.tid, TENANT_A);
      assert.deepEqual(server.emulator.stats(), { tokenRequests: 1, byGrant: { authorization_code: 1 } });
    });

    it('issues a token the on-behalf-of grant accepts as its assertion', async () => {
      const pkce = pkcePair();
      const { body } = await redeem(await codeFor(pkce.challenge), pkce.verifier);
      const obo = await client.postToken(
        {
          ...botCredentials,
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          requested_token_use: 'on_behalf_of',
          assertion: String(body.access_token),
          scope: `${MDE}/.default`,
        },
        TENANT_A,
      );
      assert.equal(obo.status, 200);
      assert.equal((await client.verify(String(obo.body.access_token))).oid, ALICE.aadObjectId);
    });

    it('leaves out id_token and refresh_token when neither openid nor offline_access was asked', async () => {
      const pkce = pkcePair();
      const code = await codeFor(pkce.challenge, { scope: `${BOT.clientId}/.default` });
      const { status, body } = await redeem(code, pkce.verifier, { scope: `${BOT.clientId}/.default` });
      assert.equal(status, 200);
      assert.equal(body.id_token, undefined);
      assert.equal(body.refresh_token, undefined);
      assert.equal((await client.verify(String(body.access_token))).scp, 'access_as_user');
    });

    it('can issue a delegated Defender token directly', async () => {
      const pkce = pkcePair();
      const code = await codeFor(pkce.challenge, { scope: `${MDE}/Machine.Isolate` });
      const { body } = await redeem(code, pkce.verifier);
      const claims = await client.verify(String(body.access_token));
      assert.equal(claims.aud, MDE);
      assert.equal(claims.scp, 'Machine.Isolate');
      assert.equal(claims.upn, ALICE.upn);
    });

    it('works end to end with msal-node 7 getAuthCodeUrl + acquireTokenByCode', async () => {
      const msal = msalClientFor(server, client.http, { tenant: TENANT_A });
      const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
      const url = await msal.getAuthCodeUrl({
        scopes: [OWN_SCOPE],
        redirectUri: REDIRECT,
        codeChallenge: challenge,
        codeChallengeMethod: 'S256',
        loginHint: ALICE.upn,
        state: 'msal-state',
        nonce: 'msal-nonce',
      });
      const target = new URL(url);
      assert.equal(target.origin, server.url);
      const { location } = await client.get(`${target.pathname}${target.search}`);
      const code = location?.searchParams.get('code');
      assert.ok(code);
      assert.equal(location?.searchParams.get('state'), 'msal-state');

      // The confidential client compares state and the id_token nonce with the request's values.
      const result = await msal.acquireTokenByCode(
        {
          code,
          scopes: [OWN_SCOPE],
          redirectUri: REDIRECT,
          codeVerifier: verifier,
          nonce: 'msal-nonce',
          state: 'msal-state',
        },
        { code, state: location?.searchParams.get('state') ?? '' },
      );
      assert.equal(result.account?.username, ALICE.upn);
      assert.equal(result.account?.tenantId, TENANT_A);
      assert.equal(result.idTokenClaims && (result.idTokenClaims as Json).nonce, 'msal-nonce');
      const claims = await client.verify(result.accessToken);
      assert.equal(claims.scp, 'access_as_user');
      assert.equal(claims.aud, BOT.clientId);
      assert.equal(claims.amr, undefined, "msal's default id_token claims parameter is not a step-up");
    });

    it('lets msal-node forward an MFA claims challenge (merged with its own) to complete the step-up', async () => {
      const msal = msalClientFor(server, client.http, { tenant: TENANT_A });
      const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
      const caChallenge = JSON.stringify({ access_token: { capolids: { essential: true, values: ['p1'] } } });
      const url = new URL(
        await msal.getAuthCodeUrl({
          scopes: [OWN_SCOPE],
          redirectUri: REDIRECT,
          codeChallenge: challenge,
          codeChallengeMethod: 'S256',
          loginHint: MALLORY_MFA.upn,
          claims: caChallenge,
        }),
      );
      const { location } = await client.get(`${url.pathname}${url.search}`);
      const code = location?.searchParams.get('code');
      assert.ok(code, `a code, got ${location?.toString()}`);
      const forwarded = JSON.parse(server.emulator.lastAuthorizeRequest()?.claims ?? '{}') as Json;
      assert.deepEqual(forwarded.access_token, JSON.parse(caChallenge).access_token);
      const result = await msal.acquireTokenByCode({
        code,
        scopes: [OWN_SCOPE],
        redirectUri: REDIRECT,
        codeVerifier: verifier,
      });
      assert.deepEqual((await client.verify(result.accessToken)).amr, ['pwd', 'mfa']);
    });
  });

  describe('redeeming', () => {
    it('redeems a code once (54005 the second time)', async () => {
      const pkce = pkcePair();
      const code = await codeFor(pkce.challenge);
      assert.equal((await redeem(code, pkce.verifier)).status, 200);
      const again = await redeem(code, pkce.verifier);
      assert.equal(again.status, 400);
      assertEntraError(again.body, 'invalid_grant', 54005);
    });

    it('lets a code expire after ten minutes (70008)', async () => {
      const pkce = pkcePair();
      const code = await codeFor(pkce.challenge);
      offsetMs = 10 * MINUTE_MS + 1000;
      assertEntraError((await redeem(code, pkce.verifier)).body, 'invalid_grant', 70008);
    });

    it('refuses a wrong PKCE verifier (501481) without burning the code', async () => {
      const pkce = pkcePair();
      const code = await codeFor(pkce.challenge);
      assertEntraError((await redeem(code, pkcePair().verifier)).body, 'invalid_grant', 501481);
      const { code_verifier: _omitted, ...withoutVerifier } = {
        ...botCredentials,
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        code_verifier: '',
      };
      assertEntraError((await client.postToken(withoutVerifier, TENANT_A)).body, 'invalid_grant', 501481);
      assert.equal((await redeem(code, pkce.verifier)).status, 200);
    });

    it('binds the code to its redirect_uri (500112), client (70000) and tenant (700005)', async () => {
      const pkce = pkcePair();
      const code = await codeFor(pkce.challenge);
      const otherRedirect = await redeem(code, pkce.verifier, { redirect_uri: 'http://127.0.0.1:3978/other' });
      assertEntraError(otherRedirect.body, 'invalid_grant', 500112);
      const otherTenant = await redeem(code, pkce.verifier, {}, TENANT_B);
      assertEntraError(otherTenant.body, 'invalid_grant', 700005);
      assertEntraError((await redeem('1.not-a-code', pkce.verifier)).body, 'invalid_grant', 70000);
      const wrongSecret = await redeem(code, pkce.verifier, { client_secret: 'wrong' });
      assert.equal(wrongSecret.status, 401);
      assertEntraError(wrongSecret.body, 'invalid_client', 7000215);
      // Redeemable at /organizations: the code knows its tenant.
      assert.equal((await redeem(code, pkce.verifier, {}, 'organizations')).status, 200);
    });

    it("refuses another app's code (70000)", async () => {
      const other = {
        clientId: 'c0de0000-0000-4000-8000-000000000001',
        clientSecret: 'other-secret-0123456789',
        displayName: 'Other app',
        delegatedPermissions: [],
        applicationPermissions: [],
        homeTenantId: TENANT_A,
      };
      server.emulator.registerClient(other);
      const pkce = pkcePair();
      const code = await codeFor(pkce.challenge);
      const stolen = await redeem(code, pkce.verifier, {
        client_id: other.clientId,
        client_secret: other.clientSecret,
      });
      assertEntraError(stolen.body, 'invalid_grant', 70000);
    });
  });

  describe('authorize refusals', () => {
    it('answers 400 without redirecting when login_hint is missing or unknown, or the redirect_uri is foreign', async () => {
      const { challenge } = pkcePair();
      const { login_hint: _hint, ...noHint } = authorizeParams(challenge);
      const missing = await client.authorize(TENANT_A, noHint);
      assert.equal(missing.status, 400);
      assert.equal(missing.location, undefined);
      assertEntraError(missing.body, 'invalid_request', 900144);

      const unknown = await client.authorize(TENANT_A, authorizeParams(challenge, {}, 'nobody@contoso.example'));
      assert.equal(unknown.status, 400);
      assertEntraError(unknown.body, 'invalid_grant', 50034);

      const otherTenant = await client.authorize(TENANT_B, authorizeParams(challenge));
      assertEntraError(otherTenant.body, 'invalid_grant', 50034);

      const foreign = await client.authorize(
        TENANT_A,
        authorizeParams(challenge, { redirect_uri: 'https://evil.example/cb' }),
      );
      assert.equal(foreign.status, 400);
      assert.equal(foreign.location, undefined);
      assertEntraError(foreign.body, 'invalid_request', 50011);
    });

    it('redirects client and PKCE problems back as error + state', async () => {
      const { challenge } = pkcePair();
      const unknownClient = await client.authorize(
        TENANT_A,
        authorizeParams(challenge, { client_id: 'eeeeeeee-0000-4000-8000-00000000000e' }),
      );
      assert.equal(unknownClient.status, 302);
      assert.deepEqual(redirectedError(unknownClient.location), {
        error: 'unauthorized_client',
        aadsts: '700016',
        state: 'state-123',
      });
      const plain = await client.authorize(TENANT_A, authorizeParams(challenge, { code_challenge_method: 'plain' }));
      assert.deepEqual(redirectedError(plain.location), {
        error: 'invalid_request',
        aadsts: '50149',
        state: 'state-123',
      });
      const { code_challenge: _c, ...noChallenge } = authorizeParams(challenge);
      assert.equal(redirectedError((await client.authorize(TENANT_A, noChallenge)).location).aadsts, '900144');
      const token = await client.authorize(TENANT_A, authorizeParams(challenge, { response_type: 'token' }));
      assert.equal(redirectedError(token.location).error, 'unsupported_response_type');
      const graph = await client.authorize(
        TENANT_A,
        authorizeParams(challenge, { scope: 'openid https://api.unknown.example/Read' }),
      );
      assert.equal(redirectedError(graph.location).error, 'invalid_resource');
      assert.equal(server.emulator.lastAuthorizeRequest()?.outcome, 'invalid_resource');
    });

    it('redirects invalid_resource (500011) for MDE in a tenant without Defender for Endpoint', async () => {
      const { challenge } = pkcePair();
      const params = authorizeParams(challenge, { scope: `${MDE}/.default openid` }, DIANA.upn);
      const refused = await client.authorize(TENANT_NO_MDE, params);
      assert.deepEqual(redirectedError(refused.location), {
        error: 'invalid_resource',
        aadsts: '500011',
        state: 'state-123',
      });
      // The same user still signs in to the bot's own API there.
      await codeFor(challenge, {}, TENANT_NO_MDE, DIANA.upn);
    });

    it('answers 403 to a caller that is not on loopback', async () => {
      const { req, res } = fakeExchange('203.0.113.7');
      const url = new URL(`${server.url}/${TENANT_A}/oauth2/v2.0/authorize?client_id=${BOT.clientId}`);
      assert.equal(await server.emulator.handle(req, res, url, ''), true);
      assert.equal(res.statusCode, 403);
    });
  });

  describe('consent and scripted users', () => {
    it('redirects consent_required in a tenant that has not consented, and issues a code after admin consent', async () => {
      const local = await startEntraTestServer(testSeeds());
      const localClient = new EntraTestClient(local);
      try {
        const { challenge } = pkcePair();
        const before = await localClient.authorize(TENANT_C, authorizeParams(challenge, {}, CAROL.upn));
        assert.deepEqual(redirectedError(before.location), {
          error: 'consent_required',
          aadsts: '65001',
          state: 'state-123',
        });
        local.emulator.grantAdminConsent(TENANT_C, BOT.clientId);
        const after = await localClient.authorize(TENANT_C, authorizeParams(challenge, {}, CAROL.upn));
        assert.ok(after.location?.searchParams.get('code'));
      } finally {
        localClient.close();
        await local.close();
      }
    });

    it('redirects consent_required for a user scripted with signInError consent_required', async () => {
      const { challenge } = pkcePair();
      const { location } = await client.authorize(TENANT_A, authorizeParams(challenge, {}, CONNIE_CONSENT.upn));
      assert.equal(redirectedError(location).error, 'consent_required');
    });

    it('asks a user scripted for MFA to step up, and the step-up token passes OBO', async () => {
      const pkce = pkcePair();
      const refused = await client.authorize(TENANT_A, authorizeParams(pkce.challenge, {}, MALLORY_MFA.upn));
      assert.deepEqual(redirectedError(refused.location), {
        error: 'interaction_required',
        aadsts: '50079',
        state: 'state-123',
      });
      assert.equal(server.emulator.lastAuthorizeRequest()?.claims, undefined);

      // The claims challenge the bot got back from OBO, forwarded on the sign-in URL.
      const obo = (assertion: string) =>
        client.postToken(
          {
            ...botCredentials,
            grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
            requested_token_use: 'on_behalf_of',
            assertion,
            scope: `${MDE}/.default`,
          },
          TENANT_A,
        );
      const challenge = await obo(server.emulator.mintUserAssertion({ ...MALLORY_MFA, audience: BOT.clientId }).token);
      assertEntraError(challenge.body, 'interaction_required', 50079);
      const claims = String(challenge.body.claims);

      const code = await codeFor(pkce.challenge, { claims, prompt: 'login' }, TENANT_A, MALLORY_MFA.upn);
      const recorded = server.emulator.lastAuthorizeRequest();
      assert.equal(recorded?.claims, claims, 'the forwarded claims challenge is recorded verbatim');
      assert.equal(recorded?.prompt, 'login');
      assert.equal(recorded?.loginHint, MALLORY_MFA.upn);
      assert.equal(recorded?.outcome, 'code');

      const { body } = await redeem(code, pkce.verifier);
      const stepUp = String(body.access_token);
      assert.deepEqual((await client.verify(stepUp)).amr, ['pwd', 'mfa']);
      assert.equal((await obo(stepUp)).status, 200);
    });
  });
});

/** A request/response pair not bound to a real connection, with the remote address a test needs. */
function fakeExchange(remoteAddress: string): { req: IncomingMessage; res: ServerResponse } {
  const socket = new Socket();
  Object.defineProperty(socket, 'remoteAddress', { value: remoteAddress });
  const req = new IncomingMessage(socket);
  req.method = 'GET';
  return { req, res: new ServerResponse(req) };
}
