import { z } from 'zod';
import { AppError } from '../errors';

/*
 * One durable record per conversation: which alerts it should show, which version of each its card shows,
 * and where that card is. "Deliver" means bring every card up to the version wanted; because the record says
 * what each card already shows, re-ingesting an alert (overlapping polls, a webhook repeating the poller, a
 * restart) never posts it twice.
 */

/**
 * Who is posting a card, recorded (conditionally) before the Teams request: of several instances exactly one
 * posts it. A claim still there when its instance is gone means the post was interrupted — it may or may not
 * have reached Teams, which offers no way to ask — and the card is posted again, marked `reposted`.
 */
const postClaimSchema = z.object({ by: z.string(), at: z.string() });

/** A post claim as stored. */
export type PostClaim = z.infer<typeof postClaimSchema>;

const alertEntrySchema = z.object({
  /** lastUpdateTime of the newest version the conversation should show. */
  wanted: z.string(),
  /** lastUpdateTime of the version its card shows; absent until posted. */
  shown: z.string().optional(),
  /** The card's message, once posted, and its thread (channels). */
  activityId: z.string().optional(),
  threadId: z.string().optional(),
  /** The digest card the alert is listed in, instead of a card of its own. */
  digestId: z.string().optional(),
  /** The subscription that brought the alert here (for the card's footer). */
  subscriptionId: z.string(),
  queuedAt: z.string(),
  /** Set when Teams refused the card for good (e.g. too large): never retried. */
  dropped: z.boolean().optional(),
  /** The claim of the instance posting the card, written before the post (see `PostClaim`). */
  posting: postClaimSchema.optional(),
  /** Set when the card was posted again after an interrupted post: it may show twice in Teams. */
  reposted: z.boolean().optional(),
});

const digestSchema = z.object({
  alertIds: z.array(z.string()),
  openedAt: z.string(),
  /** Bumped whenever the digest must be re-rendered (an alert added or changed). */
  version: z.number().int(),
  shownVersion: z.number().int(),
  activityId: z.string().optional(),
  threadId: z.string().optional(),
  posting: postClaimSchema.optional(),
  reposted: z.boolean().optional(),
});

/**
 * What an incident card shows, kept per conversation: comparing the view wanted with the view shown is how an
 * update that changes nothing visible is never sent (a comment, a tag, a new alert already counted).
 */
export const incidentViewSchema = z.object({
  title: z.string(),
  severity: z.string(),
  status: z.string(),
  assignedTo: z.string().nullable(),
  alertCount: z.number().int().min(0),
  createdDateTime: z.string(),
});

/** What an incident card shows. */
export type IncidentView = z.infer<typeof incidentViewSchema>;

const incidentEntrySchema = z.object({
  /** lastUpdateDateTime of the newest incident version read: an older or equal one changes nothing. */
  version: z.string(),
  wanted: incidentViewSchema,
  /** What the card shows; absent until posted (or equal to `wanted` when held back by a snooze). */
  shown: incidentViewSchema.optional(),
  activityId: z.string().optional(),
  threadId: z.string().optional(),
  subscriptionId: z.string(),
  queuedAt: z.string(),
  dropped: z.boolean().optional(),
  posting: postClaimSchema.optional(),
  reposted: z.boolean().optional(),
});

/** Stored form of a conversation's outbox. */
export const outboxSchema = z.object({
  tenantId: z.string(),
  conversationId: z.string(),
  kind: z.enum(['personal', 'groupChat', 'channel']),
  address: z.unknown(),
  teamsUserId: z.string().optional(),
  alerts: z.record(z.string(), alertEntrySchema),
  digests: z.record(z.string(), digestSchema),
  /** One card per incident, updated in place as it grows (absent in outboxes written before incidents). */
  incidents: z.record(z.string(), incidentEntrySchema).optional(),
  /** When new cards (alerts or digests) were posted recently: the burst detector. */
  recentPosts: z.array(z.string()),
});

/** A conversation's outbox. */
export type Outbox = z.infer<typeof outboxSchema>;
/** One alert in an outbox. */
export type OutboxAlert = z.infer<typeof alertEntrySchema>;
/** One digest card in an outbox. */
export type OutboxDigest = z.infer<typeof digestSchema>;
/** One incident card in an outbox. */
export type OutboxIncident = z.infer<typeof incidentEntrySchema>;

/** A new, empty outbox for a subscribed conversation. */
export function newOutbox(input: {
  tenantId: string;
  conversationId: string;
  target: { kind: Outbox['kind']; address: unknown };
  subscriber: string | undefined;
}): Outbox {
  return {
    tenantId: input.tenantId,
    conversationId: input.conversationId,
    kind: input.target.kind,
    address: input.target.address,
    ...(input.subscriber === undefined ? {} : { teamsUserId: input.subscriber }),
    alerts: {},
    digests: {},
    recentPosts: [],
  };
}

/** The outbox with the conversation's current address (a new service URL), or the same object when unchanged. */
export function readdressed(outbox: Outbox, target: { address: unknown }): Outbox {
  return JSON.stringify(target.address) === JSON.stringify(outbox.address)
    ? outbox
    : { ...outbox, address: target.address };
}

/**
 * The part of an incident view a conversation's card shows: a personal notice shows severity and status only
 * (the rest is the person's own view, on refresh), so a new alert or an owner changes nothing on it.
 */
export function visibleView(kind: Outbox['kind'], view: IncidentView): Partial<IncidentView> {
  return kind === 'personal' ? { severity: view.severity, status: view.status } : view;
}

/** True when an incident's card must be posted or updated: what it should show differs from what it shows. */
export function incidentNeedsWork(kind: Outbox['kind'], entry: OutboxIncident): boolean {
  if (entry.dropped) return false;
  if (!entry.shown) return true;
  return JSON.stringify(visibleView(kind, entry.wanted)) !== JSON.stringify(visibleView(kind, entry.shown));
}

