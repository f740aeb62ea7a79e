import { SINGLE_INSTANCE } from '../background/membership';
import type { InstanceLiveness, InstanceMembership, TenantOwnership } from '../background/membership';
import type { DefenderAuth, DefenderClient } from '../defender/defenderClient';
import type { GraphAuth, GraphSecurityClient } from '../graph/graphSecurityClient';
import type { GraphAlert, Incident } from '../graph/graphSchemas';
import { and, compare } from '../http/odata';
import type { RateWindow } from '../http/slidingWindowLimiter';
import { AppError, isAppError } from '../errors';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { Storage } from '../storage/storage';
import { readItem, updateItem } from '../storage/updateItem';
import { z } from 'zod';
import { AlertBook } from './alertBook';
import type { IntakeResult } from './alertIntake';
import { AlertIntake } from './alertIntake';
import { AlertPoller } from './alertPoller';
import type { ChangeFeed } from './changePoller';
import { ChangePoller } from './changePoller';
import { outboxKey } from './conversationOutbox';
import type { ConversationKey } from './deliveryDispatcher';
import { DeliveryDispatcher, TEAMS_CONVERSATION_LIMITS } from './deliveryDispatcher';
import { fromGraphAlert, MDE_SERVICE_SOURCE } from './graphAlerts';
import { IncidentIntake } from './incidentIntake';
import { InstallationRegistry } from './installationRegistry';
import type { NotificationSender } from './notificationSender';
import type { DigestPolicy } from './notificationWorker';
import { NotificationWorker } from './notificationWorker';
import { SubscriptionStore } from './subscriptionStore';
import type { ConversationTarget, SubscriptionTopic } from './subscriptionTypes';
import type { Locale } from '../i18n/locale';

/** Settings and collaborators of the notification pipeline (see README "Alert notifications"). */
export interface AlertNotificationsOptions {
  storage: Storage;
  defender: DefenderClient;
  /** The application identity of a tenant (read-only). */
  appAuth(tenantId: string): DefenderAuth;
  sender: NotificationSender;
  /** Tenants this deployment serves (polled once they have subscriptions); undefined = any (demo). */
  servedTenants: string[] | undefined;
  poll: { enabled: boolean; intervalMs: number; overlapMs: number; maxAlerts?: number };
  digest: DigestPolicy;
  /** Teams' per-tenant budget (requests per second) the bot keeps under. */
  tenantRequestsPerSecond: number;
  /** Overrides for tests and the bench: Teams' per-conversation windows and retry backoff. */
  perConversationLimits?: RateWindow[];
  backoff?: { baseMs: number; maxMs: number; jitter: number };
  /**
   * Microsoft Graph with the application identity (client credentials for https://graph.microsoft.com/.default):
   * incident notifications and alerts of the sources other than Defender for Endpoint. Absent: subscriptions that
   * follow incidents get no cards, and alerts come from Defender for Endpoint only.
   */
  graph?: { client: GraphSecurityClient; appAuth(tenantId: string): GraphAuth; maxItems?: number } | undefined;
  /** Several instances: which tenants' polling and delivery are this instance's (default: every tenant). */
  ownership?: NotificationOwnership;
  /**
   * Partner context: whether a tenant is still served (false for an offboarded customer: nothing is polled or
   * delivered for it any more, whatever subscriptions linger). Absent: every tenant with subscriptions is.
   */
  isServed?: (tenantId: string) => Promise<boolean>;
  /** Partner context: a customer's name for its tenant (its cards name it); undefined for a tenant that is none. */
  customerNameOf?: (tenantId: string) => Promise<string | undefined>;
  /** The language a conversation's cards speak ("language pt-BR" typed there); English when absent. */
  languageOf?: (conversationId: string) => Promise<Locale>;
  logger: Logger;
  now: () => Date;
}

/** What the pipeline asks of the instance's share of background work (src/background/workOwnership.ts). */
export type NotificationOwnership = TenantOwnership & InstanceLiveness & Pick<InstanceMembership, 'liveCount'>;

