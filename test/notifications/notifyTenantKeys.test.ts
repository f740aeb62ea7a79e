import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair } from 'jose';
import type { HttpClient, HttpRequest } from '../../src/http/httpClient';
import { NotifyTenantKeys } from '../../src/notifications/notifyTenantKeys';

/* Signing keys of the tenants that push alerts: how often Entra ID is asked, and what a failed refresh keeps. */

const TENANT = '6a1f3c52-0000-4000-8000-00000000c0de';
const HOST = 'https://login.example.test';

async function fakeEntra() {
  const { publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', use: 'sig' };
  const state = { requests: 0, down: false };
  let release: (() => void) | undefined;
  const gate = { hold: false, wait: Promise.resolve() };
  const client = {
    request: async (req: HttpRequest) => {
      state.requests++;
      if (gate.hold) await gate.wait;
      if (state.down) return { status: 503, headers: {}, body: '' };
      const body = req.url.endsWith('/keys')
        ? { keys: [jwk] }
        : { issuer: `${HOST}/${TENANT}/v2.0`, jwks_uri: `${HOST}/${TENANT}/discovery/v2.0/keys` };
      return { status: 200, headers: {}, body: JSON.stringify(body) };
    },
  } as unknown as HttpClient;
  return {
    client,
    state,
    holdRequests() {
      gate.hold = true;
      gate.wait = new Promise<void>((resolve) => (release = resolve));
    },
    releaseRequests() {
      gate.hold = false;
      release?.();
    },
  };
}

describe('NotifyTenantKeys', () => {
  it('fetches once for many concurrent requests, and once for a burst of forced refreshes', async () => {
    const entra = await fakeEntra();
    const keys = new NotifyTenantKeys({ authorityHost: HOST, httpClient: entra.client, ttlMs: 100 });
    entra.holdRequests();
    const first = Array.from({ length: 20 }, () => keys.get(TENANT));
    entra.releaseRequests();
    await Promise.all(first);
    assert.equal(entra.state.requests, 3, 'two metadata documents and the key set');

    await new Promise((resolve) => setTimeout(resolve, 120)); // older than the TTL
    entra.holdRequests();
    const refreshes = Array.from({ length: 20 }, () => keys.get(TENANT, true));
    entra.releaseRequests();
    await Promise.all(refreshes);
    assert.equal(entra.state.requests, 6, 'one more fetch, not twenty');
  });

  it('keeps the keys it had when a refresh fails, and fails only when it never had any', async () => {
    const entra = await fakeEntra();
    const keys = new NotifyTenantKeys({ authorityHost: HOST, httpClient: entra.client, ttlMs: 10 });
    const good = await keys.get(TENANT);
    await new Promise((resolve) => setTimeout(resolve, 20));
    entra.state.down = true;
    const kept = await keys.get(TENANT);
    assert.deepEqual(kept.issuers, good.issuers);
    // While Entra ID is down, tokens naming unknown keys do not make every request try again.
    const attempts = entra.state.requests;
    for (let i = 0; i < 5; i++) await keys.get(TENANT, true);
    assert.equal(entra.state.requests, attempts);

    const fresh = new NotifyTenantKeys({ authorityHost: HOST, httpClient: entra.client });
    await assert.rejects(fresh.get(TENANT), /503/);
  });
});