/** Storage key of a conversation's outbox. */
export function outboxKey(tenantId: string, conversationId: string): string {
  return `notify/${tenantId.toLowerCase()}/outbox/${conversationId}`;
}

/** Parses a stored outbox; a record that does not parse is an error, never silently replaced. */
export function parseOutbox(raw: unknown): Outbox {
  const parsed = outboxSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('internal', 'stored notification outbox does not parse');
  return parsed.data;
}

/** True when `a` is a later Defender timestamp than `b` (absent = earliest). */
export function isNewer(a: string, b: string | undefined): boolean {
  return b === undefined || Date.parse(a) > Date.parse(b);
}

/** The next piece of work of an outbox, in order: digest re-renders, card updates, then new cards, oldest first. */
export type OutboxWork =
  | { kind: 'digest'; digestId: string }
  | { kind: 'update'; alertId: string }
  | { kind: 'post'; alertId: string }
  | { kind: 'incidentUpdate'; incidentId: string }
  | { kind: 'incidentPost'; incidentId: string };

/** True when the work posts a new card (as opposed to updating one posted before). */
export function isNewCard(work: OutboxWork): boolean {
  return work.kind === 'post' || work.kind === 'incidentPost';
}

/** What to do next in this conversation, or undefined when every card is up to date. */
export function nextWork(outbox: Outbox): OutboxWork | undefined {
  for (const [digestId, digest] of Object.entries(outbox.digests))
    if (digest.shownVersion < digest.version) return { kind: 'digest', digestId };
  // Incidents before alerts: one card that grows is the summary a SOC reads first.
  const incidents = Object.entries(outbox.incidents ?? {})
    .filter(([, i]) => incidentNeedsWork(outbox.kind, i))
    .sort((x, y) => Date.parse(x[1].queuedAt) - Date.parse(y[1].queuedAt));
  const incidentUpdate = incidents.find(([, i]) => i.activityId !== undefined);
  if (incidentUpdate) return { kind: 'incidentUpdate', incidentId: incidentUpdate[0] };
  if (incidents[0]) return { kind: 'incidentPost', incidentId: incidents[0][0] };
  const pending = Object.entries(outbox.alerts)
    .filter(([, a]) => !a.dropped && a.digestId === undefined && isNewer(a.wanted, a.shown))
    .sort((x, y) => Date.parse(x[1].queuedAt) - Date.parse(y[1].queuedAt));
  const update = pending.find(([, a]) => a.activityId !== undefined);
  if (update) return { kind: 'update', alertId: update[0] };
  const post = pending[0];
  return post ? { kind: 'post', alertId: post[0] } : undefined;
}

/** True when the conversation has any card to post or update. */
export function hasWork(outbox: Outbox): boolean {
  return nextWork(outbox) !== undefined;
}

/** Limits that keep an outbox small: entries whose card is current and older than this are dropped. */
export const OUTBOX_RETENTION_MS = 7 * 24 * 3_600_000;
/** And never more than this many alerts per conversation (oldest settled ones go first). */
export const OUTBOX_MAX_ALERTS = 500;

/** Drops settled entries beyond the retention limits (their cards stay in Teams; a later change posts anew). */
export function prune(outbox: Outbox, now: Date): Outbox {
  const settled = (a: OutboxAlert) => a.dropped === true || (a.shown !== undefined && !isNewer(a.wanted, a.shown));
  // Age counts from the alert's last change, so a card updated yesterday keeps being updated.
  const lastChange = (a: OutboxAlert) => Math.max(Date.parse(a.queuedAt), Date.parse(a.wanted) || 0);
  const horizon = now.getTime() - OUTBOX_RETENTION_MS;
  let entries = Object.entries(outbox.alerts).filter(([, a]) => !settled(a) || lastChange(a) > horizon);
  if (entries.length > OUTBOX_MAX_ALERTS) {
    const removable = entries.filter(([, a]) => settled(a)).sort((x, y) => lastChange(x[1]) - lastChange(y[1]));
    const drop = new Set(removable.slice(0, entries.length - OUTBOX_MAX_ALERTS).map(([id]) => id));
    entries = entries.filter(([id]) => !drop.has(id));
  }
  const alerts = Object.fromEntries(entries);
  const digests = Object.fromEntries(
    Object.entries(outbox.digests).filter(
      ([digestId, d]) => d.shownVersion < d.version || Object.values(alerts).some((a) => a.digestId === digestId),
    ),
  );
  const recentPosts = outbox.recentPosts.filter((t) => Date.parse(t) > now.getTime() - 3_600_000);
  if (!outbox.incidents) return { ...outbox, alerts, digests, recentPosts };
  // Incidents: the same retention, counted from the incident's last change; settled ones go first past the cap.
  const incidentChange = (i: OutboxIncident) => Math.max(Date.parse(i.queuedAt), Date.parse(i.version) || 0);
  const incidentSettled = (i: OutboxIncident) => !incidentNeedsWork(outbox.kind, i);
  let incidents = Object.entries(outbox.incidents).filter(
    ([, i]) => !incidentSettled(i) || incidentChange(i) > horizon,
  );
  if (incidents.length > OUTBOX_MAX_ALERTS) {
    const removable = incidents
      .filter(([, i]) => incidentSettled(i))
      .sort((x, y) => incidentChange(x[1]) - incidentChange(y[1]));
    const drop = new Set(removable.slice(0, incidents.length - OUTBOX_MAX_ALERTS).map(([id]) => id));
    incidents = incidents.filter(([id]) => !drop.has(id));
  }
  return { ...outbox, alerts, digests, incidents: Object.fromEntries(incidents), recentPosts };
}
