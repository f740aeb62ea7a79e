import path from 'node:path';
import { DemoAssertionSource } from './auth/demoAssertionSource';
import { MsalOboTokenProvider } from './auth/msalOboTokenProvider';
import { AssertionStore } from './auth/assertionStore';
import { readClientCertificate } from './auth/clientCertificate';
import { InteractiveSignIn } from './auth/interactiveSignIn';
import { loadOrCreateStateKey, StateCipher } from './auth/stateCipher';
import { PendingCommands } from './bot/pendingCommands';
import { MsalBotTokenProvider } from './auth/msalBotTokenProvider';
import { MsalClientPool } from './auth/msalClientPool';
import { SsoTokenValidator } from './auth/ssoTokenValidator';
import { createBotAdapter, createMessagesHandler } from './bot/botAdapter';
import { SocBot } from './bot/socBot';
import { TeamsApprovalPublisher } from './bot/teamsApprovalPublisher';
import { ActionExecutor } from './approvals/actionExecutor';
import type { ReconcileTimings } from './approvals/actionExecutor';
import { ActionTracker } from './approvals/actionTracker';
import { ApprovalService } from './approvals/approvalService';
import { ApprovalSettings } from './approvals/approvalSettings';
import { openAuditLog } from './audit/openAuditLog';
import { MsalAppTokenProvider } from './auth/msalAppTokenProvider';
import { BackgroundTasks } from './background/backgroundTasks';
import { SINGLE_INSTANCE } from './background/membership';
import { WorkOwnership } from './background/workOwnership';
import type { ResponseActions } from './commands/responseActions';
import { createStorage } from './storage/createStorage';
import type { DemoIdentity, SsoIdentity } from './bot/socBot';
import { english } from './commands/phrasebook';
import type { Config } from './config/config';
import type { DefenderAuth } from './defender/defenderClient';
import { HttpDefenderClient } from './defender/defenderClient';
import { HttpGraphSecurityClient } from './graph/graphSecurityClient';
import { createDefenderLimiter } from './http/slidingWindowLimiter';
import type { DemoEnvironment } from './demo/demoEnvironment';
import type { SimulatedTenant } from './demo/demoEnvironment';
import { simulatedTenantOf, startDemoEnvironment } from './demo/demoEnvironment';
import type { RunningPlayground } from './demo/playground';
import { startPlayground } from './demo/playground';
import { useDemoChannel } from './demo/demoChannel';
import { AppError } from './errors';
import { AlertNotifications } from './notifications/alertNotifications';
import { NotifyAuthenticator } from './notifications/notifyAuthenticator';
import { createNotifyHandler } from './notifications/notifyEndpoint';
import { TeamsConnectorSender } from './bot/teamsConnectorSender';
import { HttpClient } from './http/httpClient';
import type { ActionTimings } from './simulator/defender/defenderApi';
import type { Logger } from './logging/logger';
import { createLogger } from './logging/logger';
import { createHttpServer, listen } from './server/httpServer';

/** A simulated tenant the bot talks to in demo mode (defined beside the demo environment that starts one). */
export type { SimulatedTenant } from './demo/demoEnvironment';

/** Options of `startApp` that are not configuration: test seams. */
export interface StartOptions {
  /**
   * Use a simulated tenant that is already running (the benchmark runs the simulator in its own process, as
   * Defender is a remote service) instead of starting one in this process.
   */
  simulatedTenant?: SimulatedTenant;
  logger?: Logger;
  /** Start the Agents Playground in demo mode (default: as configured). */
  playground?: boolean;
  /** Where the Playground's personas come from (default: .m365agentsplayground.yml at the project root). */
  playgroundConfigPath?: string;
  /** Machine-action lifecycle of the demo simulator (tests use short timings). */
  simulatorTimings?: ActionTimings;
  /** How often submitted actions are checked (tests use short intervals). */
  actionPollIntervalMs?: number;
  /** How long an ambiguous send is checked before Defender's silence counts (tests use short timings). */
  reconcileTimings?: Partial<ReconcileTimings>;
  /** How often Defender is polled for changed alerts (tests use short intervals or poll by hand). */
  notificationPollIntervalMs?: number;
  /** Alerts one poll reads at most (tests; production reads up to 5000 and slices the window beyond). */
  notificationPollMaxAlerts?: number;
  /** Retry backoff of notification delivery (tests use short delays). */
  notificationBackoff?: { baseMs: number; maxMs: number; jitter: number };
  now?: () => Date;
}

