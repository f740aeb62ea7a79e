import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { HttpClient } from '../../src/http/httpClient';
import { ALERT_BOOK_SIZE } from '../../src/notifications/alertBook';
import { parseWebhookSecret, signWebhook } from '../../src/notifications/notifyWebhookSignature';
import type { SentActivity } from '../../src/simulator/channel/sentActivityLog';
import { visibleText } from '../support/botClient';
import { demoSeed } from '../support/demoTenant';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import { startProductionHarness } from '../support/productionApp';

/*
 * Proactive alert notifications in production mode: commands through POST /api/messages (signed by the channel
 * emulator), alerts from the Defender simulator, cards out through the Bot Connector emulator, which enforces
 * Teams' rate limits and records every request.
 */

const CONTOSO = demoSeed.tenant.id;

function machine(name: string) {
  const found = demoSeed.machines.find((m) => m.computerDnsName.startsWith(`${name}.`));
  if (!found) throw new Error(`no machine ${name}`);
  return found;
}

function channel(name: string): Conversation {
  return { id: `19:${name}@thread.tacv2`, conversationType: 'channel', tenantId: CONTOSO };
}

/** Alert ids named by a card's buttons. */
function alertIdsOf(sent: SentActivity): string[] {
  return [...JSON.stringify(sent.activity.attachments).matchAll(/"alertId":"([^"]+)"/g)].map((m) => m[1]!);
}

