import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadOrCreateStateKey, STATE_KEY_FILE, StateCipher } from '../../src/auth/stateCipher';
import { ConfigError, loadConfig } from '../../src/config/config';

const PRODUCTION = {
  BOT_ID: '7d1e5a2b-8c4f-4e9a-b3d6-0f2a9c8e1b54',
  BOT_PASSWORD: 'secret-value',
  BOT_TENANT_ID: '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  BOT_DOMAIN: 'soc.contoso.com',
};
const BLOB = 'DefaultEndpointsProtocol=https;AccountName=socbot;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net';

/** The sealed text with the first character of its ciphertext changed (always a changed byte, never padding). */
function tamperedCiphertext(sealed: string): string {
  const parts = sealed.split('.');
  parts[3] = (parts[3]!.startsWith('A') ? 'B' : 'A') + parts[3]!.slice(1);
  return parts.join('.');
}

/** Asserts that loading `env` fails with exactly one problem, matching `pattern` and not containing `secret`. */
function assertOneProblem(env: NodeJS.ProcessEnv, pattern: RegExp, secret: string): void {
  assert.throws(
    () => loadConfig(env, '/srv'),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.problems.length === 1 &&
      pattern.test(err.problems[0]!) &&
      !err.message.includes(secret),
  );
}

describe('state encryption (sign-in state at rest)', () => {
  it('opens what it sealed, only with the same key and the same context', () => {
    const key = randomBytes(32);
    const sealed = new StateCipher(key).seal('the assertion', 'signIn_assertion_t_u1');
    assert.equal(new StateCipher(key).open(sealed, 'signIn_assertion_t_u1'), 'the assertion');
    assert.equal(new StateCipher(key).open(sealed, 'signIn_assertion_t_u2'), undefined, 'another record key');
    assert.equal(new StateCipher(randomBytes(32)).open(sealed, 'signIn_assertion_t_u1'), undefined, 'another key');
    assert.notEqual(new StateCipher(key).seal('the assertion', 'c'), new StateCipher(key).seal('the assertion', 'c'));
    for (const broken of ['', 'v1', 'v2.a.b.c', `${sealed}.x`, tamperedCiphertext(sealed)]) {
      assert.equal(new StateCipher(key).open(broken, 'signIn_assertion_t_u1'), undefined, broken);
    }
  });

  it('generates one key in DATA_DIR for a single instance (owner-only) and keeps using it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-statekey-'));
    try {
      const first = loadOrCreateStateKey(dir);
      assert.equal(first.length, 32);
      assert.deepEqual(loadOrCreateStateKey(dir), first);
      if (process.platform !== 'win32') assert.equal(fs.statSync(path.join(dir, STATE_KEY_FILE)).mode & 0o077, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('requires STATE_ENCRYPTION_KEY in production on Blob storage, and names no value', () => {
    assertOneProblem(
      { ...PRODUCTION, STORAGE_CONNECTION_STRING: BLOB },
      /^STATE_ENCRYPTION_KEY: required with Blob storage/,
      'c2VjcmV0',
    );
    const key = randomBytes(32).toString('base64');
    const config = loadConfig({ ...PRODUCTION, STORAGE_CONNECTION_STRING: BLOB, STATE_ENCRYPTION_KEY: key }, '/srv');
    assert.deepEqual(config.stateEncryptionKey, Buffer.from(key, 'base64'));
    assert.equal(loadConfig(PRODUCTION, '/srv').stateEncryptionKey, undefined, 'file store: generated in DATA_DIR');
  });

  it('refuses a STATE_ENCRYPTION_KEY that is not 32 bytes of base64, without echoing it', () => {
    for (const bad of [randomBytes(16).toString('base64'), 'not base64 at all!', randomBytes(33).toString('base64')]) {
      assertOneProblem(
        { ...PRODUCTION, STATE_ENCRYPTION_KEY: bad },
        /^STATE_ENCRYPTION_KEY: must be 32 bytes in base64/,
        bad,
      );
    }
  });
});
