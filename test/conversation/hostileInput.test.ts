import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cardsOf, visibleText } from '../support/botClient';
import { demoSeed } from '../support/demoTenant';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import { startProductionHarness } from '../support/productionApp';
import { capturedLogLines } from '../support/testApp';

/*
 * Signed activities that are malformed or hostile, each sent through the real endpoint in production mode (a
 * tenant-restricted deployment, channel tokens from the emulator). Whatever is wrong, the bot answers with the
 * protocol's error, posts nothing to the chat, logs the refusal once, and keeps serving.
 */

const CONTOSO = demoSeed.tenant.id;
/** Put into payloads: it must never reach a log line. */
const MARKER = 'PAYLOAD-MARKER-7f3a';
type Activity = Record<string, unknown>;

/** The Universal Actions error answer to an `adaptiveCard/action` whose value the bot cannot use. */
function assertBadRequestInvoke(body: unknown): void {
  const answer = body as { statusCode?: unknown; type?: unknown; value?: { code?: unknown; message?: unknown } };
  assert.equal(answer.statusCode, 400);
  assert.equal(answer.type, 'application/vnd.microsoft.error');
  assert.equal(answer.value?.code, 'BadRequest');
  assert.equal(typeof answer.value?.message, 'string');
  assert.doesNotMatch(JSON.stringify(body), new RegExp(MARKER));
}

