import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { SignJWT, decodeProtectedHeader, generateKeyPair } from 'jose';
import type { AppError } from '../../src/errors';
import { isAppError } from '../../src/errors';
import { HttpClient } from '../../src/http/httpClient';
import { createLogger } from '../../src/logging/logger';
import { NotifyAuthenticator } from '../../src/notifications/notifyAuthenticator';
import type { NotifyAuthenticatorOptions } from '../../src/notifications/notifyAuthenticator';
import {
  DEFAULT_NOTIFY_MAX_BYTES,
  MAX_NOTIFY_ALERT_IDS,
  isJsonContentType,
  parseNotifyBody,
} from '../../src/notifications/notifyRequest';
import type { NotifyBearerOptions } from '../../src/notifications/notifyTokenValidator';
import { parseWebhookSecret, signWebhook } from '../../src/notifications/notifyWebhookSignature';
import { JWT_IN_TEXT } from '../support/rootHooks';
import {
  ANALYST,
  API_TENANT_A,
  API_TENANT_B,
  apiTestSeeds,
  FABRIKAM_NOTIFIER,
  LEGACY_API,
  NO_ROLE_APP,
  NOTIFIER,
  NOTIFY_ROLE,
  SOC_BOT,
  UNLISTED_APP,
} from '../simulator/entra/entraApiTestSeeds';
import { EntraTestClient } from '../simulator/entra/entraTestClient';
import { startEntraTestServer } from '../simulator/entra/entraTestServer';
import type { EntraTestServer } from '../simulator/entra/entraTestServer';

const TENANT = '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const OTHER_TENANT = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const ALERT_1 = 'da637472900382838869_1364969609';
const ALERT_2 = 'ed637472900382838869_-1364969609';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** The AppError `invalidInput` a parse throws, for assertions on its message. */
function parseError(raw: Buffer, options?: Parameters<typeof parseNotifyBody>[1]): AppError {
  try {
    parseNotifyBody(raw, options);
  } catch (err) {
    assert.ok(isAppError(err, 'invalidInput'), `expected invalidInput, got ${String(err)}`);
    return err;
  }
  assert.fail('the body was accepted');
}