/** How often the owner of a tenant looks whether another instance queued cards for it (a push it received). */
const DOORBELL_CHECK_MS = 3_000;
/** Every this many doorbell runs (a minute), the owner wakes all its tenants' conversations anyway. */
const SWEEP_EVERY_RUNS = 20;

/** Incidents or alerts_v2 read per request from Graph; a window with more changes is cut short until it fits. */
const MAX_GRAPH_ITEMS_PER_POLL = 500;

/** Device tags are read at most this often per device when a subscription filters on tags. */
const TAG_CACHE_MS = 5 * 60_000;

/**
 * The alert notification pipeline, composed: subscriptions and installations (what the commands and the bot
 * change), the intake (alerts in, from the poller or a push), the outboxes and the delivery dispatcher (cards
 * out, within Teams' limits). One object so the composition root starts and stops it as a whole.
 */
export class AlertNotifications {
  readonly subscriptions: SubscriptionStore;
  readonly installations: InstallationRegistry;
  readonly intake: AlertIntake;
  readonly poller: AlertPoller;
  /** Incidents in (from the incident poller), one card per incident and conversation. */
  readonly incidentIntake: IncidentIntake;
  /** Polls Graph incidents for tenants whose subscriptions follow them (present when Graph is configured). */
  readonly incidentPoller: ChangePoller<Incident> | undefined;
  /** Polls Graph alerts_v2 of the sources other than Defender for Endpoint (present when Graph is configured). */
  readonly sourcesPoller: ChangePoller<GraphAlert> | undefined;
  readonly dispatcher: DeliveryDispatcher;
  private readonly book: AlertBook;
  private readonly tags = new Map<string, { tags: string[]; at: number }>();
  private retryTimer: NodeJS.Timeout | undefined;
  private doorbellTimer: NodeJS.Timeout | undefined;
  private doorbellRuns = 0;
  /** Doorbell rings being written, per tenant (`again`: a wake arrived meanwhile). */
  private readonly rings = new Map<string, { again: boolean }>();
  private stopped = false;
  private readonly ownership: NotificationOwnership;
  /** The doorbell count last answered per owned tenant. */
  private readonly doorbellSeen = new Map<string, number>();

