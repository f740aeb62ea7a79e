import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpClient } from '../../src/http/httpClient';
import { visibleText } from '../support/botClient';
import { actionData, demoMachine as machine } from '../support/cardData';
import { demoSeed } from '../support/demoTenant';
import { FABRIKAM_TENANT_ID, fabrikamSeed } from '../support/partnerTenant';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import { startProductionHarness } from '../support/productionApp';

/*
 * Response actions against a Defender that behaves like a real tenant (issue 9): answers slower than the
 * client's timeout although the action was created, 5xx whose outcome is unknown, an action someone else
 * already started, actions pending for long on offline devices, operating systems an action does not run on,
 * and a device whose risk changed between the request and the approval. Everything goes through the real
 * POST /api/messages endpoint of the bot in production mode and the Defender simulator over HTTPS.
 */

const CONTOSO = demoSeed.tenant.id;
type Card = Record<string, unknown>;
type InvokeBody = { statusCode: number; type: string; value: unknown };

function cardOf(body: InvokeBody): Card {
  assert.equal(body.type, 'application/vnd.microsoft.card.adaptive', JSON.stringify(body).slice(0, 300));
  return body.value as Card;
}

function messageOf(body: InvokeBody): string {
  assert.equal(body.type, 'application/vnd.microsoft.activity.message', JSON.stringify(body).slice(0, 300));
  return String(body.value);
}