describe('alert notifications (production mode, through POST /api/messages and the Bot Connector)', function () {
  this.timeout(90_000);
  let h: ProductionHarness;
  let adele: TeamsPerson;
  let alex: TeamsPerson;
  let megan: TeamsPerson;
  let channels = 0;

  before(async () => {
    h = await startProductionHarness({
      seeds: [demoSeed],
      env: { NOTIFY_POLL: 'off', NOTIFY_POLL_INTERVAL_MS: '1000', NOTIFY_DIGEST_THRESHOLD: '1000' },
      startOptions: { notificationBackoff: { baseMs: 50, maxMs: 400, jitter: 0.2 } },
    });
    adele = h.person(demoSeed, 'Adele');
    alex = h.person(demoSeed, 'Alex');
    megan = h.person(demoSeed, 'Megan');
  });
  after(async () => h?.stop());
  afterEach(() => {
    h.channel.clearFaults();
    h.simulator.defender.faults.clear();
  });

  /** Runs a command as the person would by clicking Show me (Universal Actions, signed in). */
  async function command(text: string, who: TeamsPerson, where: Conversation): Promise<string> {
    const body = await h.execute('command.view', { command: text }, who, where);
    return body.type === 'application/vnd.microsoft.activity.message' ? String(body.value) : visibleText(body.value);
  }

  /** A fresh channel subscribed by Adele (SOC.Admin). */
  async function subscribedChannel(subscription = 'subscribe to high alerts'): Promise<Conversation> {
    const where = channel(`notify-${++channels}`);
    assert.match(await command(subscription, adele, where), /^Subscribed this channel/);
    return where;
  }

  function inject(partial: Record<string, unknown>) {
    return h.simulator.defender.state.injectAlert(
      { title: 'Suspicious PowerShell download cradle', severity: 'High', category: 'Execution', ...partial },
      CONTOSO,
    );
  }

  /** One poll of Defender, then every delivery it caused. */
  async function pollAndDeliver(): Promise<void> {
    await h.app.notifications.poller.round();
    await h.app.notifications.idle();
  }

  /** New cards the bot created in a conversation (a channel post is a thread of its own). */
  function posts(where: Conversation): SentActivity[] {
    return h.channel
      .sent()
      .filter(
        (s) => s.kind === 'send' && (s.conversationId === where.id || s.conversationId.startsWith(`${where.id};`)),
      );
  }

  function updates(activityId: string): SentActivity[] {
    return h.channel.sent().filter((s) => s.kind === 'update' && s.activityId === activityId);
  }

  describe('subscriptions', () => {
    it('lets a SOC.Admin subscribe a channel, refuses an analyst, and lets anyone subscribe their personal chat', async () => {
      const where = channel('notify-roles');
      assert.match(
        await command('subscribe to high alerts', alex, where),
        /Only people with the SOC\.Admin or SOC\.Approver role/,
      );
      assert.match(
        await command('subscribe to high alerts', adele, where),
        /^Subscribed this channel to High alerts \(S-[0-9a-f]{8}\)/,
      );
      assert.match(await command('subscribe to high alerts', adele, where), /already subscribed to High alerts/);
      const personal: Conversation = {
        id: `a:${alex.user.aadObjectId}`,
        conversationType: 'personal',
        tenantId: CONTOSO,
      };
      assert.match(
        await command('subscribe to medium alerts', alex, personal),
        /^Subscribed your chat with me to Medium and High alerts/,
      );
      // A filter would turn content-free notices into an oracle for devices outside Alex's own Defender view.
      assert.match(
        await command('subscribe to all alerts for device group Executives tagged VIP', alex, personal),
        /by severity only/,
      );
      assert.doesNotMatch(await command('subscriptions', alex, personal), /Executives|VIP/);

      // Listing needs no sign-in: it is answered in the channel itself.
      const since = h.channel.sentCount();
      await h.message('subscriptions', alex, where);
      const [list] = await h.repliesTo(where, since);
      assert.match(visibleText((list as { attachments?: unknown }).attachments), /High alerts[\s\S]*by Adele Vance/);
    });

    it('answers a malformed command with what is wrong and an example, and changes nothing', async () => {
      const where = channel('notify-bad');
      assert.match(
        await command('subscribe to critical alerts', adele, where),
        /For example: "subscribe to high alerts"/,
      );
      assert.match(await command('subscribe to high alerts for device group', adele, where), /For example/);
      assert.match(await command('snooze alerts 30d', adele, where), /from 1 minute to 7 days/);
      assert.match(await command('unsubscribe all', adele, where), /has no subscriptions/);
      assert.equal((await h.app.notifications.subscriptions.forConversation(CONTOSO, where.id)).length, 0);
    });
  });

  describe('delivery', () => {
    it('posts one card per new matching alert with its actions, nothing for others, and nothing twice', async () => {
      const where = await subscribedChannel();
      const high = inject({ machineId: machine('ws-fin-042').id });
      inject({ machineId: machine('ws-fin-041').id, severity: 'Low', title: 'Low noise' });
      await pollAndDeliver();
      const cards = posts(where);
      assert.equal(cards.length, 1);
      assert.deepEqual([...new Set(alertIdsOf(cards[0]!))], [high.id]);
      const text = visibleText(cards[0]!.activity.attachments);
      assert.match(text, /Suspicious PowerShell download cradle[\s\S]*ws-fin-042\.corp\.contoso\.com/);
      const json = JSON.stringify(cards[0]!.activity.attachments);
      for (const verb of ['alert.open', 'action.prepare', 'alert.assignToMe'])
        assert.match(json, new RegExp(`"verb":"${verb.replace('.', '\\.')}"`));
      assert.match(json, /Open in Microsoft Defender/);
      assert.doesNotMatch(json, /"refresh"/, 'a channel card looks the same for everyone');

      // The next polls re-read the overlap window: nothing new is posted.
      await pollAndDeliver();
      await pollAndDeliver();
      assert.equal(posts(where).length, 1);
    });

    it('updates the same card in place when the alert changes, including through its Assign to me button', async () => {
      const where = await subscribedChannel();
      const alert = inject({ machineId: machine('ws-eng-017').id, title: 'Credential dumping via LSASS access' });
      await pollAndDeliver();
      const [card] = posts(where);
      assert.ok(card);

      h.simulator.defender.state.updateAlert(alert.id, { status: 'InProgress' }, CONTOSO);
      await pollAndDeliver();
      assert.match(visibleText(updates(card.activityId).at(-1)!.activity.attachments), /In progress/);

      // Megan assigns it to herself from the card; her own token changes Defender, the card follows.
      const answer = await h.execute('alert.assignToMe', { alertId: alert.id }, megan, where);
      assert.match(visibleText(answer.value), /Assigned to[\s\S]*meganb@contoso\.com/);
      assert.equal(h.simulator.defender.state.alert(alert.id, CONTOSO)!.assignedTo, 'meganb@contoso.com');
      await pollAndDeliver();
      assert.match(visibleText(updates(card.activityId).at(-1)!.activity.attachments), /meganb@contoso\.com/);

      h.simulator.defender.state.updateAlert(alert.id, { status: 'Resolved', classification: 'TruePositive' }, CONTOSO);
      await pollAndDeliver();
      const resolved = updates(card.activityId).at(-1)!;
      assert.match(visibleText(resolved.activity.attachments), /Resolved/);
      assert.doesNotMatch(JSON.stringify(resolved.activity.attachments), /"verb":"action\.prepare"/);
      assert.equal(posts(where).length, 1, 'changes never post a second card');
    });

    it('keeps updating a card after more alerts than the book holds changed elsewhere in the tenant', async () => {
      const where = await subscribedChannel();
      const alert = inject({ machineId: machine('ws-eng-017').id, title: 'Kerberoasting from a workstation' });
      await pollAndDeliver();
      const [card] = posts(where);
      assert.ok(card);
      // A busy tenant: more changed alerts than ALERT_BOOK_SIZE, none of them for this channel.
      for (let i = 0; i <= ALERT_BOOK_SIZE; i++)
        inject({ machineId: machine('srv-jump-01').id, severity: 'Low', category: 'Discovery', title: `Noise ${i}` });
      await pollAndDeliver();
      h.simulator.defender.state.updateAlert(
        alert.id,
        { status: 'Resolved', classification: 'FalsePositive' },
        CONTOSO,
      );
      await pollAndDeliver();
      assert.match(visibleText(updates(card.activityId).at(-1)?.activity.attachments), /Resolved/);
      assert.equal(posts(where).length, 1);
    });

    it('filters on device group, device tag and category', async () => {
      const where = await subscribedChannel(
        'subscribe to all alerts for device group Finance-Workstations tagged Finance category CredentialAccess',
      );
      const match = inject({ machineId: machine('ws-fin-043').id, severity: 'Low', category: 'CredentialAccess' });
      inject({ machineId: machine('ws-fin-043').id, category: 'Execution' }); // other category
      inject({ machineId: machine('lt-cfo-01').id, category: 'CredentialAccess' }); // Finance tag, other group
      inject({ machineId: machine('ws-hr-009').id, category: 'CredentialAccess' }); // other group and tag
      await pollAndDeliver();
      assert.deepEqual(
        posts(where).map((p) => alertIdsOf(p)[0]),
        [match.id],
      );
    });

    it('keeps an alert whose device tags cannot be read for a tag filter, and posts it once they can be', async () => {
      const where = await subscribedChannel('subscribe to high alerts tagged Marketing');
      h.simulator.defender.faults.set({ errors: { rate: 1, status: 503, pathPrefix: '/api/machines' } });
      // A device no other test reads, so its tags are not in the bot's cache.
      const alert = inject({ machineId: machine('mac-mkt-11').id, title: 'Tagged device, tags unreadable' });
      await pollAndDeliver();
      assert.equal(posts(where).length, 0);
      h.simulator.defender.faults.clear();
      await pollAndDeliver();
      assert.deepEqual(
        posts(where).map((p) => alertIdsOf(p)[0]),
        [alert.id],
      );
    });

    it('shows a personal subscriber a notice without alert content that loads their own view', async () => {
      const personal: Conversation = {
        id: `a:${megan.user.aadObjectId}`,
        conversationType: 'personal',
        tenantId: CONTOSO,
      };
      assert.match(await command('subscribe to high alerts', megan, personal), /^Subscribed your chat with me/);
      const alert = inject({ machineId: machine('dc-01').id, title: 'DCSync replication from a workstation' });
      await pollAndDeliver();
      const [notice] = posts(personal).filter((p) => alertIdsOf(p).includes(alert.id));
      assert.ok(notice, 'a notice was posted');
      // The whole activity as Teams received it: the summary is the toast and the chat list preview.
      assert.match(String(notice.activity.summary), /^New High alert\b/);
      assert.doesNotMatch(
        JSON.stringify(notice.activity),
        /DCSync|dc-01|Execution/,
        'no alert content from the application identity, in the card or the summary',
      );
      const json = JSON.stringify(notice.activity.attachments);
      assert.match(
        json,
        new RegExp(`"refresh":\\{"action":\\{[^}]*"verb":"alert\\.open"[\\s\\S]*"userIds":\\["${megan.id}"\\]`),
      );
      // Opening it reads the alert with Megan's own token.
      const view = await h.execute('alert.open', { alertId: alert.id }, megan, personal);
      assert.match(visibleText(view.value), /DCSync replication from a workstation/);
    });

    it('retries a card the connector refused with 401 (the bot’s credential, not the card) instead of dropping it', async () => {
      const where = await subscribedChannel();
      h.channel.failShare(1, 401, { operations: ['create', 'send', 'update'] });
      const alert = inject({ machineId: machine('ws-hr-012').id, title: 'Posted after a credential hiccup' });
      await h.app.notifications.poller.round();
      await sleep(150);
      assert.ok(h.channel.rejected().some((r) => r.status === 401));
      h.channel.clearFaults();
      await h.app.notifications.idle();
      assert.deepEqual(
        posts(where).map((p) => alertIdsOf(p)[0]),
        [alert.id],
      );
    });

    it('holds new notifications while snoozed and resumes them, and stops after unsubscribe', async () => {
      // The snoozed channel may be the only subscriber (it is when this test runs alone): an alert held back by the
      // snooze is recorded as seen, so the next poll's overlap re-read does not post it after `resume alerts`.
      const where = await subscribedChannel();
      assert.match(await command('snooze alerts 2h', adele, where), /^Snoozed/);
      inject({ machineId: machine('ws-hr-012').id, title: 'Snoozed alert' });
      await pollAndDeliver();
      assert.equal(posts(where).length, 0);
      assert.match(await command('resume alerts', adele, where), /back on/);
      const after = inject({ machineId: machine('ws-hr-012').id, title: 'After resume' });
      await pollAndDeliver();
      assert.deepEqual(
        posts(where).map((p) => alertIdsOf(p)[0]),
        [after.id],
      );

      const id = /S-[0-9a-f]{8}/.exec(await command('subscriptions', adele, where))?.[0];
      assert.ok(id);
      assert.match(await command(`unsubscribe ${id}`, adele, where), /^Unsubscribed: High alerts/);
      inject({ machineId: machine('ws-hr-012').id, title: 'After unsubscribe' });
      await pollAndDeliver();
      assert.equal(posts(where).length, 1);
    });
  });

  it('withdraws cards still queued when the channel unsubscribes or snoozes, and stops updating posted ones', async () => {
    const failing = await subscribedChannel();
    const snoozing = await subscribedChannel();
    const shown = inject({ machineId: machine('ws-hr-012').id, title: 'Posted before unsubscribe' });
    await pollAndDeliver();
    const [card] = posts(failing);
    assert.ok(card);
    // Teams is failing: the next alert waits in both outboxes, backing off.
    h.channel.failShare(1, 503, { operations: ['create', 'send', 'update'] });
    const queued = inject({ machineId: machine('ws-hr-012').id, title: 'Queued while Teams fails' });
    h.simulator.defender.state.updateAlert(shown.id, { status: 'InProgress' }, CONTOSO);
    await h.app.notifications.poller.round();
    await sleep(150);
    assert.ok(h.channel.rejected().some((r) => r.status === 503));
    assert.match(await command('unsubscribe all', adele, failing), /^Unsubscribed/);
    assert.match(await command('snooze alerts 2h', adele, snoozing), /^Snoozed/);
    h.channel.clearFaults();
    await h.app.notifications.idle();
    assert.equal(posts(failing).length, 1, 'nothing new after unsubscribe');
    assert.equal(updates(card.activityId).length, 0, 'a posted card stays as it was');
    assert.ok(!posts(snoozing).some((p) => alertIdsOf(p).includes(queued.id)), 'nothing new while snoozed');
    // Posted cards of a snoozed channel are still kept current.
    const snoozedCard = posts(snoozing).find((p) => alertIdsOf(p).includes(shown.id));
    assert.ok(snoozedCard);
    assert.match(visibleText(updates(snoozedCard.activityId).at(-1)?.activity.attachments), /In progress/);
  });

  describe('where the bot is', () => {
    it('forgets a group chat when the app is uninstalled', async () => {
      const chat: Conversation = {
        id: `19:notify-chat-${++channels}@thread.v2`,
        conversationType: 'groupChat',
        tenantId: CONTOSO,
      };
      assert.match(await command('subscribe to high alerts', adele, chat), /^Subscribed this chat/);
      assert.ok((await h.app.notifications.installations.list(CONTOSO)).some((i) => i.conversationId === chat.id));
      await h.deliver({ ...envelopeOf(chat, adele), type: 'installationUpdate', action: 'remove' });
      assert.equal((await h.app.notifications.subscriptions.forConversation(CONTOSO, chat.id)).length, 0);
      assert.ok(!(await h.app.notifications.installations.list(CONTOSO)).some((i) => i.conversationId === chat.id));
      inject({ machineId: machine('ws-fin-042').id });
      await pollAndDeliver();
      assert.equal(posts(chat).length, 0);
    });

    for (const [what, mark] of [
      ['403 (the bot was removed)', (id: string) => h.channel.markBotRemoved(id)],
      ['404 (the conversation is gone)', (id: string) => h.channel.markConversationGone(id)],
    ] as const) {
      it(`retires a conversation Teams answers with ${what}, instead of retrying forever`, async () => {
        const where = await subscribedChannel();
        mark(where.id);
        inject({ machineId: machine('ws-fin-042').id });
        await pollAndDeliver();
        const refused = h.channel.rejected().filter((r) => r.conversationId === where.id).length;
        assert.equal(refused, 1, 'one request, then the conversation is forgotten');
        assert.equal((await h.app.notifications.subscriptions.forConversation(CONTOSO, where.id)).length, 0);
        inject({ machineId: machine('ws-fin-042').id });
        await pollAndDeliver();
        assert.equal(h.channel.rejected().filter((r) => r.conversationId === where.id).length, refused);
        h.channel.restoreConversation(where.id);
      });
    }
  });

  describe('exactly once, within Teams’ limits', () => {
    it('delivers every alert of a burst exactly once through a restart in the middle of it', async () => {
      const where = await subscribedChannel();
      const burst = Array.from({ length: 24 }, (_, i) =>
        inject({ machineId: machine('srv-file-01').id, title: `Burst alert ${i}` }),
      );
      await h.app.notifications.poller.round(); // queued durably; delivery paced at Teams' 8 per 2 s
      for (let i = 0; i < 100 && posts(where).length < 6; i++) await sleep(50);
      const before = posts(where).length;
      assert.ok(before > 0 && before < burst.length, `restart in the middle (${before} of ${burst.length} sent)`);
      await h.restartBot();
      await h.app.notifications.idle();
      await pollAndDeliver(); // the new process re-reads the overlap window: nothing doubles
      const delivered = posts(where).flatMap((p) => [...new Set(alertIdsOf(p))]);
      assert.deepEqual([...delivered].sort(), burst.map((a) => a.id).sort());
      assert.deepEqual(h.channel.rateViolations(), []);
    });

    it('loses nothing and never exceeds Teams’ limits when the connector throttles a third of the requests', async () => {
      const conversations = [await subscribedChannel(), await subscribedChannel(), await subscribedChannel()];
      h.channel.failShare(1 / 3, 429, { operations: ['create', 'send', 'update'], retryAfterSeconds: 0 });
      const alerts = Array.from({ length: 12 }, (_, i) =>
        inject({ machineId: machine('web-01').id, title: `Throttled alert ${i}` }),
      );
      await pollAndDeliver();
      h.channel.clearFaults();
      for (const where of conversations) {
        const delivered = posts(where).flatMap((p) => [...new Set(alertIdsOf(p))]);
        assert.deepEqual([...delivered].sort(), alerts.map((a) => a.id).sort());
      }
      assert.ok(
        h.channel.rejected().some((r) => r.status === 429),
        'the connector did throttle',
      );
      assert.deepEqual(h.channel.rateViolations(), []);
    });

    it('waits at least Teams’ Retry-After before posting a throttled card again, and posts it once', async () => {
      const where = await subscribedChannel();
      // Retry-After 2 s against the harness backoff of 50 ms: a retry that ignored the header would come at once.
      h.channel.failNext(1, 429, { operations: ['create', 'send'], conversationId: where.id, retryAfterSeconds: 2 });
      const alert = inject({ machineId: machine('ws-hr-012').id, title: 'Posted after Teams throttled it' });
      await pollAndDeliver();
      const throttled = h.channel.rejected().filter((r) => r.conversationId === where.id && r.status === 429);
      assert.equal(throttled.length, 1, 'the connector throttled the first post');
      const delivered = posts(where);
      assert.deepEqual(
        delivered.map((p) => alertIdsOf(p)[0]),
        [alert.id],
      );
      const waited = delivered[0]!.at.getTime() - throttled[0]!.at.getTime();
      assert.ok(waited >= 2_000, `posted again ${waited} ms after a 429 with Retry-After: 2`);
    });

    it('backs off while Defender fails, without hammering it, then catches up', async () => {
      const where = await subscribedChannel();
      h.simulator.defender.faults.set({ errors: { rate: 1, status: 503, pathPrefix: '/api/alerts' } });
      const alert = inject({ machineId: machine('mac-design-07').id });
      await pollAndDeliver(); // the client's own retries fail too: the poll gives up and backs off
      assert.equal(posts(where).length, 0);
      const calls = h.simulator.defender.stats().defenderCalls;
      await pollAndDeliver(); // still backing off: Defender is left alone
      assert.equal(h.simulator.defender.stats().defenderCalls, calls);
      h.simulator.defender.faults.clear();
      await sleep(2_100); // twice the poll interval
      await pollAndDeliver();
      assert.deepEqual(
        posts(where).map((p) => alertIdsOf(p)[0]),
        [alert.id],
      );
    });
  });

  /** The envelope of an activity from `who` in `where`, as the harness builds it. */
  function envelopeOf(where: Conversation, who: TeamsPerson): Record<string, unknown> {
    return {
      id: `act-${Math.random().toString(36).slice(2)}`,
      channelId: 'msteams',
      serviceUrl: h.channel.serviceUrl,
      from: { id: who.id, name: who.user.displayName, aadObjectId: who.user.aadObjectId },
      recipient: { id: `28:${h.botId}`, name: 'Defender SOC Bot' },
      conversation: { id: where.id, conversationType: where.conversationType, tenantId: where.tenantId },
      channelData: { tenant: { id: where.tenantId } },
    };
  }
});