  constructor(private readonly options: AlertNotificationsOptions) {
    const { storage, logger } = options;
    this.ownership = options.ownership ?? SINGLE_INSTANCE;
    this.subscriptions = new SubscriptionStore(storage);
    this.installations = new InstallationRegistry(storage);
    this.book = new AlertBook(storage);
    const worker = new NotificationWorker({
      storage,
      book: this.book,
      subscriptions: this.subscriptions,
      sender: options.sender,
      digest: options.digest,
      fetchAlert: (tenantId, alertId) => options.defender.getAlert(options.appAuth(tenantId), alertId),
      retire: (conversation) => this.retire(conversation.tenantId, { conversationId: conversation.conversationId }),
      ownership: this.ownership,
      ...(options.customerNameOf ? { customerNameOf: options.customerNameOf } : {}),
      ...(options.languageOf ? { languageOf: options.languageOf } : {}),
      now: options.now,
      logger: logger.child({ component: 'notifications' }),
    });
    this.dispatcher = new DeliveryDispatcher({
      step: (conversation) => worker.step(conversation),
      perConversation: options.perConversationLimits ?? [...TEAMS_CONVERSATION_LIMITS],
      perTenant: [{ limit: options.tenantRequestsPerSecond, windowMs: 1_000 }],
      // Only the owner of a tenant's delivery spends Teams' tenant budget.
      ownership: this.ownership,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      logger: logger.child({ component: 'delivery' }),
    });
    this.intake = new AlertIntake({
      subscriptions: this.subscriptions,
      book: this.book,
      storage,
      machineTags: (tenantId, machineId) => this.machineTags(tenantId, machineId),
      wake: (conversation) => this.wake(conversation),
      now: options.now,
      logger,
    });
    this.incidentIntake = new IncidentIntake({
      subscriptions: this.subscriptions,
      storage,
      wake: (conversation) => this.wake(conversation),
      now: options.now,
      logger: logger.child({ component: 'incidents' }),
    });
    const graph = options.graph;
    const graphPoller = <T>(feed: ChangeFeed<T>, topic: SubscriptionTopic) =>
      new ChangePoller<T>({
        feed,
        storage,
        tenants: () => this.pollableTenants(topic),
        stillOwns: (tenantId) => this.ownership.owns(tenantId),
        intervalMs: options.poll.intervalMs,
        overlapMs: options.poll.overlapMs,
        maxItems: graph?.maxItems ?? MAX_GRAPH_ITEMS_PER_POLL,
        logger: logger.child({ component: `${feed.name}Poller` }),
        now: options.now,
      });
    const changedBetween = (since: Date, before: Date | undefined) =>
      and(compare('lastUpdateDateTime', 'ge', since), before ? compare('lastUpdateDateTime', 'lt', before) : undefined);
    this.incidentPoller = graph
      ? graphPoller<Incident>(
          {
            name: 'incident',
            stateKey: (tenantId) => `notify/${tenantId.toLowerCase()}/incidentPoller`,
            // The alerts are expanded for the card's alert count: a grown incident is a changed card.
            read: (tenantId, since, before, max) =>
              graph.client.listIncidents(graph.appAuth(tenantId), {
                filter: changedBetween(since, before),
                max,
                expandAlerts: true,
              }),
            versionOf: (incident) => incident.lastUpdateDateTime,
            take: (tenantId, incidents) => this.incidentIntake.ingest(tenantId, incidents),
          },
          'incidents',
        )
      : undefined;
    // Alerts of every other Defender source (Identity, Office 365, Cloud Apps, Entra ID Protection…): the MDE
    // poller reads Defender for Endpoint's, with their device; these come from Graph and join the same intake.
    this.sourcesPoller = graph
      ? graphPoller<GraphAlert>(
          {
            name: 'alerts_v2',
            stateKey: (tenantId) => `notify/${tenantId.toLowerCase()}/alertsV2Poller`,
            read: (tenantId, since, before, max) =>
              graph.client.listAlerts(graph.appAuth(tenantId), {
                filter: and(compare('serviceSource', 'ne', MDE_SERVICE_SOURCE), changedBetween(since, before)),
                max,
              }),
            versionOf: (alert) => alert.lastUpdateDateTime ?? alert.createdDateTime,
            take: (tenantId, alerts) => this.intake.ingest(tenantId, alerts.map(fromGraphAlert)),
          },
          'alerts',
        )
      : undefined;
    this.poller = new AlertPoller({
      defender: options.defender,
      appAuth: (tenantId) => options.appAuth(tenantId),
      intake: this.intake,
      storage,
      tenants: () => this.pollableTenants('alerts'),
      stillOwns: (tenantId) => this.ownership.owns(tenantId),
      intervalMs: options.poll.intervalMs,
      overlapMs: options.poll.overlapMs,
      ...(options.poll.maxAlerts ? { maxAlerts: options.poll.maxAlerts } : {}),
      logger: logger.child({ component: 'poller' }),
      now: options.now,
    });
  }

  /**
   * The tenants whose notifications exist: those served by configuration and those that have had subscriptions
   * (the durable index). The instances share them out (src/background/workOwnership.ts).
   */
  async tenants(): Promise<string[]> {
    const known = await this.subscriptions.knownTenants();
    const all = [...new Set([...(this.options.servedTenants ?? []), ...known].map((t) => t.toLowerCase()))];
    const isServed = this.options.isServed;
    if (!isServed) return all;
    const served = await Promise.all(all.map((tenantId) => isServed(tenantId)));
    return all.filter((_, i) => served[i]);
  }