describe('hostile and malformed activities through POST /api/messages (production mode)', function () {
  this.timeout(60_000);
  let h: ProductionHarness;
  let adele: TeamsPerson;
  let chat: Conversation;

  before(async () => {
    h = await startProductionHarness({ seeds: [demoSeed] });
    adele = h.person(demoSeed, 'Adele');
    chat = { id: `a:${adele.user.aadObjectId}`, conversationType: 'personal', tenantId: CONTOSO };
  });
  after(async () => h?.stop());

  /** A well-formed activity from Adele's personal chat, as Teams sends it. */
  function envelope(id: string): Activity {
    return {
      id,
      channelId: 'msteams',
      serviceUrl: h.channel.serviceUrl,
      timestamp: new Date().toISOString(),
      from: { id: adele.id, name: adele.user.displayName, aadObjectId: adele.user.aadObjectId },
      recipient: { id: `28:${h.botId}`, name: 'Defender SOC Bot' },
      conversation: { id: chat.id, conversationType: 'personal', tenantId: CONTOSO },
      channelData: { tenant: { id: CONTOSO } },
      locale: 'en-US',
    };
  }
  const message = (id: string, change: (a: Activity) => void = () => {}): Activity => {
    const activity = { ...envelope(id), type: 'message', text: `show high alerts ${MARKER}`, textFormat: 'plain' };
    change(activity);
    return activity;
  };
  const cardInvoke = (id: string, value: unknown): Activity => {
    const activity: Activity = { ...envelope(id), type: 'invoke', name: 'adaptiveCard/action' };
    if (value !== undefined) activity.value = value;
    return activity;
  };
  const execute = (action: unknown) => ({ action, trigger: 'manual' });

  const cases: { name: string; activity: (id: string) => Activity; status: number; cardAction?: true }[] = [
    {
      name: 'a message without conversation',
      activity: (id) => message(id, (a) => delete a.conversation),
      status: 400,
    },
    { name: 'a message without from', activity: (id) => message(id, (a) => delete a.from), status: 400 },
    {
      name: 'a message whose from has no id',
      activity: (id) => message(id, (a) => (a.from = { name: 'Adele', aadObjectId: adele.user.aadObjectId })),
      status: 400,
    },
    {
      name: 'a message whose conversation.id is not a string',
      activity: (id) => message(id, (a) => (a.conversation = { id: 42, conversationType: 'personal' })),
      status: 400,
    },
    { name: 'a message without recipient', activity: (id) => message(id, (a) => delete a.recipient), status: 400 },
    {
      name: 'a message whose entities are not a list',
      activity: (id) => message(id, (a) => (a.entities = { type: 'mention', text: MARKER })),
      status: 400,
    },
    {
      name: 'a message without a tenant (the deployment serves listed tenants only)',
      activity: (id) =>
        message(id, (a) => {
          a.conversation = { id: chat.id, conversationType: 'personal' };
          delete a.channelData;
        }),
      status: 400,
    },
    { name: 'an activity of an unknown type', activity: (id) => ({ ...envelope(id), type: 'bogusType' }), status: 200 },
    {
      name: 'an invoke of an unknown name',
      activity: (id) => ({ ...envelope(id), type: 'invoke', name: 'bogus/invoke', value: { text: MARKER } }),
      status: 501,
    },
    {
      name: 'a card action invoke without value',
      activity: (id) => cardInvoke(id, undefined),
      status: 400,
      cardAction: true,
    },
    {
      name: 'a card action whose value is a string',
      activity: (id) => cardInvoke(id, MARKER),
      status: 400,
      cardAction: true,
    },
    {
      name: 'a card action value without action',
      activity: (id) => cardInvoke(id, { trigger: 'manual', data: { text: MARKER } }),
      status: 400,
      cardAction: true,
    },
    {
      name: 'a card action without verb',
      activity: (id) => cardInvoke(id, execute({ type: 'Action.Execute', data: { command: 'help' } })),
      status: 400,
      cardAction: true,
    },
    {
      name: 'a card action whose verb is not a string',
      activity: (id) => cardInvoke(id, execute({ type: 'Action.Execute', verb: 42, data: {} })),
      status: 400,
      cardAction: true,
    },
    {
      name: 'a card action whose action is not Action.Execute',
      activity: (id) => cardInvoke(id, execute({ type: 'Action.Submit', verb: 'command.view', data: {} })),
      status: 400,
      cardAction: true,
    },
    {
      name: 'a card action whose data is a string',
      activity: (id) => cardInvoke(id, execute({ type: 'Action.Execute', verb: 'command.view', data: MARKER })),
      status: 400,
      cardAction: true,
    },
    {
      name: 'a card action whose data is an array',
      activity: (id) => cardInvoke(id, execute({ type: 'Action.Execute', verb: 'command.view', data: [MARKER] })),
      status: 400,
      cardAction: true,
    },
    {
      name: 'a card action whose data is huge',
      activity: (id) =>
        cardInvoke(
          id,
          execute({
            type: 'Action.Execute',
            verb: 'command.view',
            data: { command: `${MARKER}${'x'.repeat(100_000)}` },
          }),
        ),
      status: 400,
      cardAction: true,
    },
    {
      name: 'a card action from a sender without an Entra object id',
      activity: (id) => ({
        ...cardInvoke(id, execute({ type: 'Action.Execute', verb: 'command.view', data: { command: 'help' } })),
        from: { id: adele.id, name: 'Adele' },
      }),
      status: 400,
      cardAction: true,
    },
    {
      name: 'a token exchange whose value is a string',
      activity: (id) => ({ ...envelope(id), type: 'invoke', name: 'signin/tokenExchange', value: MARKER }),
      status: 400,
    },
    {
      name: 'a verify-state invoke without state',
      activity: (id) => ({ ...envelope(id), type: 'invoke', name: 'signin/verifyState', value: { code: MARKER } }),
      status: 400,
    },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.status}, nothing posted, logged once, and the bot keeps serving`, async () => {
      const id = `hostile-${randomUUID()}`;
      const logsBefore = capturedLogLines.length;
      const sentBefore = h.channel.sentCount();
      const rejectedBefore = h.channel.rejected().length;

      const response = await h.deliver(c.activity(id));

      assert.equal(response.status, c.status, `answered ${response.status}: ${JSON.stringify(response.body)}`);
      if (c.cardAction) assertBadRequestInvoke(response.body);
      // Replies are sent within the turn, before the HTTP answer: anything posted would be counted by now.
      assert.equal(h.channel.sentCount(), sentBefore, 'nothing was posted to the chat');
      assert.equal(h.channel.rejected().length, rejectedBefore, 'nothing was even attempted');
      const lines = capturedLogLines.slice(logsBefore);
      const aboutIt = lines.filter((l) => l.includes(id));
      assert.equal(aboutIt.length, 1, `one log line records it, got:\n${aboutIt.join('\n')}`);
      const record = JSON.parse(aboutIt[0]!) as { level: unknown; correlationId?: unknown };
      assert.equal(record.level, 'warn', 'a warning');
      assert.equal(typeof record.correlationId, 'string');
      assert.deepEqual(
        lines.filter((l) => ['error', 'fatal'].includes((JSON.parse(l) as { level: string }).level)),
        [],
        'no error was logged',
      );
      assert.deepEqual(
        lines.filter((l) => l.includes(MARKER)),
        [],
        'no payload was logged',
      );

      const since = h.channel.sentCount();
      assert.equal((await h.message('help', adele, chat)).status, 200);
      const [reply] = await h.repliesTo(chat, since);
      assert.match(visibleText(cardsOf(reply!)), /What I can do/);
    });
  }
});
