import { z } from 'zod';
import { DEFAULT_LOCALE } from '../i18n/locale';
import type { Translator } from '../i18n/translator';
import { translatorFor } from '../i18n/translator';
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

/** The list card's heading and the qualifiers under it, in words of the reader's language (English by default). */
export function describeIncidentQuery(
  query: IncidentListQuery,
  i18n: Translator = translatorFor(DEFAULT_LOCALE),
): { heading: string; qualifiers: string[] } {
  const names = query.severities.map((s) => i18n.t('incidents.query.severity', { severity: s }));
  const severity = names.length ? names.reduce((first, second) => i18n.t('incidents.query.or', { first, second })) : '';
  const hasSeverity = severity ? 'yes' : 'no';
  const heading = i18n.t('incidents.query.heading', {
    status: query.status,
    unassigned: query.owner === 'nobody' ? 'yes' : 'no',
    hasSeverity,
    severity,
    mine: query.owner === 'me' ? 'yes' : 'no',
  });
  return {
    heading: `${heading[0]!.toUpperCase()}${heading.slice(1)}`,
    qualifiers: [
      i18n.t('incidents.query.status', { status: query.status }),
      i18n.t('incidents.query.severityQualifier', { hasSeverity, severity }),
      i18n.t('incidents.query.owner', { owner: query.owner }),
    ],
  };
}
