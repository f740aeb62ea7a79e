import type { CommandContext, Reply } from '../commands/commandContext';
import { cardReply } from '../commands/commandContext';
import { toNoticeCard } from '../cards/noticeCard';

/**
 * "incident 123" and the `incident.open` card verb: the incident as the viewer's own Graph token shows it, read in
 * one call (`$expand=alerts`). Contract shared by the incidents room; the full card replaces this first version.
 */
export async function showIncident(ctx: CommandContext, incidentId: string): Promise<Reply> {
  const incident = await ctx.graph.getIncident(ctx.graphAuth, incidentId);
  return cardReply(
    toNoticeCard({ heading: `Incident ${incident.id}`, text: incident.displayName }),
    `Incident ${incident.id}: ${incident.displayName.slice(0, 100)}`,
  );
}
