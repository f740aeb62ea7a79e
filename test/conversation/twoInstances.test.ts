import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { visibleText } from '../support/botClient';
import type { SentActivity } from '../../src/simulator/channel/sentActivityLog';
import { actionData } from '../support/cardData';
import { useAzurite } from '../support/azurite';
import { demoSeed } from '../support/demoTenant';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import { startProductionHarness } from '../support/productionApp';

const CONTOSO = demoSeed.tenant.id;

type InvokeBody = { statusCode: number; type: string; value: unknown };

function cardOf(body: InvokeBody): Record<string, unknown> {
  assert.equal(body.type, 'application/vnd.microsoft.card.adaptive', JSON.stringify(body).slice(0, 300));
  return body.value as Record<string, unknown>;
}

function machine(name: string) {
  const found = demoSeed.machines.find((m) => m.computerDnsName.startsWith(`${name}.`));
  if (!found) throw new Error(`no machine ${name}`);
  return found;
}

/**
 * Several instances of the bot on one Blob container (Azurite), in one process: each tenant's background work
 * (polling, tracking, delivery) runs on the one instance holding its lease, and an instance never concludes
 * anything about another live instance's execution. test/scaleOut/ runs them as processes killed with SIGKILL.
 */
describe('several instances on one Blob container (through POST /api/messages)', function () {
  this.timeout(120_000);
  const azurite = useAzurite();
  let h: ProductionHarness;
  let peer: ProductionHarness;
  let adele: TeamsPerson;
  let megan: TeamsPerson;
  let chats = 0;

  before(async () => {
    h = await startProductionHarness({
      seeds: [demoSeed],
      env: {
        STORAGE_CONNECTION_STRING: azurite().connectionString,
        STORAGE_CONTAINER: `two-${randomBytes(5).toString('hex')}`,
        NOTIFY_POLL: 'off',
        NOTIFY_DIGEST_THRESHOLD: '1000',
        LEASE_DURATION_SECONDS: '15',
        // Slow lease rounds: the tests decide who owns the tenant (the first instance), not a race.
        LEASE_RENEW_MS: '7000',
      },
      startOptions: { notificationBackoff: { baseMs: 50, maxMs: 400, jitter: 0.2 } },
    });
    peer = await h.startPeer();
    adele = h.person(demoSeed, 'Adele');
    megan = h.person(demoSeed, 'Megan');
  });
  after(async () => h?.stop());
  afterEach(() => h.simulator.defender.faults.clear());

  function posts(where: Conversation): SentActivity[] {
    return h.channel
      .sent()
      .filter(
        (s) => s.kind === 'send' && (s.conversationId === where.id || s.conversationId.startsWith(`${where.id};`)),
      );
  }

  async function command(text: string, who: TeamsPerson, where: Conversation, on = h): Promise<string> {
    const body = await on.execute('command.view', { command: text }, who, where);
    return body.type === 'application/vnd.microsoft.activity.message' ? String(body.value) : visibleText(body.value);
  }

  /** Both instances poll and deliver, as their timers would. */
  async function pollEverywhere(rounds: number, instances = [h, peer]): Promise<void> {
    for (let round = 0; round < rounds; round++) {
      await Promise.all(instances.map((i) => i.app.notifications.poller.round()));
      await Promise.all(instances.map((i) => i.app.notifications.idle()));
    }
  }

  it('posts each alert card once although both instances poll and deliver', async () => {
    // Subscribed through each instance: both know the tenant has subscriptions.
    const first: Conversation = { id: '19:two-notify-1@thread.tacv2', conversationType: 'channel', tenantId: CONTOSO };
    const second: Conversation = { id: '19:two-notify-2@thread.tacv2', conversationType: 'channel', tenantId: CONTOSO };
    assert.match(await command('subscribe to high alerts', adele, first, h), /^Subscribed this channel/);
    assert.match(await command('subscribe to high alerts', adele, second, peer), /^Subscribed this channel/);
    const injected = Array.from({ length: 4 }, (_, i) =>
      h.simulator.defender.state.injectAlert(
        { title: `Two instances ${i}`, severity: 'High', category: 'Execution', machineId: machine('ws-fin-042').id },
        CONTOSO,
      ),
    );
    await pollEverywhere(3);
    for (const where of [first, second]) {
      const cards = posts(where);
      const shown = cards
        .flatMap((card) => [...JSON.stringify(card.activity.attachments).matchAll(/"alertId":"([^"]+)"/g)])
        .map((m) => m[1]!);
      assert.deepEqual(
        [...new Set(shown)].sort(),
        injected.map((a) => a.id).sort(),
        `every alert shown in ${where.id}`,
      );
      assert.equal(cards.length, injected.length, `one card per alert in ${where.id}, never two`);
    }
  });

  it('delivers an alert pushed to an instance that does not own the tenant, through the owner (its doorbell)', async () => {
    const where: Conversation = { id: '19:two-pushed@thread.tacv2', conversationType: 'channel', tenantId: CONTOSO };
    assert.match(await command('subscribe to high alerts', adele, where, h), /^Subscribed this channel/);
    const pushed = h.simulator.defender.state.injectAlert(
      { title: 'Pushed to a non-owner', severity: 'High', category: 'Execution', machineId: machine('ws-fin-042').id },
      CONTOSO,
    );
    // The push reaches the instance that does not own the tenant: it queues the card and rings the owner.
    const result = await peer.app.notifications.ingestPushed(CONTOSO, [pushed.id]);
    assert.deepEqual(result.notFound, []);
    await peer.app.notifications.idle();
    for (let i = 0; i < 200 && posts(where).length === 0; i++) await sleep(100);
    assert.equal(posts(where).length, 1, 'posted once, by the owner');
    assert.match(JSON.stringify(posts(where)[0]!.activity.attachments), new RegExp(pushed.id));
  });

  it('leaves an execution in flight on another live instance alone when a third instance starts', async () => {
    const triage: Conversation = {
      id: `19:two-exec-${++chats}@thread.v2`,
      conversationType: 'groupChat',
      tenantId: CONTOSO,
    };
    const device = machine('ws-hr-009');
    const command = 'isolate device ws-hr-009';
    await peer.message(command, megan, triage);
    const confirmation = cardOf(await peer.execute('command.view', { command }, megan, triage));
    const confirm = actionData(confirmation, 'action.confirm');
    assert.ok(confirm);
    const view = cardOf(await peer.execute('action.confirm', { ...confirm, reason: 'Two instances' }, megan, triage));
    const approvalId = /"(A-[A-Za-z0-9_-]{12})"/.exec(JSON.stringify(view))?.[1];
    assert.ok(approvalId);
    // Defender takes 2.5 s to answer the isolation (within the client's timeout): the send is in flight.
    h.simulator.defender.faults.set({ latency: { ms: 2_500, pathPrefix: `/api/machines/${device.id}/isolate` } });
    cardOf(await peer.execute('approval.approve', { approvalId }, adele, triage));
    await sleep(900); // past the tests' settle time (600 ms): an instance that concluded would say "not confirmed"
    const third = await h.startPeer();
    await peer.app.idle();
    await third.app.idle();
    const actions = h.simulator.defender.state
      .machineActions(CONTOSO)
      .filter((a) => (a.requestorComment ?? '').includes(approvalId));
    assert.equal(actions.length, 1, 'sent once');
    const shown = h.channel
      .sent()
      .filter((s) => s.conversationId === triage.id)
      .map((s) => visibleText(s.activity.attachments));
    assert.ok(shown.length > 0, 'the request card was posted');
    for (const text of shown)
      assert.doesNotMatch(text, /Interrupted|not confirmed/, 'never concluded by another instance');
    assert.ok(
      shown.some((text) => /In Defender|Pending in Defender|Succeeded/.test(text)),
      `the card follows Defender: ${shown.at(-1)?.slice(0, 300)}`,
    );
    await third.app.stop();
  });
});

describe('instances leaving (scale-in), through POST /api/messages', function () {
  this.timeout(120_000);
  const azurite = useAzurite();
  let h: ProductionHarness;
  let peer: ProductionHarness;
  let remaining: ProductionHarness;
  let adele: TeamsPerson;

  before(async () => {
    h = await startProductionHarness({
      seeds: [demoSeed],
      env: {
        STORAGE_CONNECTION_STRING: azurite().connectionString,
        STORAGE_CONTAINER: `scale-in-${randomBytes(5).toString('hex')}`,
        NOTIFY_POLL: 'off',
        LEASE_DURATION_SECONDS: '15',
        LEASE_RENEW_MS: '1000',
      },
    });
    // All three start before any subscription exists.
    peer = await h.startPeer();
    remaining = await h.startPeer();
    adele = h.person(demoSeed, 'Adele');
  });
  after(async () => h?.stop());

  function posts(where: Conversation): SentActivity[] {
    return h.channel.sent().filter((s) => s.kind === 'send' && s.conversationId.startsWith(where.id));
  }

  async function command(text: string, who: TeamsPerson, where: Conversation, on: ProductionHarness): Promise<string> {
    const body = await on.execute('command.view', { command: text }, who, where);
    return body.type === 'application/vnd.microsoft.activity.message' ? String(body.value) : visibleText(body.value);
  }

  async function pollEverywhere(rounds: number, instances: ProductionHarness[]): Promise<void> {
    for (let round = 0; round < rounds; round++) {
      await Promise.all(instances.map((i) => i.app.notifications.poller.round()));
      await Promise.all(instances.map((i) => i.app.notifications.idle()));
    }
  }

  it('hands polling and delivery to a remaining instance when the others stop (scale-in)', async () => {
    const where: Conversation = { id: '19:two-scale-in@thread.tacv2', conversationType: 'channel', tenantId: CONTOSO };
    // Subscribed through an instance that then leaves: the remaining one, started before, must know of it.
    assert.match(await command('subscribe to high alerts', adele, where, h), /^Subscribed this channel/);
    await h.app.stop(); // the owner leaves and releases its leases
    await peer.app.stop();
    const alert = h.simulator.defender.state.injectAlert(
      { title: 'After scale-in', severity: 'High', category: 'Execution', machineId: machine('ws-fin-042').id },
      CONTOSO,
    );
    // The remaining instance takes the tenant in its next lease round (LEASE_RENEW_MS), then polls it.
    for (let i = 0; i < 150 && posts(where).length === 0; i++) {
      await pollEverywhere(1, [remaining]);
      await sleep(100);
    }
    assert.equal(posts(where).length, 1, 'the alert arrived through the remaining instance');
    assert.match(JSON.stringify(posts(where)[0]!.activity.attachments), new RegExp(alert.id));
  });
});