  /**
   * Partner context: a customer was offboarded. Every conversation's subscriptions to it, their snoozes and
   * pending deliveries go, so no poller reads that tenant again and no card of it is posted any more.
   */
  async forgetTenant(tenantId: string): Promise<void> {
    const record = await this.subscriptions.read(tenantId);
    const conversations = new Set([
      ...record.subscriptions.map((s) => s.conversationId),
      ...Object.keys(record.conversations),
    ]);
    for (const conversationId of conversations) await this.retire(tenantId, { conversationId });
  }

  /** Resumes deliveries left unfinished by a stop or a crash, and starts polling. */
  async start(): Promise<void> {
    for (const tenantId of await this.ownedTenants()) await this.tenantGained(tenantId);
    if (this.options.poll.enabled) {
      this.poller.start();
      this.incidentPoller?.start();
      this.sourcesPoller?.start();
    } else {
      // Pushes only: alerts the intake set aside (device tags unreadable) are still tried again every interval.
      this.retryTimer = setInterval(() => {
        void this.pollableTenants('alerts').then((tenants) => {
          for (const tenantId of tenants)
            this.intake
              .retryDeferred(tenantId)
              .catch((err: unknown) =>
                this.options.logger.warn({ err: serializeError(err) }, 'deferred alerts could not be retried'),
              );
        });
      }, this.options.poll.intervalMs);
      this.retryTimer.unref();
    }
    this.scheduleDoorbells();
  }

  /** Stops polling and delivery; deliveries in flight finish, the rest wait in their outboxes for the next start. */
  async stop(): Promise<void> {
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.stopped = true;
    if (this.doorbellTimer) clearTimeout(this.doorbellTimer);
    await this.poller.stop();
    await this.incidentPoller?.stop();
    await this.sourcesPoller?.stop();
    await this.dispatcher.stop();
  }

  /**
   * This instance has taken the tenant over (or started): every subscribed conversation is woken, so deliveries
   * the previous owner left unfinished resume; a post it may have made without recording is detected by its claim.
   */
  async tenantGained(tenantId: string): Promise<void> {
    const record = await this.subscriptions.read(tenantId);
    for (const conversationId of Object.keys(record.conversations)) this.dispatcher.wake({ tenantId, conversationId });
  }

  /** Cards queued for a conversation: delivered here when this instance owns the tenant, else its owner is rung. */
  private wake(conversation: ConversationKey): void {
    if (this.ownership.owns(conversation.tenantId)) {
      this.dispatcher.wake(conversation);
      return;
    }
    this.ring(conversation.tenantId.toLowerCase());
  }

  /**
   * Rings a tenant's doorbell once for a whole batch: the wakes of many conversations coalesce into one write while
   * a ring is being written, plus one more after it (the owner then wakes every conversation of the tenant).
   */
  private ring(tenantId: string): void {
    const state = this.rings.get(tenantId);
    if (state) {
      state.again = true;
      return;
    }
    const ringing = { again: false };
    this.rings.set(tenantId, ringing);
    void (async () => {
      do {
        ringing.again = false;
        await updateItem(this.options.storage, doorbellKey(tenantId), parseDoorbell, (current) => ({
          rung: (current?.rung ?? 0) + 1,
        })).catch((err: unknown) =>
          this.options.logger.warn(
            { err: serializeError(err) },
            'could not ring the tenant owner; its minute sweep delivers',
          ),
        );
      } while (ringing.again);
      this.rings.delete(tenantId);
    })();
  }

  /** The owner's side of the doorbell, one run at a time (never overlapping when storage is slow). */
  private scheduleDoorbells(): void {
    if (this.stopped) return;
    this.doorbellTimer = setTimeout(() => {
      void this.answerDoorbells().finally(() => this.scheduleDoorbells());
    }, DOORBELL_CHECK_MS);
    this.doorbellTimer.unref();
  }