describe('response actions against an unkind Defender (production mode, through POST /api/messages)', function () {
  this.timeout(60_000);
  let h: ProductionHarness;
  let megan: TeamsPerson;
  let adele: TeamsPerson;
  let isaiah: TeamsPerson;
  let chats = 0;
  let triage: Conversation;
  /** How far the bot's clock runs ahead of real time (the cards' "pending for…"). */
  let ahead = 0;

  before(async () => {
    h = await startProductionHarness({
      seeds: [demoSeed],
      allowedTenantIds: [CONTOSO],
      // Defender's answers count as late after 400 ms here (10 s in production).
      env: { DEFENDER_TIMEOUT_MS: '400' },
      // An ambiguous send counts as settled 2.5 s after it went out (a minute in production).
      // Tracking rounds run only when a test asks (trackNow), so Defender calls can be counted per round.
      startOptions: { reconcileTimings: { settleMs: 2_500, firstReadDelayMs: 100 }, actionPollIntervalMs: 3_600_000 },
      // Offline devices keep their actions Pending for the whole suite.
      timings: { pendingMs: 150, inProgressMs: 150, timeoutMs: 600_000 },
      connectorLimits: { perConversation: [{ windowMs: 1_000, max: 1_000 }] },
      now: () => new Date(Date.now() + ahead),
    });
    megan = h.person(demoSeed, 'Megan');
    adele = h.person(demoSeed, 'Adele');
    isaiah = h.person(demoSeed, 'Isaiah');
  });
  after(async () => h?.stop());
  beforeEach(() => {
    ahead = 0;
    h.simulator.defender.faults.clear();
    triage = { id: `19:unkind-${++chats}@thread.v2`, conversationType: 'groupChat', tenantId: CONTOSO };
  });

  /** Defender's actions that carry an approval id in their comment (the bot's own). */
  function defenderActionsFor(approvalId: string) {
    return h.simulator.defender.state
      .machineActions(CONTOSO)
      .filter((a) => (a.requestorComment ?? '').includes(approvalId));
  }

  /** Requests through the triage chat and confirms with a reason; the id of the approval request. */
  async function request(requester: TeamsPerson, command: string): Promise<{ id: string; posted: string }> {
    await h.message(command, requester, triage);
    const confirmation = cardOf(await h.execute('command.view', { command }, requester, triage));
    const confirm = actionData(confirmation, 'action.confirm');
    assert.ok(confirm, `no confirmation card for "${command}": ${visibleText(confirmation).slice(0, 300)}`);
    const since = h.channel.sentCount();
    const view = cardOf(
      await h.execute('action.confirm', { ...confirm, reason: 'Lateral movement, incident 2301' }, requester, triage),
    );
    const id = /"(A-[A-Za-z0-9_-]{12})"/.exec(JSON.stringify(view))?.[1];
    assert.ok(id);
    const [posted] = await h.channel.waitFor((s) => s.conversationId === triage.id && s.kind !== 'update', {
      since,
      count: 1,
      timeoutMs: 5_000,
    });
    return { id, posted: posted!.activityId };
  }

  /** Every text the posted card has shown so far, oldest first. */
  function cardHistory(activityId: string): string[] {
    return h.channel
      .sent()
      .filter((s) => s.activityId === activityId && s.kind === 'update')
      .map((s) => visibleText(s.activity.attachments));
  }

  /** Waits until the card has shown `status` at some point (without driving the tracker). */
  async function cardShowed(activityId: string, status: RegExp): Promise<void> {
    for (let i = 0; i < 100 && !cardHistory(activityId).some((t) => status.test(t)); i++) await sleep(20);
    assert.ok(
      cardHistory(activityId).some((t) => status.test(t)),
      `card never showed ${status}`,
    );
  }

  async function cardReaches(activityId: string, status: RegExp): Promise<string> {
    for (let i = 0; i < 150; i++) {
      await h.app.trackNow();
      const text = cardHistory(activityId).at(-1) ?? '';
      if (status.test(text)) return text;
      await sleep(50);
    }
    assert.fail(`card ${activityId} never showed ${status}; last: ${cardHistory(activityId).at(-1)?.slice(0, 400)}`);
  }

  /** The audit trail as an approver reads it with the `audit` command. */
  async function auditText(): Promise<string> {
    return visibleText(cardOf(await h.execute('command.view', { command: 'audit' }, adele, triage)));
  }

  describe('an ambiguous answer is reconciled, never resent blindly', () => {
    it('adopts the action Defender created although its answer came after the client gave up, and never says Failed', async () => {
      const device = machine('ws-hr-009');
      const { id, posted } = await request(megan, 'isolate device ws-hr-009');
      // Defender takes 1.2 s to handle the isolation (the client gives up at 0.4 s); the action is still created.
      h.simulator.defender.faults.set({ latency: { ms: 1_200, pathPrefix: `/api/machines/${device.id}/isolate` } });
      const before = h.simulator.defender.stats().byApi['machines.isolate'] ?? 0;
      cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
      await h.app.idle();
      h.simulator.defender.faults.clear();

      assert.equal((h.simulator.defender.stats().byApi['machines.isolate'] ?? 0) - before, 1, 'one POST, no retry');
      const actions = defenderActionsFor(id);
      assert.equal(actions.length, 1);
      const final = await cardReaches(posted, /Succeeded/);
      assert.match(final, new RegExp(actions[0]!.id));
      const history = cardHistory(posted);
      assert.ok(
        history.some((t) => /Checking with Defender/.test(t)),
        'the card said it was checking while the outcome was unknown',
      );
      assert.ok(!history.some((t) => /Failed|Interrupted/.test(t)), 'the card never showed a failure');
      const audit = await auditText();
      assert.match(audit, /action\.outcomeUncertain/);
    });

    for (const [fault, label] of [
      ['lateAnswers', 'answered after the client gave up'],
      ['resetAfterWrite', 'whose connection was reset after Defender took the request'],
    ] as const) {
      it(`adopts an action ${label}: one POST, the true state on the card`, async () => {
        const device = machine('ws-fin-041');
        const { id, posted } = await request(megan, 'scan device ws-fin-041 full');
        const pathPrefix = `/api/machines/${device.id}/runAntiVirusScan`;
        h.simulator.defender.faults.set(
          fault === 'lateAnswers' ? { lateAnswers: { ms: 1_500, pathPrefix } } : { resetAfterWrite: { pathPrefix } },
        );
        const before = h.simulator.defender.stats().byApi['machines.runAntiVirusScan'] ?? 0;
        cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
        await h.app.idle();
        h.simulator.defender.faults.clear();
        assert.equal((h.simulator.defender.stats().byApi['machines.runAntiVirusScan'] ?? 0) - before, 1);
        assert.equal(defenderActionsFor(id).length, 1);
        await cardReaches(posted, /Succeeded/);
        assert.ok(!cardHistory(posted).some((t) => /Failed|Interrupted/.test(t)));
      });
    }

    it('sends once more, audited, only when Defender shows no action after the outcome settled', async () => {
      const device = machine('ws-hr-012');
      const { id, posted } = await request(megan, 'collect investigation package from ws-hr-012');
      h.simulator.defender.faults.set({
        errors: { rate: 1, status: 503, pathPrefix: `/api/machines/${device.id}/collectInvestigationPackage` },
      });
      const before = h.simulator.defender.stats().byApi['machines.collectInvestigationPackage'] ?? 0;
      cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
      // The first answer was a 503 (nothing created): the card says the bot is checking; Defender recovers.
      await cardShowed(posted, /Checking with Defender/);
      h.simulator.defender.faults.clear();
      await h.app.idle();

      const sent = (h.simulator.defender.stats().byApi['machines.collectInvestigationPackage'] ?? 0) - before;
      assert.equal(sent, 2, 'the original send and exactly one more');
      assert.equal(defenderActionsFor(id).length, 1);
      await cardReaches(posted, /Succeeded/);
      assert.match(await auditText(), /action\.resubmitted/);
    });

    it('never sends a third time: two ambiguous sends that settle without an action end as not confirmed', async () => {
      const device = machine('kiosk-lobby-01');
      const { id, posted } = await request(megan, 'collect investigation package from kiosk-lobby-01');
      h.simulator.defender.faults.set({
        errors: { rate: 1, status: 500, pathPrefix: `/api/machines/${device.id}/collectInvestigationPackage` },
      });
      const before = h.simulator.defender.stats().byApi['machines.collectInvestigationPackage'] ?? 0;
      cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
      await h.app.idle();
      h.simulator.defender.faults.clear();
      assert.equal((h.simulator.defender.stats().byApi['machines.collectInvestigationPackage'] ?? 0) - before, 2);
      assert.equal(defenderActionsFor(id).length, 0);
      const text = await cardReaches(posted, /Interrupted — not confirmed/);
      assert.match(text, /no record of this action/);
    });
  });

  describe('alert updates follow the same rule', () => {
    it('assigns an alert once when Defender answers late, and confirms it by reading the alert back', async () => {
      const alert = h.simulator.defender.state.alerts(CONTOSO).find((a) => a.status !== 'Resolved' && !a.assignedTo)!;
      h.simulator.defender.faults.set({
        lateAnswers: { ms: 1_000, pathPrefix: `/api/alerts/${alert.id}`, method: 'PATCH' },
      });
      const before = h.simulator.defender.stats().byApi['alerts.update'] ?? 0;
      const answer = await h.execute('alert.assignToMe', { alertId: alert.id }, megan, triage);
      assert.equal((h.simulator.defender.stats().byApi['alerts.update'] ?? 0) - before, 1, 'one PATCH, no retry');
      assert.match(visibleText(cardOf(answer)), new RegExp(megan.user.userPrincipalName.replace('.', '\\.')));
      assert.equal(h.simulator.defender.state.alert(alert.id, CONTOSO)?.assignedTo, megan.user.userPrincipalName);
    });
  });

  describe('an action Defender already runs', () => {
    /** Starts an action in Defender as `person` would in the portal: their own delegated token, straight to the API. */
    async function startInPortal(person: TeamsPerson, path: string, body: Record<string, string>) {
      const http = new HttpClient({ extraCaPem: [h.caCertPem] });
      try {
        const token = await http.request({
          method: 'POST',
          url: `${h.simulator.url}/${CONTOSO}/oauth2/v2.0/token`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
            requested_token_use: 'on_behalf_of',
            client_id: h.botId,
            client_secret: h.botSecret,
            assertion: h.ssoToken(person),
            scope: 'https://api.securitycenter.microsoft.com/.default',
          }).toString(),
        });
        assert.equal(token.status, 200, token.body);
        const accessToken = (JSON.parse(token.body) as { access_token: string }).access_token;
        const created = await http.request({
          method: 'POST',
          url: `${h.simulator.url}${path}`,
          headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        assert.equal(created.status, 201, created.body);
        return JSON.parse(created.body) as { id: string };
      } finally {
        http.close();
      }
    }

    for (const mode of ['documented', 'activeRequestCode', 'returnExisting'] as const) {
      it(`follows the action someone started in the portal meanwhile instead of sending another, to its end (${mode})`, async () => {
        const device = machine(
          mode === 'documented' ? 'ws-fin-043' : mode === 'activeRequestCode' ? 'ws-eng-017' : 'ws-eng-021',
        );
        const name = device.computerDnsName.split('.')[0]!;
        const { id, posted } = await request(megan, `collect investigation package from ${name}`);
        // Isaiah starts the same collection in the portal while the request awaits approval; it stays Pending.
        // Defender then answers a second one with the documented 400, the third-party code, or the running action.
        h.simulator.defender.faults.set({
          actionOutcomes: [{ type: 'CollectInvestigationPackage', outcome: 'StuckPending' }],
          behaviour: { duplicateAction: mode },
        });
        const portal = await startInPortal(isaiah, `/api/machines/${device.id}/collectInvestigationPackage`, {
          Comment: 'Collected from the portal',
        });
        cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
        await h.app.idle();

        assert.equal(defenderActionsFor(id).length, 0, 'no second collection was sent');
        const following = await cardReaches(posted, /Already requested by/);
        assert.match(following, new RegExp(isaiah.user.userPrincipalName.replace('.', '\\.')));
        assert.match(following, new RegExp(portal.id));
        assert.match(following, /Pending/);
        const refresh = cardOf(await h.execute('approval.view', { approvalId: id }, megan, triage));
        assert.ok(actionData(refresh, 'approval.cancelAction'), 'the followed action can be cancelled');
        cardOf(await h.execute('approval.cancelAction', { approvalId: id }, megan, triage));
        await cardReaches(posted, /Cancelled/);
        assert.equal(h.simulator.defender.state.machineAction(portal.id, CONTOSO)?.status, 'Cancelled');
      });
    }
  });

  describe('tracking', () => {
    it('follows an action pending for hours on an offline device, says why, and sees it run when the device returns', async () => {
      const device = machine('lt-vp-sales-02'); // the demo tenant's offline device
      const { id, posted } = await request(megan, 'collect investigation package from lt-vp-sales-02');
      cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
      await h.app.idle();
      ahead = 5 * 3_600_000 + 60_000;
      const waiting = await cardReaches(posted, /Pending for 5 h/);
      assert.match(waiting, /waiting for the device to pick it up/);
      assert.match(waiting, /looks offline/);
      const view = cardOf(await h.execute('approval.view', { approvalId: id }, megan, triage));
      assert.ok(actionData(view, 'approval.cancelAction'), 'it can still be cancelled');
      h.simulator.defender.state.updateMachine(device.id, { healthStatus: 'Active' }, CONTOSO);
      try {
        await cardReaches(posted, /Succeeded/);
      } finally {
        h.simulator.defender.state.updateMachine(device.id, { healthStatus: device.healthStatus }, CONTOSO);
      }
    });

    it('reads every action in flight of a tenant with one list call per round, however many there are', async () => {
      const requests = [];
      for (const name of ['ws-hr-015', 'ws-fin-044', 'lt-vp-sales-02']) {
        // Devices that are not Active in the seed: their actions stay Pending.
        requests.push(await request(megan, `collect investigation package from ${name}`));
      }
      for (const { id } of requests) cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
      await h.app.idle();
      for (const { id } of requests) assert.equal(defenderActionsFor(id)[0]?.status, 'Pending');

      h.simulator.defender.resetStats();
      const rounds = 4;
      for (let i = 0; i < rounds; i++) await h.app.trackNow();
      const byApi = h.simulator.defender.stats().byApi;
      assert.equal(byApi['machineActions.list'] ?? 0, rounds, `one list call per round: ${JSON.stringify(byApi)}`);
      assert.equal(byApi['machineActions.get'] ?? 0, 0, 'no read per action while they are pending');
      for (const { id } of requests) await h.execute('approval.cancelAction', { approvalId: id }, megan, triage);
      await h.app.idle();
    });
  });

  describe('operating systems', () => {
    it('never offers an action the device’s OS does not support, and says so when asked', async () => {
      const mac = machine('mac-design-07');
      const card = cardOf(await h.execute('device.show', { device: mac.id }, megan, triage));
      const json = JSON.stringify(card);
      for (const kind of ['restrictCodeExecution', 'isolate', 'runAntiVirusScan', 'collectInvestigationPackage']) {
        assert.ok(!json.includes(`"kind":"${kind}"`), `${kind} is not offered on macOS`);
      }
      const windows = JSON.stringify(
        cardOf(await h.execute('device.show', { device: machine('ws-hr-009').id }, megan, triage)),
      );
      assert.ok(windows.includes('"kind":"restrictCodeExecution"'), 'a Windows device offers it');

      const answer = messageOf(
        await h.execute('action.prepare', { kind: 'restrictCodeExecution', device: mac.id }, megan, triage),
      );
      assert.match(answer, /not available for mac-design-07[^:]*: Microsoft Defender supports it only on Windows/);
    });
  });

  it('offers selective isolation only on Windows, and refuses a confirmation that asks for it elsewhere', async () => {
    const linux = machine('lnx-web-01');
    const confirmation = cardOf(
      await h.execute('action.prepare', { kind: 'isolate', device: linux.id }, megan, triage),
    );
    assert.ok(!JSON.stringify(confirmation).includes('Selective'), 'no selective choice on a Linux device');
    const confirm = actionData(confirmation, 'action.confirm');
    assert.ok(confirm);
    const answer = messageOf(
      await h.execute(
        'action.confirm',
        { ...confirm, reason: 'forged choice', isolationType: 'Selective' },
        megan,
        triage,
      ),
    );
    assert.match(answer, /does not run this action on the device's operating system/);
    const windows = cardOf(
      await h.execute('action.prepare', { kind: 'isolate', device: machine('ws-fin-042').id }, megan, triage),
    );
    assert.ok(JSON.stringify(windows).includes('Selective'), 'a Windows device offers it');
  });

  describe('rules at the click', () => {
    it('requires the high-risk quorum when the device became high-risk after the request', async () => {
      const device = machine('ws-hr-012');
      const { id } = await request(megan, 'isolate device ws-hr-012');
      h.simulator.defender.state.updateMachine(device.id, { machineTags: [...device.machineTags, 'VIP'] }, CONTOSO);
      try {
        const first = cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
        assert.match(visibleText(first), /1 of 2/);
        await h.app.idle();
        assert.equal(defenderActionsFor(id).length, 0, 'one approval of the two now needed sends nothing');
        cardOf(await h.execute('approval.approve', { approvalId: id }, isaiah, triage));
        await h.app.idle();
        assert.equal(defenderActionsFor(id).length, 1);
      } finally {
        h.simulator.defender.state.updateMachine(device.id, { machineTags: device.machineTags }, CONTOSO);
      }
    });
  });
});

describe('a tenant without Defender for Endpoint (AADSTS500011, through POST /api/messages)', function () {
  this.timeout(30_000);
  let h: ProductionHarness;
  before(async () => {
    const fabrikam = { ...fabrikamSeed(), defender: { provisioned: false } };
    h = await startProductionHarness({ seeds: [demoSeed, fabrikam], allowedTenantIds: [CONTOSO, FABRIKAM_TENANT_ID] });
  });
  after(async () => h?.stop());

  it('tells the analyst Defender for Endpoint is not set up and what an administrator must do', async () => {
    const person = h.person(fabrikamSeed(), 'Alex');
    const chat: Conversation = {
      id: '19:fabrikam-soc@thread.v2',
      conversationType: 'groupChat',
      tenantId: FABRIKAM_TENANT_ID,
    };
    const answer = messageOf(await h.execute('command.view', { command: 'show high alerts' }, person, chat));
    assert.match(answer, /Defender for Endpoint is not set up here/);
    assert.match(answer, /administrator must turn on Defender for Endpoint/);
    assert.doesNotMatch(answer, /Something went wrong/);
  });
});