describe('alert notifications: bursts become one digest card', function () {
  this.timeout(60_000);
  let h: ProductionHarness;

  before(async () => {
    h = await startProductionHarness({
      seeds: [demoSeed],
      env: { NOTIFY_POLL: 'off', NOTIFY_DIGEST_THRESHOLD: '3', NOTIFY_DIGEST_WINDOW_MS: '60000' },
    });
  });
  after(async () => h?.stop());

  it('posts the first three alerts of a burst, lists the rest in one digest, and keeps it current in place', async () => {
    const adele = h.person(demoSeed, 'Adele');
    const where = channel('digest');
    const subscribed = await h.execute('command.view', { command: 'subscribe to all alerts' }, adele, where);
    assert.match(String(subscribed.value), /^Subscribed/);
    const inject = (title: string) =>
      h.simulator.defender.state.injectAlert(
        { title, severity: 'Medium', category: 'Discovery', machineId: machine('srv-jump-01').id },
        CONTOSO,
      );
    const burst = Array.from({ length: 10 }, (_, i) => inject(`Recon burst ${i}`));
    await h.app.notifications.poller.round();
    await h.app.notifications.idle();

    const cards = h.channel.sent().filter((s) => s.kind === 'send' && s.conversationId.startsWith(`${where.id};`));
    assert.equal(cards.length, 4, 'three cards and one digest');
    const digest = cards[3]!;
    const listed = new Set(alertIdsOf(digest));
    assert.equal(listed.size, 7);
    assert.match(visibleText(digest.activity.attachments), /7 alerts in 1 minute/);
    const all = [...cards.slice(0, 3).flatMap(alertIdsOf), ...listed];
    assert.deepEqual([...new Set(all)].sort(), burst.map((a) => a.id).sort());

    // A listed alert changes: the digest is re-rendered in place. A new alert joins the open digest.
    const changed = [...listed][0]!;
    h.simulator.defender.state.updateAlert(changed, { status: 'Resolved' }, CONTOSO);
    const late = inject('Recon burst late');
    await h.app.notifications.poller.round();
    await h.app.notifications.idle();
    const after = h.channel.sent().filter((s) => s.kind === 'send' && s.conversationId.startsWith(`${where.id};`));
    assert.equal(after.length, 4, 'no new post');
    const latest = h.channel
      .sent()
      .filter((s) => s.kind === 'update' && s.activityId === digest.activityId)
      .at(-1)!;
    assert.ok(alertIdsOf(latest).includes(late.id));
    assert.match(visibleText(latest.activity.attachments), /8 alerts/);
    assert.deepEqual(h.channel.rateViolations(), []);
  });

  it('gives a personal chat a burst as counts only, with a button that lists them under the person’s own role', async () => {
    const patti = h.person(demoSeed, 'Patti');
    const personal: Conversation = {
      id: `a:${patti.user.aadObjectId}`,
      conversationType: 'personal',
      tenantId: CONTOSO,
    };
    const subscribed = await h.execute('command.view', { command: 'subscribe to high alerts' }, patti, personal);
    assert.match(String(subscribed.value), /^Subscribed your chat/);
    const burst = Array.from({ length: 6 }, (_, i) =>
      h.simulator.defender.state.injectAlert(
        { title: `Secret server ${i}`, severity: 'High', category: 'Discovery', machineId: machine('srv-pki-01').id },
        CONTOSO,
      ),
    );
    await h.app.notifications.poller.round();
    await h.app.notifications.idle();
    const sent = h.channel.sent().filter((s) => s.kind === 'send' && s.conversationId === personal.id);
    assert.equal(sent.length, 4, 'three notices and one digest');
    const digest = JSON.stringify(sent[3]!.activity.attachments);
    assert.match(visibleText(sent[3]!.activity.attachments), /3 new alerts for your subscription[\s\S]*3 High/);
    // Every activity as Teams received it, summaries (toasts) included.
    for (const activity of sent.map((s) => JSON.stringify(s.activity))) {
      for (const alert of burst)
        assert.ok(!activity.includes(alert.title), `a personal activity shows "${alert.title}"`);
      assert.doesNotMatch(activity, /srv-pki-01|Discovery/);
    }
    for (const alert of burst) assert.ok(!digest.includes(alert.id));
    // "Show them" lists recent High alerts with Patti's own token: her role covers Finance workstations only.
    const show =
      /"verb":"alerts\.page","data":(\{.*?\}),"title"/.exec(digest)?.[1] ??
      /"data":(\{"query".*?"page":0(?:,"customerTenantId":"[0-9a-f-]+")?\})/.exec(digest)?.[1];
    assert.ok(show, digest);
    const list = await h.execute('alerts.page', JSON.parse(show) as object, patti, personal);
    assert.match(visibleText(list.value), /High alerts/);
    assert.doesNotMatch(visibleText(list.value), /Secret server/);
  });
});

