import assert from 'node:assert/strict';
import type { Cluster } from '../support/cluster';
import { startCluster, waitUntil } from '../support/cluster';
import { demoSeed } from '../support/demoTenant';
import type { Conversation } from '../support/productionApp';

/*
 * Defender's quota is the tenant's, not an instance's: three instances running background work (alert polling)
 * and people's commands together stay under it. Counted by the Defender simulator, which answers 429 past it.
 */

const CONTOSO = demoSeed.tenant.id;
/** A small quota, so that three unshared budgets (3 × 30) overrun it quickly while one shared budget does not. */
const QUOTA_PER_MINUTE = 30;

describe('scale-out: Defender quota shared by three instances', function () {
  this.timeout(120_000);
  let c: Cluster;

  before(async function () {
    this.timeout(120_000);
    c = await startCluster({
      instances: 3,
      seed: demoSeed,
      quotaPerMinute: QUOTA_PER_MINUTE,
      env: { NOTIFY_POLL_INTERVAL_MS: '1000' },
    });
  });
  after(async () => c?.stop());

  it('gets no 429 from Defender while three instances poll and answer a burst of commands', async () => {
    const adele = c.person('Adele');
    const alex = c.person('Alex');
    const soc: Conversation = { id: '19:cluster-quota@thread.tacv2', conversationType: 'channel', tenantId: CONTOSO };
    const subscribed = await c.execute('command.view', { command: 'subscribe to high alerts' }, adele, soc);
    assert.match(JSON.stringify(subscribed.value), /Subscribed this channel/);
    const since = new Date();
    await waitUntil(() => c.callersOf(/\/alerts/i, since).length > 0, 'background polling of the alerts');

    // 1.5 × the quota of commands that each read the alerts, spread over the instances, six at a time.
    const personal = (i: number): Conversation => ({
      id: `a:cluster-quota-${i % 6}`,
      conversationType: 'personal',
      tenantId: CONTOSO,
    });
    const commands = Array.from({ length: QUOTA_PER_MINUTE * 1.5 }, (_, i) => i);
    const answers: string[] = [];
    for (let i = 0; i < commands.length; i += 6) {
      const batch = await Promise.all(
        commands
          .slice(i, i + 6)
          .map((n) => c.execute('command.view', { command: 'show high alerts' }, alex, personal(n))),
      );
      answers.push(...batch.map((answer) => JSON.stringify(answer.value).slice(0, 120)));
    }

    const throttled = c.defenderRequests().filter((r) => r.status === 429);
    assert.equal(
      throttled.length,
      0,
      `Defender answered 429 ${throttled.length} times (${c.defenderRequests().length} requests in all) on ${[
        ...new Set(throttled.map((r) => `${r.method} ${r.path}`)),
      ].join(', ')}`,
    );
    assert.equal(answers.length, commands.length);
  });
});
