import assert from 'node:assert/strict';
import type { RunningApp } from '../../src/app';
import { playgroundCliPath } from '../../src/demo/playground';
import { visibleText } from '../support/botClient';
import { executeAction } from '../support/cardData';
import { demoSeed, visibleAlerts } from '../support/demoTenant';
import type { PlaygroundConfig } from '../support/playgroundDriver';
import { freePort, PlaygroundDriver } from '../support/playgroundDriver';
import { requireTool } from '../support/requiredTool';
import { startTestApp, testConfig } from '../support/testApp';

/**
 * End to end through the Microsoft 365 Agents Playground, a Teams-like client from Microsoft: the test drives
 * it through the REST + WebSocket interface its web client uses, as each persona of the demo tenant. Where the
 * Playground is not installed it fails in CI (CI=true) and is skipped locally.
 */
describe('Agents Playground end to end', function () {
  this.timeout(120_000);
  let app: RunningApp;
  let driver: PlaygroundDriver;
  let config: PlaygroundConfig;

  before(async function () {
    requireTool(this, {
      present: playgroundCliPath() !== undefined,
      what: 'the Agents Playground (@microsoft/m365agentsplayground)',
      install: 'npm ci installs it with the dev dependencies',
    });
    const port = await freePort();
    app = await startTestApp(testConfig({ PLAYGROUND: 'on', PLAYGROUND_PORT: String(port) }), {
      simulatorTimings: { pendingMs: 300, inProgressMs: 300, timeoutMs: 5_000 },
      actionPollIntervalMs: 200,
    });
    driver = new PlaygroundDriver(app.playground!.url);
    await driver.connect();
    config = await driver.config();
  });
  after(async () => {
    driver?.close();
    await app?.stop();
  });

  it('runs the demo tenant: the Playground knows the seed tenant and its personas', () => {
    assert.equal(config.tenantId, demoSeed.tenant.id);
    const personaIds = [config.currentUser, ...config.users].map((u) => u.aadObjectId);
    for (const id of personaIds)
      assert.ok(
        demoSeed.users.some((u) => u.aadObjectId === id),
        id,
      );
  });

  it('welcomes on installation in the personal chat', async () => {
    const chat = config.personalChat.id;
    const seen = driver.botMessages(chat, config.bot.id).length;
    await driver.install(chat);
    const welcome = await driver.nextBotMessage(chat, config.bot.id, seen);
    assert.match(visibleText(welcome.attachments), /Defender SOC Bot is here/);
  });

  it('answers "show high alerts" for each persona with exactly the unresolved High alerts they may see', async () => {
    const chat = config.groupChats[0]!.id;
    const before = driver.botMessages(chat, config.bot.id).length;
    await driver.install(chat);
    await driver.nextBotMessage(chat, config.bot.id, before); // the welcome card
    for (const user of [config.currentUser, ...config.users]) {
      const seedUser = demoSeed.users.find((u) => u.aadObjectId === user.aadObjectId)!;
      const seen = driver.botMessages(chat, config.bot.id).length;
      await driver.sayAs({ id: chat, conversationType: 'groupChat' }, user, 'show high alerts', config);
      const posted = await driver.nextBotMessage(chat, config.bot.id, seen);
      // In a group chat the bot posts no Defender data: each person asks for their own view with Show me.
      const showMe = (posted.attachments[0]!.content.actions as { title: string; verb: string; data: unknown }[]).find(
        (a) => a.title === 'Show me',
      )!;
      const view = await driver.execute(chat, user.id, posted.messageId, showMe.verb, showMe.data);
      const reply = {
        messageId: posted.messageId,
        attachments: [{ contentType: view.type, content: view.value as Record<string, unknown> }],
      };
      const text = typeof view.value === 'string' ? view.value : visibleText(view.value);
      if (!seedUser.defenderPermissions.includes('ViewData')) {
        assert.match(text, /You don't have permission to view alerts in Microsoft Defender/, user.name);
        continue;
      }
      const expected = visibleAlerts(seedUser).filter(
        (a) => a.severity === 'High' && ['New', 'InProgress'].includes(a.status),
      );
      assert.match(text, new RegExp(`Unresolved · ${expected.length} alerts?`), `${user.name}: ${text.slice(0, 300)}`);
      // Page through with the Show more button, as that persona, via the Playground's invoke endpoint.
      const shown: string[] = [];
      let card = reply.attachments[0]!.content;
      for (;;) {
        const rows = JSON.stringify(card).match(/"verb":"alert\.open","data":\{"alertId":"([^"]+)"/g) ?? [];
        shown.push(...rows.map((r) => r.replace(/.*"alertId":"/, '').replace(/"$/, '')));
        const more = (card.actions as { title: string; verb: string; data: unknown }[]).find(
          (a) => a.title === 'Show more',
        );
        if (!more) break;
        const response = await driver.execute(chat, user.id, reply.messageId, more.verb, more.data);
        assert.equal(response.type, 'application/vnd.microsoft.card.adaptive');
        card = response.value as Record<string, unknown>;
      }
      assert.deepEqual(new Set(shown), new Set(expected.map((a) => a.id)), user.name);
    }
  });

  it('answers the current user in the personal chat without a mention', async () => {
    const chat = config.personalChat.id;
    const seen = driver.botMessages(chat, config.bot.id).length;
    await driver.say(chat, config.currentUser.id, 'device ws-fin-042');
    const reply = await driver.nextBotMessage(chat, config.bot.id, seen);
    assert.match(visibleText(reply.attachments), /ws-fin-042\.corp\.contoso\.com[\s\S]*Device group/);
  });

  it('runs the approval story: a responder asks, is refused as approver, an approver approves, the card follows Defender to Succeeded', async () => {
    const chat = config.groupChats[0]!.id;
    const general = config.teams[0]!.id;
    const megan = config.users.find((u) => u.name.startsWith('Megan'))!;
    const adele = config.users.find((u) => u.name.startsWith('Adele'))!;
    const command = 'isolate device ws-fin-043 because Lateral movement from ws-fin-042, incident 2301';

    // Megan asks in the group chat; she opens her own view (Show me) and confirms with her reason.
    let seen = driver.botMessages(chat, config.bot.id).length;
    await driver.sayAs({ id: chat, conversationType: 'groupChat' }, megan, command, config);
    const showMe = await driver.nextBotMessage(chat, config.bot.id, seen);
    const confirmation = await driver.execute(chat, megan.id, showMe.messageId, 'command.view', { command });
    const confirm = /"verb":"action\.confirm","data":(\{[^}]*\})/.exec(JSON.stringify(confirmation.value))?.[1];
    assert.ok(confirm, `confirmation card: ${JSON.stringify(confirmation.value).slice(0, 300)}`);
    seen = driver.botMessages(chat, config.bot.id).length;
    const seenGeneral = driver.botMessages(general, config.bot.id).length;
    const requested = await driver.execute(chat, megan.id, showMe.messageId, 'action.confirm', {
      ...(JSON.parse(confirm) as object),
      reason: 'Lateral movement from ws-fin-042, incident 2301',
    });
    assert.match(visibleText(requested.value), /Awaiting approval/);

    // The approval card appears in the chat and in the approvers' channel (General).
    const inChat = await driver.nextBotMessage(chat, config.bot.id, seen);
    const inGeneral = await driver.nextBotMessage(general, config.bot.id, seenGeneral);
    const approvalId = /"(A-[A-Za-z0-9_-]{12})"/.exec(JSON.stringify(inGeneral.attachments))![1]!;

    // Megan cannot approve her own request.
    const selfApproval = await driver.execute(chat, megan.id, inChat.messageId, 'approval.approve', { approvalId });
    assert.match(String(selfApproval.value), /can't approve your own request/);

    // Adele reviews it in General and approves; the card follows Defender to Succeeded, in place.
    // The Playground files a channel post under its thread: `<channel>;messageid=<root post id>`.
    const generalThread = `${general};messageid=${inGeneral.messageId}`;
    const review = await driver.execute(generalThread, adele.id, inGeneral.messageId, 'approval.view', { approvalId });
    assert.match(JSON.stringify(review.value), /"verb":"approval\.approve"/);
    await driver.execute(generalThread, adele.id, inGeneral.messageId, 'approval.approve', {
      approvalId,
      comment: 'Agreed',
    });
    await driver.waitForUpdate(general, inGeneral.messageId, (text) => text.includes('Succeeded'));
    await driver.waitForUpdate(chat, inChat.messageId, (text) => text.includes('Succeeded'));
  });

  it('triages incident 2301 as three personas: Lynne may not read it, Patti reads her scope but may not change it, Megan takes it', async () => {
    const chat = config.groupChats[0]!.id;
    const persona = (first: string) => config.users.find((u) => u.name.startsWith(first))!;
    const owner = () => app.demo!.simulator.graph.portal.incidents().find((i) => i.id === '2301')!.assignedTo;
    /** The persona's own view of "incident 2301" in the group chat (posted: a Show me card; the view: theirs alone). */
    const viewAs = async (user: PlaygroundConfig['users'][number]) => {
      const seen = driver.botMessages(chat, config.bot.id).length;
      await driver.sayAs({ id: chat, conversationType: 'groupChat' }, user, 'incident 2301', config);
      const posted = await driver.nextBotMessage(chat, config.bot.id, seen);
      assert.doesNotMatch(visibleText(posted.attachments), /dc-01|adm-allan/, 'no incident data in the shared chat');
      const view = await driver.execute(chat, user.id, posted.messageId, 'command.view', { command: 'incident 2301' });
      return { posted, view, text: typeof view.value === 'string' ? view.value : visibleText(view.value) };
    };

    const lynne = await viewAs(persona('Lynne'));
    assert.match(lynne.text, /permission/);

    const before = owner();
    const patti = await viewAs(persona('Patti'));
    assert.match(patti.text, /ws-fin-042/, 'her Finance device is on her view');
    const alertCount = (text: string) => Number(/Alerts \((\d+)\)/.exec(text)?.[1]);
    const pattiAssign = executeAction(patti.view.value, 'Assign to me');
    const refused = await driver.execute(
      chat,
      persona('Patti').id,
      patti.posted.messageId,
      pattiAssign.verb,
      pattiAssign.data,
    );
    assert.match(String(refused.value), /permission/);
    assert.equal(owner(), before, 'nothing changed in Defender');

    const megan = await viewAs(persona('Megan'));
    assert.ok(
      alertCount(patti.text) < alertCount(megan.text),
      'alerts on devices outside her groups (the domain controller, Tier 0) are not on her view',
    );
    const assign = executeAction(megan.view.value, 'Assign to me');
    const taken = await driver.execute(chat, persona('Megan').id, megan.posted.messageId, assign.verb, assign.data);
    assert.match(visibleText(taken.value), /Owner\nmeganb@contoso\.com/);
    assert.equal(owner(), 'meganb@contoso.com');
  });

  it('shows a new alert in the General channel (subscribed in demo mode) and updates that card when it changes', async () => {
    const general = config.teams[0]!.id;
    const seen = driver.botMessages(general, config.bot.id).length;
    const device = demoSeed.machines.find((m) => m.computerDnsName.startsWith('ws-eng-021.'))!;
    const alert = app.demo!.simulator.defender.state.injectAlert({
      title: 'Beaconing to a known command-and-control domain',
      severity: 'High',
      category: 'CommandAndControl',
      machineId: device.id,
    });
    await app.notifications.poller.round();
    await app.notifications.idle();
    const card = await driver.nextBotMessage(general, config.bot.id, seen);
    const text = visibleText(card.attachments);
    assert.match(text, /Beaconing to a known command-and-control domain[\s\S]*ws-eng-021\.corp\.contoso\.com/);
    assert.match(JSON.stringify(card.attachments), new RegExp(`"alertId":"${alert.id}"`));

    app.demo!.simulator.defender.state.updateAlert(alert.id, { status: 'Resolved', classification: 'TruePositive' });
    await app.notifications.poller.round();
    await app.notifications.idle();
    await driver.waitForUpdate(general, card.messageId, (updated) => updated.includes('Resolved'));
  });
});