describe('alert notifications: a poll with more changed alerts than one read holds', function () {
  this.timeout(60_000);
  let h: ProductionHarness;

  before(async () => {
    h = await startProductionHarness({
      seeds: [demoSeed],
      env: { NOTIFY_POLL: 'off', NOTIFY_DIGEST_THRESHOLD: '1000' },
      startOptions: { notificationPollMaxAlerts: 20 },
    });
  });
  after(async () => h?.stop());

  it('reads the window in parts instead of skipping the older changes Defender left out', async () => {
    const adele = h.person(demoSeed, 'Adele');
    const where = channel('busy');
    const subscribed = await h.execute('command.view', { command: 'subscribe to high alerts' }, adele, where);
    assert.match(String(subscribed.value), /^Subscribed/);
    await h.app.notifications.poller.round(); // the watermark starts now
    const inject = (severity: string, title: string) =>
      h.simulator.defender.state.injectAlert(
        { title, severity, category: 'Execution', machineId: machine('ws-fin-042').id },
        CONTOSO,
      );
    // The alerts that matter changed first; 60 later changes fill every capped read (Defender lists newest first).
    const wanted: string[] = [];
    for (let i = 0; i < 5; i++) {
      wanted.push(inject('High', `Early high ${i}`).id);
      await sleep(3);
    }
    for (let i = 0; i < 60; i++) {
      inject('Low', `Later noise ${i}`);
      if (i % 4 === 0) await sleep(2);
    }
    // Each poll takes a part of at most 20 changes and moves on; a few polls catch up with all 65.
    for (let round = 0; round < 8; round++) await h.app.notifications.poller.round();
    await h.app.notifications.idle();
    const posted = h.channel
      .sent()
      .filter((s) => s.kind === 'send' && s.conversationId.startsWith(`${where.id};`))
      .flatMap(alertIdsOf);
    assert.deepEqual([...new Set(posted)].sort(), [...wanted].sort());
  });
});

