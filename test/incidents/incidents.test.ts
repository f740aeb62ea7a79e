import assert from 'node:assert/strict';
import type { RunningApp } from '../../src/app';
import { DEMO_BOT_ID } from '../../src/demo/demoConstants';
import { readAuditFile } from '../support/auditFile';
import type { ExecuteAction } from '../support/cardData';
import { executeAction as button, executeActions } from '../support/cardData';
import { BotClient, cardsOf, visibleText } from '../support/botClient';
import { demoSeed, groupChat, persona, personalChat } from '../support/demoTenant';
import { startTestApp, testConfig } from '../support/testApp';

type Card = Record<string, unknown>;
type Persona = ReturnType<typeof persona>;

/** Incident ids of a list card, in display order. */
function rowIds(card: Card): string[] {
  return (card.body as { selectAction?: { verb: string; data: { incidentId: string } } }[])
    .filter((e) => e.selectAction?.verb === 'incident.open')
    .map((e) => e.selectAction!.data.incidentId);
}

/** Records the operations of every Graph request the simulator answers (`incidents.get`, `incidents.patch`…). */
function watchGraph(app: RunningApp): { since(mark: number): string[]; mark(): number } {
  const operations: string[] = [];
  app.demo!.simulator.graph.onRequest((call) => operations.push(call.operation));
  return { since: (mark) => operations.slice(mark), mark: () => operations.length };
}

const OPEN = ['active', 'inProgress'];

