import { sortRecentlyUpdatedFirst, toIncidentListCard } from '../cards/incidentListCard';
import type { CommandContext, Reply } from '../commands/commandContext';
import { cardReply } from '../commands/commandContext';
import type { IncidentListQuery } from './incidentListQuery';
import { describeIncidentQuery, toIncidentFilter } from './incidentListQuery';

/**
 * Incidents shown per list: the client asks Graph for one more than this (50, its page size) to learn whether more
 * exist, so a list is exactly one call. More matches show as "49+": a person narrows the list ("high incidents",
 * "unassigned incidents") rather than pages through hundreds in chat.
 */
export const MAX_INCIDENTS_PER_LIST = 49;

/**
 * "show incidents" and its variants, and the list card's paging buttons: one Graph call with `$expand=alerts` (the
 * alert count has no field of its own on an incident), under the asker's or clicker's own token.
 */
export async function listIncidents(ctx: CommandContext, query: IncidentListQuery, page: number): Promise<Reply> {
  const filter = toIncidentFilter(query, { userPrincipalName: ctx.user.userPrincipalName });
  const result = await ctx.graph.listIncidents(ctx.graphAuth, {
    filter,
    max: MAX_INCIDENTS_PER_LIST,
    expandAlerts: true,
  });
  const incidents = sortRecentlyUpdatedFirst(result.items);
  const card = toIncidentListCard({ query, page, incidents, truncated: result.truncated, now: ctx.now }, ctx.i18n);
  const { heading } = describeIncidentQuery(query, ctx.i18n);
  return cardReply(
    card,
    ctx.i18n.t('incidents.list.summary', {
      heading,
      count: incidents.length,
      more: result.truncated ? 'yes' : 'no',
    }),
  );
}
