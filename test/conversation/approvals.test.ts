import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { visibleText } from '../support/botClient';
import { actionData, demoMachine as machine } from '../support/cardData';
import { demoSeed } from '../support/demoTenant';
import { FABRIKAM_TENANT_ID, fabrikamSeed } from '../support/partnerTenant';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import { startProductionHarness } from '../support/productionApp';

const CONTOSO = demoSeed.tenant.id;
/** A fresh group chat per test, so one test's cards never count against another's Teams rate limits. */
let triage: Conversation = { id: '19:soc-triage-0@thread.v2', conversationType: 'groupChat', tenantId: CONTOSO };
let chats = 0;
const approversChannel: Conversation = {
  id: '19:soc-approvals@thread.tacv2',
  conversationType: 'channel',
  tenantId: CONTOSO,
};
type Card = Record<string, unknown>;
type InvokeBody = { statusCode: number; type: string; value: unknown };

function approvalIdOf(card: unknown): string {
  const id = /"(A-[A-Za-z0-9_-]{12})"/.exec(JSON.stringify(card))?.[1];
  assert.ok(id, `no approval id in ${JSON.stringify(card).slice(0, 300)}`);
  return id;
}

function cardOf(body: InvokeBody): Card {
  assert.equal(
    body.type,
    'application/vnd.microsoft.card.adaptive',
    `expected a card, got ${JSON.stringify(body).slice(0, 300)}`,
  );
  return body.value as Card;
}

function messageOf(body: InvokeBody): string {
  assert.equal(
    body.type,
    'application/vnd.microsoft.activity.message',
    `expected a message, got ${JSON.stringify(body).slice(0, 300)}`,
  );
  return String(body.value);
}

