import { z } from 'zod';
import { ALERT_CLASSIFICATIONS } from '../seed/seedSchema';
import type { AlertEntity } from '../seed/seedSchema';
import { entityResult } from './apiContext';
import type { ApiContext, ApiResult } from './apiContext';
import { DefenderApiError } from './defenderError';
import { ALERT_FIELDS } from './entityFields';
import { toODataTimestamp } from './odataDateTime';
import { applyFilter, pageOf, parseEntityQuery, parseListQuery } from './odataQuery';
import type { ListQuery } from './odataQuery';
import { authorize, inScope } from './rbac';
import type { DeviceScope } from './rbac';
import { enumParameter, parseJsonBody } from './requestBody';

const ALERT_QUERY = { fields: ALERT_FIELDS, expandable: ['evidence'] } as const;

/** Status values PATCH accepts (update-alert.md); Unknown is read-only. */
const SETTABLE_STATUSES = ['New', 'InProgress', 'Resolved'] as const;

/** Determinations as the alert resource spells them (returned on GET). */
const DETERMINATIONS = [
  'MultiStagedAttack',
  'MaliciousUserActivity',
  'CompromisedUser',
  'Malware',
  'Phishing',
  'UnwantedSoftware',
  'Other',
  'SecurityTesting',
  'LineOfBusinessApplication',
  'ConfirmedUserActivity',
  'Clean',
  'InsufficientData',
] as const;

/** PATCH-page spellings (§2.4 doc inconsistency) accepted and stored in the resource-page spelling. */
const DETERMINATION_ALIASES: Record<string, (typeof DETERMINATIONS)[number]> = {
  confirmedactivity: 'ConfirmedUserActivity',
  notmalicious: 'Clean',
};

const alertUpdateSchema = z.strictObject({
  status: z.string().optional(),
  assignedTo: z.string().nullable().optional(),
  classification: z.string().nullable().optional(),
  determination: z.string().nullable().optional(),
  comment: z.string().optional(),
});

/** Alerts the caller may see: all for apps, the user's device groups otherwise (lists are silently filtered). */
export function visibleAlerts(ctx: ApiContext, scope: DeviceScope): AlertEntity[] {
  return ctx.store.alerts().filter((a) => inScope(scope, a.rbacGroupName));
}

function toWire(alert: AlertEntity, expandEvidence: boolean): AlertEntity {
  return expandEvidence ? alert : { ...alert, evidence: [] };
}

/** A page of alerts in the `#Alerts` collection shape (shared by /alerts and /machines/{id}/alerts). */
export function alertCollection(ctx: ApiContext, alerts: readonly AlertEntity[], query: ListQuery): ApiResult {
  const page = pageOf(applyFilter(alerts, query), query, ctx.pageSize, ctx.selfLink);
  const expand = query.expand.has('evidence');
  return {
    status: 200,
    body: {
      '@odata.context': `${ctx.apiBase}/$metadata#Alerts`,
      value: page.value.map((a) => toWire(a, expand)),
      ...(page.nextLink === undefined ? {} : { '@odata.nextLink': page.nextLink }),
    },
  };
}

/** Parses list options for alert collections. */
export function parseAlertQuery(ctx: ApiContext): ListQuery {
  return parseListQuery(ctx.query, ALERT_QUERY);
}

function alertNotFound(id: string): DefenderApiError {
  return new DefenderApiError(404, 'ResourceNotFound', `Alert ${id} was not found`);
}

function findVisibleAlert(ctx: ApiContext, scope: DeviceScope, id: string): AlertEntity {
  const alert = ctx.store.alert(id);
  // An alert outside the user's device groups is answered exactly like a missing one.
  if (alert === undefined || !inScope(scope, alert.rbacGroupName)) throw alertNotFound(id);
  return alert;
}

/** `GET /api/alerts`. */
export function listAlerts(ctx: ApiContext): ApiResult {
  const scope = authorize(ctx.caller, 'alerts.read', (oid) => ctx.store.findUser(oid));
  const query = parseAlertQuery(ctx);
  return alertCollection(ctx, visibleAlerts(ctx, scope), query);
}

/** `GET /api/alerts/{id}`. */
export function getAlert(ctx: ApiContext): ApiResult {
  const scope = authorize(ctx.caller, 'alerts.read', (oid) => ctx.store.findUser(oid));
  const expand = parseEntityQuery(ctx.query, ALERT_QUERY);
  const alert = findVisibleAlert(ctx, scope, ctx.params[0] ?? '');
  return entityResult(ctx, 'Alerts', toWire(alert, expand.has('evidence')));
}

/**
 * `PATCH /api/alerts/{id}`: status, assignedTo, classification, determination, comment (update-alert.md).
 * Omitted properties keep their values; an empty object changes nothing. Determination is not checked against
 * classification (the doc's own example pairs FalsePositive with Malware, §2.4).
 */
export function updateAlert(ctx: ApiContext): ApiResult {
  const scope = authorize(ctx.caller, 'alerts.update', (oid) => ctx.store.findUser(oid));
  const body = parseJsonBody(ctx.body, alertUpdateSchema);
  const alert = findVisibleAlert(ctx, scope, ctx.params[0] ?? '');
  const now = toODataTimestamp(ctx.now);
  const updated: AlertEntity = structuredClone(alert);
  let changed = false;
  if (body.status !== undefined) {
    const status = enumParameter('status', body.status, SETTABLE_STATUSES);
    if (status === 'Resolved' && alert.status !== 'Resolved') updated.resolvedTime = now;
    if (status !== 'Resolved') updated.resolvedTime = null;
    updated.status = status;
    changed = true;
  }
  if (body.assignedTo !== undefined) {
    updated.assignedTo = body.assignedTo;
    changed = true;
  }
  if (body.classification !== undefined) {
    updated.classification =
      body.classification === null ? null : enumParameter('classification', body.classification, ALERT_CLASSIFICATIONS);
    changed = true;
  }
  if (body.determination !== undefined) {
    updated.determination =
      body.determination === null
        ? null
        : (DETERMINATION_ALIASES[body.determination.toLowerCase()] ??
          enumParameter('determination', body.determination, DETERMINATIONS));
    changed = true;
  }
  if (body.comment !== undefined) {
    const createdBy = ctx.caller.kind === 'user' ? ctx.caller.upn : ctx.caller.appId;
    updated.comments.push({ comment: body.comment, createdBy, createdTime: now });
    changed = true;
  }
  if (changed) {
    updated.lastUpdateTime = now;
    ctx.store.replaceAlert(updated);
  }
  return entityResult(ctx, 'Alerts', toWire(updated, false));
}
