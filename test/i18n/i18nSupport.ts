import { demoSeed } from '../support/demoTenant';
import type { ProductionHarness } from '../support/productionApp';

/**
 * A new High alert in the demo tenant, noticed and delivered: the notification work is settled first so only this
 * alert's cards follow. Returns the connector's count before it, for `postsIn`.
 */
export async function deliverNewHighAlert(h: ProductionHarness, title: string): Promise<number> {
  await h.app.notifications.poller.round();
  await h.app.notifications.idle();
  const since = h.channel.sentCount();
  h.simulator.defender.state.injectAlert(
    { title, severity: 'High', category: 'Execution', machineId: demoSeed.machines[0]!.id },
    demoSeed.tenant.id,
  );
  await h.app.notifications.poller.round();
  await h.app.notifications.idle();
  return since;
}
