import assert from 'node:assert/strict';
import type { RunningApp } from '../../src/app';
import { DEMO_BOT_ID } from '../../src/demo/demoConstants';
import { BotClient, cardsOf, visibleText } from '../support/botClient';
import { demoSeed, groupChat, persona, personalChat, visibleAlerts } from '../support/demoTenant';
import { startTestApp } from '../support/testApp';

type Card = Record<string, unknown>;

/** Alert ids of a list card, in display order. */
function rowIds(card: Card): string[] {
  return (card.body as { selectAction?: { verb: string; data: { alertId: string } } }[])
    .filter((e) => e.selectAction?.verb === 'alert.open')
    .map((e) => e.selectAction!.data.alertId);
}

function action(card: Card, title: string): { verb: string; data: unknown } | undefined {
  return (card.actions as { title: string; verb: string; data: unknown }[] | undefined)?.find((a) => a.title === title);
}

describe('read commands through POST /api/messages (demo tenant)', function () {
  this.timeout(60_000);
  let app: RunningApp;
  let bot: BotClient;

  before(async () => {
    app = await startTestApp();
    bot = new BotClient(app.url, DEMO_BOT_ID);
  });
  after(async () => app.stop());
  beforeEach(() => {
    app.demo!.simulator.defender.faults.clear();
    app.demo!.simulator.defender.resetRateLimits();
  });

  /** Every alert id of a list, following "Show more" as the same user, checking newest-first order. */
  async function allRows(first: Card, user: ReturnType<typeof persona>): Promise<string[]> {
    const ids = rowIds(first);
    let card = first;
    for (let more = action(card, 'Show more'); more; more = action(card, 'Show more')) {
      const response = await bot.execute(more.verb, more.data, user, personalChat(user));
      assert.equal(response.type, 'application/vnd.microsoft.card.adaptive');
      card = response.value as Card;
      assert.ok(rowIds(card).length <= 10);
      ids.push(...rowIds(card));
    }
    return ids;
  }

  for (const name of ['Alex', 'Megan', 'Adele', 'Isaiah', 'Patti']) {
    it(`"show high alerts" as ${name} lists exactly the unresolved High alerts their Defender role can see`, async () => {
      const user = persona(name);
      const [reply] = await bot.say('show high alerts', user, personalChat(user));
      const card = cardsOf(reply!)[0]!;
      const expected = visibleAlerts(user)
        .filter((a) => a.severity === 'High' && (a.status === 'New' || a.status === 'InProgress'))
        .sort((a, b) => Date.parse(b.alertCreationTime) - Date.parse(a.alertCreationTime))
        .map((a) => a.id);
      assert.ok(expected.length > 0, 'the demo tenant gives every persona with ViewData something to see');
      assert.match(visibleText(card), new RegExp(`${expected.length} alerts?`));
      assert.deepEqual(await allRows(card, user), expected);
    });
  }

  it('tells a user without Defender access that Defender refused, not a stack trace', async () => {
    const user = persona('Lynne');
    const [reply] = await bot.say('show high alerts', user, personalChat(user));
    assert.match(visibleText(reply), /You don't have permission to view alerts in Microsoft Defender/);
  });

  it('tells a user unknown to the tenant so', async () => {
    const stranger = { id: '29:x', name: 'Stranger', aadObjectId: 'aaaaaaaa-1111-4111-8111-111111111111' };
    const [reply] = await bot.say('show alerts', stranger, personalChat(stranger));
    assert.match(visibleText(reply), /isn't known to the Microsoft Defender tenant/);
  });

  it('answers help without signing anyone in', async () => {
    app.demo!.simulator.entra.resetStats();
    const user = persona('Lynne');
    const [reply] = await bot.say('help', user, personalChat(user));
    assert.match(visibleText(reply), /show high alerts/);
    assert.equal(app.demo!.simulator.entra.stats().tokenRequests, 0);
  });

  it('shows one alert with evidence and a portal link built from its id', async () => {
    const user = persona('Adele');
    const alert = demoSeed.alerts.find((a) => a.evidence.length > 0 && a.severity === 'High')!;
    const [reply] = await bot.say(`alert ${alert.id}`, user, personalChat(user));
    const card = cardsOf(reply!)[0]!;
    const text = visibleText(card);
    assert.ok(text.includes(alert.title));
    assert.match(text, /Evidence \(/);
    assert.equal(
      (action(card, 'Open in Microsoft Defender') as unknown as { url: string }).url,
      `https://security.microsoft.com/alerts/${alert.id}`,
    );
  });

  it('does not show an alert outside the user device groups', async () => {
    const user = persona('Patti');
    const hidden = demoSeed.alerts.find((a) => a.rbacGroupName !== 'Finance-Workstations')!;
    const [reply] = await bot.say(`alert ${hidden.id}`, user, personalChat(user));
    assert.match(
      visibleText(reply),
      /couldn't find that in Microsoft Defender, or it is outside the device groups you can see/,
    );
  });

  it('shows a device by host name with its isolation state and open alerts', async () => {
    const user = persona('Adele');
    const [reply] = await bot.say('device ws-eng-017', user, personalChat(user));
    const text = visibleText(reply);
    assert.match(text, /ws-eng-017\.corp\.contoso\.com/);
    assert.match(text, /Isolated since/);
    const [fin] = await bot.say('DEVICE WS-FIN-042.corp.contoso.com', user, personalChat(user));
    assert.match(visibleText(fin), /Not isolated/);
    const open = demoSeed.alerts.filter(
      (a) => a.computerDnsName === 'ws-fin-042.corp.contoso.com' && (a.status === 'New' || a.status === 'InProgress'),
    ).length;
    assert.match(visibleText(fin), new RegExp(`Show ${open} open alerts`));
  });

  it('never resolves a device by substring: a prefix gets suggestions, an ambiguous name a pick-list', async () => {
    const user = persona('Adele');
    const [prefix] = await bot.say('device ws-fin-04', user, personalChat(user));
    const prefixText = visibleText(prefix);
    assert.match(prefixText, /No device with this name/);
    assert.match(prefixText, /ws-fin-041\.corp\.contoso\.com[\s\S]*ws-fin-044\.corp\.contoso\.com/);
    const [ambiguous] = await bot.say('device web-01', user, personalChat(user));
    const card = cardsOf(ambiguous!)[0]!;
    assert.match(visibleText(card), /2 devices have this name/);
    const choices = JSON.stringify(card).match(/"verb":"device\.show","data":\{"device":"([0-9a-f]{40})"[,}]/g) ?? [];
    assert.equal(choices.length, 2);
    const [typo] = await bot.say('device ws-fn-042', user, personalChat(user));
    assert.match(visibleText(typo), /ws-fin-042\.corp\.contoso\.com/);
  });

  it('picks a device from the pick-list under the clicker token', async () => {
    const user = persona('Adele');
    const dmz = demoSeed.machines.find((m) => m.computerDnsName === 'web-01.dmz.contoso.com')!;
    const response = await bot.execute('device.show', { device: dmz.id }, user, personalChat(user));
    assert.equal(response.type, 'application/vnd.microsoft.card.adaptive');
    assert.match(visibleText(response.value), /web-01\.dmz\.contoso\.com/);
  });

  it('lists alerts of a device and alerts assigned to the sender', async () => {
    const alex = persona('Alex');
    const [mine] = await bot.say('alerts assigned to me', alex, personalChat(alex));
    const expected = demoSeed.alerts.filter(
      (a) => a.assignedTo === alex.userPrincipalName && a.status !== 'Resolved' && a.status !== 'Unknown',
    );
    assert.deepEqual(new Set(rowIds(cardsOf(mine!)[0]!)), new Set(expected.map((a) => a.id)));
    const [onDevice] = await bot.say('alerts on device dc-01', alex, personalChat(alex));
    const ids = rowIds(cardsOf(onDevice!)[0]!);
    assert.ok(ids.length > 0);
    for (const id of ids)
      assert.equal(demoSeed.alerts.find((a) => a.id === id)!.computerDnsName, 'dc-01.corp.contoso.com');
  });

  it('makes exactly one Defender call for a list command and no token request when the user repeats it', async () => {
    const user = persona('Megan');
    await bot.say('show high alerts', user, personalChat(user));
    const { defender, entra } = app.demo!.simulator;
    defender.resetStats();
    entra.resetStats();
    await bot.say('show new medium alerts', user, personalChat(user));
    await bot.say('high alerts last 24h', user, personalChat(user));
    assert.equal(defender.stats().defenderCalls, 2);
    assert.equal(entra.stats().tokenRequests, 0);
  });

  it('answers in a group chat with a Show me card that carries no Defender data, each clicker seeing their own view', async () => {
    const adele = persona('Adele');
    const [reply] = await bot.say('show high alerts', adele, groupChat);
    const card = cardsOf(reply!)[0]!;
    const posted = visibleText(card);
    assert.match(posted, /Adele Vance[\s\S]*asked[\s\S]*show high alerts/);
    assert.doesNotMatch(posted, /Unresolved|alerts? ·|corp\.contoso\.com/);
    const showMe = action(card, 'Show me')!;
    assert.deepEqual(showMe, {
      type: 'Action.Execute',
      title: 'Show me',
      verb: 'command.view',
      data: { command: 'show high alerts' },
    });
    // The requester's own view loads by itself (Universal Actions refresh, for them only).
    assert.deepEqual((card.refresh as { userIds: string[] }).userIds, [adele.id]);

    const counts: Record<string, string> = {};
    for (const name of ['Adele', 'Patti']) {
      const viewer = persona(name);
      const response = await bot.execute(showMe.verb, showMe.data, viewer, groupChat);
      assert.equal(response.type, 'application/vnd.microsoft.card.adaptive');
      counts[name] = /Unresolved · (\d+) alerts?/.exec(visibleText(response.value))![1]!;
    }
    const expected = (name: string) =>
      visibleAlerts(persona(name)).filter((a) => a.severity === 'High' && ['New', 'InProgress'].includes(a.status))
        .length;
    assert.deepEqual(counts, { Adele: String(expected('Adele')), Patti: String(expected('Patti')) });
    const lynne = await bot.execute(showMe.verb, showMe.data, persona('Lynne'), groupChat);
    assert.match(String(lynne.value), /You don't have permission to view alerts/);
  });

  it('names a requester Teams gave no name as "someone" in the reader\'s language', async () => {
    const nameless = { ...persona('Adele'), name: undefined as unknown as string };
    const [reply] = await new BotClient(app.url, DEMO_BOT_ID, 'pt-BR').say('show high alerts', nameless, groupChat);
    assert.match(visibleText(cardsOf(reply!)[0]!), /^Alguém/m);
  });

  it('answers help in a group chat directly, with the mention stripped', async () => {
    const [reply] = await bot.say('help', persona('Alex'), groupChat);
    assert.match(visibleText(reply), /What I can do/);
  });

  it('answers what it did not understand with the closest command', async () => {
    const user = persona('Alex');
    // "shwo hihg alerts" alone is understood now (issue 13); a word the bot does not know still gets the suggestion.
    const [reply] = await bot.say('shwo hihg alerts lately', user, personalChat(user));
    assert.equal(
      reply!.text,
      'I didn\'t understand that. Did you mean "show high alerts"? Type "help" for everything I can do.',
    );
    assert.equal(reply!.textFormat, 'plain');
  });

  it('refuses tampered or unknown card data without calling Defender', async () => {
    const user = persona('Adele');
    app.demo!.simulator.defender.resetStats();
    for (const [verb, data] of [
      [
        'alerts.page',
        { query: { severities: ['Critical'], status: { kind: 'unresolved' }, assignedToMe: false }, page: 0 },
      ],
      [
        'alerts.page',
        {
          query: { severities: [], status: { kind: 'unresolved' }, assignedToMe: false, device: "x' or '1' eq '1" },
          page: 0,
        },
      ],
      ['alert.open', { alertId: '../machines' }],
      ['device.show', { device: 'a', extra: true }],
      ['machines.offboard', { device: 'a' }],
    ] as const) {
      const response = await bot.execute(verb, data, user, personalChat(user));
      assert.equal(response.type, 'application/vnd.microsoft.activity.message', `${verb} ${JSON.stringify(data)}`);
      assert.match(String(response.value), /out of date or was altered/);
    }
    assert.equal(app.demo!.simulator.defender.stats().defenderCalls, 0);
  });

  it('explains Defender throttling and outages in plain words', async () => {
    const user = persona('Alex');
    const { faults } = app.demo!.simulator.defender;
    faults.set({ throttle: { next: 10, retryAfterSeconds: 42 } });
    const [throttled] = await bot.say('show alerts', user, personalChat(user));
    assert.match(visibleText(throttled), /Try again in 42 seconds/);
    faults.set({ errors: { rate: 1, status: 503 } });
    const [down] = await bot.say('show alerts', user, personalChat(user));
    assert.match(visibleText(down), /Defender returned a server error several times in a row[\s\S]*ref [0-9a-f-]{36}/);
  });

  it('retries a transient Defender failure and still answers', async () => {
    const user = persona('Alex');
    app.demo!.simulator.defender.faults.set({ throttle: { next: 1, retryAfterSeconds: 1 } });
    const [reply] = await bot.say('show high alerts', user, personalChat(user));
    assert.match(visibleText(reply), /High alerts/);
  });
});
