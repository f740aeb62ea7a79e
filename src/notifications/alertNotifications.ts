import type { DefenderAuth, DefenderClient } from '../defender/defenderClient';
import type { RateWindow } from '../defender/slidingWindowLimiter';
import { isAppError } from '../errors';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { Storage } from '../storage/storage';
import { AlertBook } from './alertBook';
import type { IntakeResult } from './alertIntake';
import { AlertIntake } from './alertIntake';
import { AlertPoller } from './alertPoller';
import { outboxKey } from './conversationOutbox';
import type { ConversationKey } from './deliveryDispatcher';
import { DeliveryDispatcher, TEAMS_CONVERSATION_LIMITS } from './deliveryDispatcher';
import { InstallationRegistry } from './installationRegistry';
import type { NotificationSender } from './notificationSender';
import type { DigestPolicy } from './notificationWorker';
import { NotificationWorker } from './notificationWorker';
import { SubscriptionStore } from './subscriptionStore';
import type { ConversationTarget } from './subscriptionTypes';

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
  logger: Logger;
  now: () => Date;
}

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
  readonly dispatcher: DeliveryDispatcher;
  private readonly book: AlertBook;
  private readonly tags = new Map<string, { tags: string[]; at: number }>();
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: AlertNotificationsOptions) {
    const { storage, logger } = options;
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
      now: options.now,
      logger: logger.child({ component: 'notifications' }),
    });
    this.dispatcher = new DeliveryDispatcher({
      step: (conversation) => worker.step(conversation),
      perConversation: options.perConversationLimits ?? [...TEAMS_CONVERSATION_LIMITS],
      perTenant: [{ limit: options.tenantRequestsPerSecond, windowMs: 1_000 }],
      ...(options.backoff ? { backoff: options.backoff } : {}),
      logger: logger.child({ component: 'delivery' }),
    });
    this.intake = new AlertIntake({
      subscriptions: this.subscriptions,
      book: this.book,
      storage,
      machineTags: (tenantId, machineId) => this.machineTags(tenantId, machineId),
      wake: (conversation) => this.dispatcher.wake(conversation),
      now: options.now,
      logger,
    });
    this.poller = new AlertPoller({
      defender: options.defender,
      appAuth: (tenantId) => options.appAuth(tenantId),
      intake: this.intake,
      storage,
      tenants: () => this.subscriptions.activeTenants(),
      intervalMs: options.poll.intervalMs,
      overlapMs: options.poll.overlapMs,
      ...(options.poll.maxAlerts ? { maxAlerts: options.poll.maxAlerts } : {}),
      logger: logger.child({ component: 'poller' }),
      now: options.now,
    });
  }

  /** Loads what is durable (which tenants have subscriptions, unfinished deliveries) and starts polling. */
  async start(): Promise<void> {
    const tenants = this.options.servedTenants ?? [];
    await this.subscriptions.initialise(tenants);
    // Deliveries left unfinished by a stop or a crash resume at once.
    for (const tenantId of this.subscriptions.activeTenants()) {
      const record = await this.subscriptions.read(tenantId);
      for (const conversationId of Object.keys(record.conversations))
        this.dispatcher.wake({ tenantId, conversationId });
    }
    if (this.options.poll.enabled) this.poller.start();
    else {
      // Pushes only: alerts the intake set aside (device tags unreadable) are still tried again every interval.
      this.retryTimer = setInterval(() => {
        for (const tenantId of this.subscriptions.activeTenants())
          this.intake
            .retryDeferred(tenantId)
            .catch((err: unknown) =>
              this.options.logger.warn({ err: serializeError(err) }, 'deferred alerts could not be retried'),
            );
      }, this.options.poll.intervalMs);
      this.retryTimer.unref();
    }
  }

  /** Stops polling and delivery; deliveries in flight finish, the rest wait in their outboxes for the next start. */
  async stop(): Promise<void> {
    if (this.retryTimer) clearInterval(this.retryTimer);
    await this.poller.stop();
    await this.dispatcher.stop();
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

/** A conversation key for the dispatcher. */
export type { ConversationKey };
