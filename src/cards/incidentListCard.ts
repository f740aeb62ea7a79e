import type { Incident } from '../graph/graphSchemas';
import type { IncidentListQuery } from '../incidents/incidentListQuery';
import { describeIncidentQuery } from '../incidents/incidentListQuery';
import type { Translator } from '../i18n/translator';
import { ENGLISH, graphSeverityLabel, incidentStatusLabel } from './labels';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import template from './templates/incidentList.json';
import { formatAge } from './text';
import { clipLineBytes } from './textBytes';
import { words } from './words';

/** Rows per card, as for alerts. */
export const INCIDENTS_PER_PAGE = 10;

/**
 * Bytes (of the card's JSON) a row's title and owner may take: the card with 10 rows weighs about 9 KB without them,
 * so 10 rows at these caps stay near 15 KB, well inside MAX_CARD_BYTES (28 KB), whatever script the text is in.
 */
export const INCIDENT_ROW_TEXT_BYTES = { title: 400, owner: 200 } as const;

/** Everything the incident list card shows; `incidents` is the whole sorted result, the card slices its page. */
export interface IncidentListCardInput {
  query: IncidentListQuery;
  page: number;
  incidents: Incident[];
  /** Graph had more matches than the bot fetched. */
  truncated: boolean;
  now: Date;
}

/** The incident list card: severity, id, title, status, owner, alert count and last update; 10 rows a page. */
export function toIncidentListCard(input: IncidentListCardInput, i18n: Translator = ENGLISH): AdaptiveCardJson {
  const { query, incidents, now } = input;
  const pageCount = Math.max(1, Math.ceil(incidents.length / INCIDENTS_PER_PAGE));
  const page = Math.min(Math.max(0, input.page), pageCount - 1);
  const first = page * INCIDENTS_PER_PAGE;
  const rows = incidents.slice(first, first + INCIDENTS_PER_PAGE);
  const { heading, qualifiers } = describeIncidentQuery(query);
  const total = input.truncated
    ? i18n.t('card.incidentList.totalMore', { count: i18n.number(incidents.length) })
    : i18n.t('card.incidentList.total', { count: incidents.length });
  const showing =
    rows.length > 0 && incidents.length > INCIDENTS_PER_PAGE
      ? i18n.t('card.alertList.showing', { first: first + 1, last: first + rows.length })
      : '';
  return renderCard(template, {
    w: words(i18n, 'card.alertList', ['previous', 'showMore']),
    openIncident: i18n.t('card.incidentList.openIncident'),
    heading,
    summary: `${qualifiers.join(' · ')} · ${total}${showing}`,
    emptyText: i18n.t('card.incidentList.empty'),
    rows: rows.map((incident) => {
      const alertCount = incident.alerts?.length;
      return {
        incidentId: incident.id,
        severity: graphSeverityLabel(incident.severity, i18n),
        title: clipLineBytes(incident.displayName, 200, INCIDENT_ROW_TEXT_BYTES.title),
        status: incidentStatusLabel(incident.status, i18n),
        details: i18n.t('card.incidentList.row', {
          alerts:
            alertCount === undefined
              ? i18n.t('card.incidentList.alertsNotRead')
              : i18n.t('card.incidentList.alerts', { count: alertCount }),
          updated: formatAge(incident.lastUpdateDateTime, now, i18n),
        }),
        owner: clipLineBytes(incident.assignedTo, 80, INCIDENT_ROW_TEXT_BYTES.owner, i18n.t('card.common.unassigned')),
      };
    }),
    hasNext: page < pageCount - 1,
    next: { query, page: page + 1 },
    hasPrevious: page > 0,
    previous: { query, page: Math.max(0, page - 1) },
  });
}

/** Most recently changed first (Graph documents no `$orderby` for incidents the bot relies on, so the bot sorts). */
export function sortRecentlyUpdatedFirst(incidents: Incident[]): Incident[] {
  return [...incidents].sort((a, b) => Date.parse(b.lastUpdateDateTime) - Date.parse(a.lastUpdateDateTime));
}
