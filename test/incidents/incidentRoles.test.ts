import assert from 'node:assert/strict';
import type { RunningApp } from '../../src/app';
import { DEMO_BOT_ID } from '../../src/demo/demoConstants';
import type { SeedUser } from '../../src/simulator/seed/seedSchema';
import type { ExecuteAction } from '../support/cardData';
import { executeAction as button } from '../support/cardData';
import { BotClient, cardsOf, visibleText } from '../support/botClient';
import { demoSeed, persona, personalChat } from '../support/demoTenant';
import { startTestApp } from '../support/testApp';

type Card = Record<string, unknown>;
type Persona = ReturnType<typeof persona>;
type GraphAlert = (typeof demoSeed.alertsV2)[number];

/** The simulator's device-group rule for Graph: no device evidence, or a device in one of the user's groups. */
function alertVisibleTo(user: SeedUser, alert: GraphAlert): boolean {
  if (!user.defenderPermissions.includes('ViewData')) return false;
  if (user.deviceGroups.includes('*')) return true;
  const devices = alert.evidence.flatMap((e) =>
    e['@odata.type'].endsWith('deviceEvidence') && 'mdeDeviceId' in e && e.mdeDeviceId ? [String(e.mdeDeviceId)] : [],
  );
  if (devices.length === 0) return true;
  return devices.some((id) => {
    const group = demoSeed.machines.find((m) => m.id === id)?.rbacGroupName;
    return group !== null && group !== undefined && user.deviceGroups.includes(group);
  });
}

const alertsOf = (incidentId: string) => demoSeed.alertsV2.filter((a) => a.incidentId === incidentId);

/** Host names in the device evidence of `alerts`. */
function deviceNames(alerts: GraphAlert[]): Set<string> {
  return new Set(
    alerts.flatMap((a) =>
      a.evidence.flatMap((e) => ('deviceDnsName' in e && typeof e.deviceDnsName === 'string' ? [e.deviceDnsName] : [])),
    ),
  );
}