/** The running product: the bot's endpoint and, in demo mode, the simulated tenant and the Playground. */
export interface RunningApp {
  /** http://host:port of the bot; messages go to `${url}/api/messages`. */
  url: string;
  mode: Config['mode'];
  /** The in-process simulator of demo mode (undefined in production or with an external simulated tenant). */
  demo: DemoEnvironment | undefined;
  /** The simulated tenant the bot talks to in demo mode. */
  tenant: SimulatedTenant | undefined;
  playground: RunningPlayground | undefined;
  logger: Logger;
  /** Resolves when background work started so far (executions, card updates) has finished. */
  idle(): Promise<void>;
  /** One round of Defender status checks and expiries now (tests; production runs them on a timer). */
  trackNow(): Promise<void>;
  /** The alert notification pipeline (tests poll and wait for deliveries through it). */
  notifications: AlertNotifications;
  stop(): Promise<void>;
}

/**
 * The one composition root: builds every object from the configuration and starts the servers. Demo mode
 * first starts the simulated tenant (Defender API + Entra ID emulator) and points the bot at it.
 */
export async function startApp(config: Config, options: StartOptions = {}): Promise<RunningApp> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const now = options.now ?? (() => new Date());
  const stops: (() => Promise<void> | void)[] = [];
  let stopping: Promise<void> | undefined;
  // Once: a second call (a test's, a signal's) waits for the first instead of running the steps again.
  const stop = () =>
    (stopping ??= (async () => {
      for (const step of stops.reverse()) await step();
    })());

  try {
    let demo: DemoEnvironment | undefined;
    if (config.demo && !options.simulatedTenant) {
      demo = await startDemoEnvironment({
        dataDir: config.dataDir,
        port: config.demo.simulatorPort,
        seedPath: config.demo.seedPath,
        rateLimits: {
          perMinute: config.demo.simulatorRateLimitPerMinute,
          perHour: config.demo.simulatorRateLimitPerMinute * 15,
        },
        timings: options.simulatorTimings,
        logger,
      });
      stops.push(() => demo?.simulator.close());
    }

    const tenant: SimulatedTenant | undefined = options.simulatedTenant ?? (demo && simulatedTenantOf(demo));
    // Durable records, and which instance does which tenant's background work (leases in the same store).
    const state = await createStorage(config.storage, config.dataDir);
    stops.push(() => state.close());
    logger.info({ storage: state.description }, 'state store ready');
    const storage = state.storage;
    const audit = await openAuditLog(config.storage, config.dataDir, { clock: now, logger });
    stops.push(() => audit.close());
    // Several instances (Blob Storage): each tenant's background work (polling, tracking, delivery) goes to one
    // instance through leases, and Defender's quota is split among the live ones. One instance: all of it here.
    const ownership: WorkOwnership | undefined = state.shared
      ? new WorkOwnership({
          leases: state.leases,
          leaseSeconds: config.leases.seconds,
          renewMs: config.leases.renewMs,
          tenants: (): Promise<string[]> => notifications.tenants(),
          onGained: (tenantId) => {
            tracker.tenantGained(tenantId);
            background.run(`resume ${tenantId}`, () => notifications.tenantGained(tenantId));
          },
          logger: logger.child({ component: 'leases' }),
        })
      : undefined;
    // Stopping, the instance lease goes last: after the server and every background task (an execution being sent),
    // so no other instance takes this one's sends for orphaned meanwhile (the tenants are released earlier).
    if (ownership) stops.push(() => ownership.leave());
    const instances = ownership ?? SINGLE_INSTANCE;
    const sharing = ownership ? { membership: ownership, ownership, joinWaitMs: config.defender.joinWaitMs } : {};
    const limiter = createDefenderLimiter(config.defender, sharing);
    stops.push(() => limiter.close());
    // Graph has its own budget (150 security requests a minute per app and tenant, no hourly limit documented).
    const graphLimiter = createDefenderLimiter(
      {
        ...config.defender,
        rateLimitPerMinute: config.graph.rateLimitPerMinute,
        rateLimitPerHour: config.graph.rateLimitPerMinute * 60,
      },
      sharing,
    );
    stops.push(() => graphLimiter.close());
    const http = new HttpClient({ extraCaPem: [...config.extraCaPem, ...(tenant ? [tenant.caCertPem] : [])] });
    stops.push(() => http.close());
    const authorityHost = tenant ? tenant.url : config.entra.authorityHost;
    const defender = new HttpDefenderClient({
      baseUrl: tenant ? tenant.url : config.defender.apiUrl,
      http,
      limiter,
      logger: logger.child({ component: 'defender' }),
      timeoutMs: config.defender.timeoutMs,
      maxRetries: config.defender.maxRetries,
      maxRetryAfterMs: config.defender.maxRetryAfterMs,
    });
    const graph = new HttpGraphSecurityClient({
      baseUrl: tenant ? `${tenant.url}/v1.0` : config.graph.apiUrl,
      http,
      limiter: graphLimiter,
      logger: logger.child({ component: 'graph' }),
      timeoutMs: config.defender.timeoutMs,
      maxRetries: config.defender.maxRetries,
      maxRetryAfterMs: config.defender.maxRetryAfterMs,
    });

    // The bot's app registration: one msal client per tenant, shared by every token flow.
    const clientId = tenant ? tenant.botClientId : config.bot.appId;
    if (!clientId) throw new AppError('internal', 'bot identity incomplete');
    const msalLogger = logger.child({ component: 'msal' });
    const clients = new MsalClientPool({
      clientId,
      ...(tenant
        ? { clientSecret: tenant.botClientSecret }
        : config.bot.certificateFile
          ? { clientCertificate: readClientCertificate(config.bot.certificateFile) }
          : { clientSecret: config.bot.password }),
      authorityHost,
      httpClient: http,
      logger: msalLogger,
    });
    const tokens = new MsalOboTokenProvider({
      clientId,
      authorityHost,
      defaultTenantId: tenant ? tenant.tenantId : (config.bot.tenantId ?? 'organizations'),
      scope: config.defender.scope,
      httpClient: http,
      logger: msalLogger,
      clients,
    });
    // Another resource, another token: Graph's audience is never accepted by Defender's API, nor the reverse.
    const graphTokens = new MsalOboTokenProvider({
      clientId,
      authorityHost,
      defaultTenantId: tenant ? tenant.tenantId : (config.bot.tenantId ?? 'organizations'),
      scope: config.graph.scope,
      httpClient: http,
      logger: msalLogger,
      clients,
    });
    const adminConsentUrl = (tenantId: string) =>
      `${authorityHost}/${tenantId}/adminconsent?client_id=${encodeURIComponent(clientId)}${
        config.bot.publicUrl ? `&redirect_uri=${encodeURIComponent(`${config.bot.publicUrl}/auth/consent`)}` : ''
      }`;

    let identity: DemoIdentity | SsoIdentity;
    let interactive: InteractiveSignIn | undefined;
    if (tenant) {
      identity = {
        kind: 'demo',
        assertions: new DemoAssertionSource({
          emulatorUrl: tenant.url,
          botClientId: clientId,
          httpClient: http,
          logger,
        }),
      };
    } else {
      const validator = new SsoTokenValidator({
        authorityHost,
        botAppId: clientId,
        httpClient: http,
        logger: msalLogger,
      });
      const cipher = new StateCipher(config.stateEncryptionKey ?? loadOrCreateStateKey(config.dataDir));
      interactive = config.bot.publicUrl
        ? new InteractiveSignIn({
            storage,
            cipher,
            clients,
            botAppId: clientId,
            redirectUri: `${config.bot.publicUrl}/auth/end`,
            startUri: `${config.bot.publicUrl}/auth/start`,
            validator,
            logger: msalLogger,
          })
        : undefined;
      identity = {
        kind: 'sso',
        botAppId: clientId,
        connectionName: config.bot.ssoConnectionName,
        store: new AssertionStore({ storage, cipher, logger: msalLogger }),
        pending: new PendingCommands({ storage }),
        validator,
        interactive,
      };
    }

    // The bot's own channel token (production): botbuilder's replies and the notification sender share it.
    const channelTokens = tenant
      ? undefined
      : new MsalBotTokenProvider({
          clients,
          tenant: config.bot.type === 'SingleTenant' && config.bot.tenantId ? config.bot.tenantId : 'botframework.com',
          logger: msalLogger,
        });
    const botAdapter = createBotAdapter(
      channelTokens
        ? {
            appId: clientId,
            type: config.bot.type,
            tenantId: config.bot.tenantId,
            tokens: channelTokens,
            channel: config.channel,
          }
        : undefined,
      logger,
    );

    // Response actions behind approvals: the audit trail, Defender tracking.
    const approvals = new ApprovalService({
      storage,
      policy: config.approvals,
      audit,
      now,
      instanceId: instances.instanceId,
    });
    await approvals.initialise();
    const background = new BackgroundTasks(logger);
    stops.push(() => background.idle());
    const executor = new ActionExecutor({
      service: approvals,
      defender,
      logger: logger.child({ component: 'approvals' }),
      publish: (request) => background.run(`publish ${request.id}`, () => publisher.publish(request)),
      // An ambiguous send is settled after a minute, or six client timeouts when the timeout is longer.
      timings: { settleMs: Math.max(60_000, 6 * config.defender.timeoutMs), ...options.reconcileTimings },
      now,
    });
    const publisher = new TeamsApprovalPublisher({
      adapter: botAdapter.adapter,
      botAppId: tenant ? '' : clientId,
      service: approvals,
      logger,
      now,
    });
    const appTokens = new MsalAppTokenProvider({
      clientId,
      authorityHost,
      scope: config.defender.scope,
      httpClient: http,
      logger: msalLogger,
      clients,
    });
    // The bot's own read-only identity: tracking, polling and reading pushed alerts need no person.
    const appAuth = (tenantId: string): DefenderAuth => ({
      kind: 'application',
      tenantId,
      getAccessToken: () => appTokens.acquireForApp(tenantId),
    });
    const tracker = new ActionTracker({
      service: approvals,
      executor,
      defender,
      publisher,
      appAuth,
      logger: logger.child({ component: 'tracker' }),
      intervalMs: options.actionPollIntervalMs ?? config.approvals.pollIntervalMs,
      runInBackground: (name, task) => background.run(name, task),
      ownership: instances,
      now,
    });
    const responseActions: ResponseActions = {
      service: approvals,
      executor,
      publisher,
      settings: new ApprovalSettings(storage),
      audit,
      postTo: (address, card, summary) => publisher.postTo(address, card, summary),
      runInBackground: (name, task) => background.run(name, task),
    };

    // Proactive alert notifications: subscriptions, the poller (application identity), delivery within Teams' limits.
    const notifications: AlertNotifications = new AlertNotifications({
      storage,
      defender,
      appAuth,
      sender: new TeamsConnectorSender({
        http,
        tokens: channelTokens,
        oauthScope: config.channel.oauthScope,
        logger,
      }),
      servedTenants: tenant ? [tenant.tenantId] : config.allowedTenantIds,
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

    const bot = new SocBot({
      defender,
      graph,
      identity,
      tokens,
      graphTokens,
      phrasebook: english,
      logger,
      now,
      allowedTenantIds: tenant ? undefined : config.allowedTenantIds,
      adminConsentUrl,
      responseActions,
      audit,
      notifications: {
        commands: {
          subscriptions: notifications.subscriptions,
          installations: notifications.installations,
          pollIntervalSeconds: config.notifications.poll ? config.notifications.pollIntervalMs / 1000 : 0,
        },
        remember: (tenantId, target) => notifications.remember(tenantId, target),
        retire: (tenantId, match) => notifications.retire(tenantId, match),
      },
    });
    // POST /api/notify exists once a push source is configured (an Entra caller or a webhook secret).
    const servedTenants = tenant ? [tenant.tenantId] : (config.allowedTenantIds ?? []);
    const notifyConfigured =
      config.notifications.notifyClientIds.length > 0 || config.notifications.notifyHmacSecrets.length > 0;
    const notify = notifyConfigured
      ? createNotifyHandler({
          authenticator: new NotifyAuthenticator({
            hmacSecrets: config.notifications.notifyHmacSecrets,
            ...(config.notifications.notifyClientIds.length > 0
              ? {
                  bearer: {
                    authorityHost,
                    audiences: [clientId, `api://botid-${clientId}`],
                    allowedClientIds: config.notifications.notifyClientIds,
                    requiredRole: 'SOC.Notify',
                    allowedTenantIds: servedTenants,
                  },
                }
              : {}),
            httpClient: http,
            logger,
          }),
          notifications,
          servedTenants,
          maxBodyBytes: config.notifications.notifyMaxBodyBytes,
          logger,
        })
      : undefined;
    const server = createHttpServer({
      messages: createMessagesHandler(botAdapter, bot, logger),
      logger,
      signInPages: interactive,
      notify,
      notifyMaxBodyBytes: config.notifications.notifyMaxBodyBytes,
    });
    const running = await listen(server, config.port, config.host);
    stops.push(() => running.close());
    if (ownership) {
      await ownership.start();
      stops.push(() => ownership.releaseTenants());
    }
    await tracker.start();
    stops.push(() => tracker.stop());
    await notifications.start();
    stops.push(() => notifications.stop());

    let playground: RunningPlayground | undefined;
    if (config.demo && (options.playground ?? config.demo.playground)) {
      playground = await startPlayground({
        port: config.demo.playgroundPort,
        botEndpoint: `${running.url}/api/messages`,
        configPath: options.playgroundConfigPath ?? path.join(projectRoot(), '.m365agentsplayground.yml'),
        workDir: path.join(config.dataDir, 'playground'),
        currentUser: config.demo.playgroundUser,
        http,
        logger,
      });
      stops.push(() => playground?.stop());
      if (tenant) {
        await useDemoChannel({
          settings: responseActions.settings,
          notifications,
          playgroundUrl: playground.url,
          tenantId: tenant.tenantId,
          http,
          now,
        });
      }
    }

    return {
      url: running.url,
      mode: config.mode,
      demo,
      tenant,
      playground,
      logger,
      idle: () => background.idle(),
      trackNow: async () => {
        await tracker.round({ force: true });
        await background.idle();
      },
      notifications,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The folder holding package.json (the code runs from dist/src/). */
export function projectRoot(): string {
  return path.resolve(__dirname, '..', '..');
}
