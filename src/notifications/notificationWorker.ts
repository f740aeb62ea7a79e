import { randomBytes } from 'node:crypto';
import type { Locale } from '../i18n/locale';
import type { Translator } from '../i18n/translator';
import { translatorFor } from '../i18n/translator';
import { SINGLE_INSTANCE } from '../background/membership';
import type { InstanceLiveness, TenantOwnership } from '../background/membership';
import {
  alertDigestSummary,
  alertNoticeSummary,
  alertNotificationSummary,
  toAlertDigestCard,
  toAlertNoticeCard,
  toAlertNotificationCard,
} from '../cards/alertNotificationCards';
import { toAlertNoticeDigestCard } from '../cards/alertNoticeDigestCard';
import { stampCard } from '../cards/customerStamp';
import { toSourcedAlertNoticeCard, toSourcedAlertPersonalNoticeCard } from '../cards/incidentNoticeAlertCards';
import {
  incidentNoticeSummary,
  toIncidentNoticeCard,
  toIncidentPersonalNoticeCard,
} from '../cards/incidentNoticeCards';
import type { AdaptiveCardJson } from '../cards/renderCard';
import type { Alert } from '../defender/schemas';
import { isAppError } from '../errors';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { Storage } from '../storage/storage';
import { DELETE_ITEM, readItem, updateItem } from '../storage/updateItem';
import type { AlertBook } from './alertBook';
import { describeFilter } from './alertFilter';
import type { Outbox, OutboxAlert, OutboxDigest, OutboxIncident, OutboxWork } from './conversationOutbox';
import { hasWork, isNewCard, isNewer, nextWork, outboxKey, parseOutbox, prune } from './conversationOutbox';
import type { ConversationKey, StepResult } from './deliveryDispatcher';
import type { NotifiedAlert } from './graphAlerts';
import { MDE_SERVICE_SOURCE } from './graphAlerts';
import type { NotificationSender, SendResult } from './notificationSender';
import type { SubscriptionStore } from './subscriptionStore';
import { isSnoozed } from './subscriptionStore';
import type { Subscription } from './subscriptionTypes';

/** Bursts: more than `threshold` new cards in `windowMs` in one conversation turn into one digest card. */
export interface DigestPolicy {
  threshold: number;
  windowMs: number;
}

/** What the worker needs around it. */
export interface NotificationWorkerOptions {
  storage: Storage;
  book: AlertBook;
  subscriptions: SubscriptionStore;
  sender: NotificationSender;
  digest: DigestPolicy;
  /** Reads an alert the book no longer holds (application identity). */
  fetchAlert(tenantId: string, alertId: string): Promise<Alert>;
  /** Forgets a conversation Teams says is gone: subscriptions, installation, outbox. */
  retire(conversation: ConversationKey): Promise<void>;
  /** Several instances: only the tenant's owner delivers, and a post is claimed first (default: one instance). */
  ownership?: DeliveryOwnership;
  /**
   * Partner context: the customer's name for a tenant that is one (its cards name it), undefined for the
   * provider's own tenant; absent = no customers.
   */
  customerNameOf?: (tenantId: string) => Promise<string | undefined>;
  /** The language a conversation's cards speak (ConversationLanguageStore.languageOf); English when absent. */
  languageOf?: (conversationId: string) => Promise<Locale>;
  now: () => Date;
  logger: Logger;
}

/** Who delivers: this instance's id, whether it owns a tenant now, whether another instance is alive. */
export type DeliveryOwnership = TenantOwnership & InstanceLiveness;

/** How long a conversation waits when another live instance holds a post claim (a previous owner finishing). */
const CLAIM_WAIT_MS = 5_000;
/** A claim older than the longest lease (60 s) cannot be acted on any more by its instance. */
const CLAIM_EXPIRY_MS = 60_000;

/** A digest lists at most this many alerts; the next burst opens a new one. */
const DIGEST_CAPACITY = 100;
/** Work items settled without a Teams request in one step before the step yields. */
const MAX_SKIPS_PER_STEP = 50;

/**
 * One delivery step for one conversation: picks the next card to post or update from its outbox, renders it
 * from the alert book, makes exactly one Teams request, and records the outcome. The dispatcher decides when
 * steps run (Teams' limits, retries); the outbox decides what is left, so a step is safe to repeat.
 */
