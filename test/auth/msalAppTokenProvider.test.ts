import assert from 'node:assert/strict';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { MsalAppTokenProvider } from '../../src/auth/msalAppTokenProvider';
import type { MsalAppTokenProviderOptions } from '../../src/auth/msalAppTokenProvider';
import { isAppError } from '../../src/errors';
import { HttpClient } from '../../src/http/httpClient';
import { servicePrincipalId } from '../../src/simulator/entra/entraDirectory';
import { startEntraTestServer } from '../simulator/entra/entraTestServer';
import type { EntraTestServer } from '../simulator/entra/entraTestServer';
import { BOT, TENANT_A, TENANT_B, TENANT_C, testSeeds } from '../simulator/entra/entraTestSeeds';
import { capturingLogger, claimsOf } from './authTestSupport';

describe('MsalAppTokenProvider against the Entra emulator over HTTPS', () => {
  let server: EntraTestServer;
  let http: HttpClient;
  const log = capturingLogger();

  before(async () => {
    server = await startEntraTestServer(testSeeds());
    http = new HttpClient({ extraCaPem: [server.caCertPem] });
  });
  after(async () => {
    http.close();
    await server.close();
  });
  beforeEach(() => server.emulator.resetStats());

  function provider(overrides: Partial<MsalAppTokenProviderOptions> = {}): MsalAppTokenProvider {
    return new MsalAppTokenProvider({
      clientId: BOT.clientId,
      clientSecret: BOT.clientSecret,
      authorityHost: server.url,
      httpClient: http,
      logger: log.logger,
      ...overrides,
    });
  }

  it("gets an app token carrying the app's roles in the tenant asked for", async () => {
    const token = await provider().acquireForApp(TENANT_A);
    const { payload } = await jwtVerify(token, createLocalJWKSet(server.emulator.getKeySet()));
    assert.equal(payload.tid, TENANT_A);
    assert.equal(payload.iss, `https://sts.windows.net/${TENANT_A}/`);
    assert.equal(payload.idtyp, 'app');
    assert.equal(payload.oid, servicePrincipalId(TENANT_A, BOT.clientId));
    assert.deepEqual(payload.roles, BOT.applicationPermissions);
    assert.deepEqual(server.emulator.stats(), { tokenRequests: 1, byGrant: { client_credentials: 1 } });
  });

  it("serves repeated requests from msal's cache, per tenant, never one tenant's token for another", async () => {
    const apps = provider();
    const a = await apps.acquireForApp(TENANT_A);
    const b = await apps.acquireForApp(TENANT_B);
    assert.equal(claimsOf(a).tid, TENANT_A);
    assert.equal(claimsOf(b).tid, TENANT_B);
    assert.equal(claimsOf(b).iss, `https://sts.windows.net/${TENANT_B}/`);
    assert.equal(server.emulator.stats().tokenRequests, 2);

    server.emulator.resetStats();
    assert.equal(await apps.acquireForApp(TENANT_A), a);
    assert.equal(await apps.acquireForApp(TENANT_B), b);
    assert.equal(server.emulator.stats().tokenRequests, 0);
  });

  it('is refused in a tenant that never consented: the app has no service principal there (AADSTS7000229)', async () => {
    await assert.rejects(
      provider().acquireForApp(TENANT_C),
      (err: unknown) => isAppError(err, 'consentRequired') && err.details.upstreamCode === 'AADSTS7000229',
    );
  });

  it("asks Entra once when several callers want the same tenant's token at the same time", async () => {
    // The incident and the alerts_v2 pollers start together and both need the Graph token of each tenant.
    const apps = provider();
    const tokens = await Promise.all(
      [TENANT_A, TENANT_A, TENANT_A.toUpperCase(), TENANT_B].map((t) => apps.acquireForApp(t)),
    );
    assert.equal(new Set(tokens.slice(0, 3)).size, 1);
    assert.equal(claimsOf(tokens[3]!).tid, TENANT_B);
    assert.equal(server.emulator.stats().tokenRequests, 2);
  });

  it('maps a wrong secret to clientCredentialsInvalid', async () => {
    await assert.rejects(provider({ clientSecret: 'not-the-secret' }).acquireForApp(TENANT_A), (err: unknown) =>
      isAppError(err, 'clientCredentialsInvalid'),
    );
  });

  it('maps an unknown tenant (AADSTS90002 from the token endpoint) to userNotInTenant', async () => {
    // msal reads the OpenID metadata once per host; a cold client's first request for an unknown tenant fails at
    // that metadata request instead (Entra answers it with 400), which msal cannot tell from an outage.
    const apps = provider();
    await apps.acquireForApp(TENANT_A);
    await assert.rejects(apps.acquireForApp('dddddddd-0000-4000-8000-00000000000d'), (err: unknown) =>
      isAppError(err, 'userNotInTenant'),
    );
  });

  it('refuses a tenant that is not a GUID before building a URL from it', async () => {
    await assert.rejects(provider().acquireForApp('../common'), (err: unknown) => isAppError(err));
    assert.equal(server.emulator.stats().tokenRequests, 0);
  });
});