describe('incidents in chat through POST /api/messages (demo tenant)', function () {
  this.timeout(60_000);
  let app: RunningApp;
  let bot: BotClient;
  let dataDir: string;
  let graph: ReturnType<typeof watchGraph>;
  const adele = persona('Adele');
  const megan = persona('Megan');

  before(async () => {
    const config = testConfig();
    dataDir = config.dataDir;
    app = await startTestApp(config);
    bot = new BotClient(app.url, DEMO_BOT_ID);
    graph = watchGraph(app);
  });
  after(async () => app.stop());
  beforeEach(() => {
    app.demo!.simulator.defender.faults.clear();
    app.demo!.simulator.defender.resetRateLimits();
  });

  async function say(text: string, user: Persona = adele): Promise<Card | string> {
    const [reply] = await bot.say(text, user, personalChat(user));
    assert.ok(reply, 'the bot answered');
    const card = cardsOf(reply)[0];
    return card ?? String(reply.text);
  }

  async function incidentCard(id: string, user: Persona = adele): Promise<Card> {
    const card = await say(`incident ${id}`, user);
    assert.equal(typeof card, 'object', `incident ${id} answered with a card`);
    return card as Card;
  }

  /** Clicks `action` (with the form's inputs) as `user`; the answer is a card or a message. */
  async function click(action: ExecuteAction, inputs: Record<string, unknown> = {}, user: Persona = adele) {
    const response = await bot.execute(action.verb, { ...action.data, ...inputs }, user, personalChat(user));
    assert.equal(response.statusCode, 200);
    return response.type === 'application/vnd.microsoft.card.adaptive'
      ? { card: response.value as Card, text: visibleText(response.value) }
      : { card: undefined, text: String(response.value) };
  }

  const auditEntries = () => readAuditFile(dataDir);

  describe('lists', () => {
    const expectations: {
      text: string;
      user: Persona;
      matches: (i: (typeof demoSeed.incidents)[number]) => boolean;
    }[] = [
      { text: 'show incidents', user: adele, matches: (i) => OPEN.includes(i.status) },
      { text: 'show high incidents', user: adele, matches: (i) => OPEN.includes(i.status) && i.severity === 'high' },
      {
        text: 'incidents assigned to me',
        user: megan,
        matches: (i) => OPEN.includes(i.status) && i.assignedTo === 'meganb@contoso.com',
      },
      { text: 'unassigned incidents', user: adele, matches: (i) => OPEN.includes(i.status) && !i.assignedTo },
      { text: 'resolved incidents', user: adele, matches: (i) => i.status === 'resolved' },
    ];
    for (const { text, user, matches } of expectations) {
      it(`"${text}" lists exactly the matching incidents, most recently updated first, in one Graph call`, async () => {
        const expected = demoSeed.incidents
          .filter(matches)
          .sort((a, b) => Date.parse(b.lastUpdateDateTime) - Date.parse(a.lastUpdateDateTime))
          .map((i) => i.id);
        assert.ok(expected.length > 0, 'the demo tenant has incidents of this kind');
        const mark = graph.mark();
        const card = (await say(text, user)) as Card;
        assert.deepEqual(graph.since(mark), ['incidents.list']);
        assert.match(visibleText(card), new RegExp(`${expected.length} incidents?`));
        const ids = rowIds(card);
        let page = card;
        for (let more = executeActions(page).find((a) => a.title === 'Show more'); more;) {
          page = (await click(more, {}, user)).card!;
          ids.push(...rowIds(page));
          more = executeActions(page).find((a) => a.title === 'Show more');
        }
        assert.deepEqual(ids, expected);
      });
    }

    it('each row shows severity, id, title, status, owner and the alert count', async () => {
      const card = (await say('show high incidents')) as Card;
      const text = visibleText(card);
      assert.match(text, /#2301/);
      assert.match(text, /#2301\n[^\n]+\nIn progress\n · 21 alerts · updated [^\n]+ · \nmeganb@contoso\.com/);
      assert.match(text, /Unassigned/);
    });
  });

  describe('the incident card', () => {
    it('shows incident 2301 across endpoint, identity and email: alerts, devices, users, mailboxes, in one call', async () => {
      const mark = graph.mark();
      const card = await incidentCard('2301');
      assert.deepEqual(graph.since(mark), ['incidents.get']);
      const text = visibleText(card);
      assert.match(text, /Multi-stage incident involving Initial access/);
      assert.match(text, /Owner\nmeganb@contoso\.com/);
      assert.match(text, /Classification\nNot classified/);
      assert.match(text, /Alerts \(21\) · Endpoint 16 · Identity 3 · Office 365 2/);
      // The first listed alert is a High one, with its source.
      assert.match(text, /Alerts \(21\)[^\n]*\nHigh\n · (Endpoint|Identity) · /);
      for (const device of ['dc-01.corp.contoso.com', 'ws-fin-042.corp.contoso.com', 'ws-fin-043.corp.contoso.com'])
        assert.ok(text.includes(device), `device ${device} is on the card`);
      assert.match(text, /Users\nadm-allan@contoso\.com/);
      assert.match(text, /Mailboxes\njonis@contoso\.com/);
      assert.match(text, /Tags\nphishing, credential-theft/);
      const dc = '68a79a4b8b6ef23aaa740f1cb11bb74b827c2833';
      // Every button says which tenant the card was read from (checked against the conversation on each click).
      const tenant = { customerTenantId: demoSeed.tenant.id };
      assert.deepEqual(button(card, 'Device').data, { device: dc, ...tenant });
      assert.deepEqual(button(card, 'Isolate').data, { kind: 'isolate', device: dc, ...tenant });
      const actions = card.actions as { type: string; title: string; url?: string }[];
      // Teams shows 6 top-level buttons: Investigate, the portal link and Hunt go under "More".
      assert.deepEqual(
        actions.map((a) => a.title),
        ['Assign', 'Mark active', 'Classify', 'Comment', 'Resolve', 'More'],
      );
      const more = (actions.at(-1) as unknown as { card: { actions: typeof actions } }).card.actions;
      assert.deepEqual(
        more.map((a) => a.title),
        ['Investigate', 'Open in Defender', 'Hunt'],
      );
      assert.equal(more[1]!.url, `https://security.microsoft.com/incidents/2301?tid=${demoSeed.tenant.id}`);
      const refresh = card.refresh as { action: { verb: string; data: unknown }; userIds: string[] };
      assert.deepEqual(refresh.action, {
        type: 'Action.Execute',
        title: 'Refresh',
        verb: 'incident.open',
        data: { incidentId: '2301', ...tenant },
      });
      assert.deepEqual(refresh.userIds, [adele.id]);
      const resolve = button(card, 'Resolve incident');
      assert.deepEqual(Object.keys(resolve.data), ['incidentId', 'seen', 'customerTenantId']);
      assert.equal(resolve.data.incidentId, '2301');
      assert.match(String(resolve.data.seen), /^\d{4}-\d{2}-\d{2}T/);
    });

    it('a device button opens the device card, a response action goes to the approval flow', async () => {
      const card = await incidentCard('2301');
      const device = await click(button(card, 'Device'));
      assert.match(device.text, /dc-01/);
      const isolate = await click(button(card, 'Isolate'));
      assert.match(isolate.text, /Isolate/);
      assert.match(isolate.text, /dc-01/);
    });

    it('"incident #2301" is the same incident', async () => {
      const card = await incidentCard('#2301');
      assert.match(visibleText(card), /Incident 2301 ·/);
    });

    it('offers exactly the documented classification/determination pairs in one choice', async () => {
      const card = await incidentCard('2301');
      const classify = (
        card.actions as { title: string; card?: { body: { id: string; choices: { value: string }[] }[] } }[]
      )
        .find((a) => a.title === 'Classify')!
        .card!.body.find((e) => e.id === 'classification')!;
      const values = classify.choices.map((c) => c.value);
      assert.equal(values.length, 14);
      assert.ok(values.includes('truePositive/multiStagedAttack'));
      assert.ok(values.includes('falsePositive/notMalicious'));
      assert.ok(!values.includes('falsePositive/malware'));
    });

    it('an unknown number gets "No incident … that you can see", with nothing else', async () => {
      assert.equal(await say('incident 999999'), 'No incident 999999 that you can see.');
      const opened = await click({
        type: 'Action.Execute',
        title: '',
        verb: 'incident.open',
        data: { incidentId: '999999' },
      });
      assert.equal(opened.text, 'No incident 999999 that you can see.');
    });

    it('in a group chat nobody sees incident data until they ask for their own view', async () => {
      const [posted] = await bot.say('incident 2301', adele, groupChat);
      const showMe = cardsOf(posted!)[0]!;
      assert.doesNotMatch(visibleText(showMe), /meganb|dc-01/);
      const view = await bot.execute('command.view', { command: 'incident 2301' }, megan, groupChat);
      assert.match(visibleText(view.value), /dc-01\.corp\.contoso\.com/);
    });
  });

  describe('triage on the card', () => {
    it('"Assign to me" makes the clicker the owner in Defender, answers with the fresh card and is audited', async () => {
      const card = await incidentCard('2303');
      const answer = await click(button(card, 'Assign to me'));
      assert.match(answer.text, /Owner\nadelev@contoso\.com/);
      assert.match(answer.text, /The owner is now adelev@contoso\.com\./);
      assert.match(visibleText(await incidentCard('2303', megan)), /Owner\nadelev@contoso\.com/);
      const entry = auditEntries().find(
        (e) => e.type === 'incident.changed' && (e.detail as { incidentId: string }).incidentId === '2303',
      );
      assert.ok(entry, 'the change is in the audit trail');
      assert.deepEqual(entry.actor, { aadObjectId: adele.aadObjectId, userPrincipalName: 'adelev@contoso.com' });
      assert.deepEqual(entry.detail, { incidentId: '2303', change: 'assign', from: '', to: 'adelev@contoso.com' });
    });

    it('"Assign" to a typed UPN checks it looks like one before any call', async () => {
      const card = await incidentCard('2306');
      const assign = executeActions(card).find((a) => a.title === 'Assign' && a.verb === 'incident.assign')!;
      const mark = graph.mark();
      const refused = await click(assign, { assignee: 'not a upn' });
      assert.match(refused.text, /does not look like a user principal name/);
      assert.deepEqual(graph.since(mark), []);
      const done = await click(assign, { assignee: 'alexw@contoso.com' });
      assert.match(done.text, /Owner\nalexw@contoso\.com/);
    });

    it('"Mark in progress" changes the status in Defender', async () => {
      const card = await incidentCard('2304');
      const answer = await click(button(card, 'Mark in progress'));
      assert.match(answer.text, /Status\nIn progress/);
      assert.match(visibleText(await incidentCard('2304', megan)), /Status\nIn progress/);
    });

    it('"Save classification" sets a legal pair; an illegal pair is refused without a call', async () => {
      const card = await incidentCard('2309');
      const save = button(card, 'Save classification');
      const mark = graph.mark();
      const refused = await click(save, { classification: 'falsePositive/malware' });
      assert.match(refused.text, /does not accept that classification with that determination/);
      assert.deepEqual(graph.since(mark), []);
      const refusal = auditEntries().find(
        (e) =>
          e.type === 'approval.refused' &&
          (e.detail as Record<string, unknown>).verb === 'incident.classify 2309' &&
          (e.detail as Record<string, unknown>).reason === 'illegalDetermination',
      );
      assert.ok(refusal, 'the forged pair is audited');
      const done = await click(save, { classification: 'truePositive/phishing' });
      assert.match(done.text, /Classification\nTrue positive/);
      assert.match(done.text, /Determination\nPhishing/);
    });

    it('"Add comment" posts the comment once; an empty one is refused with nothing sent', async () => {
      const card = await incidentCard('2310');
      const add = button(card, 'Add comment');
      const mark = graph.mark();
      const refused = await click(add, { commentText: '   ' });
      assert.match(refused.text, /Type a comment first\. Nothing was sent/);
      assert.deepEqual(graph.since(mark), []);
      // Longer than Graph takes (the card's input stops at 30,000; a forged click does not): a sentence, nothing sent.
      const tooLong = await click(add, { commentText: 'x'.repeat(30_001) });
      assert.match(tooLong.text, /30,000/);
      assert.deepEqual(graph.since(mark), []);
      const done = await click(add, { commentText: 'Mail quarantined, user informed.' });
      assert.match(done.text, /Comments \(1\)/);
      assert.match(done.text, /Mail quarantined, user informed\./);
    });

    it('a change made by someone else meanwhile is never overwritten: fresh card and what changed', async () => {
      const adeleCard = await incidentCard('2311');
      const meganCard = await incidentCard('2311', megan);
      await click(button(meganCard, 'Assign to me'), {}, megan);
      const answer = await click(button(adeleCard, 'Assign to me'));
      assert.match(
        answer.text,
        /Someone changed the owner to meganb@contoso\.com meanwhile \(this card showed nobody\); nothing was changed/,
      );
      assert.match(answer.text, /Owner\nmeganb@contoso\.com/);
      assert.match(visibleText(await incidentCard('2311')), /Owner\nmeganb@contoso\.com/);
    });

    it('a card verb whose data fails its schema is refused before anything runs', async () => {
      const response = await bot.execute(
        'incident.status',
        { incidentId: '2312', seen: 'yesterday', shown: 'active', status: 'resolved' },
        adele,
        personalChat(adele),
      );
      assert.match(String(response.value), /The card you used is out of date or was altered/);
      assert.match(visibleText(await incidentCard('2312')), /Status\nActive/);
    });
  });
});

describe('incident writes whose answer is late (demo tenant, short Graph timeout)', function () {
  this.timeout(60_000);
  let app: RunningApp;
  let bot: BotClient;
  let graph: ReturnType<typeof watchGraph>;
  const adele = persona('Adele');

  before(async () => {
    app = await startTestApp(testConfig({ DEFENDER_TIMEOUT_MS: '1000' }));
    bot = new BotClient(app.url, DEMO_BOT_ID);
    graph = watchGraph(app);
  });
  after(async () => app.stop());

  it('an ambiguous PATCH is confirmed by reading, never sent twice', async () => {
    const [reply] = await bot.say('incident 2305', adele, personalChat(adele));
    const card = cardsOf(reply!)[0]!;
    const markActive = button(card, 'Mark active');
    app.demo!.simulator.defender.faults.set({
      lateAnswers: { ms: 3_000, next: 1, method: 'PATCH', pathPrefix: '/v1.0/security' },
    });
    const mark = graph.mark();
    const response = await bot.execute(markActive.verb, markActive.data, adele, personalChat(adele));
    assert.match(visibleText(response.value), /Status\nActive/);
    assert.deepEqual(graph.since(mark), ['incidents.get', 'incidents.patch', 'incidents.get'], 'one PATCH only');
  });
});
