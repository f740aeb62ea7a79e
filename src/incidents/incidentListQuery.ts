import { z } from 'zod';
import type { FilterExpression, IncidentFilterField } from '../http/odata';
import { and, anyOf, compare } from '../http/odata';

/*
 * What "show incidents" and its variants ask for, as data: parsed from chat, carried by the list card's paging
 * buttons (zod-checked there) and turned into one Graph `$filter` here. Literals only through src/http/odata.ts.
 */

/** Graph severities a person can ask for. */
export const INCIDENT_LIST_SEVERITIES = ['high', 'medium', 'low', 'informational'] as const;
export type IncidentListSeverity = (typeof INCIDENT_LIST_SEVERITIES)[number];

/** Which incidents by status: open (active or in progress), resolved, or any. */
export type IncidentStatusFilter = 'open' | 'resolved' | 'any';

/** Which incidents by owner: anyone's, the asker's, or nobody's. */
export type IncidentOwnerFilter = 'anyone' | 'me' | 'nobody';

/** A parsed incident list request. */
export const incidentListQuerySchema = z.strictObject({
  severities: z.array(z.enum(INCIDENT_LIST_SEVERITIES)).max(INCIDENT_LIST_SEVERITIES.length),
  status: z.enum(['open', 'resolved', 'any']),
  owner: z.enum(['anyone', 'me', 'nobody']),
});
export type IncidentListQuery = z.infer<typeof incidentListQuerySchema>;

/** "show incidents": every open incident, whoever owns it. */
export const DEFAULT_INCIDENT_QUERY: IncidentListQuery = { severities: [], status: 'open', owner: 'anyone' };

/**
 * Statuses counted as open. `redirected` incidents were merged into another and are not work; `awaitingAction` is
 * an evolvable enum member Graph knows only under `Prefer: include-unknown-enum-members`, which the bot does not
 * send, so naming it in `$filter` could be refused.
 */
const OPEN_STATUSES = ['active', 'inProgress'] as const;

/** The Graph `$filter` of a query; `userPrincipalName` is whose "assigned to me" it is. */
export function toIncidentFilter(
  query: IncidentListQuery,
  context: { userPrincipalName: string },
): FilterExpression | undefined {
  const field = (name: IncidentFilterField) => name;
  return and(
    anyOf(field('severity'), query.severities),
    query.status === 'open'
      ? anyOf(field('status'), OPEN_STATUSES)
      : query.status === 'resolved'
        ? compare(field('status'), 'eq', 'resolved')
        : undefined,
    query.owner === 'me'
      ? compare(field('assignedTo'), 'eq', context.userPrincipalName)
      : query.owner === 'nobody'
        ? compare(field('assignedTo'), 'eq', null)
        : undefined,
  );
}

/** The list card's heading and the qualifiers under it, in words. */
export function describeIncidentQuery(query: IncidentListQuery): { heading: string; qualifiers: string[] } {
  const severity = query.severities.map((s) => s[0]!.toUpperCase() + s.slice(1)).join(' or ');
  const status = query.status === 'open' ? 'Open' : query.status === 'resolved' ? 'Resolved' : '';
  const owner = query.owner === 'me' ? 'assigned to you' : query.owner === 'nobody' ? 'unassigned' : 'any owner';
  const words = [status, query.owner === 'nobody' ? 'unassigned' : '', severity, 'incidents'].filter(Boolean).join(' ');
  return {
    heading: `${words[0]!.toUpperCase()}${words.slice(1)}${query.owner === 'me' ? ' assigned to you' : ''}`,
    qualifiers: [
      query.status === 'open' ? 'active or in progress' : query.status === 'resolved' ? 'resolved' : 'any status',
      severity ? `${severity} severity` : 'any severity',
      owner,
    ],
  };
}
