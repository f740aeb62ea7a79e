import assert from 'node:assert/strict';
import { X509Certificate, constants, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readClientCertificate } from '../../../src/auth/clientCertificate';
import { MsalAppTokenProvider } from '../../../src/auth/msalAppTokenProvider';
import { MsalOboTokenProvider } from '../../../src/auth/msalOboTokenProvider';
import { isAppError } from '../../../src/errors';
import { thumbprint } from '../../../src/simulator/entra/clientAssertion';
import { createClientCredentialCertificate } from '../../../src/simulator/certs';
import type { ClientCredentialCertificate } from '../../../src/simulator/certs';
import { capturingLogger, claimsOf, userAssertion } from '../../auth/authTestSupport';
import { EntraTestClient } from './entraTestClient';
import type { Json } from './entraTestClient';
import { startEntraTestServer } from './entraTestServer';
import type { EntraTestServer } from './entraTestServer';
import { ALICE, BOT, TENANT_A, testSeeds } from './entraTestSeeds';

const CERT_BOT = {
  clientId: 'ce270000-0000-4000-8000-000000000001',
  displayName: 'Certificate bot (test)',
  delegatedPermissions: ['Alert.ReadWrite'],
  applicationPermissions: ['Alert.Read.All'],
  homeTenantId: TENANT_A,
};
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const DEFENDER_DEFAULT = 'https://api.securitycenter.microsoft.com/.default';