export class NotificationWorker {
  private readonly ownership: DeliveryOwnership;

  constructor(private readonly options: NotificationWorkerOptions) {
    this.ownership = options.ownership ?? SINGLE_INSTANCE;
  }

  /** Performs at most one Teams request for the conversation. */
  async step(conversation: ConversationKey): Promise<StepResult> {
    const key = outboxKey(conversation.tenantId, conversation.conversationId);
    for (let skips = 0; skips < MAX_SKIPS_PER_STEP; skips++) {
      // Another instance owns the tenant now (or this one lost it): its deliveries are that instance's.
      if (!this.ownership.owns(conversation.tenantId)) return { kind: 'idle' };
      const outbox = await readItem(this.options.storage, key, parseOutbox);
      if (!outbox) return { kind: 'idle' };
      let work = nextWork(outbox);
      if (!work) return { kind: 'idle' };
      // Unsubscribed or snoozed since the work was queued: what is not yet in Teams never gets there.
      const decidedAt = this.options.now().getTime();
      const stop = await this.withdrawal(conversation, outbox, work);
      if (stop) {
        await this.record(key, (o) => withdraw(o, stop, decidedAt));
        continue;
      }
      if (work.kind === 'post' && this.inBurst(outbox)) work = await this.gatherIntoDigest(key);
      if (!work) continue;
      const outcome = await this.perform(conversation, outbox, work);
      if (outcome === 'skipped') continue;
      return outcome;
    }
    return { kind: 'done', more: true };
  }

  private async perform(
    conversation: ConversationKey,
    outbox: Outbox,
    work: OutboxWork,
  ): Promise<StepResult | 'skipped'> {
    const key = outboxKey(conversation.tenantId, conversation.conversationId);
    if (work.kind === 'digest') {
      const digest = outbox.digests[work.digestId];
      if (!digest) return 'skipped';
      const alerts = (
        await Promise.all(digest.alertIds.map((id) => this.options.book.get(conversation.tenantId, id)))
      ).flatMap((entry) => (entry ? [entry.alert] : []));
      const subscription = await this.subscriptionOf(outbox, digest.alertIds[0]);
      const i18n = await this.translatorOf(conversation);
      const label = subscription ? describeFilter(subscription.filter, i18n) : i18n.t('notify.earlierSubscription');
      const window = windowLabel(this.options.digest.windowMs, i18n);
      // A personal chat gets counts only: the alerts were read with an identity that sees more than its owner.
      const card =
        outbox.kind === 'personal'
          ? toAlertNoticeDigestCard(
              {
                severities: alerts.map((a) => a.severity),
                windowLabel: window,
                subscription: label,
                subscribed: subscription?.filter.severities ?? ['High', 'Medium', 'Low'],
              },
              i18n,
            )
          : toAlertDigestCard({ alerts, now: this.options.now(), subscription: label, windowLabel: window }, i18n);
      // A personal chat's toast has counts only, as its card.
      const summary =
        outbox.kind === 'personal'
          ? i18n.t('card.notify.heading', { count: alerts.length, window })
          : alertDigestSummary(alerts, window, i18n);
      const result = await this.send(conversation, outbox, digest, { digestId: work.digestId }, card, summary);
      if (result === 'skipped' || !('ok' in result)) return result;
      return this.settle(conversation, key, result, work, (o, activityId, threadId) => {
        const current = o.digests[work.digestId];
        if (!current) return o;
        const posted = current.activityId === undefined;
        return {
          ...o,
          digests: {
            ...o.digests,
            [work.digestId]: {
              ...current,
              shownVersion: Math.max(current.shownVersion, digest.version),
              activityId: current.activityId ?? activityId,
              ...((current.threadId ?? threadId) ? { threadId: current.threadId ?? threadId } : {}),
              posting: undefined,
            },
          },
          recentPosts: posted ? [...o.recentPosts, this.options.now().toISOString()] : o.recentPosts,
        };
      });
    }

    if (work.kind === 'incidentUpdate' || work.kind === 'incidentPost')
      return this.performIncident(conversation, outbox, work);
    const entry = outbox.alerts[work.alertId];
    if (!entry) return 'skipped';
    const alert = await this.alertFor(conversation.tenantId, work.alertId);
    if (!alert) {
      await this.record(key, (o) => mark(o, work.alertId, { dropped: true }));
      return 'skipped';
    }
    const wanted = entry.wanted;
    if (outbox.kind === 'personal' && work.kind === 'update') {
      // A personal notice carries no alert content, so a newer version changes nothing on it.
      await this.record(key, (o) => mark(o, work.alertId, { shown: wanted }));
      return 'skipped';
    }
    let card: AdaptiveCardJson;
    const i18n = await this.translatorOf(conversation);
    try {
      card = this.render(outbox, alert, await this.label(outbox, work.alertId, i18n), i18n);
    } catch (err) {
      this.options.logger.error({ err: serializeError(err) }, 'notification card could not be rendered; dropping it');
      await this.record(key, (o) => mark(o, work.alertId, { dropped: true }));
      return 'skipped';
    }
    const summary =
      outbox.kind === 'personal' ? alertNoticeSummary(alert.severity, i18n) : alertNotificationSummary(alert, i18n);
    const result = await this.send(conversation, outbox, entry, { alertId: work.alertId }, card, summary);
    if (result === 'skipped' || !('ok' in result)) return result;
    return this.settle(conversation, key, result, work, (o, activityId, threadId) => {
      const current = o.alerts[work.alertId];
      if (!current) return o;
      const shown = current.shown === undefined || isNewer(wanted, current.shown) ? wanted : current.shown;
      const posted = current.activityId === undefined;
      return {
        ...mark(o, work.alertId, {
          shown,
          activityId: current.activityId ?? activityId,
          ...((current.threadId ?? threadId) ? { threadId: current.threadId ?? threadId } : {}),
          posting: undefined,
        }),
        recentPosts: posted ? [...o.recentPosts, this.options.now().toISOString()] : o.recentPosts,
      };
    });
  }

