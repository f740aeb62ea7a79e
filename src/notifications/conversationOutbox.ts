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

/** Stored form of a conversation's outbox. */
export const outboxSchema = z.object({
  tenantId: z.string(),
  conversationId: z.string(),
  kind: z.enum(['personal', 'groupChat', 'channel']),
  address: z.unknown(),
  teamsUserId: z.string().optional(),
  alerts: z.record(z.string(), alertEntrySchema),
  digests: z.record(z.string(), digestSchema),
  /** When new cards (alerts or digests) were posted recently: the burst detector. */
  recentPosts: z.array(z.string()),
});

/** A conversation's outbox. */
export type Outbox = z.infer<typeof outboxSchema>;
/** One alert in an outbox. */
export type OutboxAlert = z.infer<typeof alertEntrySchema>;
/** One digest card in an outbox. */
export type OutboxDigest = z.infer<typeof digestSchema>;

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
  { kind: 'digest'; digestId: string } | { kind: 'update'; alertId: string } | { kind: 'post'; alertId: string };

/** What to do next in this conversation, or undefined when every card is up to date. */
export function nextWork(outbox: Outbox): OutboxWork | undefined {
  for (const [digestId, digest] of Object.entries(outbox.digests))
    if (digest.shownVersion < digest.version) return { kind: 'digest', digestId };
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
  return { ...outbox, alerts, digests, recentPosts };
}
