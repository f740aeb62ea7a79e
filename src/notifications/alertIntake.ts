import { z } from 'zod';
import type { Alert } from '../defender/schemas';
import { alertSchema } from '../defender/schemas';
import { AppError, isAppError } from '../errors';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import { KeyedMutex } from '../storage/keyedMutex';
import type { Storage } from '../storage/storage';
import { readItem, updateItem } from '../storage/updateItem';
import type { AlertBook, AlertBookEntry } from './alertBook';
import { forBook } from './alertBook';
import { matchesFilter } from './alertFilter';
import type { Outbox } from './conversationOutbox';
import { hasWork, isNewer, newOutbox, outboxKey, parseOutbox, prune, readdressed } from './conversationOutbox';
import type { ConversationKey } from './deliveryDispatcher';
import type { NotifiedAlert } from './graphAlerts';
import type { SubscriptionStore } from './subscriptionStore';
import { isSnoozed } from './subscriptionStore';
import type { Subscription } from './subscriptionTypes';
import { isFollowing } from './subscriptionTypes';

/** What the intake needs around it. */
export interface AlertIntakeOptions {
  subscriptions: SubscriptionStore;
  book: AlertBook;
  storage: Storage;
  /** The tags of an alert's device (application identity, cached); only asked when a filter uses tags. */
  machineTags(tenantId: string, machineId: string): Promise<string[]>;
  /** Tells delivery that a conversation has cards to post or update. */
  wake(conversation: ConversationKey): void;
  now: () => Date;
  logger: Logger;
}

/** What one ingest did. */
export interface IntakeResult {
  /** Alerts already known at this version (overlapping polls, repeated pushes). */
  unchanged: number;
  /** Alert versions taken in. */
  ingested: number;
  /** Conversations that got work. */
  conversations: number;
  /** Alerts set aside, durably, for a later try (their device's tags could not be read for a tag filter). */
  deferred: number;
}

/** Alerts set aside because their device's tags could not be read, with when that first happened. */
const deferredSchema = z.object({
  alerts: z.record(z.string(), z.object({ alert: alertSchema, since: z.string() })),
});
type DeferredAlerts = z.infer<typeof deferredSchema>;

/** Defender alert ids (the cards' buttons carry them, so nothing else gets in). */
const ALERT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** An alert whose device tags cannot be read waits at most this long (from the first try) before matching without. */
const MAX_DEFER_MS = 30 * 60_000;
/** Alerts set aside at most, per tenant; beyond, an alert whose tags cannot be read is matched without them. */
const MAX_DEFERRED = 1000;
/** Outbox writes run this many at a time. */
const WRITE_CONCURRENCY = 16;

/**
 * Turns alert versions (from the poller or a push) into per-conversation work, durably, before anything is
 * sent. Order makes it crash-safe: the alert is recorded, then every conversation's outbox is updated, and only
 * then is the version marked ingested — a crash in between re-runs the same idempotent steps next time, so an
 * alert is neither lost nor queued twice. Alerts of one tenant are taken in one batch at a time.
 */
export class AlertIntake {
  private readonly perTenant = new KeyedMutex();

  constructor(private readonly options: AlertIntakeOptions) {}

  /**
   * Takes in again the alerts set aside for their device tags (the poller calls this each round): each is
   * matched once its tags can be read, or without them once it has waited MAX_DEFER_MS.
   */
  async retryDeferred(tenantId: string): Promise<IntakeResult | undefined> {
    const waiting = await readItem(this.options.storage, deferredKey(tenantId), parseDeferred);
    const alerts = Object.values(waiting?.alerts ?? {}).map((d) => d.alert);
    return alerts.length === 0 ? undefined : this.ingest(tenantId, alerts);
  }

  /**
   * The tags of an alert's device when a tag subscription could match it ([] when none could, or the device is
   * gone or not readable for good); 'deferred' when Defender could not answer just now (for MAX_DEFER_MS from the
   * first time, and while there is room to keep it).
   */
  private async tagsFor(
    tenantId: string,
    alert: Alert,
    subscriptions: Subscription[],
    targets: Map<string, string>,
    now: Date,
    deferred: DeferredAlerts,
  ): Promise<string[] | 'deferred'> {
    const couldMatch = subscriptions.some(
      (s) =>
        s.filter.tag !== undefined &&
        !targets.has(s.conversationId) &&
        matchesFilter(alert, { ...s.filter, tag: undefined }, { machineTags: [] }),
    );
    if (!couldMatch || !alert.machineId) return [];
    try {
      return await this.options.machineTags(tenantId, alert.machineId);
    } catch (err) {
      const transient = isAppError(err, 'rateLimited', 'upstreamUnavailable', 'timeout');
      const since = deferred.alerts[alert.id]?.since;
      const waited = since === undefined ? 0 : now.getTime() - Date.parse(since);
      const room = since !== undefined || Object.keys(deferred.alerts).length < MAX_DEFERRED;
      if (transient && waited < MAX_DEFER_MS && room) {
        this.options.logger.warn({ alertId: alert.id, err: serializeError(err) }, 'device tags unavailable; deferred');
        return 'deferred';
      }
      this.options.logger.warn(
        { alertId: alert.id, err: serializeError(err) },
        'device tags unreadable; matched without them',
      );
      return [];
    }
  }