  /**
   * Posts an incident's one card in this conversation, or updates it in place with what the incident shows now.
   * The view rendered is recorded as shown; a newer one that arrived meanwhile is the next step's work.
   */
  private async performIncident(
    conversation: ConversationKey,
    outbox: Outbox,
    work: Extract<OutboxWork, { incidentId: string }>,
  ): Promise<StepResult | 'skipped'> {
    const key = outboxKey(conversation.tenantId, conversation.conversationId);
    const entry = outbox.incidents?.[work.incidentId];
    if (!entry) return 'skipped';
    const wanted = entry.wanted;
    const personal = outbox.kind === 'personal';
    let card: AdaptiveCardJson;
    const i18n = await this.translatorOf(conversation);
    try {
      const subscription = await this.describeSubscription(outbox, entry.subscriptionId, i18n);
      const input = { incidentId: work.incidentId, view: wanted, now: this.options.now(), subscription };
      card = personal
        ? toIncidentPersonalNoticeCard(
            { ...input, refreshUserIds: outbox.teamsUserId ? [outbox.teamsUserId] : [] },
            i18n,
          )
        : toIncidentNoticeCard(input, i18n);
    } catch (err) {
      this.options.logger.error({ err: serializeError(err) }, 'incident card could not be rendered; dropping it');
      await this.record(key, (o) => markIncident(o, work.incidentId, { dropped: true }));
      return 'skipped';
    }
    const summary = incidentNoticeSummary(work.incidentId, wanted, personal, i18n);
    const result = await this.send(conversation, outbox, entry, { incidentId: work.incidentId }, card, summary);
    if (result === 'skipped' || !('ok' in result)) return result;
    return this.settle(conversation, key, result, work, (o, activityId, threadId) => {
      const current = o.incidents?.[work.incidentId];
      if (!current) return o;
      const posted = current.activityId === undefined;
      return {
        ...markIncident(o, work.incidentId, {
          shown: wanted,
          activityId: current.activityId ?? activityId,
          ...((current.threadId ?? threadId) ? { threadId: current.threadId ?? threadId } : {}),
          posting: undefined,
        }),
        recentPosts: posted ? [...o.recentPosts, this.options.now().toISOString()] : o.recentPosts,
      };
    });
  }

