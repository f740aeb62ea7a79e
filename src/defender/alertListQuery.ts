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