describe('notifications: POST /api/notify body (parseNotifyBody)', () => {
  it('accepts { alertId } and { alertIds } with an optional tenantId, deduplicated in first-seen order', () => {
    assert.deepEqual(parseNotifyBody(json({ alertId: ALERT_1 })), { alertIds: [ALERT_1] });
    assert.deepEqual(
      parseNotifyBody(json({ alertIds: [ALERT_2, ALERT_1, ALERT_2], tenantId: TENANT.toUpperCase() })),
      { tenantId: TENANT, alertIds: [ALERT_2, ALERT_1] },
      'tenant ids come back in lower case',
    );
    assert.deepEqual(parseNotifyBody(json({ alertId: ALERT_1, alertIds: [ALERT_2], source: 'sentinel' })), {
      alertIds: [ALERT_1, ALERT_2],
    });
  });

  it('accepts a Defender alert, an array of alerts and an OData page, reading only id and aadTenantId', () => {
    const alert = (id: string, extra: Record<string, unknown> = {}) => ({
      id,
      aadTenantId: TENANT,
      title: 'Suspicious PowerShell <b>[click](https://evil.example)</b>',
      severity: 'High',
      evidence: [{ entityType: 'File', fileName: 'x.ps1' }],
      ...extra,
    });
    assert.deepEqual(parseNotifyBody(json(alert(ALERT_1))), { tenantId: TENANT, alertIds: [ALERT_1] });
    assert.deepEqual(parseNotifyBody(json([alert(ALERT_1), alert(ALERT_2), alert(ALERT_1)])), {
      tenantId: TENANT,
      alertIds: [ALERT_1, ALERT_2],
    });
    const page = {
      '@odata.context': 'https://api.security.microsoft.com/api/$metadata#Alerts',
      value: [alert(ALERT_2)],
    };
    assert.deepEqual(parseNotifyBody(json(page)), { tenantId: TENANT, alertIds: [ALERT_2] });
    // aadTenantId may be missing or null on relayed alerts; the tenant then stays unnamed.
    assert.deepEqual(parseNotifyBody(json({ id: ALERT_1, aadTenantId: null })), { alertIds: [ALERT_1] });
    assert.deepEqual(parseNotifyBody(json([{ id: ALERT_1 }])), { alertIds: [ALERT_1] });
    // A UTF-8 byte order mark (some Windows tools write one) is not an error.
    assert.deepEqual(parseNotifyBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json({ alertId: ALERT_1 })])), {
      alertIds: [ALERT_1],
    });
  });

  it('refuses an empty, oversized, non-UTF-8 or non-JSON body without quoting it', () => {
    assert.match(parseError(Buffer.alloc(0)).message, /empty/);
    const big = json({ alertId: ALERT_1, padding: 'x'.repeat(DEFAULT_NOTIFY_MAX_BYTES) });
    assert.match(parseError(big).message, /larger than 65536 bytes/);
    assert.match(parseError(json({ alertId: ALERT_1 }), { maxBytes: 10 }).message, /larger than 10 bytes/);
    assert.match(parseError(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])).message, /not UTF-8/);
    const secretish = '{"alertId": "da6374_secret-looking-payload",';
    const notJson = parseError(Buffer.from(secretish));
    assert.equal(notJson.message, 'notification body is not valid JSON');
    assert.ok(notJson.cause, 'the parser error is kept as the cause, for diagnostics');
  });

  it('refuses JSON that is not an object or array, or names no alert, saying which shapes are accepted', () => {
    for (const body of ['42', '"da637472900382838869_1364969609"', 'null', 'true']) {
      assert.match(parseError(Buffer.from(body)).message, /must be a JSON object or array/);
    }
    assert.match(parseError(json({ alertID: ALERT_1 })).message, /none of alertId, alertIds, id .* or value/);
    assert.match(parseError(json({ alertIds: [] })).message, /names no alert id/);
    assert.match(parseError(json([])).message, /has no alert/);
    assert.match(parseError(json({ value: [] })).message, /value has no alert/);
  });

  it('names the field of a bad alert id or tenant id, never the value', () => {
    const hostile = 'x y<script>alert(1)</script>';
    const cases: Array<[unknown, RegExp]> = [
      [{ alertIds: [ALERT_1, hostile] }, /^invalid notification: alertIds\[1\]: not a valid alert id$/],
      [{ alertId: '-starts-with-dash' }, /alertId: not a valid alert id/],
      [{ alertId: 'a'.repeat(129) }, /alertId: not a valid alert id/],
      [{ alertId: 42 }, /alertId: expected string/],
      [{ alertIds: ALERT_1 }, /alertIds: expected array/],
      [[{ id: ALERT_1 }, { id: hostile }], /\[1\]\.id: not a valid alert id/],
      [{ value: [{ id: ALERT_1, aadTenantId: 'contoso.com' }] }, /value\[0\]\.aadTenantId: not a tenant id/],
      [{ alertId: ALERT_1, tenantId: hostile }, /tenantId: not a tenant id/],
      [{ value: 'nope' }, /value: expected array/],
    ];
    for (const [body, expected] of cases) {
      const { message } = parseError(json(body));
      assert.match(message, expected, JSON.stringify(body));
      assert.ok(!message.includes('script') && !message.includes('contoso.com'), message);
    }
    assert.equal(parseNotifyBody(json({ alertId: 'a'.repeat(128) })).alertIds[0]?.length, 128, '128 is allowed');
  });

  it(`refuses more than ${MAX_NOTIFY_ALERT_IDS} alert ids (or the configured lower limit)`, () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `alert_${i}`);
    assert.equal(parseNotifyBody(json({ alertIds: ids(50) })).alertIds.length, 50);
    assert.match(parseError(json({ alertIds: ids(51) })).message, /names 51 alert ids; at most 50/);
    assert.match(parseError(json({ value: ids(51).map((id) => ({ id })) })).message, /at most 50/);
    assert.match(parseError(json({ alertIds: ids(3) }), { maxAlertIds: 2 }).message, /at most 2/);
    assert.match(parseError(json({ alertIds: ids(51) }), { maxAlertIds: 500 }).message, /at most 50/, 'capped at 50');
  });

  it('refuses alerts of several tenants, or a tenantId that contradicts the alerts', () => {
    assert.match(
      parseError(
        json([
          { id: ALERT_1, aadTenantId: TENANT },
          { id: ALERT_2, aadTenantId: OTHER_TENANT },
        ]),
      ).message,
      /more than one tenant/,
    );
    assert.match(
      parseError(json({ tenantId: OTHER_TENANT, value: [{ id: ALERT_1, aadTenantId: TENANT }] })).message,
      /more than one tenant/,
    );
    assert.deepEqual(
      parseNotifyBody(json({ tenantId: TENANT.toUpperCase(), value: [{ id: ALERT_1, aadTenantId: TENANT }] })),
      { tenantId: TENANT, alertIds: [ALERT_1] },
      'the same tenant in another case is one tenant',
    );
  });

  it('recognises JSON content types', () => {
    assert.equal(isJsonContentType('application/json'), true);
    assert.equal(isJsonContentType('Application/JSON; charset=utf-8'), true);
    assert.equal(isJsonContentType('application/cloudevents+json'), true);
    assert.equal(isJsonContentType('text/plain'), false);
    assert.equal(isJsonContentType('application/x-www-form-urlencoded'), false);
    assert.equal(isJsonContentType(undefined), false);
    assert.equal(isJsonContentType(['application/json', 'application/json']), false);
  });
});