  /**
   * One Teams request for one card: an update of the card posted before, or — once this instance holds the post
   * claim — a new post. A claim that is not ours comes back as the step's outcome.
   */
  private async send(
    conversation: ConversationKey,
    outbox: Outbox,
    posted: { activityId?: string | undefined; threadId?: string | undefined },
    target: ClaimTarget,
    unstamped: AdaptiveCardJson,
    summary: string,
  ): Promise<SendResult | StepResult | 'skipped'> {
    // Every notice says which tenant it is from; in an MSSP's channel, which customer (its buttons carry the tenant).
    const customerName = await this.options.customerNameOf?.(conversation.tenantId);
    const card = stampCard(
      unstamped,
      { id: conversation.tenantId, customerName },
      await this.translatorOf(conversation),
    );
    if (posted.activityId)
      return this.options.sender.update(
        outbox.address,
        { activityId: posted.activityId, threadId: posted.threadId },
        card,
        summary,
      );
    const key = outboxKey(conversation.tenantId, conversation.conversationId);
    const claim = await this.claimPost(conversation, key, target);
    if (claim !== 'go') return claim;
    return this.options.sender.post(outbox.address, card, summary);
  }

  /**
   * Claims a card's post for this instance before the Teams request (a conditional write): 'go' when the claim is
   * ours; a retry later while another live instance holds it; 'skipped' when the card was posted meanwhile. A
   * claim left by an instance that is gone means its post was interrupted — Teams may or may not have the card,
   * and cannot be asked — so it is posted again and marked `reposted` (at least once: a lost alert is worse
   * than one shown twice). Checked last: the tenant is still this instance's (fencing).
   */
  private async claimPost(
    conversation: ConversationKey,
    key: string,
    target: ClaimTarget,
  ): Promise<'go' | 'skipped' | StepResult> {
    const me = this.ownership.instanceId;
    const entryOf = (o: Outbox) => claimed(o, target);
    const seen = await readItem(this.options.storage, key, parseOutbox);
    const before = seen && entryOf(seen);
    if (!before || before.activityId) return 'skipped';
    const claim = before.posting;
    const interrupted = claim !== undefined && claim.by !== me;
    // A live instance's claim is waited for until it is older than any lease: by then that instance can no longer
    // post (it fences on its lease), so the claim is as good as interrupted.
    const fresh = claim !== undefined && this.options.now().getTime() - Date.parse(claim.at) < CLAIM_EXPIRY_MS;
    if (interrupted && fresh && (await this.ownership.isAlive(claim.by).catch(() => true))) {
      return { kind: 'retry', retryAfterMs: CLAIM_WAIT_MS };
    }
    let verdict: 'go' | 'skipped' | 'changed' = 'skipped';
    const at = this.options.now().toISOString();
    await this.record(key, (o) => {
      const current = entryOf(o);
      if (!current || current.activityId) return o;
      if (current.posting?.by !== claim?.by || current.posting?.at !== claim?.at) {
        verdict = 'changed';
        return o;
      }
      verdict = 'go';
      return markClaimed(o, target, { posting: { by: me, at }, ...(interrupted ? { reposted: true } : {}) });
    });
    const decided = verdict as 'go' | 'skipped' | 'changed'; // assigned inside the mutation
    if (decided === 'changed') return { kind: 'retry', retryAfterMs: CLAIM_WAIT_MS };
    if (decided === 'go' && interrupted) {
      this.options.logger.warn(
        { conversationId: conversation.conversationId, previousInstance: claim.by },
        'a card whose post was interrupted by a lost instance is posted again; it may show twice',
      );
    }
    if (decided === 'go' && !this.ownership.owns(conversation.tenantId)) {
      // Lost the tenant between the claim and the post: nothing was posted, so the claim goes (the new owner
      // would otherwise wait for it and then count the card as possibly doubled).
      await this.record(key, (o) => {
        const current = entryOf(o);
        if (!current || current.posting?.by !== me || current.posting.at !== at) return o;
        // An undefined field is not stored (JSON).
        return markClaimed(o, target, { posting: undefined });
      });
      return { kind: 'idle' };
    }
    return decided;
  }

