import type { IncidentCardNotice } from '../cards/incidentCard';
import { incidentPortalUrl, toIncidentCard } from '../cards/incidentCard';
import type { AdaptiveCardJson } from '../cards/renderCard';
import { CardTemplateError } from '../cards/renderCard';
import { clip, clipLine } from '../cards/text';
import type { CommandContext, Reply } from '../commands/commandContext';
import { cardReply } from '../commands/commandContext';
import { withHuntButton } from '../hunting/huntCommands';
import { isAppError } from '../errors';
import { DEFAULT_LOCALE } from '../i18n/locale';
import type { Translator } from '../i18n/translator';
import { translatorFor } from '../i18n/translator';
import type { Incident } from '../graph/graphSchemas';

/** How the incident card is shown: for whom it refreshes itself, and a line saying what just happened. */
export interface ShowIncidentOptions {
  /** Teams user ids whose view re-reads Graph when the card is shown again (Universal Actions `refresh`). */
  refreshUserIds?: readonly string[] | undefined;
  notice?: IncidentCardNotice | undefined;
}

/**
 * "incident 123" and the `incident.open` card verb: the incident as the viewer's own Graph token shows it, read in
 * one call (`$expand=alerts`). An incident that does not exist and one the viewer may not see get the same answer.
 */
export async function showIncident(
  ctx: CommandContext,
  incidentId: string,
  options: ShowIncidentOptions = {},
): Promise<Reply> {
  let incident: Incident;
  try {
    incident = await ctx.graph.getIncident(ctx.graphAuth, incidentId);
  } catch (err) {
    if (isAppError(err, 'notFound')) return incidentNotVisible(incidentId, ctx.i18n);
    throw err;
  }
  return incidentReply(ctx, incident, options);
}

/**
 * The incident card for an incident already read (with its alerts), e.g. right after a change. Never throws over the
 * card's size: a change has often just been made, so a card that cannot be drawn becomes a plain text that still says
 * what happened (the notice) and where to see the incident.
 */
export function incidentReply(ctx: CommandContext, incident: Incident, options: ShowIncidentOptions = {}): Reply {
  let card: AdaptiveCardJson;
  try {
    card = toIncidentCard(
      {
        incident,
        tenantId: ctx.tenant.id,
        now: ctx.now,
        notice: options.notice,
        refreshUserIds: options.refreshUserIds,
      },
      ctx.i18n,
    );
  } catch (err) {
    if (!(err instanceof CardTemplateError)) throw err;
    return { kind: 'text', text: incidentTooLargeText(ctx, incident, options.notice) };
  }
  return cardReply(
    withHuntButton(card, ctx, { kind: 'incident', id: incident.id }),
    ctx.i18n.t('incidents.cardSummary', { id: incident.id, title: clipLine(incident.displayName, 100) }),
  );
}

/** The plain-text answer when not even the reduced card fits: the notice first, then the portal link. */
function incidentTooLargeText(ctx: CommandContext, incident: Incident, notice: IncidentCardNotice | undefined): string {
  const i18n = ctx.i18n;
  const done = notice ? `${clip(notice.text, 600)} ` : '';
  let where = i18n.t('incidents.openInPortalNoLink');
  try {
    where = i18n.t('incidents.openInPortal', { url: incidentPortalUrl(incident.id, ctx.tenant.id) });
  } catch {
    // An id the portal link does not accept: the sentence without the link.
  }
  return i18n.t('incidents.tooLarge', { done, id: clipLine(incident.id, 20), where });
}

/** The answer for an unknown incident number and for one the person may not see: the two are not told apart. */
export function incidentNotVisible(incidentId: string, i18n: Translator = translatorFor(DEFAULT_LOCALE)): Reply {
  const shown = /^\d{1,20}$/.test(incidentId);
  return { kind: 'text', text: i18n.t('incidents.notVisible', { hasId: shown ? 'yes' : 'no', id: incidentId }) };
}
