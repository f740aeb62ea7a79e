import { toAlertCard } from '../cards/alertCard';
import type { CommandContext, Reply } from './commandContext';
import { cardReply } from './commandContext';

/**
 * "Assign to me" on an alert or notification card: assigns the alert to whoever clicked, with their own token (so
 * Defender decides whether they may), and answers with the alert as it now is.
 */
export async function assignAlertToMe(ctx: CommandContext, alertId: string): Promise<Reply> {
  await ctx.defender.updateAlert(ctx.auth, alertId, {
    assignedTo: ctx.user.userPrincipalName,
    comment: `Assigned to ${ctx.user.userPrincipalName} via Teams`,
  });
  const alert = await ctx.defender.getAlert(ctx.auth, alertId);
  return cardReply(toAlertCard({ alert, now: ctx.now }), `Assigned to you: ${alert.title.slice(0, 100)}`);
}
