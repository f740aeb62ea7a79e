import assert from 'node:assert/strict';
import { startHarness } from './defenderHarness';
import type { Harness } from './defenderHarness';
import type { TestResponse } from './testServer';
import { TENANT_A, TENANT_B, tenantASeed, tenantBSeed, USERS } from './testSeeds';

function assertUnauthorized(res: TestResponse, message: RegExp): void {
  assert.equal(res.status, 401);
  assert.equal(res.json.error.code, 'Unauthorized');
  assert.match(res.json.error.message, message);
  assert.match(res.json.error.target, /^[0-9a-f-]{36}$/);
}

describe('simulator/defender bearer tokens', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  const userClaims = (overrides: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return {
      aud: 'https://api.securitycenter.microsoft.com',
      iss: `https://sts.windows.net/${TENANT_A}/`,
      tid: TENANT_A,
      iat: now,
      nbf: now,
      exp: now + 3600,
      appid: '0f0f0f0f-1111-4222-8333-444444444444',
      ver: '1.0',
      scp: 'Alert.Read',
      oid: USERS.admin.oid,
      upn: USERS.admin.upn,
      ...overrides,
    };
  };

  it('accepts a valid delegated token', async () => {
    const res = await h.server.request('/api/alerts', { token: await h.tokens.sign(userClaims()) });
    assert.equal(res.status, 200);
  });

  it("accepts every audience of MDE's own resource", async () => {
    for (const aud of [
      'https://api.securitycenter.microsoft.com',
      'https://securitycenter.onmicrosoft.com/windowsatpservice',
      'https://api.securitycenter.windows.com',
      'fc780465-2017-40d4-a0c5-307022471b92',
    ]) {
      const res = await h.server.request('/api/alerts', { token: await h.tokens.sign(userClaims({ aud })) });
      assert.equal(res.status, 200, aud);
    }
  });

  it('rejects tokens for Microsoft Graph and for the Defender XDR API (other resources, §14.5)', async () => {
    for (const aud of [
      'https://graph.microsoft.com',
      '00000003-0000-0000-c000-000000000000',
      'https://api.security.microsoft.com',
      '8ee8fdad-f234-4243-8f3b-15c294843740',
    ]) {
      for (const token of [
        await h.tokens.sign(userClaims({ aud })),
        await h.tokens.app({ tenantId: TENANT_A, roles: ['Alert.Read.All'], overrides: { aud } }),
      ]) {
        assertUnauthorized(await h.server.request('/api/alerts', { token }), /claim check failed \(aud\)/);
      }
    }
  });

  it('rejects a request without Authorization', async () => {
    const res = await h.server.request('/api/alerts');
    assertUnauthorized(res, /missing/);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
  });

  it('rejects a non-Bearer Authorization header', async () => {
    const res = await h.server.request('/api/alerts', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assertUnauthorized(res, /Bearer/);
  });

  it('rejects garbage instead of a JWT', async () => {
    const res = await h.server.request('/api/alerts', { token: 'not-a-jwt' });
    assertUnauthorized(res, /malformed/);
  });

  it('rejects a token signed by another key under the same kid', async () => {
    const token = await h.tokens.sign(userClaims(), { untrustedKey: true });
    assertUnauthorized(await h.server.request('/api/alerts', { token }), /signature/);
  });

  it('rejects a token whose payload was altered after signing', async () => {
    const [header, , signature] = (await h.tokens.sign(userClaims())).split('.');
    const forged = Buffer.from(JSON.stringify(userClaims({ scp: 'Alert.ReadWrite Machine.Isolate' }))).toString(
      'base64url',
    );
    const res = await h.server.request('/api/alerts', { token: `${header}.${forged}.${signature}` });
    assertUnauthorized(res, /signature/);
  });

  it('rejects an unsigned (alg none) token', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify(userClaims())).toString('base64url');
    const res = await h.server.request('/api/alerts', { token: `${header}.${body}.` });
    assert.equal(res.status, 401);
  });

  it('rejects a token for another audience (e.g. Microsoft Graph)', async () => {
    const token = await h.tokens.sign(userClaims({ aud: 'https://graph.microsoft.com' }));
    assertUnauthorized(await h.server.request('/api/alerts', { token }), /claim check failed \(aud\)/);
  });

  it('rejects an expired token (beyond the 5 minute skew)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await h.tokens.sign(userClaims({ iat: now - 7200, nbf: now - 7200, exp: now - 600 }));
    assertUnauthorized(await h.server.request('/api/alerts', { token }), /expired/);
  });

  it('rejects a token that is not valid yet', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await h.tokens.sign(userClaims({ nbf: now + 3600, exp: now + 7200 }));
    assertUnauthorized(await h.server.request('/api/alerts', { token }), /nbf/);
  });

  it('rejects a token without exp', async () => {
    const claims: Record<string, unknown> = userClaims();
    delete claims.exp;
    assertUnauthorized(await h.server.request('/api/alerts', { token: await h.tokens.sign(claims) }), /exp/);
  });

  it('rejects a tenant the simulator does not serve', async () => {
    const other = '33333333-3333-4333-8333-333333333333';
    const token = await h.tokens.sign(userClaims({ tid: other, iss: `https://sts.windows.net/${other}/` }));
    assertUnauthorized(await h.server.request('/api/alerts', { token }), /not served/);
  });

  it('serves no one in a tenant without Defender for Endpoint (seed defender.provisioned: false)', async () => {
    const seed = tenantBSeed();
    seed.defender = { provisioned: false };
    const other = await startHarness({ seeds: [tenantASeed(), seed] });
    try {
      const token = await other.tokens.sign(userClaims({ tid: TENANT_B, iss: `https://sts.windows.net/${TENANT_B}/` }));
      assertUnauthorized(await other.server.request('/api/alerts', { token }), /not served/);
      assert.equal((await other.server.request('/api/alerts', { token: await other.userToken('admin') })).status, 200);
    } finally {
      await other.close();
    }
  });

  it('rejects an issuer that does not match the tenant', async () => {
    const token = await h.tokens.sign(userClaims({ iss: `https://sts.windows.net/${TENANT_B}/` }));
    assertUnauthorized(await h.server.request('/api/alerts', { token }), /issuer/);
  });

  it('rejects a v2 issuer', async () => {
    const token = await h.tokens.sign(userClaims({ iss: `https://login.microsoftonline.com/${TENANT_A}/v2.0` }));
    assertUnauthorized(await h.server.request('/api/alerts', { token }), /issuer/);
  });

  it('rejects a token without tid or appid', async () => {
    const claims: Record<string, unknown> = userClaims();
    delete claims.appid;
    assertUnauthorized(await h.server.request('/api/alerts', { token: await h.tokens.sign(claims) }), /claims/);
  });

  it('reads permissions from roles for app tokens and from scp for user tokens', async () => {
    const app = await h.appToken(['Alert.Read.All']);
    assert.equal((await h.server.request('/api/alerts', { token: app })).status, 200);

    // An application permission name in scp is not a delegated permission.
    const confusedUser = await h.tokens.sign(userClaims({ scp: 'Alert.Read.All' }));
    const userRes = await h.server.request('/api/alerts', { token: confusedUser });
    assert.equal(userRes.status, 403);
    assert.match(userRes.json.error.message, /Alert.Read, Alert.ReadWrite in scp/);

    // And a delegated permission name in roles is not an application permission.
    const confusedApp = await h.appToken(['Alert.Read']);
    const appRes = await h.server.request('/api/alerts', { token: confusedApp });
    assert.equal(appRes.status, 403);
    assert.match(appRes.json.error.message, /application permissions Alert.Read.All, Alert.ReadWrite.All/);
  });

  it('never echoes the token in an error', async () => {
    const token = await h.tokens.sign(userClaims({ aud: 'https://graph.microsoft.com' }));
    const res = await h.server.request('/api/alerts', { token });
    assert.ok(!res.text.includes(token));
    assert.ok(!res.text.includes(token.split('.')[1]!));
  });
});