describe('alert notifications: POST /api/notify for push sources', function () {
  this.timeout(60_000);
  let h: ProductionHarness;
  let http: HttpClient;
  const notifier = randomUUID();
  const notifierSecret = `secret-${randomUUID()}`;
  const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
  let where: Conversation;

  before(async () => {
    h = await startProductionHarness({
      seeds: [demoSeed],
      env: { NOTIFY_POLL: 'off', NOTIFY_CLIENT_IDS: notifier, NOTIFY_HMAC_SECRETS: webhookSecret },
    });
    // The push source: its own app registration (a Logic App's managed identity), granted SOC.Notify on the bot.
    h.simulator.entra.registerClient({
      clientId: notifier,
      clientSecret: notifierSecret,
      displayName: 'Sentinel automation (test)',
      delegatedPermissions: [],
      applicationPermissions: [],
      homeTenantId: CONTOSO,
      apiAppRoles: [{ resource: h.botId, roles: ['SOC.Notify'] }],
    });
    http = new HttpClient({ extraCaPem: [h.caCertPem] });
    where = channel('pushed');
    const adele = h.person(demoSeed, 'Adele');
    const subscribed = await h.execute('command.view', { command: 'subscribe to all alerts' }, adele, where);
    assert.match(String(subscribed.value), /^Subscribed/);
  });
  after(async () => {
    http?.close();
    await h?.stop();
  });

  async function tokenFor(clientId: string, secret: string): Promise<string> {
    const response = await http.request({
      method: 'POST',
      url: `${h.simulator.url}/${CONTOSO}/oauth2/v2.0/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
        scope: `api://botid-${h.botId}/.default`,
      }).toString(),
    });
    return (JSON.parse(response.body) as { access_token: string }).access_token;
  }

  function post(body: string, headers: Record<string, string>) {
    return http.request({
      method: 'POST',
      url: `${h.app.url}/api/notify`,
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  }

  function signed(body: string | Buffer, at = Math.floor(Date.now() / 1000)): Record<string, string> {
    const id = `msg_${randomUUID()}`;
    return {
      'webhook-id': id,
      'webhook-timestamp': String(at),
      'webhook-signature': signWebhook(parseWebhookSecret(webhookSecret), id, at, body),
    };
  }

  /** POSTs raw bytes with node:http, which (unlike the HttpClient) sends a Buffer as is. */
  function postBytes(path: string, bytes: Buffer, headers: Record<string, string>) {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${h.app.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(bytes.length), ...headers },
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(bytes);
    });
  }

  function posts(): SentActivity[] {
    return h.channel.sent().filter((s) => s.kind === 'send' && s.conversationId.startsWith(`${where.id};`));
  }

  it('takes an alert pushed with an Entra token of an allowed caller, re-read from Defender, not from the body', async () => {
    const alert = h.simulator.defender.state.injectAlert(
      { title: 'Pushed by Sentinel', severity: 'Low', category: 'Execution', machineId: machine('ws-fin-041').id },
      CONTOSO,
    );
    // The body lies about the alert; only its id counts.
    const body = JSON.stringify({ id: alert.id, title: 'Forged title', severity: 'High', aadTenantId: CONTOSO });
    const response = await post(body, { authorization: `Bearer ${await tokenFor(notifier, notifierSecret)}` });
    assert.equal(response.status, 202, response.body);
    assert.deepEqual(JSON.parse(response.body), { received: 1, new: 1, unchanged: 0, notFound: [], deferred: 0 });
    await h.app.notifications.idle();
    const card = posts().find((p) => alertIdsOf(p).includes(alert.id));
    assert.ok(card);
    const text = visibleText(card.activity.attachments);
    assert.match(text, /Pushed by Sentinel/);
    assert.doesNotMatch(text, /Forged title/);

    // The same push again (a retry): accepted, nothing posted twice.
    const again = await post(body, { authorization: `Bearer ${await tokenFor(notifier, notifierSecret)}` });
    assert.deepEqual(JSON.parse(again.body), { received: 1, new: 0, unchanged: 1, notFound: [], deferred: 0 });
    await h.app.notifications.idle();
    assert.equal(posts().filter((p) => alertIdsOf(p).includes(alert.id)).length, 1);
  });

  it('takes alerts pushed with a Standard Webhooks signature, and reports ids Defender does not know', async () => {
    const alert = h.simulator.defender.state.injectAlert(
      {
        title: 'Relayed from Event Hub',
        severity: 'Medium',
        category: 'Discovery',
        machineId: machine('ws-hr-009').id,
      },
      CONTOSO,
    );
    const body = JSON.stringify({ alertIds: [alert.id, 'da000000000000000000_1'] });
    const response = await post(body, signed(body));
    assert.equal(response.status, 202, response.body);
    assert.deepEqual(JSON.parse(response.body).notFound, ['da000000000000000000_1']);
    await h.app.notifications.idle();
    assert.ok(posts().some((p) => alertIdsOf(p).includes(alert.id)));
  });

  it('refuses forged, stale, unknown and malformed requests with one clear status each, and posts nothing', async () => {
    const alert = h.simulator.defender.state.injectAlert(
      { title: 'Must not be posted', severity: 'High', category: 'Execution', machineId: machine('ws-fin-043').id },
      CONTOSO,
    );
    const body = JSON.stringify({ alertId: alert.id });
    const stranger = randomUUID();
    h.simulator.entra.registerClient({
      clientId: stranger,
      clientSecret: 'stranger-secret',
      displayName: 'Not allowed',
      delegatedPermissions: [],
      applicationPermissions: [],
      homeTenantId: CONTOSO,
      apiAppRoles: [{ resource: h.botId, roles: ['SOC.Notify'] }],
    });
    const cases: [string, Promise<{ status: number; body: string }>, number][] = [
      ['no credentials', post(body, {}), 401],
      [
        'a caller not on the allow-list',
        post(body, { authorization: `Bearer ${await tokenFor(stranger, 'stranger-secret')}` }),
        401,
      ],
      ['a user’s SSO token', post(body, { authorization: `Bearer ${h.ssoToken(h.person(demoSeed, 'Adele'))}` }), 401],
      ['a tampered body', post(body.replace('alertId', 'alertIds'), signed(body)), 401],
      ['a stale signature', post(body, signed(body, Math.floor(Date.now() / 1000) - 600)), 401],
      ['not JSON', post('alert please', signed('alert please')), 400],
      ['a bad alert id', post('{"alertId":"../../etc/passwd"}', signed('{"alertId":"../../etc/passwd"}')), 400],
      [
        'an unknown tenant',
        post(
          JSON.stringify({ alertId: alert.id, tenantId: '00000000-0000-4000-8000-000000000001' }),
          signed(JSON.stringify({ alertId: alert.id, tenantId: '00000000-0000-4000-8000-000000000001' })),
        ),
        403,
      ],
      ['too large', post(JSON.stringify({ alertId: alert.id, pad: 'x'.repeat(70_000) }), {}), 413],
    ];
    for (const [what, pending, status] of cases) {
      const response = await pending;
      assert.equal(response.status, status, `${what}: ${response.body}`);
      assert.equal(typeof JSON.parse(response.body).error?.message, 'string', `${what}: ${response.body}`);
      assert.doesNotMatch(response.body, /eyJ/, `${what}: no token echoed`);
    }
    // Compressed bodies are refused before anything reads them (a broken gzip stream once ended the process),
    // and a signed body that is not UTF-8 is named as such, not mistaken for a bad signature.
    for (const [what, path, bytes] of [
      ['broken gzip to /api/notify', '/api/notify', Buffer.from(body)],
      ['a gzip bomb to /api/notify', '/api/notify', gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20))],
    ] as const) {
      const refused = await postBytes(path, bytes, { 'content-encoding': 'gzip', ...signed(body) });
      assert.equal(refused.status, 415, `${what}: ${refused.body}`);
    }
    const notUtf8 = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const notText = await postBytes('/api/notify', notUtf8, signed(notUtf8));
    assert.equal(notText.status, 400, notText.body);
    assert.match((JSON.parse(notText.body) as { error: { message: string } }).error.message, /UTF-8/);
    assert.equal((await http.request({ method: 'GET', url: `${h.app.url}/health` })).status, 200);
    const wrongType = await http.request({
      method: 'POST',
      url: `${h.app.url}/api/notify`,
      headers: { 'content-type': 'text/plain' },
      body,
    });
    assert.equal(wrongType.status, 415);
    await h.app.notifications.idle();
    assert.ok(!posts().some((p) => alertIdsOf(p).includes(alert.id)));
  });
});
