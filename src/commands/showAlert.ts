import { toAlertCard } from '../cards/alertCard';
import type { AlertsPageData } from '../cards/payloads';
import type { CommandContext, Reply } from './commandContext';
import { cardReply } from './commandContext';
import { withHuntButton } from '../hunting/huntCommands';

/** "alert <id>": the alert card with evidence (one Defender call). AppError `notFound` when invisible. */
export async function showAlert(ctx: CommandContext, alertId: string, back?: AlertsPageData): Promise<Reply> {
  const alert = await ctx.defender.getAlert(ctx.auth, alertId);
  return cardReply(
    withHuntButton(toAlertCard({ alert, now: ctx.now, back }, ctx.i18n), ctx, { kind: 'alert', id: alert.id }),
    ctx.i18n.t('commands.alert.summary', { severity: alert.severity, title: alert.title.slice(0, 100) }),
  );
}
