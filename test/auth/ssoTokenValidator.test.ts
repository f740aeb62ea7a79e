import assert from 'node:assert/strict';
import { SignJWT, generateKeyPair } from 'jose';
import { SsoTokenValidator } from '../../src/auth/ssoTokenValidator';
import { isAppError } from '../../src/errors';
import { HttpClient } from '../../src/http/httpClient';
import { createLogger } from '../../src/logging/logger';
import type { EntraTestServer } from '../simulator/entra/entraTestServer';
import { startEntraTestServer } from '../simulator/entra/entraTestServer';
import { ALICE, BOB, BOT, TENANT_A, TENANT_B, testSeeds } from '../simulator/entra/entraTestSeeds';

describe('SsoTokenValidator against the Entra emulator (tenant keys over HTTPS)', function () {
  this.timeout(20_000);
  let server: EntraTestServer;
  let http: HttpClient;
  let validator: SsoTokenValidator;

  before(async () => {
    server = await startEntraTestServer(testSeeds());
    http = new HttpClient({ extraCaPem: [server.caCertPem] });
    validator = new SsoTokenValidator({
      authorityHost: server.url,
      botAppId: BOT.clientId,
      httpClient: http,
      logger: createLogger({ level: 'silent' }),
    });
  });
  after(async () => {
    http.close();
    await server.close();
  });

  const mint = (overrides: Partial<Parameters<EntraTestServer['emulator']['mintUserAssertion']>[0]> = {}) =>
    server.emulator.mintUserAssertion({
      tenantId: TENANT_A,
      aadObjectId: ALICE.aadObjectId,
      audience: BOT.clientId,
      ...overrides,
    }).token;
  const refused = (err: unknown) => isAppError(err, 'notSignedIn');

  it('accepts a Teams SSO token for the bot, by client id or App ID URI, and reads the user from it', async () => {
    for (const audience of [BOT.clientId, `api://botid-${BOT.clientId}`]) {
      const assertion = await validator.validate(mint({ audience }), {
        tenantId: TENANT_A,
        aadObjectId: ALICE.aadObjectId,
      });
      assert.equal(assertion.user.tenantId, TENANT_A);
      assert.equal(assertion.user.aadObjectId, ALICE.aadObjectId);
      assert.equal(assertion.user.userPrincipalName, ALICE.upn);
      assert.ok(assertion.expiresAt > Date.now());
    }
  });

  it('refuses a token for another audience, expired, without access_as_user, or not for this sender', async () => {
    await assert.rejects(
      validator.validate(mint({ audience: '00000003-0000-0000-c000-000000000000' }), { tenantId: TENANT_A }),
      refused,
    );
    await assert.rejects(validator.validate(mint({ expired: true }), { tenantId: TENANT_A }), refused);
    await assert.rejects(validator.validate(mint({ scope: 'User.Read' }), { tenantId: TENANT_A }), refused);
    await assert.rejects(validator.validate(mint(), { tenantId: TENANT_A, aadObjectId: BOB.aadObjectId }), refused);
  });

  it('refuses a valid token from another tenant than the activity', async () => {
    const fromB = server.emulator.mintUserAssertion({
      tenantId: TENANT_B,
      aadObjectId: BOB.aadObjectId,
      audience: BOT.clientId,
    }).token;
    await assert.rejects(validator.validate(fromB, { tenantId: TENANT_A }), refused);
    const ok = await validator.validate(fromB, { tenantId: TENANT_B });
    assert.equal(ok.user.tenantId, TENANT_B);
  });

  it('refuses a forged token: right claims, signed by a key the tenant never published', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({
      tid: TENANT_A,
      oid: ALICE.aadObjectId,
      scp: 'access_as_user',
      preferred_username: ALICE.upn,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'forged-kid' })
      .setIssuer(`${server.url}/${TENANT_A}/v2.0`)
      .setAudience(BOT.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(privateKey);
    await assert.rejects(validator.validate(forged, { tenantId: TENANT_A }), refused);
    // A genuine token with its signature altered is refused too.
    const genuine = mint();
    const tampered = `${genuine.slice(0, -4)}${genuine.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    await assert.rejects(validator.validate(tampered, { tenantId: TENANT_A }), refused);
    await assert.rejects(validator.validate('not-a-jwt', { tenantId: TENANT_A }), refused);
  });

  it('refuses an unsigned (alg none) token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${part({ alg: 'none', typ: 'JWT' })}.${part({ tid: TENANT_A, oid: ALICE.aadObjectId, scp: 'access_as_user', aud: BOT.clientId, iss: `${server.url}/${TENANT_A}/v2.0`, iat: now, exp: now + 3600 })}.`;
    await assert.rejects(validator.validate(unsigned, { tenantId: TENANT_A }), refused);
  });
});
