import { z } from 'zod';
import type { FilterExpression } from '../http/odata';
import { and, anyOf, compare } from '../http/odata';
import { SEVERITIES, STATUSES } from './schemas';
import type { AlertStatus, Severity } from './schemas';

/** Which statuses an alert list shows: unresolved (New + InProgress) by default. */
export type StatusFilter = { kind: 'unresolved' } | { kind: 'all' } | { kind: 'only'; statuses: AlertStatus[] };

/** A request for a list of alerts, as parsed from chat; plain data so a "Show more" button can carry it. */
export interface AlertListQuery {
  severities: Severity[];
  status: StatusFilter;
  /** Only alerts created in the last N hours. */
  sinceHours?: number | undefined;
  /** Only alerts created at or after this instant (ISO 8601): "yesterday", "since Monday" in the viewer's zone. */
  since?: string | undefined;
  /** Only alerts created before this instant (ISO 8601): the end of "yesterday". */
  until?: string | undefined;
  assignedToMe: boolean;
  /** Only alerts of this device: a name or a device id, resolved exactly like `device <name>`. */
  device?: string | undefined;
}

/** A device name or id as users type it: host label, FQDN, or 40-hex device id. */
export const DEVICE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,252}$/i;

/** Validates an AlertListQuery coming back in a card payload (never trusted as-is). */
export const alertListQuerySchema: z.ZodType<AlertListQuery> = z.strictObject({
  severities: z.array(z.enum(SEVERITIES)).max(SEVERITIES.length),
  status: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('unresolved') }),
    z.strictObject({ kind: z.literal('all') }),
    z.strictObject({ kind: z.literal('only'), statuses: z.array(z.enum(STATUSES)).min(1).max(STATUSES.length) }),
  ]),
  sinceHours: z
    .number()
    .positive()
    .max(180 * 24)
    .optional(),
  since: z.string().datetime().optional(),
  until: z.string().datetime().optional(),
  assignedToMe: z.boolean(),
  device: z.string().regex(DEVICE_NAME_PATTERN).optional(),
});

/** The statuses a StatusFilter stands for. */
export function statusesOf(filter: StatusFilter): AlertStatus[] | undefined {
  switch (filter.kind) {
    case 'unresolved':
      return ['New', 'InProgress'];
    case 'all':
      return undefined;
    case 'only':
      return filter.statuses;
  }
}

/**
 * The `$filter` for a query (device selection is done by the endpoint, not the filter). `assignedTo` is the
 * caller's UPN, `now` anchors "last N hours".
 */
export function toAlertFilter(
  query: AlertListQuery,
  context: { userPrincipalName: string; now: Date },
): FilterExpression | undefined {
  const statuses = statusesOf(query.status);
  return and(
    query.severities.length > 0 ? anyOf('severity', query.severities) : undefined,
    statuses ? anyOf('status', statuses) : undefined,
    query.sinceHours !== undefined
      ? compare('alertCreationTime', 'ge', new Date(context.now.getTime() - query.sinceHours * 3_600_000))
      : undefined,
    query.since !== undefined ? compare('alertCreationTime', 'ge', new Date(query.since)) : undefined,
    query.until !== undefined ? compare('alertCreationTime', 'lt', new Date(query.until)) : undefined,
    query.assignedToMe ? compare('assignedTo', 'eq', context.userPrincipalName) : undefined,
  );
}

/** "High alerts", "New and In progress Medium alerts assigned to you in the last 24 h on ws-fin-042". */
export function describeAlertQuery(query: AlertListQuery): { heading: string; qualifiers: string[] } {
  const severity = query.severities.length > 0 ? `${query.severities.join(' and ')} alerts` : 'Alerts';
  const qualifiers: string[] = [];
  const statuses = statusesOf(query.status);
  qualifiers.push(query.status.kind === 'unresolved' ? 'Unresolved' : statuses ? statuses.join(' or ') : 'Any status');
  if (query.assignedToMe) qualifiers.push('assigned to you');
  if (query.sinceHours !== undefined) qualifiers.push(`created in the last ${formatWindow(query.sinceHours)}`);
  if (query.since !== undefined) qualifiers.push(`created since ${query.since.slice(0, 16).replace('T', ' ')} UTC`);
  if (query.until !== undefined) qualifiers.push(`before ${query.until.slice(0, 16).replace('T', ' ')} UTC`);
  return { heading: severity, qualifiers };
}

function formatWindow(hours: number): string {
  if (hours < 1) return `${Math.round(hours * 60)} min`;
  if (hours % 168 === 0) return hours === 168 ? 'week' : `${hours / 168} weeks`;
  if (hours % 24 === 0 && hours >= 48) return `${hours / 24} days`;
  return hours === 1 ? 'hour' : `${hours} h`;
}