/** A logger whose lines the test reads (the suite-wide scan only sees the shared capture). */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

/** The refusal of `promise`: AppError `notSignedIn` whose message matches `reason` and holds no token. */
async function assertRefused(promise: Promise<unknown>, reason: RegExp): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isAppError(err, 'notSignedIn'), `expected notSignedIn, got ${String(err)}`);
    assert.match(err.message, reason);
    assert.doesNotMatch(err.message, JWT_IN_TEXT);
    return err;
  }
  assert.fail('the request was accepted');
}

// The Standard Webhooks reference library's own test vector (libraries/javascript/src/webhook.test.ts).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const SECRET_NEW = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const SECRET_OLD = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const SECRET_OTHER = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;

describe('notifications: NotifyAuthenticator with Standard Webhooks signatures', () => {
  const http = new HttpClient();
  after(() => http.close());
  const body = json({ alertId: ALERT_1 });
  const now = 1_800_000_000;

  function authenticator(hmacSecrets: string[], extra: Partial<NotifyAuthenticatorOptions> = {}) {
    const { logger, lines } = capturingLogger();
    return {
      auth: new NotifyAuthenticator({ hmacSecrets, httpClient: http, logger, now: () => now, ...extra }),
      lines,
    };
  }
  function signed(secret: string, raw: Buffer = body, timestamp = now, id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W') {
    return {
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(parseWebhookSecret(secret), id, timestamp, raw),
    };
  }

  it("signs and verifies exactly like the reference library's published vector", async () => {
    const key = parseWebhookSecret(VECTOR.secret);
    assert.equal(signWebhook(key, VECTOR.id, VECTOR.timestamp, VECTOR.body), VECTOR.signature);
    const auth = new NotifyAuthenticator({
      hmacSecrets: [VECTOR.secret],
      httpClient: http,
      logger: createLogger({ level: 'silent' }),
      now: () => VECTOR.timestamp + 10,
    });
    const headers = {
      'webhook-id': VECTOR.id,
      'webhook-timestamp': String(VECTOR.timestamp),
      'webhook-signature': VECTOR.signature,
    };
    assert.deepEqual(await auth.authenticate(headers, Buffer.from(VECTOR.body)), {
      kind: 'hmac',
      webhookId: VECTOR.id,
    });
  });

  it('accepts a good signature and logs the sender without the signature or secret', async () => {
    const { auth, lines } = authenticator([SECRET_NEW]);
    const headers = signed(SECRET_NEW);
    assert.deepEqual(await auth.authenticate(headers, body), {
      kind: 'hmac',
      webhookId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
    });
    assert.ok(lines.some((line) => line.includes('notification sender accepted')));
    const secretB64 = SECRET_NEW.slice('whsec_'.length);
    assert.ok(
      lines.every((line) => !line.includes(headers['webhook-signature'].slice(3)) && !line.includes(secretB64)),
    );
  });

  it('refuses a signature made with another secret, and a tampered body', async () => {
    const { auth, lines } = authenticator([SECRET_NEW]);
    await assertRefused(auth.authenticate(signed(SECRET_OTHER), body), /webhook-signature does not match/);
    const tampered = json({ alertId: ALERT_2 });
    await assertRefused(auth.authenticate(signed(SECRET_NEW), tampered), /does not match/);
    // Same bytes, re-serialised differently: still another body.
    await assertRefused(auth.authenticate(signed(SECRET_NEW), Buffer.from(`${body.toString()} `)), /does not match/);
    assert.ok(lines.some((line) => line.includes('"reason":"webhook-signature does not match"')));
  });

  it('refuses timestamps more than five minutes old or ahead, and accepts them within', async () => {
    const { auth } = authenticator([SECRET_NEW]);
    await assertRefused(auth.authenticate(signed(SECRET_NEW, body, now - 301), body), /too old/);
    await assertRefused(auth.authenticate(signed(SECRET_NEW, body, now + 301), body), /in the future/);
    assert.equal((await auth.authenticate(signed(SECRET_NEW, body, now - 299), body)).kind, 'hmac');
    assert.equal((await auth.authenticate(signed(SECRET_NEW, body, now + 299), body)).kind, 'hmac');
    const notSeconds = { ...signed(SECRET_NEW), 'webhook-timestamp': '2026-01-01T00:00:00Z' };
    await assertRefused(auth.authenticate(notSeconds, body), /not unix seconds/);
  });

  it('accepts either secret during a rotation, and a header listing several signatures', async () => {
    const { auth } = authenticator([SECRET_NEW, SECRET_OLD]);
    assert.equal((await auth.authenticate(signed(SECRET_OLD), body)).kind, 'hmac');
    assert.equal((await auth.authenticate(signed(SECRET_NEW), body)).kind, 'hmac');
    const both = signed(SECRET_OTHER);
    both['webhook-signature'] =
      `v1a,bm90LWVkMjU1MTk= ${both['webhook-signature']} ${signed(SECRET_OLD)['webhook-signature']}`;
    assert.equal((await auth.authenticate(both, body)).kind, 'hmac');
    // After the rotation the old secret is removed from the configuration: its signatures stop working.
    const { auth: rotated } = authenticator([SECRET_NEW]);
    await assertRefused(rotated.authenticate(signed(SECRET_OLD), body), /does not match/);
  });

  it('refuses missing, repeated or malformed webhook headers', async () => {
    const { auth } = authenticator([SECRET_NEW]);
    const good = signed(SECRET_NEW);
    await assertRefused(auth.authenticate({ ...good, 'webhook-id': undefined }, body), /each be sent once/);
    await assertRefused(auth.authenticate({ ...good, 'webhook-id': ['a', 'b'] }, body), /each be sent once/);
    await assertRefused(auth.authenticate({ ...good, 'webhook-id': 'has space' }, body), /webhook-id/);
    await assertRefused(auth.authenticate({ ...good, 'webhook-signature': 'v1a,abc' }, body), /no well-formed v1/);
    await assertRefused(auth.authenticate({ ...good, 'webhook-signature': 'v1,short' }, body), /no well-formed v1/);
    const many = Array.from({ length: 11 }, () => good['webhook-signature']).join(' ');
    await assertRefused(auth.authenticate({ ...good, 'webhook-signature': many }, body), /too many/);
    // Header names are case-insensitive when a caller passes a plain object.
    const upper = {
      'Webhook-Id': good['webhook-id'],
      'Webhook-Timestamp': good['webhook-timestamp'],
      'Webhook-Signature': good['webhook-signature'],
    };
    assert.equal((await auth.authenticate(upper, body)).kind, 'hmac');
  });

  it('refuses malformed secrets at construction, naming the position and never the value', () => {
    const tooShort = `whsec_${Buffer.alloc(16, 3).toString('base64')}`;
    for (const [secret, reason] of [
      [SECRET_NEW.slice('whsec_'.length), /start with "whsec_"/],
      ['whsec_not base64!', /followed by base64/],
      [tooShort, /24 to 64 bytes/],
    ] as const) {
      assert.throws(
        () => authenticator([SECRET_OLD, secret]),
        (err: Error) =>
          reason.test(err.message) && err.message.startsWith('webhook secret #2:') && !err.message.includes(secret),
      );
    }
  });

  it('refuses webhook signatures when no secret is configured, and everything when nothing is', async () => {
    const bearer: NotifyBearerOptions = {
      authorityHost: 'https://127.0.0.1:9',
      audiences: [SOC_BOT.clientId],
      allowedClientIds: [NOTIFIER.clientId],
      requiredRole: NOTIFY_ROLE,
      allowedTenantIds: [API_TENANT_A],
    };
    const { auth: bearerOnly } = authenticator([], { bearer });
    await assertRefused(bearerOnly.authenticate(signed(SECRET_NEW), body), /webhook signatures are not accepted/);

    const { auth: nothing } = authenticator([]);
    await assertRefused(nothing.authenticate(signed(SECRET_NEW), body), /not accepted/);
    await assertRefused(nothing.authenticate({}, body), /notifications are not configured/);
    await assertRefused(
      nothing.authenticate({ authorization: 'Bearer abc.def.ghi' }, body),
      /bearer tokens are not accepted/,
    );
  });
});

