import { z } from 'zod';
import { AppError } from '../errors';

/**
 * The body of `POST /api/notify`, reduced to what the bot acts on. The pushed content is never trusted: only the
 * alert ids (and the tenant) are kept, and each alert is re-read from Defender with the bot's own token.
 */
export interface NotifyRequest {
  /** The tenant the sender named (`tenantId`, or the alerts' `aadTenantId`), lower case; absent when none was. */
  tenantId?: string;
  /** Distinct alert ids, in the order first seen; never empty. */
  alertIds: string[];
}

/** Limits of `parseNotifyBody`. */
export interface NotifyBodyOptions {
  /** Largest accepted body in bytes; default `DEFAULT_NOTIFY_MAX_BYTES`. */
  maxBytes?: number;
  /** Most alert ids in one notification (duplicates included); default `MAX_NOTIFY_ALERT_IDS`. */
  maxAlertIds?: number;
}

/** Default body limit: a notification names alerts, it does not carry them (a full Defender alert is ~2-10 KB). */
export const DEFAULT_NOTIFY_MAX_BYTES = 64 * 1024;

/** Default and upper bound of alert ids per notification: each one costs a Defender read within its rate limit. */
export const MAX_NOTIFY_ALERT_IDS = 50;

/** Defender alert ids (`da637…_-1364…`, `ed6376…`, GUID-like): letters, digits, `_` and `-`, at most 128. */
const ALERT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** Entra tenant ids; as loose as the rest of the product (Playground ids have 13 digits in the last group). */
const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12,13}$/i;

const alertId = z.string().regex(ALERT_ID, 'not a valid alert id');
const tenantId = z.string().regex(TENANT_ID, 'not a tenant id (GUID)');

/** `{ "alertId": "…" }` or `{ "alertIds": ["…"] }` (or both), optionally with `tenantId`; other fields ignored. */
const idsBodySchema = z.looseObject({
  alertId: alertId.optional(),
  alertIds: z.array(alertId).optional(),
  tenantId: tenantId.optional(),
});

/** A Defender alert as the API returns it; only `id` and `aadTenantId` are read, every other field is ignored. */
const alertBodySchema = z.looseObject({
  id: alertId,
  aadTenantId: tenantId.nullish(),
});

/** An OData page of alerts (`GET /api/alerts`), optionally with `tenantId`. */
const pageBodySchema = z.looseObject({
  value: z.array(alertBodySchema),
  tenantId: tenantId.optional(),
});

const alertArraySchema = z.array(alertBodySchema);

/**
 * Parses and validates a notification body: UTF-8 JSON, at most `maxBytes`, in one of the accepted shapes —
 * `{ alertId }`, `{ alertIds: [...] }`, a Defender alert `{ id, aadTenantId, ... }`, an array of alerts, or an OData
 * page `{ value: [...] }` — with an optional `tenantId`. Every tenant named must be the same one. Throws
 * AppError `invalidInput` whose message names what is wrong (a field path and a rule), never the payload.
 */
export function parseNotifyBody(raw: Buffer, options: NotifyBodyOptions = {}): NotifyRequest {
  const maxBytes = options.maxBytes ?? DEFAULT_NOTIFY_MAX_BYTES;
  const maxAlertIds = Math.min(options.maxAlertIds ?? MAX_NOTIFY_ALERT_IDS, MAX_NOTIFY_ALERT_IDS);
  if (raw.length === 0) throw invalid('notification body is empty');
  if (raw.length > maxBytes) throw invalid(`notification body is larger than ${maxBytes} bytes`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch (err) {
    throw invalid('notification body is not UTF-8 text', err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // The parser's own message quotes the input: keep it in `cause` only.
    throw invalid('notification body is not valid JSON', err);
  }

  const found = collect(json);
  if (found.alertIds.length === 0) throw invalid('notification names no alert id');
  if (found.alertIds.length > maxAlertIds) {
    throw invalid(`notification names ${found.alertIds.length} alert ids; at most ${maxAlertIds} are accepted`);
  }
  const tenants = [...new Set(found.tenantIds.map((id) => id.toLowerCase()))];
  if (tenants.length > 1) throw invalid('notification names alerts of more than one tenant');
  const alertIds = [...new Set(found.alertIds)];
  return tenants[0] !== undefined ? { tenantId: tenants[0], alertIds } : { alertIds };
}

/** True when a Content-Type header value is JSON (`application/json`, any `+json`, with or without parameters). */
export function isJsonContentType(value: string | string[] | undefined): boolean {
  if (typeof value !== 'string') return false;
  const mediaType = value.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

interface Collected {
  alertIds: string[];
  tenantIds: string[];
}

/** Picks the shape by its distinguishing field and validates it with that shape's schema. */
function collect(json: unknown): Collected {
  if (Array.isArray(json)) return fromAlerts(parse(alertArraySchema, json), undefined);
  if (typeof json !== 'object' || json === null) throw invalid('notification body must be a JSON object or array');
  if ('value' in json) {
    const page = parse(pageBodySchema, json);
    return fromAlerts(page.value, page.tenantId, 'value');
  }
  if ('alertId' in json || 'alertIds' in json) {
    const body = parse(idsBodySchema, json);
    return {
      alertIds: [...(body.alertId !== undefined ? [body.alertId] : []), ...(body.alertIds ?? [])],
      tenantIds: body.tenantId !== undefined ? [body.tenantId] : [],
    };
  }
  if ('id' in json) return fromAlerts([parse(alertBodySchema, json)], undefined);
  throw invalid('notification body has none of alertId, alertIds, id (a Defender alert) or value (a list of alerts)');
}

function fromAlerts(
  alerts: Array<z.infer<typeof alertBodySchema>>,
  topTenantId: string | undefined,
  path?: string,
): Collected {
  if (alerts.length === 0) throw invalid(`${path ?? 'notification'} has no alert`);
  return {
    alertIds: alerts.map((alert) => alert.id),
    tenantIds: [
      ...(topTenantId !== undefined ? [topTenantId] : []),
      ...alerts.flatMap((alert) => (typeof alert.aadTenantId === 'string' ? [alert.aadTenantId] : [])),
    ],
  };
}

/** Validates with zod; the first issues become `path: rule` (zod's messages name types and rules, not values). */
function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const { issues } = result.error;
  const named = issues.slice(0, 3).map((issue) => `${pathOf(issue.path)}: ${ruleOf(issue)}`);
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  throw invalid(`invalid notification: ${named.join('; ')}${more}`);
}

/** `alertIds[3]`, `value[0].id`; paths hold schema field names and indexes only, never the sender's own keys. */
function pathOf(path: PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    text += typeof segment === 'number' ? `[${segment}]` : `${text.length > 0 ? '.' : ''}${String(segment)}`;
  }
  return text.length > 0 ? text : '(body)';
}

function ruleOf(issue: z.core.$ZodIssue): string {
  return issue.code === 'invalid_type' ? `expected ${issue.expected}` : issue.message;
}

function invalid(message: string, cause?: unknown): AppError {
  return new AppError('invalidInput', message, {}, cause !== undefined ? { cause } : undefined);
}
