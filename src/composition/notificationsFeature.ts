import type { BotNotifications } from '../bot/socBot';
import { TeamsConnectorSender } from '../bot/teamsConnectorSender';
import { AlertNotifications } from '../notifications/alertNotifications';
import { NotifyAuthenticator } from '../notifications/notifyAuthenticator';
import { createNotifyHandler } from '../notifications/notifyEndpoint';
import type { Locale } from '../i18n/locale';
import type { Identity } from './identity';
import type { Lifecycle } from './lifecycle';
import type { Platform } from './platform';

/** Partner context for notifications: which tenants are still served, and the customer's name for its cards. */
export interface PartnerNotifications {
  isServed(tenantId: string): Promise<boolean>;
  customerNameOf(tenantId: string): Promise<string | undefined>;
  /** The language a conversation's cards speak. */
  languageOf(conversationId: string): Promise<Locale>;
}

/** Test seams of the notification pipeline (see StartOptions in src/app.ts). */
export interface NotificationsOptions {
  /** How often Defender is polled for changed alerts (tests use short intervals or poll by hand). */
  notificationPollIntervalMs?: number | undefined;
  /** Alerts one poll reads at most (tests; production reads up to 5000 and slices the window beyond). */
  notificationPollMaxAlerts?: number | undefined;
  /** Retry backoff of notification delivery (tests use short delays). */
  notificationBackoff?: { baseMs: number; maxMs: number; jitter: number } | undefined;
}

/** The running feature: the pipeline, what the bot tells it, and the push endpoint when one is configured. */
export interface NotificationsFeature {
  pipeline: AlertNotifications;
  bot: BotNotifications;
  /** POST /api/notify; undefined until a push source (an Entra caller or a webhook secret) is configured. */
  notifyHandler: ReturnType<typeof createNotifyHandler> | undefined;
  /** Starts polling and delivery (after the server listens). */
  start(): Promise<void>;
}

/**
 * Proactive alert notifications: subscriptions, the poller (application identity), pushed alerts, delivery within
 * Teams' limits, for the tenants this instance owns.
 */
export function installNotifications(
  platform: Platform,
  identity: Identity,
  lifecycle: Lifecycle,
  options: NotificationsOptions,
  partner?: PartnerNotifications,
): NotificationsFeature {
  const { config, tenant, storage, defender, http, logger, now, instances, background } = platform;
  const servedTenants = tenant ? [tenant.tenantId] : config.allowedTenantIds;
  const pipeline = new AlertNotifications({
    ...(partner
      ? {
          isServed: (tenantId: string) => partner.isServed(tenantId),
          customerNameOf: (tenantId: string) => partner.customerNameOf(tenantId),
          languageOf: (conversationId: string) => partner.languageOf(conversationId),
        }
      : {}),
    storage,
    defender,
    appAuth: identity.defenderAppAuth,
    // Incidents and alerts from every Defender source: Graph with the application identity.
    graph: { client: platform.graph, appAuth: identity.graphAppAuth },
    sender: new TeamsConnectorSender({
      http,
      tokens: identity.channelTokens,
      oauthScope: config.channel.oauthScope,
      logger,
    }),
    servedTenants,
    poll: {
      enabled: config.notifications.poll,
      intervalMs: options.notificationPollIntervalMs ?? config.notifications.pollIntervalMs,
      overlapMs: config.notifications.overlapMs,
      ...(options.notificationPollMaxAlerts ? { maxAlerts: options.notificationPollMaxAlerts } : {}),
    },
    digest: { threshold: config.notifications.digestThreshold, windowMs: config.notifications.digestWindowMs },
    tenantRequestsPerSecond: config.notifications.teamsTenantRequestsPerSecond,
    ...(options.notificationBackoff ? { backoff: options.notificationBackoff } : {}),
    ownership: instances,
    logger,
    now,
  });
  platform.tenantWork.addTenantSource(() => pipeline.tenants());
  platform.tenantWork.onTenantGained((tenantId) =>
    background.run(`resume ${tenantId}`, () => pipeline.tenantGained(tenantId)),
  );

  // POST /api/notify exists once a push source is configured (an Entra caller or a webhook secret).
  const notifyTenants = servedTenants ?? [];
  const settings = config.notifications;
  const notifyHandler =
    settings.notifyClientIds.length > 0 || settings.notifyHmacSecrets.length > 0
      ? createNotifyHandler({
          authenticator: new NotifyAuthenticator({
            hmacSecrets: settings.notifyHmacSecrets,
            ...(settings.notifyClientIds.length > 0
              ? {
                  bearer: {
                    authorityHost: identity.authorityHost,
                    audiences: [identity.clientId, `api://botid-${identity.clientId}`],
                    allowedClientIds: settings.notifyClientIds,
                    requiredRole: 'SOC.Notify',
                    allowedTenantIds: notifyTenants,
                  },
                }
              : {}),
            httpClient: http,
            logger,
          }),
          notifications: pipeline,
          servedTenants: notifyTenants,
          maxBodyBytes: settings.notifyMaxBodyBytes,
          logger,
        })
      : undefined;

  return {
    pipeline,
    bot: {
      commands: {
        subscriptions: pipeline.subscriptions,
        installations: pipeline.installations,
        pollIntervalSeconds: settings.poll ? settings.pollIntervalMs / 1000 : 0,
      },
      remember: (tenantId, target) => pipeline.remember(tenantId, target),
      retire: (tenantId, match) => pipeline.retire(tenantId, match),
    },
    notifyHandler,
    start: async () => {
      await pipeline.start();
      lifecycle.onStop(() => pipeline.stop());
    },
  };
}
