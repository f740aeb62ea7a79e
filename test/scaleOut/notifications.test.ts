import assert from 'node:assert/strict';
import { outboxKey, parseOutbox } from '../../src/notifications/conversationOutbox';
import type { SentActivity } from '../../src/simulator/channel/sentActivityLog';
import { visibleText } from '../support/botClient';
import type { Cluster } from '../support/cluster';
import { startCluster, waitUntil } from '../support/cluster';
import { demoSeed } from '../support/demoTenant';
import type { Conversation, TeamsPerson } from '../support/productionApp';

/*
 * Alert notifications on three instances sharing one Blob container: a burst of alerts fanned out to several
 * subscribed channels while the instance doing the work is SIGKILLed, then scale-in to one instance. Counted in
 * the Teams channel emulator: every expected card posted (0 lost), and a card posted twice only where a post was
 * in flight at the kill.
 */

const CONTOSO = demoSeed.tenant.id;

function channel(name: string): Conversation {
  return { id: `19:${name}@thread.tacv2`, conversationType: 'channel', tenantId: CONTOSO };
}

/** Alert ids named by a card's buttons. */
function alertIdsOf(sent: SentActivity): string[] {
  return [
    ...new Set([...JSON.stringify(sent.activity.attachments).matchAll(/"alertId":"([^"]+)"/g)].map((m) => m[1]!)),
  ];
}

describe('scale-out: alert notifications on three instances', function () {
  this.timeout(120_000);
  let c: Cluster;
  let adele: TeamsPerson;
  let channels = 0;

  before(async function () {
    this.timeout(120_000);
    c = await startCluster({
      instances: 3,
      seed: demoSeed,
      env: {
        NOTIFY_POLL_INTERVAL_MS: '1000',
        // One card per alert: a digest would hide which alert was lost or doubled.
        NOTIFY_DIGEST_THRESHOLD: '1000',
      },
    });
    adele = c.person('Adele');
  });
  after(async () => c?.stop());

  /** A fresh channel that Adele (SOC.Admin) subscribes to High alerts through the given instance. */
  async function subscribedChannel(to?: number): Promise<Conversation> {
    const where = channel(`cluster-notify-${++channels}`);
    const answer = await c.execute('command.view', { command: 'subscribe to high alerts' }, adele, where, { to });
    const text = answer.type === 'application/vnd.microsoft.activity.message' ? String(answer.value) : '';
    assert.match(text || visibleText(answer.value), /^Subscribed this channel/);
    return where;
  }

  function injectHigh(title: string) {
    const machine = demoSeed.machines.find((m) => m.computerDnsName.startsWith('ws-fin-042.'))!;
    return c.simulator.defender.state.injectAlert(
      { title, severity: 'High', category: 'Execution', machineId: machine.id },
      CONTOSO,
    );
  }

  /** New cards posted in a channel (a channel post is a thread of its own), per alert id. */
  function postsPerAlert(where: Conversation): Map<string, number> {
    const counts = new Map<string, number>();
    for (const sent of c.channel.sent()) {
      if (sent.kind !== 'send') continue;
      if (sent.conversationId !== where.id && !sent.conversationId.startsWith(`${where.id};`)) continue;
      for (const id of alertIdsOf(sent)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  it('posts every card of a burst once to every channel when the delivering instance is SIGKILLed mid fan-out', async () => {
    const targets = [await subscribedChannel(0), await subscribedChannel(1), await subscribedChannel(2)];
    targets.push(await subscribedChannel());
    const postsBefore = c.channel.sent().filter((s) => s.kind === 'send').length;
    const since = new Date();
    const alerts = Array.from({ length: 8 }, (_, i) => injectHigh(`Burst alert ${i + 1}`));
    const expected = targets.length * alerts.length;

    // Kill the instance that polls the tenant once the fan-out is under way (some cards out, most not).
    await waitUntil(
      () => c.channel.sent().filter((s) => s.kind === 'send').length - postsBefore >= 3,
      'the fan-out to start',
    );
    const [poller] = c.callersOf(/\/alerts/i, since);
    assert.ok(poller !== undefined, 'an instance polled the alerts');
    await c.kill(poller, 'SIGKILL');

    // Another instance takes the tenant over within the lease period and finishes the fan-out.
    const missing = () =>
      targets.flatMap((where) => {
        const counts = postsPerAlert(where);
        return alerts.filter((a) => !counts.has(a.id)).map((a) => `${where.id} ${a.id}`);
      });
    await waitUntil(
      () => missing().length === 0,
      () => `every card (${expected}) to be posted; missing: ${missing().join(', ')}`,
      { timeoutMs: 15_000 + 15_000 },
    );
    await c.restart(poller);

    // A card shows twice only where its post was in flight at the kill: the post claim the killed instance left
    // is found by the next owner, which posts again and marks the entry `reposted` (Teams cannot be asked).
    const duplicates: string[] = [];
    const interrupted: string[] = [];
    for (const where of targets) {
      const outbox = parseOutbox(await c.stored(outboxKey(CONTOSO, where.id)));
      for (const [alertId, entry] of Object.entries(outbox.alerts)) {
        if (entry.reposted) interrupted.push(`${where.id} ${alertId}`);
      }
      for (const [alertId, posts] of postsPerAlert(where)) if (posts > 1) duplicates.push(`${where.id} ${alertId}`);
    }
    process.stdout.write(
      `      fan-out: ${expected} cards expected, 0 lost, ${duplicates.length} posted twice, ${interrupted.length} posts interrupted by the kill\n`,
    );
    assert.deepEqual(
      duplicates.filter((card) => !interrupted.includes(card)),
      [],
      'no card posted twice unless its post was interrupted',
    );
  });

  it('posts every card once when no instance fails, whichever instances are up', async () => {
    const targets = [await subscribedChannel(), await subscribedChannel()];
    const alert = injectHigh('Quiet-day alert');
    await waitUntil(
      () => targets.every((where) => postsPerAlert(where).has(alert.id)),
      'the card in every subscribed channel',
    );
    // Polls keep re-reading the overlap window on every instance: nothing is posted a second time.
    const pollsSince = new Date();
    await waitUntil(() => c.callersOf(/\/alerts/i, pollsSince).length > 0, 'another poll round', {
      timeoutMs: 10_000,
    });
    const rounds = new Date();
    await waitUntil(() => c.callersOf(/\/alerts/i, rounds).length > 0, 'one more poll round', {
      timeoutMs: 10_000,
    });
    assert.deepEqual(
      targets.map((where) => postsPerAlert(where).get(alert.id)),
      targets.map(() => 1),
    );
  });

  it('keeps notifying after scale-in to one instance that never saw a subscription command', async () => {
    const where = await subscribedChannel(0);
    await c.kill(0, 'SIGKILL');
    await c.kill(1, 'SIGKILL');
    assert.deepEqual(c.upInstances(), [2]);
    const alert = injectHigh('After scale-in');
    await waitUntil(
      () => postsPerAlert(where).has(alert.id),
      () => `the card after scale-in; instance 2 log tail: ${c.log(2).slice(-1_500)}`,
      { timeoutMs: 15_000 + 15_000 },
    );
    await c.restart(0);
    await c.restart(1);
  });
});