describe('incidents and Defender XDR roles, and changes made in the portal (demo tenant)', function () {
  this.timeout(60_000);
  let app: RunningApp;
  let bot: BotClient;
  const adele = persona('Adele');
  const patti = persona('Patti');
  const lynne = persona('Lynne');

  before(async () => {
    app = await startTestApp();
    bot = new BotClient(app.url, DEMO_BOT_ID);
  });
  after(async () => app.stop());

  async function say(text: string, user: Persona): Promise<{ card: Card | undefined; text: string }> {
    const [reply] = await bot.say(text, user, personalChat(user));
    assert.ok(reply, 'the bot answered');
    const card = cardsOf(reply)[0];
    return { card, text: card ? visibleText(card) : String(reply.text) };
  }

  async function click(action: ExecuteAction, user: Persona, inputs: Record<string, unknown> = {}) {
    const response = await bot.execute(action.verb, { ...action.data, ...inputs }, user, personalChat(user));
    return { card: response.value as Card, text: visibleText(response.value) || String(response.value) };
  }

  const portalIncident = (id: string) => app.demo!.simulator.graph.portal.incidents().find((i) => i.id === id)!;

  it('a read-only analyst scoped to Finance sees exactly the incidents with an alert in her scope', async () => {
    const expected = demoSeed.incidents
      .filter((i) => ['active', 'inProgress'].includes(i.status))
      .filter((i) => alertsOf(i.id).some((a) => alertVisibleTo(patti, a)));
    assert.ok(expected.length > 0 && expected.length < 20, 'Patti sees some, not all');
    const { text } = await say('show incidents', patti);
    assert.match(text, new RegExp(`${expected.length} incidents?`));
  });

  it('her card of 2301 shows only the alerts and devices her role allows', async () => {
    const visible = alertsOf('2301').filter((a) => alertVisibleTo(patti, a));
    assert.ok(visible.length > 0 && visible.length < 21);
    const { text } = await say('incident 2301', patti);
    assert.match(text, new RegExp(`Alerts \\(${visible.length}\\)`));
    // Devices come from the alerts she may see (an alert in her scope shows all of its evidence).
    const devices = deviceNames(visible);
    const hiddenOnly = [...deviceNames(alertsOf('2301').filter((a) => !alertVisibleTo(patti, a)))].filter(
      (name) => !devices.has(name),
    );
    assert.match(text, new RegExp(`Devices \\(${devices.size}\\)`));
    for (const name of devices) assert.ok(text.includes(name), name);
    for (const name of hiddenOnly) assert.ok(!text.includes(name), `${name} is only on alerts outside her scope`);
  });

  it('an incident wholly outside her scope is "No incident … that you can see"', async () => {
    const hidden = demoSeed.incidents.find(
      (i) => alertsOf(i.id).length > 0 && !alertsOf(i.id).some((a) => alertVisibleTo(patti, a)),
    );
    assert.ok(hidden, 'the demo tenant has an incident Patti may not see');
    assert.equal((await say(`incident ${hidden.id}`, patti)).text, `No incident ${hidden.id} that you can see.`);
  });

  it('she may read but not change: every triage verb answers with the permission message, nothing changes', async () => {
    const { card } = await say('incident 2301', patti);
    for (const [title, inputs] of [
      ['Assign to me', {}],
      ['Mark active', {}],
      ['Save classification', { classification: 'truePositive/phishing' }],
      ['Add comment', { commentText: 'Looks bad.' }],
    ] as const) {
      const answer = await click(button(card, title), patti, inputs);
      assert.match(answer.text, /You don't have permission to change this incident in Microsoft Defender/, title);
    }
    const after = portalIncident('2301');
    assert.equal(after.assignedTo, 'meganb@contoso.com');
    assert.equal(after.status, 'inProgress');
    assert.equal(after.classification, 'unknown');
    assert.equal(after.comments.length, 0);
  });

  it('a person without any Defender role is told so', async () => {
    assert.match(
      (await say('show incidents', lynne)).text,
      /You don't have permission to view incidents in Microsoft Defender/,
    );
    assert.match((await say('incident 2301', lynne)).text, /You don't have permission to view this incident/);
  });

  it('"show incidents" and the incident card are one Graph call each', async () => {
    app.demo!.simulator.graph.resetStats();
    await say('show incidents', adele);
    assert.deepEqual(app.demo!.simulator.graph.stats().byOperation, { 'incidents.list': 1 });
    app.demo!.simulator.graph.resetStats();
    await say('incident 2301', adele);
    assert.deepEqual(app.demo!.simulator.graph.stats().byOperation, { 'incidents.get': 1 });
  });

  it('a change made in the portal shows when the card refreshes', async () => {
    const { card } = await say('incident 2307', adele);
    assert.match(visibleText(card), /Status\nActive/);
    app.demo!.simulator.graph.portal.updateIncident('2307', { status: 'inProgress', customTags: ['escalated'] });
    const refresh = (card!.refresh as { action: ExecuteAction }).action;
    const refreshed = await click(refresh, adele);
    assert.match(refreshed.text, /Status\nIn progress/);
    assert.match(refreshed.text, /Tags\nescalated/);
  });

  it('an owner set in the portal after the card was shown is not overwritten by "Assign to me"', async () => {
    const { card } = await say('incident 2309', adele);
    app.demo!.simulator.graph.portal.updateIncident('2309', { assignedTo: 'isaiahl@contoso.com' });
    const answer = await click(button(card, 'Assign to me'), adele);
    assert.match(
      answer.text,
      /Someone changed the owner to isaiahl@contoso\.com meanwhile \(this card showed nobody\); nothing was changed/,
    );
    assert.equal(portalIncident('2309').assignedTo, 'isaiahl@contoso.com');
  });
});