  /** Records a request's outcome and tells the dispatcher what happened. */
  private async settle(
    conversation: ConversationKey,
    key: string,
    result: SendResult,
    work: OutboxWork,
    onSuccess: (outbox: Outbox, activityId: string, threadId: string | undefined) => Outbox,
  ): Promise<StepResult> {
    const { logger } = this.options;
    if (result.ok) {
      const saved = await this.record(key, (o) => onSuccess(o, result.activityId, result.threadId));
      return { kind: 'done', more: saved ? hasWork(saved) : false };
    }
    switch (result.failure) {
      case 'transient':
        return {
          kind: 'retry',
          ...(result.status === undefined ? {} : { status: result.status }),
          ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
        };
      case 'gone':
        if (!isNewCard(work) && result.status === 404) {
          // The message was deleted (the conversation is still there): forget that card, do not post it again.
          logger.debug({ status: result.status, work: work.kind }, 'notification card gone; forgetting it');
          const saved = await this.record(key, (o) => forgetCard(o, work));
          return { kind: 'done', more: saved ? hasWork(saved) : false };
        }
        logger.info({ status: result.status }, 'conversation gone; retiring its subscriptions');
        await this.options.retire(conversation);
        return { kind: 'gone' };
      case 'rejected': {
        logger.error({ status: result.status, work: work.kind }, 'Teams refused a notification card; dropping it');
        const saved = await this.record(key, (o) => forgetCard(o, work, true));
        return { kind: 'done', more: saved ? hasWork(saved) : false };
      }
    }
  }

  /** The translator for a conversation's background cards: its configured language, English by default. */
  private async translatorOf(conversation: ConversationKey): Promise<Translator> {
    const languageOf = this.options.languageOf;
    return translatorFor(languageOf ? await languageOf(conversation.conversationId) : 'en');
  }

  private render(outbox: Outbox, alert: NotifiedAlert, subscription: string, i18n: Translator): AdaptiveCardJson {
    const now = this.options.now();
    const { serviceSource } = alert;
    if (serviceSource !== undefined && serviceSource !== MDE_SERVICE_SOURCE) {
      // Another Defender source: the MDE API does not know the alert; its card opens its incident instead.
      const input = { alert, serviceSource, now, subscription };
      return outbox.kind === 'personal'
        ? toSourcedAlertPersonalNoticeCard(
            { ...input, refreshUserIds: outbox.teamsUserId ? [outbox.teamsUserId] : [] },
            i18n,
          )
        : toSourcedAlertNoticeCard(input, i18n);
    }
    if (outbox.kind === 'personal') {
      return toAlertNoticeCard(
        {
          alertId: alert.id,
          severity: alert.severity,
          createdTime: alert.alertCreationTime,
          now,
          subscription,
          refreshUserIds: outbox.teamsUserId ? [outbox.teamsUserId] : [],
        },
        i18n,
      );
    }
    return toAlertNotificationCard({ alert, now, subscription }, i18n);
  }

  /** The subscription that brought an alert here (undefined once it was removed). */
  private async subscriptionOf(outbox: Outbox, alertId: string | undefined): Promise<Subscription | undefined> {
    const subscriptionId = alertId === undefined ? undefined : outbox.alerts[alertId]?.subscriptionId;
    const mine = await this.options.subscriptions.forConversation(outbox.tenantId, outbox.conversationId);
    return mine.find((s) => s.id === subscriptionId);
  }

  /** The subscription that brought an alert here, in words. */
  private label(outbox: Outbox, alertId: string | undefined, i18n: Translator): Promise<string> {
    return this.describeSubscription(
      outbox,
      alertId === undefined ? undefined : outbox.alerts[alertId]?.subscriptionId,
      i18n,
    );
  }

  /** A subscription of this conversation in words ("an earlier subscription" once it was removed). */
  private async describeSubscription(
    outbox: Outbox,
    subscriptionId: string | undefined,
    i18n: Translator,
  ): Promise<string> {
    const mine = await this.options.subscriptions.forConversation(outbox.tenantId, outbox.conversationId);
    const subscription = mine.find((s) => s.id === subscriptionId);
    return subscription ? describeFilter(subscription.filter, i18n) : i18n.t('notify.earlierSubscription');
  }

  private async alertFor(tenantId: string, alertId: string): Promise<NotifiedAlert | undefined> {
    const entry = await this.options.book.get(tenantId, alertId);
    if (entry)
      return entry.serviceSource === undefined ? entry.alert : { ...entry.alert, serviceSource: entry.serviceSource };
    try {
      return await this.options.fetchAlert(tenantId, alertId);
    } catch (err) {
      if (isAppError(err) && err.code === 'notFound') return undefined;
      throw err;
    }
  }

