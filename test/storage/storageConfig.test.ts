import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/config';

const SECRET_CONNECTION_STRING = 'DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=c2VjcmV0LWtleQ==';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env, '/tmp');
  } catch (error: unknown) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.message.includes('c2VjcmV0'), false, 'a configuration error never shows a value');
    return error.problems;
  }
  return assert.fail('expected a ConfigError');
}

describe('storage settings', () => {
  it('keeps the file store in DATA_DIR/state when no STORAGE_* setting is made', () => {
    assert.deepEqual(loadConfig({}, '/tmp').storage, { kind: 'file' });
    assert.deepEqual(loadConfig({ STORAGE_CONNECTION_STRING: ' ', STORAGE_ACCOUNT_URL: '' }, '/tmp').storage, {
      kind: 'file',
    });
  });

  it('chooses Blob Storage from a connection string, in the soc-bot container unless STORAGE_CONTAINER says', () => {
    assert.deepEqual(loadConfig({ STORAGE_CONNECTION_STRING: SECRET_CONNECTION_STRING }, '/tmp').storage, {
      kind: 'blob',
      connectionString: SECRET_CONNECTION_STRING,
      container: 'soc-bot',
    });
    const named = loadConfig(
      { STORAGE_CONNECTION_STRING: SECRET_CONNECTION_STRING, STORAGE_CONTAINER: 'bot-state' },
      '/tmp',
    );
    assert.equal(named.storage.kind === 'blob' && named.storage.container, 'bot-state');
  });

  it('chooses Blob Storage with the managed identity from an https account URL', () => {
    assert.deepEqual(loadConfig({ STORAGE_ACCOUNT_URL: 'https://socbot.blob.core.windows.net/' }, '/tmp').storage, {
      kind: 'blob',
      accountUrl: 'https://socbot.blob.core.windows.net',
      container: 'soc-bot',
    });
  });

  it('refuses both at once, an http account URL and an invalid container name, naming each setting', () => {
    assert.deepEqual(
      problemsOf({
        STORAGE_CONNECTION_STRING: SECRET_CONNECTION_STRING,
        STORAGE_ACCOUNT_URL: 'https://a.blob.core.windows.net',
      }),
      ['STORAGE_ACCOUNT_URL: set either STORAGE_CONNECTION_STRING or STORAGE_ACCOUNT_URL, not both'],
    );
    assert.match(problemsOf({ STORAGE_ACCOUNT_URL: 'http://a.blob.core.windows.net' }).join(), /^STORAGE_ACCOUNT_URL:/);
    for (const container of ['Soc-Bot', 'ab', 'soc--bot', '-soc', 'soc_bot']) {
      assert.match(
        problemsOf({ STORAGE_CONNECTION_STRING: SECRET_CONNECTION_STRING, STORAGE_CONTAINER: container }).join(),
        /^STORAGE_CONTAINER: must be a container name/,
        container,
      );
    }
  });
});
