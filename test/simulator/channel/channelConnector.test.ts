import assert from 'node:assert/strict';
import { ConnectorClient } from 'botframework-connector';
import { HttpClient } from '../../../src/http/httpClient';
import { createLogger } from '../../../src/logging/logger';
import { TEAMS_CONNECTOR_LIMITS } from '../../../src/simulator/channel/connectorLimits';
import { startChannelEmulator } from '../../../src/simulator/channel/channelEmulatorServer';
import type { ChannelEmulatorServer } from '../../../src/simulator/channel/channelEmulatorServer';
import { botFrameworkToken } from '../entra/entraTestClient';
import type { Json } from '../entra/entraTestClient';
import { BOT, TENANT_A, testSeeds } from '../entra/entraTestSeeds';
import { startEntraTestServer } from '../entra/entraTestServer';
import type { EntraTestServer } from '../entra/entraTestServer';
import { EntraBotCredentialsFactory } from './entraBotCredentialsFactory';

const CHANNEL = '19:0c5f6e1a2b3c@thread.tacv2';
const THREAD = `${CHANNEL};messageid=1700000000001`;
const OTHER_APP = {
  clientId: 'a9900000-0000-4000-8000-000000000002',
  clientSecret: 'other-app-secret-0123456789',
  displayName: 'Another bot',
  delegatedPermissions: [],
  applicationPermissions: [],
  homeTenantId: TENANT_A,
  multiTenant: true,
};

