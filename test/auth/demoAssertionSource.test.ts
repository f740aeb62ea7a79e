import assert from 'node:assert/strict';
import { DemoAssertionSource } from '../../src/auth/demoAssertionSource';
import { MsalOboTokenProvider } from '../../src/auth/msalOboTokenProvider';
import { AppError, isAppError } from '../../src/errors';
import { HttpClient } from '../../src/http/httpClient';
import { startEntraTestServer } from '../simulator/entra/entraTestServer';
import type { EntraTestServer } from '../simulator/entra/entraTestServer';
import { ALICE, BOB, BOT, TENANT_A, testSeeds } from '../simulator/entra/entraTestSeeds';
import { capturingLogger, claimsOf } from './authTestSupport';

const MINUTE_MS = 60 * 1000;

describe('DemoAssertionSource', () => {
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

  const mintCalls = () => server.requests.filter((r) => r.path === '/_sim/entra/assertions').length;

  function source(now?: () => number, emulatorUrl = server.url): DemoAssertionSource {
    return new DemoAssertionSource({
      emulatorUrl,
      botClientId: BOT.clientId,
      httpClient: http,
      logger: log.logger,
      ...(now ? { now } : {}),
    });
  }

  it('cannot be pointed at anything but an https emulator on a loopback address', () => {
    for (const url of [
      'https://login.microsoftonline.com',
      'https://10.0.0.5:3979',
      'https://127.0.0.1.nip.io:3979',
      'https://localhost.example.com',
      'http://127.0.0.1:3979',
      'https://user:pw@127.0.0.1:3979',
      'not a url',
    ]) {
      assert.throws(
        () => source(undefined, url),
        (err: unknown) => err instanceof AppError,
        url,
      );
    }
    for (const url of ['https://127.0.0.1:3979', 'https://localhost:3979', 'https://[::1]:3979']) {
      assert.doesNotThrow(() => source(undefined, url), url);
    }
  });

  it("mints the user's assertion and reads the user from its claims", async () => {
    const assertion = await source().getAssertion({ tenantId: ALICE.tenantId, aadObjectId: ALICE.aadObjectId });
    assert.deepEqual(assertion.user, {
      tenantId: TENANT_A,
      aadObjectId: ALICE.aadObjectId,
      userPrincipalName: ALICE.upn,
      displayName: 'Alice Analyst',
      appRoles: ['SOC.Analyst', 'SOC.Approver'],
    });
    assert.equal(claimsOf(assertion.token).aud, BOT.clientId);
    assert.ok(Math.abs(assertion.expiresAt - (Date.now() + 60 * MINUTE_MS)) < MINUTE_MS);
  });

  it('reuses the assertion per user until 5 minutes before it expires', async () => {
    let now = Date.now();
    const demo = source(() => now);
    const before = mintCalls();
    const first = await demo.getAssertion({ tenantId: ALICE.tenantId, aadObjectId: ALICE.aadObjectId });
    const again = await demo.getAssertion({ tenantId: ALICE.tenantId.toUpperCase(), aadObjectId: ALICE.aadObjectId });
    assert.equal(again, first);
    assert.equal(mintCalls() - before, 1);

    const bob = await demo.getAssertion({ tenantId: BOB.tenantId, aadObjectId: BOB.aadObjectId });
    assert.notEqual(bob.token, first.token);
    assert.equal(mintCalls() - before, 2, 'another user is minted separately');

    now = first.expiresAt - 4 * MINUTE_MS;
    const renewed = await demo.getAssertion({ tenantId: ALICE.tenantId, aadObjectId: ALICE.aadObjectId });
    assert.notEqual(renewed, first);
    assert.equal(mintCalls() - before, 3);
  });

  it('answers userNotInTenant for a user the emulator does not know in that tenant', async () => {
    await assert.rejects(source().getAssertion({ tenantId: TENANT_A, aadObjectId: BOB.aadObjectId }), (err: unknown) =>
      isAppError(err, 'userNotInTenant'),
    );
  });

  it('feeds the OBO provider end to end: demo assertion → Defender token for that user', async () => {
    const obo = new MsalOboTokenProvider({
      clientId: BOT.clientId,
      clientSecret: BOT.clientSecret,
      authorityHost: server.url,
      defaultTenantId: TENANT_A,
      httpClient: http,
      logger: log.logger,
    });
    const assertion = await source().getAssertion({ tenantId: ALICE.tenantId, aadObjectId: ALICE.aadObjectId });
    const token = await obo.acquireForUser(assertion);
    assert.equal(claimsOf(token).upn, ALICE.upn);
    assert.ok(log.lines.every((line) => !line.includes('eyJ')));
  });
});