  /**
   * Whether queued work must be withdrawn: everything when the conversation has no subscription left (cards
   * already posted stay as they are, not updated further), new cards only while it is snoozed.
   */
  private async withdrawal(
    conversation: ConversationKey,
    outbox: Outbox,
    work: OutboxWork,
  ): Promise<'unsubscribed' | 'snoozed' | undefined> {
    const record = await this.options.subscriptions.read(conversation.tenantId);
    if (!record.subscriptions.some((s) => s.conversationId === conversation.conversationId)) return 'unsubscribed';
    const posting = isNewCard(work) || (work.kind === 'digest' && !outbox.digests[work.digestId]?.activityId);
    return posting && isSnoozed(record, conversation.conversationId, this.options.now()) ? 'snoozed' : undefined;
  }

  /** True when this conversation already got `threshold` new cards within the window. */
  private inBurst(outbox: Outbox): boolean {
    const since = this.options.now().getTime() - this.options.digest.windowMs;
    return outbox.recentPosts.filter((t) => Date.parse(t) > since).length >= this.options.digest.threshold;
  }

  /** Moves every alert still waiting for its first card into the open digest (or a new one). */
  private async gatherIntoDigest(key: string): Promise<OutboxWork | undefined> {
    let digestId: string | undefined;
    await this.record(key, (o) => {
      const waiting = Object.entries(o.alerts)
        .filter(([, a]) => !a.dropped && a.digestId === undefined && a.activityId === undefined)
        .sort((x, y) => Date.parse(x[1].queuedAt) - Date.parse(y[1].queuedAt))
        .map(([id]) => id);
      if (waiting.length === 0) return o;
      const since = this.options.now().getTime() - this.options.digest.windowMs;
      const open = Object.entries(o.digests).find(
        ([, d]) => Date.parse(d.openedAt) > since && d.alertIds.length < DIGEST_CAPACITY,
      );
      const id = open?.[0] ?? `G-${randomBytes(4).toString('hex')}`;
      const digest = open?.[1] ?? {
        alertIds: [],
        openedAt: this.options.now().toISOString(),
        version: 0,
        shownVersion: 0,
      };
      const taken = waiting.slice(0, DIGEST_CAPACITY - digest.alertIds.length);
      digestId = id;
      let next: Outbox = {
        ...o,
        digests: {
          ...o.digests,
          [id]: { ...digest, alertIds: [...digest.alertIds, ...taken], version: digest.version + 1 },
        },
      };
      for (const alertId of taken) next = mark(next, alertId, { digestId: id, shown: next.alerts[alertId]!.wanted });
      return next;
    });
    return digestId === undefined ? undefined : { kind: 'digest', digestId };
  }

  private record(key: string, change: (outbox: Outbox) => Outbox): Promise<Outbox | undefined> {
    return updateItem(this.options.storage, key, parseOutbox, (current) =>
      current ? prune(change(current), this.options.now()) : DELETE_ITEM,
    ).catch((err: unknown) => {
      this.options.logger.error({ err: serializeError(err) }, 'could not record a notification outcome');
      throw err;
    });
  }
}

function mark(outbox: Outbox, alertId: string, change: Partial<Outbox['alerts'][string]>): Outbox {
  const entry = outbox.alerts[alertId];
  if (!entry) return outbox;
  return { ...outbox, alerts: { ...outbox.alerts, [alertId]: { ...entry, ...change } } };
}

function markIncident(outbox: Outbox, incidentId: string, change: Partial<OutboxIncident>): Outbox {
  const entry = outbox.incidents?.[incidentId];
  if (!entry) return outbox;
  return { ...outbox, incidents: { ...outbox.incidents, [incidentId]: { ...entry, ...change } } };
}

/** A card whose post is claimed: an alert's, a digest's or an incident's. */
type ClaimTarget = { alertId: string } | { digestId: string } | { incidentId: string };

/** The outbox entry a claim is about. */
function claimed(outbox: Outbox, target: ClaimTarget): OutboxAlert | OutboxDigest | OutboxIncident | undefined {
  if ('alertId' in target) return outbox.alerts[target.alertId];
  if ('digestId' in target) return outbox.digests[target.digestId];
  return outbox.incidents?.[target.incidentId];
}

