import assert from 'node:assert/strict';
import { loadMsspSeeds, msspSeedList, MSSP_TENANTS } from '../../src/simulator/seed/msspSeeds';
import type { Seed } from '../../src/simulator/seed/seedSchema';
import { visibleText } from '../support/botClient';
import { actionData, executeActions } from '../support/cardData';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import { postsIn, startProductionHarness } from '../support/productionApp';

type InvokeBody = { statusCode: number; type: string; value: unknown };

const { provider: PROVIDER, contoso: CONTOSO, fabrikam: FABRIKAM, tailspin: TAILSPIN } = MSSP_TENANTS;

/** What a click answered, as a person reads it: a message's text or a card's text. */
function shown(body: InvokeBody): string {
  return body.type === 'application/vnd.microsoft.activity.message' ? String(body.value) : visibleText(body.value);
}

function cardOf(body: InvokeBody): Record<string, unknown> {
  assert.equal(body.type, 'application/vnd.microsoft.card.adaptive', `expected a card: ${JSON.stringify(body)}`);
  return body.value as Record<string, unknown>;
}

function hostsOf(seed: Seed): string[] {
  return seed.machines.map((m) => m.computerDnsName);
}

describe('partner context: an MSSP serves customer tenants from its own Teams (production mode, three tenants)', function () {
  this.timeout(120_000);
  const seeds = loadMsspSeeds({ freshen: true });
  let h: ProductionHarness;
  let ana: TeamsPerson;
  let bruno: TeamsPerson;
  let carla: TeamsPerson;
  let diego: TeamsPerson;
  // Woodgrove's SOC channel (bound to Contoso and Fabrikam) and its Fabrikam escalations channel.
  const soc: Conversation = { id: '19:woodgrove-soc@thread.tacv2', conversationType: 'channel', tenantId: PROVIDER };
  const escalations: Conversation = {
    id: '19:woodgrove-fabrikam@thread.tacv2',
    conversationType: 'channel',
    tenantId: PROVIDER,
  };

  before(async () => {
    h = await startProductionHarness({
      seeds: msspSeedList(seeds),
      // Only the provider has consented: each customer is onboarded below through admin consent.
      consentedTenants: [PROVIDER],
      env: { NOTIFY_POLL: 'off', NOTIFY_DIGEST_THRESHOLD: '1000', GRAPH_RATE_LIMIT_PER_MINUTE: '100000' },
      connectorLimits: { perConversation: [{ windowMs: 1_000, max: 1_000 }] },
      startOptions: { notificationBackoff: { baseMs: 50, maxMs: 400, jitter: 0.2 } },
    });
    ana = h.person(seeds.provider, 'Ana');
    bruno = h.person(seeds.provider, 'Bruno');
    carla = h.person(seeds.provider, 'Carla');
    diego = h.person(seeds.provider, 'Diego');
  });
  after(async () => h?.stop());

  /** A command as the person's own view of it (Show me in a channel), answered to them alone. */
  function command(text: string, who: TeamsPerson, where: Conversation = soc): Promise<InvokeBody> {
    return h.execute('command.view', { command: text }, who, where);
  }

  /** Defender for Endpoint and Graph calls the simulators answered for a tenant so far. */
  function callsIn(tenantId: string): number {
    return (h.simulator.defender.stats().byTenant[tenantId] ?? 0) + (h.simulator.graph.stats().byTenant[tenantId] ?? 0);
  }

  /** "onboard customer …" as Ana, then the customer's administrator's browser: Entra's consent and its redirect. */
  async function onboard(name: string, tenant: string): Promise<{ consentUrl: string; redirect: string }> {
    const card = cardOf(await command(`onboard customer ${name} ${tenant}`, ana));
    const consentUrl = /"url":"([^"]+adminconsent[^"]+)"/.exec(JSON.stringify(card))?.[1];
    assert.ok(consentUrl, `no consent link: ${visibleText(card)}`);
    const granted = await h.browse(consentUrl);
    assert.equal(granted.status, 302);
    const redirect = granted.headers.location!;
    assert.ok(redirect.startsWith(h.app.url), `Entra sends the admin back to the bot: ${redirect}`);
    return { consentUrl, redirect };
  }

  describe('onboarding', () => {
    it('connects a customer through admin consent whose state is bound to the request; tenants shows it with permissions and health', async () => {
      const { redirect } = await onboard('Contoso', 'contoso.onmicrosoft.com');
      const page = await h.browse(redirect);
      assert.equal(page.status, 200);
      assert.match(page.body, /Contoso/);
      // The same redirect again (a reload, or someone who copied it) is not a second consent.
      assert.equal((await h.browse(redirect)).status, 400);
      const list = shown(await command('tenants', ana));
      assert.match(list, /Contoso/);
      assert.match(list, new RegExp(CONTOSO));
      assert.match(list, /Connected/i);
      const facts = JSON.stringify(cardOf(await command('tenants', ana)));
      assert.match(facts, /Alert\.Read\.All/, 'the permissions the consent granted');
    });

    it('records nothing for a forged or missing state, or for a consent given in another tenant', async () => {
      const { redirect } = await onboard('Tailspin', 'tailspintoys.onmicrosoft.com');
      const forged = new URL(redirect);
      forged.searchParams.set('state', 'forged-state-value-forged-state-value-0000');
      assert.equal((await h.browse(forged)).status, 400);
      const missing = new URL(redirect);
      missing.searchParams.delete('state');
      const withoutState = await h.browse(missing);
      assert.doesNotMatch(withoutState.body, /Tailspin is connected/);
      // An administrator of Fabrikam cannot complete Tailspin's onboarding with Tailspin's state.
      const otherTenant = new URL(redirect);
      otherTenant.searchParams.set('tenant', FABRIKAM);
      assert.equal((await h.browse(otherTenant)).status, 400);
      // The tenants card lists each customer as name, tenant id, status: Tailspin's is not Connected.
      const status = new RegExp(`Tailspin\\n${TAILSPIN}\\n([^\\n]+)`).exec(shown(await command('tenants', ana)))?.[1];
      assert.ok(status, 'Tailspin is listed');
      assert.doesNotMatch(status, /Connected/);
      assert.match(shown(await command('bind Tailspin', ana)), /not connected|isn't connected|not active|pending/i);
    });

    it('lets only a SOC.Admin of the provider onboard and bind', async () => {
      assert.match(shown(await command('onboard customer Fabrikam fabrikam.onmicrosoft.com', bruno)), /SOC\.Admin/);
      assert.match(shown(await command('bind Contoso', carla)), /SOC\.Admin/);
    });
  });

  describe('a channel bound to two customers', () => {
    before(async () => {
      const { redirect } = await onboard('Fabrikam', 'fabrikam.onmicrosoft.com');
      assert.equal((await h.browse(redirect)).status, 200);
      assert.match(shown(await command('bind Contoso', ana)), /Contoso/);
      assert.match(shown(await command('bind this channel to Fabrikam', ana)), /Fabrikam/);
      assert.match(shown(await command('bind Fabrikam', ana, escalations)), /Fabrikam/);
    });

    it('asks which customer when a command does not say, and reads only the customer named', async () => {
      const before = { contoso: callsIn(CONTOSO), fabrikam: callsIn(FABRIKAM), provider: callsIn(PROVIDER) };
      assert.match(shown(await command('show high alerts', bruno)), /Contoso and Fabrikam/);
      assert.equal(callsIn(CONTOSO) + callsIn(FABRIKAM), before.contoso + before.fabrikam, 'nothing read');

      const contoso = shown(await command('show high alerts for contoso', bruno));
      assert.match(contoso, /^Customer: Contoso/);
      assert.ok(hostsOf(seeds.contoso).some((host) => contoso.includes(host.split('.')[0]!)));
      for (const host of hostsOf(seeds.fabrikam)) assert.ok(!contoso.includes(host.split('.')[0]!), host);
      assert.equal(callsIn(FABRIKAM), before.fabrikam, '0 reads in Fabrikam for a Contoso command');
      assert.equal(callsIn(PROVIDER), before.provider, "0 reads in the provider's own tenant");

      const fabrikam = shown(await command('show high alerts for Fabrikam', bruno));
      assert.match(fabrikam, /^Customer: Fabrikam/);
      for (const host of hostsOf(seeds.contoso)) assert.ok(!fabrikam.includes(host.split('.')[0]!), host);
    });

    it('answers in the escalations channel for its only customer, and refuses a customer it does not serve', async () => {
      assert.match(shown(await command('show high alerts', bruno, escalations)), /^Customer: Fabrikam/);
      const refused = shown(await command('show high alerts for contoso', bruno, escalations));
      assert.match(refused, /Contoso is not served in this conversation/);
    });

    it('lists saved hunts for one customer: asks which, stamps every Run button, refuses a customer not served', async () => {
      assert.match(shown(await command('hunts', bruno)), /Contoso and Fabrikam/);
      const hunts = cardOf(await command('hunts for contoso', bruno));
      assert.match(visibleText(hunts), /^Customer: Contoso/);
      const runs = executeActions(hunts).filter((a) => a.verb === 'hunt.run');
      assert.ok(runs.length > 0);
      for (const run of runs) assert.equal(run.data.customerTenantId, CONTOSO);
      assert.match(shown(await command('hunts for contoso', bruno, escalations)), /not served in this conversation/);
    });

    it('gives every button the tenant it was read from, and refuses a click whose tenant this channel does not serve', async () => {
      const list = cardOf(await command('show high alerts for contoso', bruno));
      const open = executeActions(list).find((a) => a.verb === 'alert.open')?.data;
      assert.ok(open, visibleText(list));
      assert.equal(open?.customerTenantId, CONTOSO);
      assert.match(shown(await h.execute('alert.open', open, bruno, soc)), /^Customer: Contoso/);
      // The same click claiming another tenant: Tailspin is no customer of this channel.
      const before = callsIn(TAILSPIN);
      const forged = await h.execute('alert.open', { ...open, customerTenantId: TAILSPIN }, bruno, soc);
      assert.match(shown(forged), /not served in this conversation/);
      assert.equal(callsIn(TAILSPIN), before);
      // In the escalations channel (Fabrikam only), a Contoso card's button is refused, not read in Fabrikam.
      assert.match(shown(await h.execute('alert.open', open, bruno, escalations)), /not served in this conversation/);
    });

    it("tells an analyst with no identity in a customer's tenant so, and never shows the app's view", async () => {
      const before = callsIn(FABRIKAM);
      const answer = shown(await command('show high alerts for fabrikam', carla));
      assert.match(answer, /no account in Fabrikam/);
      assert.equal(callsIn(FABRIKAM), before, 'nothing was read in Fabrikam for Carla');
      // Her guest account in Contoso is read-only, and Contoso's Defender decides what she sees.
      assert.match(shown(await command('show high alerts for contoso', carla)), /^Customer: Contoso/);
    });
  });

  describe('response actions', () => {
    it("runs an approved isolation only in the customer shown on the card, with the approver's token there", async () => {
      const machine = seeds.contoso.machines.find((m) => m.computerDnsName.startsWith('ws-fin-043.'))!;
      const confirmation = cardOf(await command('isolate ws-fin-043 for contoso', bruno));
      assert.match(visibleText(confirmation), /^Customer: Contoso/);
      const confirm = actionData(confirmation, 'action.confirm');
      assert.ok(confirm, visibleText(confirmation));
      const requested = cardOf(
        await h.execute('action.confirm', { ...confirm, reason: 'Beaconing, MSSP case 77' }, bruno, soc),
      );
      assert.match(visibleText(requested), /Customer: Contoso\nIsolate device request/);
      const id = /"(A-[A-Za-z0-9_-]{12})"/.exec(JSON.stringify(requested))![1]!;
      const approve = { approvalId: id, comment: 'ok' };
      const actionsIn = (tenantId: string) =>
        h.simulator.defender.state.machineActions(tenantId).filter((a) => (a.requestorComment ?? '').includes(id));

      // A click claiming Fabrikam for this request is refused: the request acts in Contoso only.
      const forged = shown(await h.execute('approval.approve', { ...approve, customerTenantId: FABRIKAM }, ana, soc));
      assert.doesNotMatch(forged, /Approved|Sent to Defender/);
      // Diego approves for the provider but has no account in Contoso: his token cannot exist there.
      assert.match(
        shown(await h.execute('approval.approve', { ...approve, customerTenantId: CONTOSO }, diego, soc)),
        /^Contoso: You have no account in this customer/,
      );
      assert.equal(actionsIn(CONTOSO).length, 0);

      await h.execute('approval.approve', { ...approve, customerTenantId: CONTOSO }, ana, soc);
      await h.app.idle();
      assert.equal(actionsIn(CONTOSO).length, 1, 'isolated once, in Contoso');
      assert.equal(actionsIn(CONTOSO)[0]!.machineId, machine.id);
      assert.equal(actionsIn(FABRIKAM).length + actionsIn(PROVIDER).length + actionsIn(TAILSPIN).length, 0);
    });
  });

  describe('notifications and offboarding', () => {
    it('sends each customer’s alerts to the channels bound to it, naming the customer', async () => {
      assert.match(shown(await command('subscribe to high alerts for contoso', ana)), /Subscribed this channel/);
      assert.match(shown(await command('subscribe to high alerts', ana, escalations)), /Subscribed this channel/);
      await h.app.notifications.poller.round();
      await h.app.notifications.idle();
      const since = h.channel.sentCount();
      const highAlert = (title: string, seed: Seed) =>
        h.simulator.defender.state.injectAlert(
          { title, severity: 'High', category: 'Execution', machineId: seed.machines[0]!.id },
          seed.tenant.id,
        );
      const contosoAlert = highAlert('MSSP test: Contoso beacon', seeds.contoso);
      const fabrikamAlert = highAlert('MSSP test: Fabrikam ransom note', seeds.fabrikam);
      await h.app.notifications.poller.round();
      await h.app.notifications.idle();
      const posted = (where: Conversation) => postsIn(h, where, since).map((a) => JSON.stringify(a.attachments));
      const inSoc = posted(soc).join('\n');
      const inEscalations = posted(escalations).join('\n');
      assert.ok(inSoc.includes(contosoAlert.id) && inSoc.includes('Customer: Contoso'), inSoc.slice(0, 500));
      assert.ok(!inSoc.includes(fabrikamAlert.id), 'the SOC channel subscribed to Contoso only');
      assert.ok(inEscalations.includes(fabrikamAlert.id) && inEscalations.includes('Customer: Fabrikam'));
      assert.ok(!inEscalations.includes(contosoAlert.id));
      assert.ok(inEscalations.includes(`"customerTenantId":"${FABRIKAM}"`), 'the notice’s buttons carry its tenant');
    });

    it('unbinding stops a customer’s notices and approval requests reaching that conversation', async () => {
      const room: Conversation = {
        id: '19:contoso-room@thread.tacv2',
        conversationType: 'channel',
        tenantId: PROVIDER,
      };
      assert.match(shown(await command('bind Contoso', ana, room)), /Contoso/);
      assert.match(shown(await command('subscribe to high alerts', ana, room)), /Subscribed this channel/);
      assert.match(shown(await command('use this channel for approvals', ana, room)), /approv/i);
      assert.match(shown(await command('unbind Contoso', ana, room)), /Contoso/);
      await h.app.notifications.poller.round();
      await h.app.notifications.idle();
      const since = h.channel.sentCount();
      const alert = h.simulator.defender.state.injectAlert(
        {
          title: 'MSSP test: after unbind',
          severity: 'High',
          category: 'Execution',
          machineId: seeds.contoso.machines[1]!.id,
        },
        CONTOSO,
      );
      await h.app.notifications.poller.round();
      await h.app.notifications.idle();
      // A Contoso request made in the SOC channel is not posted to the room that no longer serves Contoso.
      const prepared = cardOf(await command('scan ws-fin-044 for contoso', bruno));
      const confirm = actionData(prepared, 'action.confirm');
      assert.ok(confirm, visibleText(prepared));
      await h.execute('action.confirm', { ...confirm, reason: 'Suspicious download' }, bruno, soc);
      await h.app.idle();
      const inRoom = h.channel
        .sent()
        .slice(since)
        .filter((sent) => sent.conversationId.startsWith(room.id))
        .map((sent) => JSON.stringify(sent.activity));
      assert.deepEqual(inRoom, [], `nothing of Contoso reaches the room (alert ${alert.id})`);
    });

    it('offboards a customer: bindings and subscriptions go, nothing of it is polled or read any more', async () => {
      // A request for Fabrikam still awaiting its approver when the contract ends.
      const prepared = cardOf(await command('isolate srv-file-01', bruno, escalations));
      const confirm = actionData(prepared, 'action.confirm');
      assert.ok(confirm, visibleText(prepared));
      const requested = await h.execute(
        'action.confirm',
        { ...confirm, reason: 'Ransom note found' },
        bruno,
        escalations,
      );
      const pendingId = /"(A-[A-Za-z0-9_-]{12})"/.exec(JSON.stringify(requested))![1]!;

      const confirmation = cardOf(await command('offboard customer Fabrikam', ana));
      const offboard = executeActions(confirmation).find((a) => a.verb === 'customer.offboard')?.data;
      assert.ok(offboard, visibleText(confirmation));
      assert.match(shown(await h.execute('customer.offboard', offboard, ana, soc)), /Fabrikam is offboarded/);
      const before = callsIn(FABRIKAM);
      await h.app.notifications.poller.round();
      await h.app.notifications.incidentPoller?.round();
      await h.app.notifications.idle();
      assert.equal(callsIn(FABRIKAM), before, 'no background read in an offboarded customer');
      assert.match(shown(await command('show high alerts', bruno, escalations)), /^(?!Customer: Fabrikam)/);
      assert.match(shown(await command('show high alerts for fabrikam', bruno)), /not served in this conversation/);
      assert.equal(callsIn(FABRIKAM), before);
      // Its pending request expired — nothing can be approved for a customer no longer served — and its card says so.
      await h.app.idle();
      const updates = h.channel
        .sent()
        .filter((sent) => sent.kind === 'update' && JSON.stringify(sent.activity).includes(pendingId))
        .map((sent) => visibleText(sent.activity.attachments));
      assert.match(updates.at(-1) ?? '', /Expired/);
      const late = { approvalId: pendingId, comment: 'ok', customerTenantId: FABRIKAM };
      assert.doesNotMatch(shown(await h.execute('approval.approve', late, ana, escalations)), /Approved/);
      const sent = h.simulator.defender.state.machineActions(FABRIKAM);
      assert.equal(sent.filter((a) => (a.requestorComment ?? '').includes(pendingId)).length, 0);
      // Contoso is untouched.
      assert.match(shown(await command('show high alerts for contoso', bruno)), /^Customer: Contoso/);
    });
  });
});