  /** Keeps the alerts set aside in this batch (since their first time) and forgets the rest of the batch's. */
  private async recordDeferred(tenantId: string, seen: string[], setAside: Map<string, Alert>, now: Date) {
    await updateItem(this.options.storage, deferredKey(tenantId), parseDeferred, (current) => {
      const alerts = { ...(current?.alerts ?? {}) };
      let changed = false;
      for (const id of seen) {
        const aside = setAside.get(id);
        if (aside) {
          alerts[id] = { alert: forBook(aside), since: alerts[id]?.since ?? now.toISOString() };
          changed = true;
        } else if (alerts[id]) {
          delete alerts[id];
          changed = true;
        }
      }
      return changed ? { alerts } : current;
    });
  }

  /** Takes in a batch of alerts of one tenant. */
  ingest(tenantId: string, alerts: NotifiedAlert[]): Promise<IntakeResult> {
    return this.perTenant.run(tenantId.toLowerCase(), () => this.ingestBatch(tenantId, alerts));
  }

  private async ingestBatch(tenantId: string, batch: NotifiedAlert[]): Promise<IntakeResult> {
    const { subscriptions, book, now, logger } = this.options;
    const result: IntakeResult = { unchanged: 0, ingested: 0, conversations: 0, deferred: 0 };
    const record = await subscriptions.read(tenantId);
    const time = now();
    const deferred = (await readItem(this.options.storage, deferredKey(tenantId), parseDeferred)) ?? { alerts: {} };
    const setAside = new Map<string, Alert>();
    const latest = new Map<string, NotifiedAlert>();
    for (const alert of batch) {
      if (!ALERT_ID.test(alert.id)) {
        logger.warn({ idLength: alert.id.length }, 'alert with an unexpected id format skipped');
        continue;
      }
      const seen = latest.get(alert.id);
      if (!seen || isNewer(versionOf(alert), versionOf(seen))) latest.set(alert.id, alert);
    }

    // Which alert versions are new, and which conversations each one concerns.
    const fresh: { alert: NotifiedAlert; entry: AlertBookEntry | undefined; targets: Map<string, string> }[] = [];
    // Alerts held back only by a snooze: recorded as seen, so the next poll's overlap re-read does not post them
    // after `resume alerts` (a later change of the alert is news and is posted).
    const heldBySnooze = new Set<string>();
    // Personal chats are matched by severity only (notices come from an identity that sees every device): a
    // narrower personal subscription, however it was stored, matches nothing.
    const matchable = record.subscriptions.filter((s) => {
      if (!isFollowing(s.filter, 'alerts')) return false;
      const narrow = (s.filter.deviceGroup ?? s.filter.tag ?? s.filter.category) !== undefined;
      return !(narrow && record.conversations[s.conversationId]?.kind === 'personal');
    });
    for (const alert of latest.values()) {
      const entry = await book.get(tenantId, alert.id);
      if (entry?.ingested !== undefined && !isNewer(versionOf(alert), entry.ingested)) {
        result.unchanged++;
        continue;
      }
      // conversation → subscription; an empty subscription updates a card already there but posts none.
      const targets = new Map<string, string>();
      for (const conversationId of entry?.conversations ?? []) targets.set(conversationId, '');
      const tags = await this.tagsFor(tenantId, alert, matchable, targets, time, deferred);
      if (tags === 'deferred') {
        result.deferred++;
        setAside.set(alert.id, alert);
        continue;
      }
      for (const subscription of matchable) {
        if (targets.has(subscription.conversationId)) continue;
        if (!matchesFilter(alert, subscription.filter, { machineTags: tags })) continue;
        // A resolved alert gets no new card, but still updates one the book has forgotten showing.
        if (alert.status === 'Resolved') targets.set(subscription.conversationId, '');
        else if (!isSnoozed(record, subscription.conversationId, time))
          targets.set(subscription.conversationId, subscription.id);
        else heldBySnooze.add(alert.id);
      }
      fresh.push({ alert, entry, targets });
    }
    // The set-aside record changes only when this batch sets an alert aside or settles one it held.
    if (setAside.size > 0 || [...latest.keys()].some((id) => deferred.alerts[id]))
      await this.recordDeferred(tenantId, [...latest.keys()], setAside, time);
    if (fresh.length === 0) return result;

    // 1. The alert's latest version, so cards can be rendered from it (alerts no conversation shows stay out, so
    //    the book's room goes to alerts that have cards).
    //    The conversations about to get a card are recorded already, so the entry holds its place in the book.
    await book.update(tenantId, (alerts) => {
      for (const { alert, targets } of fresh) {
        if (targets.size === 0 && !alerts[alert.id] && !heldBySnooze.has(alert.id)) continue;
        const entry = alerts[alert.id];
        const conversations = new Set([...(entry?.conversations ?? []), ...shownIn(targets)]);
        const { serviceSource, ...mde } = alert;
        alerts[alert.id] = {
          ...entry,
          conversations: [...conversations],
          alert: forBook(mde),
          ...(serviceSource === undefined ? {} : { serviceSource }),
        };
      }
      return alerts;
    });

    // 2. Each conversation's outbox.
    const work = new Map<string, { alertId: string; version: string; subscriptionId: string }[]>();
    for (const { alert, targets } of fresh)
      for (const [conversationId, subscriptionId] of targets)
        work.set(conversationId, [
          ...(work.get(conversationId) ?? []),
          { alertId: alert.id, version: versionOf(alert), subscriptionId },
        ]);
    const queue = [...work.entries()];
    const woken: string[] = [];
    await Promise.all(
      Array.from({ length: Math.min(WRITE_CONCURRENCY, queue.length) }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const [conversationId, items] = next;
          const target = record.conversations[conversationId];
          const subscriber = record.subscriptions.find((s) => s.conversationId === conversationId)?.teamsUserId;
          const outbox = await updateItem(
            this.options.storage,
            outboxKey(tenantId, conversationId),
            parseOutbox,
            (current) => enqueue({ tenantId, conversationId, current, items, target, subscriber, now: time }),
          );
          if (outbox && hasWork(outbox)) woken.push(conversationId);
        }
      }),
    );

    // 3. Only now is each version ingested: a crash before this line repeats steps 1-2, which are idempotent.
    await book.update(tenantId, (alerts) => {
      for (const { alert, targets } of fresh) {
        const entry = alerts[alert.id];
        if (!entry) continue;
        const conversations = new Set([...entry.conversations, ...shownIn(targets)]);
        alerts[alert.id] = { ...entry, conversations: [...conversations], ingested: versionOf(alert) };
      }
      return alerts;
    });
    result.ingested = fresh.length;
    result.conversations = woken.length;
    for (const conversationId of woken) this.options.wake({ tenantId, conversationId });
    return result;
  }
}