describe('channel emulator: the Bot Connector the bot replies to', () => {
  let entra: EntraTestServer;
  let http: HttpClient;
  let botToken: string;
  let clockMs = Date.now();
  let channel: ChannelEmulatorServer;

  /** A Bot Framework token from the Entra emulator, by a plain form POST. */
  const bfToken = (app: { clientId: string; clientSecret: string }, scope?: string) =>
    botFrameworkToken(http, entra.url, app, scope);

  before(async () => {
    entra = await startEntraTestServer(testSeeds());
    entra.emulator.registerClient(OTHER_APP);
    http = new HttpClient({ extraCaPem: [entra.caCertPem] });
    botToken = await bfToken(BOT);
  });
  after(async () => {
    http.close();
    await entra.close();
  });
  beforeEach(async () => {
    clockMs = Date.now();
    channel = await startChannelEmulator({
      botAppId: BOT.clientId,
      entraKeys: entra.emulator,
      now: () => new Date(clockMs),
    });
  });
  afterEach(async () => {
    await channel.close();
  });

  /** A connector request as ConnectorClient makes it: ids percent-encoded as one path segment each. */
  async function call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string[],
    body?: unknown,
    token: string | null = botToken,
  ): Promise<{ status: number; body: Json | undefined; headers: Record<string, string> }> {
    const response = await http.request({
      method,
      url: `${channel.url}/v3/conversations${path.map((segment) => `/${encodeURIComponent(segment)}`).join('')}`,
      headers: {
        'content-type': 'application/json',
        ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return {
      status: response.status,
      body: response.body.length > 0 ? (JSON.parse(response.body) as Json) : undefined,
      headers: response.headers,
    };
  }

  const send = (conversationId: string, text = 'hi', token: string | null = botToken) =>
    call('POST', [conversationId, 'activities'], { type: 'message', text }, token);

  describe('authentication', () => {
    it('answers 401 without a token, and records nothing', async () => {
      const response = await send(THREAD, 'no token', null);
      assert.equal(response.status, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer');
      assert.deepEqual(response.body, { message: 'Authorization has been denied for this request.' });
      assert.equal(channel.sentCount(), 0);
    });

    it('answers 401 to a Defender token, another app’s Bot Framework token and a token signed elsewhere', async () => {
      const defender = await bfToken(BOT, 'https://api.securitycenter.microsoft.com/.default').catch(() => '');
      const defenderInTenant = await http.request({
        method: 'POST',
        url: `${entra.url}/${TENANT_A}/oauth2/v2.0/token`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: BOT.clientId,
          client_secret: BOT.clientSecret,
          grant_type: 'client_credentials',
          scope: 'https://api.securitycenter.microsoft.com/.default',
        }).toString(),
      });
      assert.equal(defender, '', 'the Bot Framework tenant has no Defender');
      const wrongAudience = String((JSON.parse(defenderInTenant.body) as Json).access_token);
      assert.equal((await send(THREAD, 'x', wrongAudience)).status, 401);
      assert.equal((await send(THREAD, 'x', await bfToken(OTHER_APP))).status, 401);

      const stranger = await startEntraTestServer(testSeeds());
      const strangerHttp = new HttpClient({ extraCaPem: [stranger.caCertPem] });
      try {
        const foreign = await botFrameworkToken(strangerHttp, stranger.url, BOT);
        assert.equal((await send(THREAD, 'x', foreign)).status, 401);
      } finally {
        strangerHttp.close();
        await stranger.close();
      }
      assert.equal((await send(THREAD, 'x', 'not-a-jwt')).status, 401);
      assert.equal(channel.sentCount(), 0);
    });

    it('answers 401 once the token has expired on the connector clock', async () => {
      assert.equal((await send(THREAD)).status, 201);
      clockMs += 2 * 60 * 60 * 1000;
      assert.equal((await send(THREAD)).status, 401);
    });
  });

  describe('routes, through botbuilder’s own ConnectorClient', () => {
    async function connectorClient(): Promise<ConnectorClient> {
      const factory = new EntraBotCredentialsFactory(BOT, http);
      const credentials = await factory.createCredentials(
        BOT.clientId,
        'https://api.botframework.com',
        `${entra.url}/botframework.com`,
        true,
      );
      return new ConnectorClient(credentials, { baseUri: channel.serviceUrl });
    }

    it('sends, replies, updates and deletes in a channel thread whose id needs encoding', async () => {
      const client = await connectorClient();
      const sent = await client.conversations.sendToConversation(THREAD, { type: 'message', text: 'alert card' });
      assert.match(sent.id, /^\d+$/);
      const reply = await client.conversations.replyToActivity(THREAD, 'incoming-1', {
        type: 'message',
        text: 'reply',
      });
      const updated = await client.conversations.updateActivity(THREAD, sent.id, {
        type: 'message',
        text: 'approved',
      });
      assert.equal(updated.id, sent.id);
      await client.conversations.deleteActivity(THREAD, reply.id);

      const records = channel.sent();
      assert.deepEqual(
        records.map((record) => [record.kind, record.conversationId, record.activityId]),
        [
          ['send', THREAD, sent.id],
          ['reply', THREAD, reply.id],
          ['update', THREAD, sent.id],
          ['delete', THREAD, reply.id],
        ],
      );
      assert.equal(records[1]?.replyToId, 'incoming-1');
      assert.equal(records[2]?.activity.text, 'approved');
      assert.equal(records[3]?.activity.text, 'reply', 'a delete records what was deleted');
      assert.ok(records.every((record) => record.at instanceof Date));
    });

    it('creates a 1:1 conversation (stable id per member) and a channel thread, and reads members', async () => {
      const client = await connectorClient();
      const member = { id: '29:alice', name: 'Alice', aadObjectId: 'a11ce000-0000-4000-8000-000000000001' };
      const parameters = {
        isGroup: false,
        bot: { id: `28:${BOT.clientId}`, name: 'SOC Bot' },
        members: [member],
        tenantId: TENANT_A,
        channelData: { tenant: { id: TENANT_A } },
      };
      const first = await client.conversations.createConversation(parameters);
      const again = await client.conversations.createConversation(parameters);
      assert.match(first.id, /^a:1/);
      assert.equal(again.id, first.id, 'Teams returns the existing 1:1 chat');
      assert.equal(first.activityId, undefined);

      const members = await client.conversations.getConversationMembers(first.id);
      assert.deepEqual(
        members.map((m) => m.id),
        ['29:alice'],
      );
      assert.equal((await client.conversations.getConversationMember(first.id, '29:alice')).name, 'Alice');

      const thread = await client.conversations.createConversation({
        isGroup: true,
        bot: { id: `28:${BOT.clientId}`, name: 'SOC Bot' },
        channelData: { channel: { id: CHANNEL }, tenant: { id: TENANT_A } },
        activity: { type: 'message', text: 'new alert' },
      } as Parameters<typeof client.conversations.createConversation>[0]);
      assert.equal(thread.id, `${CHANNEL};messageid=${thread.activityId}`);
      assert.equal(channel.createdConversations().length, 3);
      const [posted] = await channel.waitFor((record) => record.conversationId === thread.id);
      assert.equal(posted?.kind, 'send');
      assert.equal(posted?.activity.text, 'new alert');
    });

    it('answers an unknown member, an unknown activity and a twice-deleted activity with 404', async () => {
      const missingMember = await call('GET', ['a:1nobody', 'members', '29:ghost']);
      assert.equal(missingMember.status, 404);
      assert.deepEqual(missingMember.body, {
        error: { code: 'MemberNotFoundInConversation', message: 'The member is not part of the conversation.' },
      });
      const update = await call('PUT', [THREAD, 'activities', '999'], { type: 'message', text: 'x' });
      assert.equal(update.status, 404);
      assert.equal((update.body?.error as Json).code, 'ActivityNotFoundInConversation');
      const sent = await send(THREAD);
      assert.equal((await call('DELETE', [THREAD, 'activities', String(sent.body?.id)])).status, 200);
      assert.equal((await call('DELETE', [THREAD, 'activities', String(sent.body?.id)])).status, 404);
    });

    it('refuses a body that is not JSON (BadSyntax) or has no type (BadArgument)', async () => {
      const response = await http.request({
        method: 'POST',
        url: `${channel.url}/v3/conversations/${encodeURIComponent(THREAD)}/activities`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${botToken}` },
        body: '{not json',
      });
      assert.equal(response.status, 400);
      assert.equal(((JSON.parse(response.body) as Json).error as Json).code, 'BadSyntax');
      const untyped = await call('POST', [THREAD, 'activities'], { text: 'no type' });
      assert.equal(untyped.status, 400);
      assert.equal((untyped.body?.error as Json).code, 'BadArgument');
      assert.equal(channel.sentCount(), 0);
    });
  });

  describe('Teams rate limits', () => {
    it('allows 7 sends per second per conversation, then answers 429 Throttled with Retry-After', async () => {
      for (let i = 0; i < 7; i += 1) assert.equal((await send(THREAD, `m${i}`)).status, 201);
      const throttled = await send(THREAD, 'eighth');
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers['retry-after'], '1');
      assert.deepEqual(throttled.body, { error: { code: 'Throttled', message: 'Too many requests.' } });
      assert.equal((await send('a:1other-conversation')).status, 201, 'another conversation has its own budget');

      clockMs += 1000;
      assert.equal((await send(THREAD, 'eighth again')).status, 201, '8 in 2 s are allowed');
      const ninth = await send(THREAD, 'ninth');
      assert.equal(ninth.status, 429, 'but not 9 in 2 s');
      assert.equal(ninth.headers['retry-after'], '1');
      assert.equal(channel.acceptedTimestamps(THREAD).length, 8, 'refused requests do not count');
      assert.deepEqual(channel.rateViolations(), []);
      assert.equal(channel.rejected().filter((rejection) => rejection.status === 429).length, 2);
    });

    it('enforces 60 per 30 s with a Retry-After until the oldest send leaves the window', async () => {
      for (let i = 0; i < 60; i += 1) {
        assert.equal((await send(THREAD, `m${i}`)).status, 201, `send ${i}`);
        clockMs += 250;
      }
      // 60 sends over 15 s; the first leaves the 30 s window at t = 30 s, 15 s from now.
      const throttled = await send(THREAD, 'sixty-first');
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers['retry-after'], '15');
      clockMs += 15_000;
      assert.equal((await send(THREAD, 'sixty-first again')).status, 201);
      assert.equal(channel.maxObservedRate(THREAD, 30_000), 60);
    });

    it('counts creates per conversation and applies the global per-app limit', async () => {
      await channel.close();
      channel = await startChannelEmulator({
        botAppId: BOT.clientId,
        entraKeys: entra.emulator,
        now: () => new Date(clockMs),
        limits: { global: [{ windowMs: 1000, max: 10 }] },
      });
      for (let i = 0; i < 10; i += 1) assert.equal((await send(`a:1user-${i}`)).status, 201);
      const global = await send('a:1user-10');
      assert.equal(global.status, 429);
      assert.equal(global.headers['retry-after'], '1');

      clockMs += 1000;
      const create = () =>
        call('POST', [], { isGroup: false, members: [{ id: '29:bob' }], tenantId: TENANT_A, bot: { id: '28:bot' } });
      for (let i = 0; i < 7; i += 1) {
        assert.equal((await create()).status, 201);
        clockMs += 10; // under 10 per second globally, 7 creates in one thread
      }
      assert.equal((await create()).status, 429);
    });

    it('reports what a conversation saw against Teams’ limits when the emulator is set looser', async () => {
      await channel.close();
      channel = await startChannelEmulator({
        botAppId: BOT.clientId,
        entraKeys: entra.emulator,
        now: () => new Date(clockMs),
        limits: { perConversation: [{ windowMs: 1000, max: 100 }] },
      });
      for (let i = 0; i < 9; i += 1) {
        assert.equal((await send(THREAD)).status, 201);
        clockMs += 100;
      }
      assert.equal(channel.maxObservedRate(THREAD, 1000), 9);
      assert.equal(channel.maxObservedRate(THREAD, 500), 5);
      assert.deepEqual(
        channel
          .rateViolations(TEAMS_CONNECTOR_LIMITS)
          .map(({ scope, key, windowMs, max, observed }) => [scope, key, windowMs, max, observed]),
        [
          ['conversation', THREAD, 1000, 7, 9],
          ['conversation', THREAD, 2000, 8, 9],
        ],
      );
    });
  });

  describe('faults and conversation states', () => {
    it('fails the next N sends with the documented bodies, then recovers', async () => {
      channel.failNext(2, 429, { retryAfterSeconds: 3 });
      const first = await send(THREAD);
      assert.equal(first.status, 429);
      assert.equal(first.headers['retry-after'], '3');
      assert.equal((await send(THREAD)).status, 429);
      assert.equal((await send(THREAD)).status, 201);

      const expected: Array<[412 | 502 | 504, string]> = [
        [412, 'PreconditionFailed'],
        [502, 'ServiceError'],
        [504, 'GatewayTimeout'],
      ];
      for (const [status, code] of expected) {
        channel.failNext(1, status);
        const response = await send(THREAD);
        assert.equal(response.status, status);
        assert.equal((response.body?.error as Json).code, code);
      }
      assert.equal(channel.sentCount(), 1);
      assert.deepEqual(
        channel.rejected().map((rejection) => rejection.status),
        [429, 429, 412, 502, 504],
      );
    });

    it('fails an exact share of matching requests, only for the operations and conversation asked', async () => {
      channel.failShare(0.25, 502, { operations: ['send'], conversationId: THREAD });
      const statuses: number[] = [];
      for (let i = 0; i < 8; i += 1) {
        statuses.push((await send(THREAD)).status);
        clockMs += 1000;
      }
      assert.deepEqual(statuses, [201, 201, 201, 502, 201, 201, 201, 502]);
      assert.equal((await send('a:1elsewhere')).status, 201, 'another conversation is unaffected');
      const reply = await call('POST', [THREAD, 'activities', 'incoming-1'], { type: 'message', text: 'reply' });
      assert.equal(reply.status, 201, 'replies are not in this rule');
      channel.clearFaults();
      for (let i = 0; i < 4; i += 1) {
        clockMs += 1000;
        assert.equal((await send(THREAD)).status, 201);
      }
    });

    it('answers 403 BotNotInConversationRoster and 404 ConversationNotFound for marked conversations', async () => {
      channel.markBotRemoved(THREAD);
      const removed = await send(THREAD);
      assert.equal(removed.status, 403);
      assert.deepEqual(removed.body, {
        error: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the conversation roster.' },
      });
      channel.markConversationGone('a:1gone');
      const gone = await send('a:1gone');
      assert.equal(gone.status, 404);
      assert.deepEqual(gone.body, { error: { code: 'ConversationNotFound', message: 'Conversation not found.' } });
      channel.restoreConversation(THREAD);
      assert.equal((await send(THREAD)).status, 201);
    });
  });

  describe('logs', () => {
    it('names operation, conversation and outcome, never a token or message text', async () => {
      const lines: string[] = [];
      await channel.close();
      channel = await startChannelEmulator({
        botAppId: BOT.clientId,
        entraKeys: entra.emulator,
        now: () => new Date(clockMs),
        logger: createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } }),
      });
      await send(THREAD, 'secret incident text');
      await send(THREAD, 'x', `${botToken}tampered`);
      channel.failNext(1, 502);
      await send(THREAD, 'secret incident text');
      assert.ok(lines.some((line) => line.includes('accepted a connector request')));
      assert.ok(lines.some((line) => line.includes('"status":401')));
      assert.ok(lines.some((line) => line.includes('"code":"ServiceError"')));
      for (const line of lines) {
        assert.ok(!line.includes('eyJ'), 'no JWT in logs');
        assert.ok(!line.includes('secret incident text'), 'no message text in logs');
      }
    });
  });

  describe('waiting for activities', () => {
    it('resolves with the next matching activities and rejects after the timeout', async () => {
      const since = channel.sentCount();
      const waiting = channel.waitFor((record) => record.conversationId === THREAD, {
        count: 2,
        since,
        timeoutMs: 2000,
      });
      await send(THREAD, 'one');
      await send('a:1unrelated', 'other');
      await send(THREAD, 'two');
      const found = await waiting;
      assert.deepEqual(
        found.map((record) => record.activity.text),
        ['one', 'two'],
      );
      await assert.rejects(
        channel.waitFor((record) => record.activity.text === 'never', 50),
        /waitFor: 0 of 1 expected activities after 50 ms/,
      );
    });
  });
});