/** A client assertion signed by hand, so each claim and header can be spoilt on purpose. */
function assertion(
  credential: ClientCredentialCertificate,
  claims: Record<string, unknown>,
  options: { alg?: 'PS256' | 'RS256'; thumbprintHeader?: 'x5t#S256' | 'x5t'; signWith?: string } = {},
): string {
  const alg = options.alg ?? 'PS256';
  const headerName = options.thumbprintHeader ?? 'x5t#S256';
  const certificate = new X509Certificate(credential.certPem);
  const header = { alg, typ: 'JWT', [headerName]: thumbprint(certificate, headerName === 'x5t' ? 'sha1' : 'sha256') };
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(claims)}`;
  const key = options.signWith ?? credential.keyPem;
  const signature = sign(
    'sha256',
    Buffer.from(input),
    alg === 'PS256'
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
      : key,
  );
  return `${input}.${signature.toString('base64url')}`;
}

describe('Entra emulator: certificate client credentials (private_key_jwt)', () => {
  let server: EntraTestServer;
  let client: EntraTestClient;
  let registered: ClientCredentialCertificate;
  let stranger: ClientCredentialCertificate;
  let dir: string;
  const log = capturingLogger();

  before(async () => {
    server = await startEntraTestServer(testSeeds());
    client = new EntraTestClient(server);
    registered = createClientCredentialCertificate(new Date());
    stranger = createClientCredentialCertificate(new Date(), 'someone else');
    server.emulator.registerClient({ ...CERT_BOT, certificates: [registered.certPem] });
    dir = mkdtempSync(path.join(os.tmpdir(), 'soc-bot-cert-test-'));
  });
  after(async () => {
    client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => server.emulator.resetStats());

  function credentialFile(credential: ClientCredentialCertificate): string {
    const file = path.join(dir, `${randomUUID()}.pem`);
    writeFileSync(file, `${credential.keyPem}${credential.certPem}`, { mode: 0o600 });
    return file;
  }

  /** The bot's app-token provider (msal-node) authenticating with a certificate credential file. */
  function appTokens(credential: ClientCredentialCertificate): MsalAppTokenProvider {
    return new MsalAppTokenProvider({
      clientId: CERT_BOT.clientId,
      clientCertificate: readClientCertificate(credentialFile(credential)),
      authorityHost: server.url,
      httpClient: client.http,
      logger: log.logger,
      scope: DEFENDER_DEFAULT,
    });
  }

  function tokenEndpoint(tenant = TENANT_A): string {
    return `${server.url}/${tenant}/oauth2/v2.0/token`;
  }

  function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return {
      aud: tokenEndpoint(),
      iss: CERT_BOT.clientId,
      sub: CERT_BOT.clientId,
      jti: randomUUID(),
      nbf: now,
      exp: now + 600,
      ...overrides,
    };
  }

  function postWithAssertion(jwt: string, extra: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
    return client.postToken(
      {
        grant_type: 'client_credentials',
        client_id: CERT_BOT.clientId,
        scope: DEFENDER_DEFAULT,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: jwt,
        ...extra,
      },
      TENANT_A,
    );
  }

  function assertRefused(response: { status: number; body: Json }, aadsts: number, error = 'invalid_client'): void {
    assert.equal(response.body.error, error);
    assert.deepEqual(response.body.error_codes, [aadsts]);
    assert.match(String(response.body.error_description), new RegExp(`^AADSTS${aadsts}: `));
  }

  it("issues msal-node's client credentials token for an assertion signed with the registered certificate", async () => {
    const apps = appTokens(registered);
    const token = await apps.acquireForApp(TENANT_A);
    const payload = await client.verify(token);
    assert.equal(payload.appid, CERT_BOT.clientId);
    assert.deepEqual(payload.roles, CERT_BOT.applicationPermissions);
    assert.deepEqual(server.emulator.stats().byGrant, { client_credentials: 1 });
  });

  it('exchanges a user assertion on-behalf-of with the certificate, repeatedly (msal reuses its assertion)', async () => {
    server.emulator.registerClient({ ...BOT, certificates: [registered.certPem], homeTenantId: TENANT_A });
    try {
      const obo = new MsalOboTokenProvider({
        clientId: BOT.clientId,
        clientCertificate: readClientCertificate(credentialFile(registered)),
        authorityHost: server.url,
        defaultTenantId: TENANT_A,
        httpClient: client.http,
        logger: log.logger,
        scope: DEFENDER_DEFAULT,
      });
      const first = await obo.acquireForUser(userAssertion(server, ALICE));
      const second = await obo.acquireForUser(userAssertion(server, ALICE));
      assert.equal(claimsOf(first).oid, ALICE.aadObjectId);
      assert.equal(claimsOf(second).oid, ALICE.aadObjectId);
      assert.equal(server.emulator.stats().byGrant.on_behalf_of, 2);
    } finally {
      server.emulator.registerClient({ ...BOT, homeTenantId: TENANT_A });
    }
  });

  it('refuses an unregistered certificate with AADSTS700027, which the bot reports as clientCredentialsInvalid', async () => {
    const raw = await postWithAssertion(assertion(stranger, claims()));
    assert.equal(raw.status, 401);
    assertRefused(raw, 700027);
    assert.match(String(raw.body.error_description), /The key was not found/);

    const apps = appTokens(stranger);
    await assert.rejects(apps.acquireForApp(TENANT_A), (err: unknown) => {
      assert.ok(isAppError(err));
      assert.equal(err.code, 'clientCredentialsInvalid');
      assert.equal(err.details.upstreamCode, 'AADSTS700027');
      return true;
    });
  });

  it("refuses a signature by another key under the registered certificate's thumbprint (AADSTS700027)", async () => {
    const forged = assertion(registered, claims(), { signWith: stranger.keyPem });
    const response = await postWithAssertion(forged);
    assertRefused(response, 700027);
    assert.match(String(response.body.error_description), /use of the key to verify the signature failed/);
  });

  it('accepts an RS256 assertion naming the certificate by its SHA-1 x5t', async () => {
    const response = await postWithAssertion(
      assertion(registered, claims(), { alg: 'RS256', thumbprintHeader: 'x5t' }),
    );
    assert.equal(response.status, 200);
    assert.equal(typeof response.body.access_token, 'string');
  });

  it('refuses an expired assertion, one not valid yet and one living too long (AADSTS700024)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await postWithAssertion(assertion(registered, claims({ nbf: now - 1800, exp: now - 900 })));
    assertRefused(expired, 700024);
    const early = await postWithAssertion(assertion(registered, claims({ nbf: now + 900, exp: now + 1200 })));
    assertRefused(early, 700024);
    const tooLong = await postWithAssertion(assertion(registered, claims({ nbf: now, exp: now + 2 * 86_400 })));
    assertRefused(tooLong, 700024);
  });

  it('refuses an assertion for another endpoint (AADSTS700023) or another client (AADSTS700021)', async () => {
    const elsewhere = await postWithAssertion(
      assertion(registered, claims({ aud: 'https://login.microsoftonline.com/common/oauth2/v2.0/token' })),
    );
    assertRefused(elsewhere, 700023);
    const otherClient = await postWithAssertion(
      assertion(registered, claims({ iss: BOT.clientId, sub: BOT.clientId })),
    );
    assertRefused(otherClient, 700021);
  });

  it('refuses a malformed assertion, a wrong assertion type, and a secret sent with an assertion', async () => {
    assertRefused(await postWithAssertion('not.a-jwt'), 50027);
    const withoutJti = claims();
    delete withoutJti.jti;
    assertRefused(await postWithAssertion(assertion(registered, withoutJti)), 50027);
    const wrongType = await postWithAssertion(assertion(registered, claims()), {
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
    });
    assertRefused(wrongType, 50027, 'invalid_request');
    const both = await postWithAssertion(assertion(registered, claims()), { client_secret: 'anything-at-all' });
    assertRefused(both, 90014, 'invalid_request');
  });

  it('refuses a secret for an app registered with certificates only (AADSTS7000215)', async () => {
    const response = await client.postToken(
      {
        grant_type: 'client_credentials',
        client_id: CERT_BOT.clientId,
        scope: DEFENDER_DEFAULT,
        client_secret: 'a-guess-0123456789',
      },
      TENANT_A,
    );
    assertRefused(response, 7000215);
  });

  it('registers a certificate through the loopback control route, after which it authenticates', async () => {
    const later = createClientCredentialCertificate(new Date(), 'rotated');
    assertRefused(await postWithAssertion(assertion(later, claims())), 700027);

    const registration = await client.http.request({
      method: 'POST',
      url: `${server.url}/_sim/entra/certificates`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: CERT_BOT.clientId, certificatePem: later.certPem }),
    });
    assert.equal(registration.status, 201);
    assert.equal((await postWithAssertion(assertion(later, claims()))).status, 200);
    // The first certificate still works: an app may hold several (rotation).
    assert.equal((await postWithAssertion(assertion(registered, claims()))).status, 200);

    const unknown = await client.http.request({
      method: 'POST',
      url: `${server.url}/_sim/entra/certificates`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: randomUUID(), certificatePem: later.certPem }),
    });
    assert.equal(unknown.status, 404);
  });
});
