import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { MsalOboTokenProvider } from '../../src/auth/msalOboTokenProvider';
import type { MsalOboTokenProviderOptions } from '../../src/auth/msalOboTokenProvider';
import { AppError, isAppError } from '../../src/errors';
import { HttpClient } from '../../src/http/httpClient';
import { startEntraTestServer } from '../simulator/entra/entraTestServer';
import type { EntraTestServer } from '../simulator/entra/entraTestServer';
import {
  ALICE,
  BOB,
  BOT,
  CAROL,
  CONNIE_CONSENT,
  MALLORY_MFA,
  TENANT_A,
  TENANT_B,
  TENANT_C,
  testSeeds,
} from '../simulator/entra/entraTestSeeds';
import { capturingLogger, claimsOf, userAssertion } from './authTestSupport';

const HOUR_MS = 60 * 60 * 1000;

describe('MsalOboTokenProvider against the Entra emulator over HTTPS', () => {
  let server: EntraTestServer;
  let http: HttpClient;
  let offsetMs = 0;
  const log = capturingLogger();

  before(async () => {
    server = await startEntraTestServer(testSeeds(), { now: () => new Date(Date.now() + offsetMs) });
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

  function provider(overrides: Partial<MsalOboTokenProviderOptions> = {}): MsalOboTokenProvider {
    return new MsalOboTokenProvider({
      clientId: BOT.clientId,
      clientSecret: BOT.clientSecret,
      authorityHost: server.url,
      defaultTenantId: TENANT_A,
      httpClient: http,
      logger: log.logger,
      ...overrides,
    });
  }

  /** Runs `action`, expects an AppError, and checks it leaks neither token nor server text into its message. */
  async function expectAppError(action: Promise<unknown>, code: AppError['code'], token?: string): Promise<AppError> {
    try {
      await action;
    } catch (err) {
      assert.ok(err instanceof AppError, `expected AppError, got ${String(err)}`);
      assert.equal(err.code, code, err.message);
      assert.ok(!err.message.includes('eyJ'), 'no token in the message');
      if (token) assert.ok(!err.message.includes(token));
      assert.ok(!err.message.includes('Trace ID'), 'no error_description in the message');
      return err;
    }
    assert.fail(`expected AppError ${code}`);
  }

  it('exchanges a Teams-style assertion for a delegated Defender token (msal → emulator, real TLS)', async () => {
    const token = await provider().acquireForUser(userAssertion(server, ALICE));
    const { payload } = await jwtVerify(token, createLocalJWKSet(server.emulator.getKeySet()));
    assert.equal(payload.aud, 'https://api.securitycenter.microsoft.com');
    assert.equal(payload.iss, `https://sts.windows.net/${TENANT_A}/`);
    assert.equal(payload.tid, TENANT_A);
    assert.equal(payload.oid, ALICE.aadObjectId);
    assert.equal(payload.upn, ALICE.upn);
    assert.equal(payload.appid, BOT.clientId);
    assert.equal(payload.scp, BOT.delegatedPermissions.join(' '));
    assert.deepEqual(server.emulator.stats(), { tokenRequests: 1, byGrant: { on_behalf_of: 1 } });
  });

  it("serves a second identical request from msal's cache with zero token requests", async () => {
    const obo = provider();
    const assertion = userAssertion(server, ALICE);
    const first = await obo.acquireForUser(assertion);
    server.emulator.resetStats();
    const second = await obo.acquireForUser(assertion);
    assert.equal(second, first);
    assert.equal(server.emulator.stats().tokenRequests, 0);
  });

  it('shares one token request between concurrent calls for the same assertion', async () => {
    const obo = provider();
    const assertion = userAssertion(server, ALICE);
    const [a, b] = await Promise.all([obo.acquireForUser(assertion), obo.acquireForUser(assertion)]);
    assert.equal(a, b);
    assert.equal(server.emulator.stats().tokenRequests, 1);
  });

  it('asks the configured Defender scope', async () => {
    const token = await provider({ scope: 'https://api.securitycenter.windows.com/.default' }).acquireForUser(
      userAssertion(server, ALICE),
    );
    assert.equal(claimsOf(token).aud, 'https://api.securitycenter.windows.com');
  });

  it("follows each user's tenant: two tenants side by side, each token with its own tid and iss, cached apart", async () => {
    const obo = provider();
    const alice = userAssertion(server, ALICE);
    const bob = userAssertion(server, BOB);
    const aliceToken = await obo.acquireForUser(alice);
    const bobToken = await obo.acquireForUser(bob);
    assert.notEqual(aliceToken, bobToken);
    assert.equal(claimsOf(aliceToken).tid, TENANT_A);
    assert.equal(claimsOf(aliceToken).iss, `https://sts.windows.net/${TENANT_A}/`);
    assert.equal(claimsOf(bobToken).tid, TENANT_B);
    assert.equal(claimsOf(bobToken).iss, `https://sts.windows.net/${TENANT_B}/`);
    assert.equal(server.emulator.stats().tokenRequests, 2, 'tenant B was not served from tenant A');
    assert.ok(
      server.requests.some((r) => r.path === `/${TENANT_B}/oauth2/v2.0/token`),
      'B asked at its own authority',
    );

    server.emulator.resetStats();
    assert.equal(await obo.acquireForUser(bob), bobToken);
    assert.equal(await obo.acquireForUser(alice), aliceToken);
    assert.equal(server.emulator.stats().tokenRequests, 0);
  });

  it('maps AADSTS65001 in a tenant without consent to consentRequired with the admin consent URL, then works once consented', async () => {
    const local = await startEntraTestServer(testSeeds());
    const localHttp = new HttpClient({ extraCaPem: [local.caCertPem] });
    try {
      const obo = new MsalOboTokenProvider({
        clientId: BOT.clientId,
        clientSecret: BOT.clientSecret,
        authorityHost: local.url,
        defaultTenantId: TENANT_A,
        httpClient: localHttp,
        logger: log.logger,
      });
      const assertion = userAssertion(local, CAROL);
      const err = await expectAppError(obo.acquireForUser(assertion), 'consentRequired', assertion.token);
      assert.equal(err.details.consentUrl, `${local.url}/${TENANT_C}/adminconsent?client_id=${BOT.clientId}`);
      assert.equal(err.details.upstreamCode, 'AADSTS65001');

      local.emulator.grantAdminConsent(TENANT_C, BOT.clientId);
      assert.equal(claimsOf(await obo.acquireForUser(assertion)).tid, TENANT_C);
    } finally {
      localHttp.close();
      await local.close();
    }
  });

  it("maps a seed user's scripted consent_required to consentRequired", async () => {
    await expectAppError(provider().acquireForUser(userAssertion(server, CONNIE_CONSENT)), 'consentRequired');
  });

  it('maps interaction_required (AADSTS50079) to interactionRequired carrying the claims challenge', async () => {
    const err = await expectAppError(
      provider().acquireForUser(userAssertion(server, MALLORY_MFA)),
      'interactionRequired',
    );
    assert.equal(err.details.upstreamCode, 'AADSTS50079');
    const claims = JSON.parse(err.details.claims ?? '') as { access_token?: { capolids?: { essential?: boolean } } };
    assert.equal(claims.access_token?.capolids?.essential, true);
  });

  it('maps a wrong client secret (AADSTS7000215) to clientCredentialsInvalid', async () => {
    const err = await expectAppError(
      provider({ clientSecret: 'not-the-secret' }).acquireForUser(userAssertion(server, ALICE)),
      'clientCredentialsInvalid',
    );
    assert.equal(err.details.upstreamCode, 'AADSTS7000215');
  });

  it('maps an unknown app (unauthorized_client, AADSTS700016) to clientCredentialsInvalid', async () => {
    const stranger = 'eeeeeeee-0000-4000-8000-00000000000e';
    await expectAppError(
      provider({ clientId: stranger }).acquireForUser(userAssertion(server, ALICE, { audience: stranger })),
      'clientCredentialsInvalid',
    );
  });

  it('signs a client assertion with a certificate credential (refused by the emulator: AADSTS700027)', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const certificate = {
      thumbprintSha256: randomBytes(32).toString('hex'),
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
    const err = await expectAppError(
      provider({ clientSecret: undefined, clientCertificate: certificate }).acquireForUser(
        userAssertion(server, ALICE),
      ),
      'clientCredentialsInvalid',
    );
    assert.equal(err.details.upstreamCode, 'AADSTS700027');
  });

  it('maps an assertion the emulator finds expired (AADSTS500133) to notSignedIn', async () => {
    const assertion = userAssertion(server, ALICE, { expiresAt: Date.now() + HOUR_MS });
    offsetMs = 2 * HOUR_MS;
    const err = await expectAppError(provider().acquireForUser(assertion), 'notSignedIn', assertion.token);
    assert.equal(err.details.upstreamCode, 'AADSTS500133');
  });

  it('refuses an assertion past its expiresAt without asking Entra', async () => {
    const assertion = userAssertion(server, ALICE, { expiresAt: Date.now() - 1 });
    await expectAppError(provider().acquireForUser(assertion), 'notSignedIn');
    assert.equal(server.emulator.stats().tokenRequests, 0);
  });

  it('maps an assertion for another audience (AADSTS50013) to notSignedIn', async () => {
    const assertion = userAssertion(server, ALICE, { audience: '00000003-0000-0000-c000-000000000000' });
    const err = await expectAppError(provider().acquireForUser(assertion), 'notSignedIn');
    assert.equal(err.details.upstreamCode, 'AADSTS50013');
  });

  it("maps a user unknown to the authority's tenant (AADSTS50020) to userNotInTenant", async () => {
    const assertion = userAssertion(server, BOB, { tenantId: TENANT_A });
    const err = await expectAppError(provider().acquireForUser(assertion), 'userNotInTenant');
    assert.equal(err.details.upstreamCode, 'AADSTS50020');
  });

  it('maps an unreachable authority to upstreamUnavailable', async () => {
    const closed = await startEntraTestServer(testSeeds());
    const url = closed.url;
    await closed.close();
    await expectAppError(
      provider({ authorityHost: url }).acquireForUser(userAssertion(server, ALICE)),
      'upstreamUnavailable',
    );
  });

  it('refuses a configuration with both or neither client credential', () => {
    assert.throws(
      () => provider({ clientSecret: undefined }),
      (err: unknown) => isAppError(err, 'clientCredentialsInvalid'),
    );
    assert.throws(
      () => provider({ clientCertificate: { thumbprintSha256: 'ab'.repeat(32), privateKey: 'x' } }),
      (err: unknown) => isAppError(err, 'clientCredentialsInvalid'),
    );
  });

  it('never writes a token, an assertion or the secret to the log', () => {
    assert.ok(log.lines.length > 0);
    for (const line of log.lines) {
      assert.ok(!line.includes('eyJ'), line);
      assert.ok(!line.includes(BOT.clientSecret), line);
    }
  });
});
