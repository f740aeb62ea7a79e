import assert from 'node:assert/strict';
import { AppError } from '../../src/errors';
import { createLogger } from '../../src/logging/logger';
import type { AlertNotifications } from '../../src/notifications/alertNotifications';
import type { NotifyAuthenticator } from '../../src/notifications/notifyAuthenticator';
import { createNotifyHandler } from '../../src/notifications/notifyEndpoint';

/*
 * The answers of POST /api/notify once a request is authenticated: retries by the sender with the same
 * webhook id, and failures of the bot's own side. (Authentication and bodies are tested through the real
 * endpoint in test/conversation/notifications.test.ts.)
 */

const TENANT = '6a1f3c52-0000-4000-8000-00000000c0de';
type Ingest = AlertNotifications['ingestPushed'];

function handler(ingest: Ingest) {
  const authenticator = {
    authenticate: (headers: Record<string, string | string[] | undefined>) =>
      Promise.resolve({ kind: 'hmac' as const, webhookId: String(headers['webhook-id']) }),
  } as unknown as NotifyAuthenticator;
  return createNotifyHandler({
    authenticator,
    notifications: { ingestPushed: ingest },
    servedTenants: [TENANT],
    maxBodyBytes: 64 * 1024,
    logger: createLogger({ level: 'silent' }),
  });
}

function request(webhookId: string) {
  return {
    headers: { 'content-type': 'application/json', 'webhook-id': webhookId },
    rawBody: Buffer.from(JSON.stringify({ alertId: 'da637000000000000000_1' })),
  };
}

const ok = { unchanged: 0, ingested: 1, conversations: 1, deferred: 0, notFound: [] };

describe('POST /api/notify: retries and failures on the bot’s side', () => {
  it('answers a retry of a notification still being processed with 409, and one already done as a duplicate', async () => {
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const notify = handler(async () => {
      calls++;
      await slow;
      return ok;
    });
    const first = notify(request('msg_1'));
    const retry = await notify(request('msg_1'));
    assert.equal(retry.status, 409);
    release();
    assert.equal((await first).status, 202);
    assert.deepEqual((await notify(request('msg_1'))).body, { duplicate: true });
    assert.equal(calls, 1);
  });

  it('lets the retry of a failed attempt through, so a notification is not lost to its own first failure', async () => {
    let calls = 0;
    const notify = handler(() => {
      calls++;
      if (calls === 1) return Promise.reject(new AppError('rateLimited', 'Defender answered 429'));
      return Promise.resolve(ok);
    });
    assert.equal((await notify(request('msg_2'))).status, 503);
    assert.equal((await notify(request('msg_2'))).status, 202);
    assert.equal(calls, 2);
  });

  it('accepts alerts the intake set aside for a later try, saying how many', async () => {
    const notify = handler(() => Promise.resolve({ ...ok, deferred: 1 }));
    const answer = await notify(request('msg_3'));
    assert.equal(answer.status, 202);
    assert.equal((answer.body as { deferred: number }).deferred, 1);
  });

  it('names a refusal of the bot’s own identity (no consent, bad credentials) instead of a bare 500', async () => {
    for (const code of ['consentRequired', 'clientCredentialsInvalid', 'forbidden'] as const) {
      const notify = handler(() => Promise.reject(new AppError(code, 'refused')));
      const answer = await notify(request(`msg_${code}`));
      assert.equal(answer.status, 502, code);
      assert.match(JSON.stringify(answer.body), /consent to its Defender permission/);
    }
  });
});
