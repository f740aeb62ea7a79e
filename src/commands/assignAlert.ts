import { toAlertCard } from '../cards/alertCard';
import { AppError, isAppError } from '../errors';
import type { CommandContext, Reply } from './commandContext';
import { cardReply } from './commandContext';

/**
 * "Assign to me" on an alert or notification card: assigns the alert to whoever clicked, with their own token (so
 * Defender decides whether they may), and answers with the alert as it now is. The PATCH is a write: an ambiguous
 * outcome (src/http/writeOutcome.ts) is never sent again — the alert is read back, and if Defender shows the
 * assignment it happened; otherwise the person is told it could not be confirmed (a click again is their choice,
 * and would add a second comment at most).
 */
export async function assignAlertToMe(ctx: CommandContext, alertId: string): Promise<Reply> {
  const assignee = ctx.user.userPrincipalName;
  try {
    await ctx.defender.updateAlert(ctx.auth, alertId, {
      assignedTo: assignee,
      comment: `Assigned to ${assignee} via Teams`,
    });
  } catch (err) {
    if (!isAppError(err) || !err.details.uncertain) throw err;
    const alert = await ctx.defender.getAlert(ctx.auth, alertId);
    if ((alert.assignedTo ?? '').toLowerCase() !== assignee.toLowerCase()) {
      throw new AppError(err.code, 'alert assignment not confirmed by Defender', err.details, { cause: err });
    }
  }
  const alert = await ctx.defender.getAlert(ctx.auth, alertId);
  return cardReply(
    toAlertCard({ alert, now: ctx.now }, ctx.i18n),
    ctx.i18n.t('commands.alert.assignedSummary', { title: alert.title.slice(0, 100) }),
  );
}