describe('notifications: NotifyAuthenticator with Entra ID tokens, against the emulator over HTTPS', () => {
  let server: EntraTestServer;
  let entra: EntraTestClient;
  let http: HttpClient;
  const body = json({ alertId: ALERT_1 });
  const BOT_API = `api://botid-${SOC_BOT.clientId}`;
  const LEGACY_URI = `api://botid-${LEGACY_API.clientId}`;

  before(async () => {
    server = await startEntraTestServer(apiTestSeeds());
    entra = new EntraTestClient(server);
    http = new HttpClient({ extraCaPem: [server.caCertPem] });
  });
  after(async () => {
    http.close();
    entra.close();
    await server.close();
  });

  function bearerPolicy(overrides: Partial<NotifyBearerOptions> = {}): NotifyBearerOptions {
    return {
      authorityHost: server.url,
      audiences: [BOT_API, SOC_BOT.clientId],
      allowedClientIds: [NOTIFIER.clientId, NO_ROLE_APP.clientId, FABRIKAM_NOTIFIER.clientId],
      requiredRole: NOTIFY_ROLE,
      allowedTenantIds: [API_TENANT_A],
      ...overrides,
    };
  }
  function authenticator(overrides: Partial<NotifyBearerOptions> = {}, now?: () => number) {
    const { logger, lines } = capturingLogger();
    const auth = new NotifyAuthenticator({
      hmacSecrets: [SECRET_NEW],
      bearer: bearerPolicy(overrides),
      httpClient: http,
      logger,
      ...(now ? { now } : {}),
    });
    return { auth, lines };
  }
  /** A client-credentials token from the emulator, as a Logic App or daemon would get it. */
  async function appToken(app: { clientId: string; clientSecret: string }, resource = BOT_API, tenant = API_TENANT_A) {
    const { status, body: tokenBody } = await entra.postToken(
      {
        client_id: app.clientId,
        client_secret: app.clientSecret,
        grant_type: 'client_credentials',
        scope: `${resource}/.default`,
      },
      tenant,
    );
    assert.equal(status, 200, JSON.stringify(tokenBody));
    return String(tokenBody.access_token);
  }
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('accepts an app token with SOC.Notify from an allowed caller, and logs who without the token', async () => {
    const { auth, lines } = authenticator();
    const token = await appToken(NOTIFIER);
    assert.deepEqual(await auth.authenticate(bearer(token), body), {
      kind: 'bearer',
      tenantId: API_TENANT_A,
      clientId: NOTIFIER.clientId,
    });
    // A bearer token wins over webhook headers that came along (never a fallback between methods).
    const withHeaders = { ...bearer(token), 'webhook-id': 'x', 'webhook-timestamp': '1', 'webhook-signature': 'v1,x' };
    assert.equal((await auth.authenticate(withHeaders, body)).kind, 'bearer');
    assert.ok(lines.some((line) => line.includes('notification sender accepted') && line.includes(NOTIFIER.clientId)));
    assert.ok(lines.every((line) => !JWT_IN_TEXT.test(line)));
  });

  it('accepts a v1 token (sts.windows.net issuer, appid) for an API that accepts v1', async () => {
    const { auth } = authenticator({ audiences: [LEGACY_URI] });
    const token = await appToken(NOTIFIER, LEGACY_URI);
    assert.equal(
      String(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).iss).startsWith(
        'https://sts.windows.net/',
      ),
      true,
    );
    assert.deepEqual(await auth.authenticate(bearer(token), body), {
      kind: 'bearer',
      tenantId: API_TENANT_A,
      clientId: NOTIFIER.clientId,
    });
  });

  it('refuses a token for another audience', async () => {
    const { auth, lines } = authenticator();
    const token = await appToken(NOTIFIER, LEGACY_URI);
    const err = await assertRefused(auth.authenticate(bearer(token), body), /another audience/);
    assert.ok(!err.message.includes(token));
    assert.ok(lines.some((line) => line.includes('notification sender refused') && line.includes('another audience')));
    assert.ok(lines.every((line) => !JWT_IN_TEXT.test(line)));
  });

  it('refuses a token without the SOC.Notify app role', async () => {
    const { auth } = authenticator();
    await assertRefused(auth.authenticate(bearer(await appToken(NO_ROLE_APP)), body), /lacks the SOC\.Notify app role/);
    const { auth: stricter } = authenticator({ requiredRole: 'SOC.NotifyHigh' });
    await assertRefused(
      stricter.authenticate(bearer(await appToken(NOTIFIER)), body),
      /lacks the SOC\.NotifyHigh app role/,
    );
  });

  it('refuses a caller that holds the role but is not in the allowed client ids', async () => {
    const { auth, lines } = authenticator();
    await assertRefused(auth.authenticate(bearer(await appToken(UNLISTED_APP)), body), /not in the allowed client ids/);
    assert.ok(
      lines.some((line) => line.includes(`"clientId":"${UNLISTED_APP.clientId}"`)),
      'the log names the caller',
    );
    const { auth: empty } = authenticator({ allowedClientIds: [] });
    await assertRefused(empty.authenticate(bearer(await appToken(NOTIFIER)), body), /not in the allowed client ids/);
  });

  it("refuses another tenant's token before fetching that tenant's keys", async () => {
    const { auth } = authenticator();
    const token = await appToken(FABRIKAM_NOTIFIER, BOT_API, API_TENANT_B);
    const fetchedBefore = server.requests.filter(
      (r) => r.path.startsWith(`/${API_TENANT_B}/`) && r.method === 'GET',
    ).length;
    await assertRefused(auth.authenticate(bearer(token), body), /tenant that is not allowed/);
    const fetchedAfter = server.requests.filter(
      (r) => r.path.startsWith(`/${API_TENANT_B}/`) && r.method === 'GET',
    ).length;
    assert.equal(fetchedAfter, fetchedBefore, 'no metadata or keys were read for the other tenant');
    // The same token is fine once that tenant is allowed (the keys are then that tenant's own).
    const { auth: both } = authenticator({ allowedTenantIds: [API_TENANT_A, API_TENANT_B.toUpperCase()] });
    assert.deepEqual(await both.authenticate(bearer(token), body), {
      kind: 'bearer',
      tenantId: API_TENANT_B,
      clientId: FABRIKAM_NOTIFIER.clientId,
    });
  });

  it('refuses an expired token and one not yet valid, beyond two minutes of skew', async () => {
    const token = await appToken(NOTIFIER);
    const seconds = () => Date.now() / 1000;
    await assertRefused(
      authenticator({}, () => seconds() + 3599 + 121).auth.authenticate(bearer(token), body),
      /expired/,
    );
    await assertRefused(
      authenticator({}, () => seconds() - 121).auth.authenticate(bearer(token), body),
      /not valid yet/,
    );
    assert.equal(
      (await authenticator({}, () => seconds() + 3599 + 60).auth.authenticate(bearer(token), body)).kind,
      'bearer',
    );
  });

  it('refuses a delegated (user) token for the bot, even a valid one', async () => {
    const { auth } = authenticator();
    const userToken = server.emulator.mintUserAssertion({ ...ANALYST, audience: SOC_BOT.clientId }).token;
    await assertRefused(auth.authenticate(bearer(userToken), body), /delegated \(user\) token/);
  });

  it('refuses tokens signed with a key the tenant does not publish, or altered after signing', async () => {
    const { auth } = authenticator();
    const genuine = await appToken(NOTIFIER);
    const claims = {
      aud: SOC_BOT.clientId,
      tid: API_TENANT_A,
      azp: NOTIFIER.clientId,
      idtyp: 'app',
      roles: [NOTIFY_ROLE],
    };
    const { privateKey } = await generateKeyPair('RS256');
    const forge = (kid: string) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
        .setIssuer(`${server.url}/${API_TENANT_A}/v2.0`)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
    await assertRefused(auth.authenticate(bearer(await forge('attacker-key')), body), /key the tenant doesn't publish/);
    const emulatorKid = String(decodeProtectedHeader(genuine).kid);
    await assertRefused(auth.authenticate(bearer(await forge(emulatorKid)), body), /signature is invalid/);

    // A token without the role, given the role by editing its payload.
    const [header, payload, signature] = (await appToken(NO_ROLE_APP)).split('.') as [string, string, string];
    const edited = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), roles: [NOTIFY_ROLE] };
    const altered = `${header}.${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${signature}`;
    await assertRefused(auth.authenticate(bearer(altered), body), /signature is invalid/);

    // Unsigned and HMAC-signed tokens are not RS256.
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    await assertRefused(auth.authenticate(bearer(unsigned), body), /not signed with RS256/);
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(`${server.url}/${API_TENANT_A}/v2.0`)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(Buffer.alloc(32, 5));
    await assertRefused(auth.authenticate(bearer(hs256), body), /not signed with RS256/);
  });

  it('refuses garbage and other Authorization schemes', async () => {
    const { auth } = authenticator();
    await assertRefused(auth.authenticate(bearer('not-a-jwt'), body), /not a JWT/);
    await assertRefused(auth.authenticate(bearer('a.b.c'), body), /not a JWT/);
    const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const noTenant = `${segment({ alg: 'RS256' })}.${segment({ aud: 'x' })}.c2ln`;
    await assertRefused(auth.authenticate(bearer(noTenant), body), /names no tenant/);
    await assertRefused(auth.authenticate({ authorization: 'Basic dXNlcjpwYXNz' }, body), /not a single Bearer token/);
    await assertRefused(auth.authenticate({ authorization: 'Bearer' }, body), /not a single Bearer token/);
    await assertRefused(auth.authenticate({ authorization: 'Bearer a b' }, body), /not a single Bearer token/);
    await assertRefused(auth.authenticate({}, body), /neither a bearer token nor a webhook signature/);
  });

  it('refuses a valid token when nothing is configured (fail closed)', async () => {
    const token = await appToken(NOTIFIER);
    const auth = new NotifyAuthenticator({
      hmacSecrets: [],
      httpClient: http,
      logger: createLogger({ level: 'silent' }),
    });
    await assertRefused(auth.authenticate(bearer(token), body), /bearer tokens are not accepted/);
  });

  it('answers upstreamUnavailable, not a refusal, when Entra cannot be reached (the sender retries)', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const { auth } = authenticator({ authorityHost: `https://127.0.0.1:${closedPort}` });
    await assert.rejects(auth.authenticate(bearer(await appToken(NOTIFIER)), body), (err) =>
      isAppError(err, 'upstreamUnavailable'),
    );
  });
});