describe('response actions behind approvals (production mode, through POST /api/messages)', function () {
  this.timeout(60_000);
  let h: ProductionHarness;
  let clock = Date.now();
  let megan: TeamsPerson;
  let adele: TeamsPerson;
  let isaiah: TeamsPerson;
  let alex: TeamsPerson;
  const fabrikam = fabrikamSeed();

  before(async () => {
    h = await startProductionHarness({
      seeds: [demoSeed, fabrikam],
      allowedTenantIds: [CONTOSO, FABRIKAM_TENANT_ID],
      now: () => new Date(clock),
      // The shared approvers' channel receives every request of the suite in a minute: lift Teams' limits here
      // (they are enforced and tested with the notifications).
      connectorLimits: { perConversation: [{ windowMs: 1_000, max: 1_000 }] },
    });
    megan = h.person(demoSeed, 'Megan');
    adele = h.person(demoSeed, 'Adele');
    isaiah = h.person(demoSeed, 'Isaiah');
    alex = h.person(demoSeed, 'Alex');
    // Adele (SOC.Admin) makes the approvers' channel; requests made elsewhere are posted there too.
    await h.message('use this channel for approvals', adele, approversChannel);
    const chosen = await h.execute(
      'command.view',
      { command: 'use this channel for approvals' },
      adele,
      approversChannel,
    );
    assert.match(messageOf(chosen), /also posted here/);
  });
  after(async () => h?.stop());
  beforeEach(() => {
    clock = Date.now();
    h.simulator.defender.faults.clear();
    triage = { id: `19:soc-triage-${++chats}@thread.v2`, conversationType: 'groupChat', tenantId: CONTOSO };
  });

  /** Defender actions on a device that carry an approval id in their comment. */
  function defenderActionsFor(approvalId: string) {
    return h.simulator.defender.state
      .machineActions(CONTOSO)
      .filter((a) => (a.requestorComment ?? '').includes(approvalId));
  }

  /** The requester asks in the triage chat, opens their own view (Show me), and confirms with a reason. */
  async function request(
    requester: TeamsPerson,
    command: string,
    reason = 'Qakbot beaconing, incident 2301',
  ): Promise<{ id: string; posted: string }> {
    let since = h.channel.sentCount();
    await h.message(command, requester, triage);
    await h.repliesTo(triage, since);
    const confirmation = cardOf(await h.execute('command.view', { command }, requester, triage));
    const confirm = actionData(confirmation, 'action.confirm');
    assert.ok(confirm, `no confirmation card for "${command}": ${visibleText(confirmation).slice(0, 300)}`);
    since = h.channel.sentCount();
    const requesterView = cardOf(await h.execute('action.confirm', { ...confirm, reason }, requester, triage));
    const id = approvalIdOf(requesterView);
    const [posted] = await h.channel.waitFor((s) => s.conversationId === triage.id && s.kind !== 'update', {
      since,
      count: 1,
      timeoutMs: 5_000,
    });
    return { id, posted: posted!.activityId };
  }

  /** Waits until the card posted as `activityId` was updated to show `status` (the tracker polls Defender). */
  async function cardReaches(activityId: string, status: RegExp): Promise<string> {
    for (let i = 0; i < 100; i++) {
      await h.app.trackNow();
      const updates = h.channel.sent().filter((s) => s.activityId === activityId && s.kind === 'update');
      const text = updates.length > 0 ? visibleText(updates.at(-1)!.activity.attachments) : '';
      if (status.test(text)) return text;
      await sleep(50);
    }
    assert.fail(`card ${activityId} never showed ${status}`);
  }

  describe('happy paths', () => {
    it('isolates a high-value device after two distinct approvers, executed with the final approver’s token, tracked to Succeeded', async () => {
      const device = machine('lt-ceo-01');
      const { id, posted } = await request(megan, 'isolate device lt-ceo-01');
      // Posted in the requesting chat and in the approvers' channel, carrying only the id.
      await h.channel.waitFor(
        (s) => s.conversationId === approversChannel.id && JSON.stringify(s.activity).includes(id),
        {
          timeoutMs: 5_000,
        },
      );
      const review = cardOf(await h.execute('approval.view', { approvalId: id }, adele, triage));
      assert.match(visibleText(review), /0 of 2 · High-value device/);
      assert.ok(actionData(review, 'approval.approve'), 'an approver sees Approve');
      const requesterView = cardOf(await h.execute('approval.view', { approvalId: id }, megan, triage));
      assert.equal(actionData(requesterView, 'approval.approve'), undefined, 'the requester does not');

      const first = cardOf(
        await h.execute(
          'approval.approve',
          { approvalId: id, comment: 'Confirmed with the CEO office' },
          adele,
          triage,
        ),
      );
      assert.match(visibleText(first), /1 of 2/);
      assert.equal(defenderActionsFor(id).length, 0, 'one approval of two sends nothing');

      cardOf(await h.execute('approval.approve', { approvalId: id }, isaiah, triage));
      await h.app.idle();
      const actions = defenderActionsFor(id);
      assert.equal(actions.length, 1);
      assert.equal(actions[0]!.type, 'Isolate');
      assert.equal(actions[0]!.machineId, device.id);
      assert.equal(actions[0]!.requestor, isaiah.user.userPrincipalName, 'Defender records the executing approver');
      assert.match(
        actions[0]!.requestorComment ?? '',
        new RegExp(
          `Requested by ${megan.user.userPrincipalName} via Teams; approved by ${adele.user.userPrincipalName}, ${isaiah.user.userPrincipalName}; approval ${id}; reason: Qakbot`,
        ),
      );

      const final = await cardReaches(posted, /Succeeded/);
      assert.match(final, /Release from isolation/);
    });

    it('runs an auto-approved quick scan at once with the requester’s own token', async () => {
      const { id, posted } = await request(megan, 'scan device ws-fin-041 quick');
      await h.app.idle();
      const [action] = defenderActionsFor(id);
      assert.equal(action?.type, 'RunAntiVirusScan');
      assert.equal(action?.scope, 'Quick');
      assert.equal(action?.requestor, megan.user.userPrincipalName);
      await cardReaches(posted, /Succeeded/);
    });

    for (const [command, type] of [
      ['scan device ws-fin-041 full', 'RunAntiVirusScan'],
      ['collect investigation package from ws-fin-043', 'CollectInvestigationPackage'],
      ['restrict apps on ws-hr-012', 'RestrictCodeExecution'],
      ['stop and quarantine 3395856ce81f2b7382dee72602f798b642f14140 on ws-eng-021', 'StopAndQuarantineFile'],
      ['release device ws-eng-017', 'Unisolate'],
    ] as const) {
      it(`"${command}" → one approval → ${type} in Defender → Succeeded`, async () => {
        const { id, posted } = await request(megan, command);
        cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
        await h.app.idle();
        const actions = defenderActionsFor(id);
        assert.equal(actions.length, 1);
        assert.equal(actions[0]!.type, type);
        await cardReaches(posted, /Succeeded/);
      });
    }

    it('removes the app restriction it put on, and says so when there is none', async () => {
      // Its own device (no other test restricts kiosk-lobby-01), restricted here first: it holds in any order.
      const restriction = await request(megan, 'restrict apps on kiosk-lobby-01');
      cardOf(await h.execute('approval.approve', { approvalId: restriction.id }, adele, triage));
      await cardReaches(restriction.posted, /Succeeded/);
      const { id, posted } = await request(megan, 'remove app restriction on kiosk-lobby-01');
      cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
      await h.app.idle();
      assert.equal(defenderActionsFor(id)[0]?.type, 'UnrestrictCodeExecution');
      await cardReaches(posted, /Succeeded/);
      const none = messageOf(
        await h.execute(
          'action.prepare',
          { kind: 'unrestrictCodeExecution', device: machine('kiosk-lobby-01').id },
          megan,
          triage,
        ),
      );
      assert.match(none, /is not restricted/);
    });

    it('starts from the device card button, and refuses what is pointless', async () => {
      // Devices no other test isolates or releases, and an isolation made here: it holds in any order.
      const confirmation = cardOf(
        await h.execute('action.prepare', { kind: 'isolate', device: machine('ws-fin-043').id }, megan, triage),
      );
      assert.match(visibleText(confirmation), /Isolate device\?/, 'the device card button opens the same confirmation');
      const isolation = await request(megan, 'isolate device vm-qa-test-01');
      cardOf(await h.execute('approval.approve', { approvalId: isolation.id }, adele, triage));
      await cardReaches(isolation.posted, /Succeeded/);
      const already = messageOf(
        await h.execute('action.prepare', { kind: 'isolate', device: machine('vm-qa-test-01').id }, megan, triage),
      );
      assert.match(already, /already isolated/);
      const notIsolated = messageOf(
        await h.execute('action.prepare', { kind: 'unisolate', device: machine('ws-fin-041').id }, megan, triage),
      );
      assert.match(notIsolated, /is not isolated/);
    });

    it('lists actions of a device, pending approvals and the audit trail', async () => {
      // The seed's succeeded scan of ws-fin-041: there whatever ran before.
      const history = cardOf(await h.execute('command.view', { command: 'actions on ws-fin-041' }, adele, triage));
      assert.match(visibleText(history), /RunAntiVirusScan[\s\S]*Succeeded/);
      const { id } = await request(megan, 'collect investigation package from ws-hr-009');
      const pending = cardOf(await h.execute('command.view', { command: 'approvals' }, adele, triage));
      assert.match(JSON.stringify(pending), new RegExp(id));
      const audit = cardOf(await h.execute('command.view', { command: 'audit' }, adele, triage));
      assert.match(visibleText(audit), /approval\.requested/);
      const refused = messageOf(await h.execute('command.view', { command: 'audit' }, megan, triage));
      assert.match(refused, /approvers and admins/);
      await h.execute('approval.withdraw', { approvalId: id }, megan, triage);
    });

    it('keeps the card an approver approved from in their personal chat in step, up to Succeeded', async () => {
      const { id } = await request(megan, 'collect investigation package from ws-hr-012');
      const personal: Conversation = { id: `a:adele-${chats}`, conversationType: 'personal', tenantId: CONTOSO };
      // Adele finds the request through "approvals" in her personal chat and approves on that card.
      const since = h.channel.sentCount();
      await h.message('approvals', adele, personal);
      const [list] = await h.channel.waitFor((s) => s.conversationId === personal.id && s.kind !== 'update', {
        since,
        count: 1,
        timeoutMs: 5_000,
      });
      assert.match(JSON.stringify(list!.activity), new RegExp(id));
      const opened = { replyToId: list!.activityId };
      cardOf(await h.execute('approval.view', { approvalId: id }, adele, personal, opened));
      cardOf(await h.execute('approval.approve', { approvalId: id }, adele, personal, opened));
      await cardReaches(list!.activityId, /Succeeded/);
    });
  });

  describe('refusals: nothing reaches Defender', () => {
    let pending: { id: string; posted: string };
    beforeEach(async () => {
      pending = await request(megan, 'isolate device ws-fin-042');
    });

    function assertNothingSent() {
      assert.equal(defenderActionsFor(pending.id).length, 0);
    }

    it('refuses self-approval, even by an approver', async () => {
      const adeleRequest = await request(adele, 'collect investigation package from ws-fin-044');
      assert.match(
        messageOf(await h.execute('approval.approve', { approvalId: adeleRequest.id }, adele, triage)),
        /can't approve your own request/,
      );
      assert.equal(defenderActionsFor(adeleRequest.id).length, 0);
      assert.match(
        messageOf(await h.execute('approval.approve', { approvalId: pending.id }, megan, triage)),
        /can't approve your own request/,
      );
      assertNothingSent();
    });

    it('refuses an approver without the role', async () => {
      assert.match(
        messageOf(await h.execute('approval.approve', { approvalId: pending.id }, alex, triage)),
        /approver role/,
      );
      assertNothingSent();
    });

    it('refuses a user of another tenant', async () => {
      const outsider = h.person(fabrikam, 'Adele');
      const body = await h.execute('approval.approve', { approvalId: pending.id }, outsider, {
        ...triage,
        tenantId: FABRIKAM_TENANT_ID,
      });
      assert.match(messageOf(body), /another organisation/);
      assertNothingSent();
    });

    it('refuses a forged approval id and tampered card data', async () => {
      assert.match(
        messageOf(await h.execute('approval.approve', { approvalId: 'A-forgedforged' }, adele, triage)),
        /can't find that request/,
      );
      for (const tampered of [
        { approvalId: pending.id, deviceId: machine('dc-01').id },
        { approvalId: pending.id, action: 'unisolate' },
        { approvalId: pending.id, approvers: [adele.user.aadObjectId] },
        { approvalId: `${pending.id}' or '1'='1` },
      ]) {
        assert.match(
          messageOf(await h.execute('approval.approve', tampered, adele, triage)),
          /out of date or was altered/,
        );
      }
      assertNothingSent();
    });

    it('refuses a click after expiry and shows Expired — not executed', async () => {
      clock += 31 * 60_000;
      assert.match(
        messageOf(await h.execute('approval.approve', { approvalId: pending.id }, adele, triage)),
        /expired/,
      );
      await h.app.idle();
      assertNothingSent();
      await cardReaches(pending.posted, /Expired — not executed/);
    });

    it('refuses approve after reject, and reject without a comment', async () => {
      assert.match(
        messageOf(await h.execute('approval.reject', { approvalId: pending.id }, adele, triage)),
        /Add a comment/,
      );
      cardOf(
        await h.execute('approval.reject', { approvalId: pending.id, comment: 'Not enough evidence' }, adele, triage),
      );
      assert.match(
        messageOf(await h.execute('approval.approve', { approvalId: pending.id }, isaiah, triage)),
        /already decided/,
      );
      assertNothingSent();
      await cardReaches(pending.posted, /Rejected/);
    });

    it('refuses approve after the requester withdrew it', async () => {
      assert.match(
        messageOf(await h.execute('approval.withdraw', { approvalId: pending.id }, adele, triage)),
        /Only the person who asked/,
      );
      cardOf(await h.execute('approval.withdraw', { approvalId: pending.id }, megan, triage));
      assert.match(
        messageOf(await h.execute('approval.approve', { approvalId: pending.id }, adele, triage)),
        /already decided/,
      );
      assertNothingSent();
    });

    it('refuses a replay after completion', async () => {
      cardOf(await h.execute('approval.approve', { approvalId: pending.id }, adele, triage));
      await h.app.idle();
      await cardReaches(pending.posted, /Succeeded/);
      assert.match(
        messageOf(await h.execute('approval.approve', { approvalId: pending.id }, isaiah, triage)),
        /already decided/,
      );
      assert.equal(defenderActionsFor(pending.id).length, 1);
      // Release it again for the next test that isolates this device.
      const release = await request(megan, 'release device ws-fin-042');
      cardOf(await h.execute('approval.approve', { approvalId: release.id }, adele, triage));
      await h.app.idle();
      await cardReaches(release.posted, /Succeeded/);
    });

    afterEach(async () => {
      // Leave no pending isolation of ws-fin-042 behind.
      await h.execute('approval.withdraw', { approvalId: pending.id }, megan, triage);
    });
  });

  describe('exactly once', () => {
    it('50 concurrent approve clicks from two approvers end in one Defender action', async () => {
      const { id, posted } = await request(megan, 'isolate device ws-hr-009 selectively');
      const clicks = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          h.execute('approval.approve', { approvalId: id }, i % 2 ? adele : isaiah, triage),
        ),
      );
      await h.app.idle();
      assert.equal(defenderActionsFor(id).length, 1);
      assert.equal(defenderActionsFor(id)[0]!.scope, 'Selective');
      const cards = clicks.filter((c) => c.type === 'application/vnd.microsoft.card.adaptive').length;
      assert.ok(
        cards >= 1 && cards + clicks.filter((c) => c.type !== 'application/vnd.microsoft.card.adaptive').length === 50,
      );
      await cardReaches(posted, /Succeeded/);
    });

    it('a Teams invoke retry (same activity) sends one action', async () => {
      const { id } = await request(megan, 'collect investigation package from ws-eng-021');
      const activityId = 'retried-invoke-1';
      await h.execute('approval.approve', { approvalId: id }, adele, triage, { activityId });
      await h.execute('approval.approve', { approvalId: id }, adele, triage, { activityId });
      await h.app.idle();
      assert.equal(defenderActionsFor(id).length, 1);
    });

    it('a request pending before a restart is still approvable after it, exactly once', async () => {
      const { id, posted } = await request(megan, 'collect investigation package from ws-hr-015');
      await h.restartBot();
      cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
      await h.app.idle();
      assert.equal(defenderActionsFor(id).length, 1);
      await cardReaches(posted, /Sending|In Defender|Succeeded|Timed out/);
    });
  });

  describe('Teams faults', () => {
    it('keeps the requester’s card in step while the approvers’ channel keeps failing (504)', async () => {
      const { id, posted } = await request(megan, 'collect investigation package from srv-file-01');
      h.channel.failShare(1, 504, { operations: ['update'], conversationId: approversChannel.id });
      try {
        const since = h.channel.sentCount();
        cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
        // No trackNow here: it waits for every card, the failing ones included. The tracker polls on its own.
        await h.channel.waitFor(
          (s) =>
            s.activityId === posted && s.kind === 'update' && /Succeeded/.test(visibleText(s.activity.attachments)),
          { since, timeoutMs: 5_000 },
        );
        assert.equal(defenderActionsFor(id).length, 1);
      } finally {
        h.channel.clearFaults();
      }
      await h.app.idle();
    });
  });

  describe('Defender faults', () => {
    it('shows an approver Defender refuses (403) and keeps the request open for another approver', async () => {
      const { id, posted } = await request(megan, 'isolate device dc-01');
      cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
      cardOf(await h.execute('approval.approve', { approvalId: id }, isaiah, triage)); // final approver, no server groups
      await h.app.idle();
      assert.equal(defenderActionsFor(id).length, 0);
      const text = await cardReaches(posted, /lacks permission in Defender/);
      assert.match(text, /Awaiting approval/);
      assert.match(visibleText(cardOf(await h.execute('approval.view', { approvalId: id }, adele, triage))), /1 of 2/);
      await h.execute('approval.withdraw', { approvalId: id }, megan, triage);
    });

    it('rides out a 429 on the action call (Retry-After) and submits once', async () => {
      const { id } = await request(megan, 'collect investigation package from lt-cfo-01');
      h.simulator.defender.faults.set({
        throttle: { next: 1, retryAfterSeconds: 1, pathPrefix: `/api/machines/${machine('lt-cfo-01').id}` },
      });
      cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
      await h.app.idle();
      assert.equal(defenderActionsFor(id).length, 1);
    });

    it('does not resend after a 5xx: the request is marked interrupted, not duplicated', async () => {
      const { id, posted } = await request(megan, 'collect investigation package from kiosk-lobby-01');
      h.simulator.defender.faults.set({
        errors: { rate: 1, status: 503, pathPrefix: `/api/machines/${machine('kiosk-lobby-01').id}/collect` },
      });
      cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
      await h.app.idle();
      h.simulator.defender.faults.clear();
      assert.equal(defenderActionsFor(id).length, 0);
      await cardReaches(posted, /Interrupted — not confirmed/);
    });

    it('follows a stuck Pending action, lets the requester cancel it, and shows Cancelled', async () => {
      const { id, posted } = await request(
        megan,
        'stop and quarantine 3395856ce81f2b7382dee72602f798b642f14140 on ws-fin-044',
      );
      cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
      await h.app.idle();
      await cardReaches(posted, /In Defender[\s\S]*Pending/);
      const view = cardOf(await h.execute('approval.view', { approvalId: id }, megan, triage));
      assert.ok(actionData(view, 'approval.cancelAction'));
      cardOf(await h.execute('approval.cancelAction', { approvalId: id }, megan, triage));
      await cardReaches(posted, /Cancelled/);
      assert.equal(defenderActionsFor(id)[0]!.status, 'Cancelled');
    });

    it('shows a Failed action as failed', async () => {
      const { id, posted } = await request(megan, 'scan device ws-fin-043 full');
      h.simulator.defender.faults.set({ actionOutcomes: [{ type: 'RunAntiVirusScan', outcome: 'Failed' }] });
      cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
      await h.app.idle();
      await cardReaches(posted, /Failed/);
      assert.equal(defenderActionsFor(id).length, 1);
    });
    // An action someone else already runs in Defender is followed, not duplicated: test/conversation/unkindDefender.test.ts.
  });
});