/** Changes the claim fields of the entry a claim is about. */
function markClaimed(outbox: Outbox, target: ClaimTarget, change: Pick<OutboxAlert, 'posting' | 'reposted'>): Outbox {
  if ('alertId' in target) return mark(outbox, target.alertId, change);
  if ('incidentId' in target) return markIncident(outbox, target.incidentId, change);
  const digest = outbox.digests[target.digestId];
  return digest ? { ...outbox, digests: { ...outbox.digests, [target.digestId]: { ...digest, ...change } } } : outbox;
}

/**
 * After a 404 on update or a refusal: the card is no longer ours to update (and a refused post is dropped). An
 * incident's card that is gone (someone deleted the message) is posted anew: the incident is still followed here.
 */
function forgetCard(outbox: Outbox, work: OutboxWork, dropped = false): Outbox {
  if (work.kind === 'incidentUpdate' || work.kind === 'incidentPost')
    return dropped
      ? markIncident(outbox, work.incidentId, { dropped: true })
      : markIncident(outbox, work.incidentId, { activityId: undefined, threadId: undefined, shown: undefined });
  if (work.kind === 'digest') {
    const digest = outbox.digests[work.digestId];
    if (!digest) return outbox;
    return { ...outbox, digests: { ...outbox.digests, [work.digestId]: { ...digest, shownVersion: digest.version } } };
  }
  const entry = outbox.alerts[work.alertId];
  if (!entry) return outbox;
  return mark(outbox, work.alertId, {
    shown: entry.wanted,
    ...(dropped || work.kind === 'update' ? { dropped: true } : {}),
  });
}

/**
 * Drops cards not yet posted; when unsubscribed, also settles the updates of posted ones. Work queued after the
 * subscriptions were read (a new subscription, the end of a snooze) is left alone.
 */
function withdraw(outbox: Outbox, why: 'unsubscribed' | 'snoozed', decidedAt: number): Outbox {
  const postedDigests = new Set(
    Object.entries(outbox.digests)
      .filter(([, d]) => d.activityId !== undefined)
      .map(([id]) => id),
  );
  const alerts: Record<string, OutboxAlert> = {};
  for (const [id, a] of Object.entries(outbox.alerts)) {
    const posted = a.activityId !== undefined || (a.digestId !== undefined && postedDigests.has(a.digestId));
    if (Date.parse(a.queuedAt) > decidedAt) alerts[id] = a;
    else if (!posted) alerts[id] = { ...a, dropped: true, shown: a.wanted };
    else alerts[id] = why === 'unsubscribed' ? { ...a, shown: a.wanted } : a;
  }
  const digests: Record<string, OutboxDigest> = {};
  for (const [id, d] of Object.entries(outbox.digests)) {
    if (postedDigests.has(id)) digests[id] = why === 'unsubscribed' ? { ...d, shownVersion: d.version } : d;
    else if (
      Date.parse(d.openedAt) > decidedAt ||
      d.alertIds.some((alertId) => Date.parse(outbox.alerts[alertId]?.queuedAt ?? '') > decidedAt)
    )
      digests[id] = d; // still holds work queued after the decision
  }
  // An incident's card not yet posted is settled at what it would have shown (a later change is news and posts);
  // a posted one stops updating when unsubscribed and keeps updating while snoozed.
  if (!outbox.incidents) return { ...outbox, alerts, digests };
  const incidents: Record<string, OutboxIncident> = {};
  for (const [id, i] of Object.entries(outbox.incidents))
    incidents[id] =
      Date.parse(i.queuedAt) > decidedAt || (i.activityId !== undefined && why === 'snoozed')
        ? i
        : { ...i, shown: i.wanted, posting: undefined };
  return { ...outbox, alerts, digests, incidents };
}

/** The digest's window in words, "in 2 minutes" / "em 2 minutos". */
function windowLabel(windowMs: number, i18n: Translator): string {
  const minutes = Math.round(windowMs / 60_000);
  return minutes >= 1
    ? i18n.t('card.notify.window', { seconds: 'no', count: minutes })
    : i18n.t('card.notify.window', { seconds: 'yes', count: Math.round(windowMs / 1000) });
}