/** Conversations a target map gives a card of their own (not the update-only ones). */
function shownIn(targets: Map<string, string>): string[] {
  return [...targets].filter(([, subscriptionId]) => subscriptionId !== '').map(([id]) => id);
}

/**
 * Adds alert versions to one outbox, creating it for a subscribed conversation. A newer version of a queued or
 * shown alert raises what its card (or digest) should show; undefined when nothing changes.
 */
function enqueue(input: {
  tenantId: string;
  conversationId: string;
  current: Outbox | undefined;
  items: { alertId: string; version: string; subscriptionId: string }[];
  target: { kind: Outbox['kind']; address: unknown } | undefined;
  subscriber: string | undefined;
  now: Date;
}): Outbox | undefined {
  const { tenantId, conversationId, current, items, target, subscriber, now } = input;
  let outbox = current;
  if (!outbox) {
    if (!target) return undefined; // no outbox and no longer subscribed: nothing to show there
    outbox = newOutbox({ tenantId, conversationId, target, subscriber });
  }
  // The conversation's address may have moved (a new service URL).
  if (target) outbox = readdressed(outbox, target);
  let changed = outbox !== current;
  const alerts = { ...outbox.alerts };
  const digests = { ...outbox.digests };
  for (const item of items) {
    const existing = alerts[item.alertId];
    if (existing) {
      if (!isNewer(item.version, existing.wanted)) continue;
      alerts[item.alertId] = { ...existing, wanted: item.version };
      const digest = existing.digestId === undefined ? undefined : digests[existing.digestId];
      if (digest && existing.digestId !== undefined)
        digests[existing.digestId] = { ...digest, version: digest.version + 1 };
      changed = true;
    } else if (item.subscriptionId !== '') {
      alerts[item.alertId] = { wanted: item.version, subscriptionId: item.subscriptionId, queuedAt: now.toISOString() };
      changed = true;
    }
  }
  return changed ? prune({ ...outbox, alerts, digests }, now) : undefined;
}

function deferredKey(tenantId: string): string {
  return `notify/${tenantId.toLowerCase()}/deferred`;
}

function parseDeferred(raw: unknown): DeferredAlerts {
  const parsed = deferredSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('internal', 'stored deferred alerts do not parse');
  return parsed.data;
}

/** The version of an alert: its lastUpdateTime (creation time for an alert never updated). */
export function versionOf(alert: Alert): string {
  return alert.lastUpdateTime ?? alert.alertCreationTime;
}