  /**
   * A ring from another instance wakes the tenant's conversations; so does a sweep every minute, in case a ring
   * was lost (the ringing instance could not write it) or work was dropped while this instance's lease lapsed.
   */
  private async answerDoorbells(): Promise<void> {
    const sweep = ++this.doorbellRuns % SWEEP_EVERY_RUNS === 0;
    if (this.ownership.liveCount() <= 1 && !sweep) return;
    try {
      for (const tenantId of await this.ownedTenants()) {
        const rung = (await readItem(this.options.storage, doorbellKey(tenantId), parseDoorbell))?.rung ?? 0;
        if (!sweep && this.doorbellSeen.get(tenantId) === rung) continue;
        this.doorbellSeen.set(tenantId, rung);
        await this.tenantGained(tenantId);
      }
    } catch (err) {
      this.options.logger.warn({ err: serializeError(err) }, 'could not look for cards queued by another instance');
    }
  }

  private async ownedTenants(): Promise<string[]> {
    return (await this.tenants()).filter((tenantId) => this.ownership.owns(tenantId));
  }

  /** Owned tenants with subscriptions that follow `topic`: the pollers read Defender and Graph for those only. */
  private async pollableTenants(topic: SubscriptionTopic): Promise<string[]> {
    return this.subscriptions.withSubscriptions(await this.ownedTenants(), topic);
  }

  /** Resolves when no delivery is runnable or in flight (tests, the bench). */
  idle(): Promise<void> {
    return this.dispatcher.idle();
  }

  /**
   * A push (POST /api/notify): each alert is re-read from Defender with the application identity — the pushed
   * content is never trusted — and taken in like a polled one. Unknown ids are reported, not fatal.
   */
  async ingestPushed(tenantId: string, alertIds: string[]): Promise<IntakeResult & { notFound: string[] }> {
    const alerts = [];
    const notFound: string[] = [];
    for (const alertId of alertIds) {
      try {
        alerts.push(await this.options.defender.getAlert(this.options.appAuth(tenantId), alertId));
      } catch (err) {
        if (isAppError(err, 'notFound')) notFound.push(alertId);
        else throw err;
      }
    }
    const result = await this.intake.ingest(tenantId, alerts);
    return { ...result, notFound };
  }

  /** Remembers a conversation the bot is in (cheap when nothing changed). */
  remember(tenantId: string, target: ConversationTarget): Promise<void> {
    return this.installations.remember(tenantId, target, this.options.now());
  }

  /**
   * Forgets conversations for good — the app was uninstalled, the bot removed, a channel or team deleted, or Teams
   * answered 403/404: their subscriptions, snoozes, installation and pending deliveries.
   */
  async retire(tenantId: string, match: { conversationId?: string; teamId?: string }): Promise<void> {
    const fromSubscriptions = await this.subscriptions.retire(tenantId, match);
    const fromInstallations = await this.installations.forget(tenantId, match);
    const gone = new Set([...fromSubscriptions, ...fromInstallations]);
    if (match.conversationId) gone.add(match.conversationId);
    await this.options.storage.delete([...gone].map((conversationId) => outboxKey(tenantId, conversationId)));
    this.options.logger.info({ conversations: gone.size }, 'conversations retired from notifications');
  }

  /** The device's tags, for tag filters (application identity, cached for a few minutes). */
  private async machineTags(tenantId: string, machineId: string): Promise<string[]> {
    const key = `${tenantId}|${machineId}`;
    const cached = this.tags.get(key);
    if (cached && Date.now() - cached.at < TAG_CACHE_MS) return cached.tags;
    // A failure is the intake's to log and decide on (set the alert aside, or match it without tags).
    const machine = await this.options.defender.getMachine(this.options.appAuth(tenantId), machineId);
    this.tags.set(key, { tags: machine.machineTags, at: Date.now() });
    return machine.machineTags;
  }
}

const doorbellSchema = z.object({ rung: z.number().int() });

function parseDoorbell(raw: unknown): z.infer<typeof doorbellSchema> {
  const parsed = doorbellSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('internal', 'stored doorbell does not parse');
  return parsed.data;
}

function doorbellKey(tenantId: string): string {
  return `notify/${tenantId.toLowerCase()}/doorbell`;
}

/** A conversation key for the dispatcher. */
export type { ConversationKey };
