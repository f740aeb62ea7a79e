import type { Incident } from '../graph/graphSchemas';
import type { IncidentListQuery } from '../incidents/incidentListQuery';
import { describeIncidentQuery } from '../incidents/incidentListQuery';
import { graphSeverityLabel, incidentStatusLabel } from './labels';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import template from './templates/incidentList.json';
import { formatAge } from './text';
import { clipLineBytes } from './textBytes';

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
export function toIncidentListCard(input: IncidentListCardInput): AdaptiveCardJson {
  const { query, incidents, now } = input;
  const pageCount = Math.max(1, Math.ceil(incidents.length / INCIDENTS_PER_PAGE));
  const page = Math.min(Math.max(0, input.page), pageCount - 1);
  const first = page * INCIDENTS_PER_PAGE;
  const rows = incidents.slice(first, first + INCIDENTS_PER_PAGE);
  const { heading, qualifiers } = describeIncidentQuery(query);
  const one = incidents.length === 1 && !input.truncated;
  const total = `${incidents.length}${input.truncated ? '+' : ''} ${one ? 'incident' : 'incidents'}`;
  const showing =
    rows.length > 0 && incidents.length > INCIDENTS_PER_PAGE ? ` · showing ${first + 1}–${first + rows.length}` : '';
  return renderCard(template, {
    heading,
    summary: `${qualifiers.join(' · ')} · ${total}${showing}`,
    emptyText: 'No incidents match. Try "show incidents" for every open incident you can see.',
    rows: rows.map((incident) => {
      const alertCount = incident.alerts?.length;
      return {
        incidentId: incident.id,
        severity: graphSeverityLabel(incident.severity),
        title: clipLineBytes(incident.displayName, 200, INCIDENT_ROW_TEXT_BYTES.title),
        status: incidentStatusLabel(incident.status),
        alerts: alertCount === undefined ? 'alerts not read' : `${alertCount} ${alertCount === 1 ? 'alert' : 'alerts'}`,
        updated: formatAge(incident.lastUpdateDateTime, now),
        owner: clipLineBytes(incident.assignedTo, 80, INCIDENT_ROW_TEXT_BYTES.owner, 'Unassigned'),
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
