import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AssertionStore, assertionKey } from '../../src/auth/assertionStore';
import { StateCipher } from '../../src/auth/stateCipher';
import type { UserAssertion } from '../../src/auth/userTokens';
import { containsJwt } from '../../src/audit/containsJwt';
import { isAppError } from '../../src/errors';
import type { Storage } from '../../src/storage/storage';
import { capturingLogger } from './authTestSupport';
import { describeOnEveryStore } from './signInStorageKinds';

const TENANT = '6f1c2a3b-0000-4000-8000-00000000000a';
const MEGAN = '1a2b3c4d-0000-4000-8000-0000000000b1';
const ADELE = '1a2b3c4d-0000-4000-8000-0000000000b2';

/** A bearer token of the real shape (header.payload.signature), so `containsJwt` would see it anywhere. */
function jwtFor(oid: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ oid, tid: TENANT })}.${randomBytes(32).toString('base64url')}`;
}

function assertionOf(oid: string, expiresAt: number): UserAssertion {
  return {
    token: jwtFor(oid),
    user: {
      tenantId: TENANT,
      aadObjectId: oid,
      userPrincipalName: `${oid}@contoso`,
      displayName: oid,
      appRoles: ['SOC.Approver'],
    },
    expiresAt,
  };
}

const isSignInRequired = (err: unknown) => isAppError(err) && err.code === 'signInRequired';

describeOnEveryStore('AssertionStore', (shared) => {
  const key = randomBytes(32);
  let now: number;
  const storeOn = (storage: Storage, cipherKey = key) => {
    const log = capturingLogger();
    return {
      store: new AssertionStore({ storage, cipher: new StateCipher(cipherKey), logger: log.logger, now: () => now }),
      lines: log.lines,
    };
  };
  beforeEach(() => {
    now = Date.parse('2026-12-06T12:00:00Z');
  });

  it('gives an assertion put on one instance to another instance, and forgets it', async () => {
    const s = await shared();
    const megan = assertionOf(MEGAN, now + 60 * 60_000);
    await storeOn(s.instance()).store.put(megan);
    const other = storeOn(s.instance()).store;
    assert.deepEqual(await other.getAssertion({ tenantId: TENANT.toUpperCase(), aadObjectId: MEGAN }), megan);
    await assert.rejects(other.getAssertion({ tenantId: TENANT, aadObjectId: ADELE }), isSignInRequired);
    await other.forget({ tenantId: TENANT, aadObjectId: MEGAN });
    await assert.rejects(storeOn(s.instance()).store.getAssertion(megan.user), isSignInRequired);
  });

  it('keeps the latest sign-in of a user', async () => {
    const s = await shared();
    const first = assertionOf(MEGAN, now + 30 * 60_000);
    const second = assertionOf(MEGAN, now + 60 * 60_000);
    await storeOn(s.instance()).store.put(first);
    await storeOn(s.instance()).store.put(second);
    assert.equal((await storeOn(s.instance()).store.getAssertion(second.user)).token, second.token);
  });

  it('stops handing out an assertion within the reuse margin of its expiry, and deletes it', async () => {
    const s = await shared();
    const storage = s.instance();
    const { store } = storeOn(storage);
    const megan = assertionOf(MEGAN, now + 6 * 60_000);
    await store.put(megan);
    assert.equal((await store.getAssertion(megan.user)).token, megan.token);
    now += 61_000; // 4 min 59 s left: less than the 5-minute margin an on-behalf-of call needs
    await assert.rejects(store.getAssertion(megan.user), isSignInRequired);
    assert.deepEqual(await storage.read([assertionKey(megan.user)]), {}, 'the expired record is gone');
  });

  it('keeps no token readable at rest: the stored bytes hold no JWT', async () => {
    const s = await shared();
    const megan = assertionOf(MEGAN, now + 60 * 60_000);
    await storeOn(s.instance()).store.put(megan);
    const bytes = await s.bytesAtRest();
    assert.ok(bytes.length > 0, 'something was stored');
    assert.equal(containsJwt(megan.token), true, 'the token is JWT-shaped');
    assert.equal(containsJwt(bytes), false, 'no JWT at rest');
    assert.equal(bytes.includes(megan.token.split('.')[2]!), false, 'not even the signature');
  });

  it('cannot be read with a different key: no assertion (sign in again), logged without content', async () => {
    const s = await shared();
    const megan = assertionOf(MEGAN, now + 60 * 60_000);
    await storeOn(s.instance()).store.put(megan);
    const stranger = storeOn(s.instance(), randomBytes(32));
    await assert.rejects(stranger.store.getAssertion(megan.user), isSignInRequired);
    assert.ok(
      stranger.lines.some((l) => l.includes('does not open')),
      stranger.lines.join('\n'),
    );
    assert.equal(containsJwt(stranger.lines.join('\n')), false);
    // The record is left for the instances that hold the right key.
    assert.equal((await storeOn(s.instance()).store.getAssertion(megan.user)).token, megan.token);
  });

  it("does not open a record copied under another user's key", async () => {
    const s = await shared();
    const storage = s.instance();
    await storeOn(storage).store.put(assertionOf(MEGAN, now + 60 * 60_000));
    const copied = (await storage.read([assertionKey({ tenantId: TENANT, aadObjectId: MEGAN })]))[
      assertionKey({ tenantId: TENANT, aadObjectId: MEGAN })
    ] as Record<string, unknown>;
    const adeleKey = assertionKey({ tenantId: TENANT, aadObjectId: ADELE });
    await storage.write({ [adeleKey]: { ...copied, eTag: '*' } });
    await assert.rejects(
      storeOn(storage).store.getAssertion({ tenantId: TENANT, aadObjectId: ADELE }),
      isSignInRequired,
    );
  });

  it('treats a tampered or malformed record as no assertion', async () => {
    const s = await shared();
    const storage = s.instance();
    const megan = assertionOf(MEGAN, now + 60 * 60_000);
    const { store } = storeOn(storage);
    await store.put(megan);
    const k = assertionKey(megan.user);
    const stored = (await storage.read([k]))[k] as { sealed: string; expiresAt: number };
    const parts = stored.sealed.split('.');
    const data = Buffer.from(parts[3]!, 'base64url');
    data[0] = data[0]! ^ 1;
    parts[3] = data.toString('base64url');
    await storage.write({ [k]: { ...stored, sealed: parts.join('.'), eTag: '*' } });
    await assert.rejects(store.getAssertion(megan.user), isSignInRequired);
    await storage.write({ [k]: { sealed: 42, eTag: '*' } });
    await assert.rejects(store.getAssertion(megan.user), isSignInRequired);
  });
});
