import path from 'node:path';
import type { ReconcileTimings } from './approvals/actionExecutor';
import { createMessagesHandler } from './bot/botAdapter';
import { SocBot } from './bot/socBot';
import type { ResponseActions } from './commands/responseActions';
import { english } from './commands/phrasebook';
import { createIdentity } from './composition/identity';
import { Lifecycle } from './composition/lifecycle';
import type { NotificationsFeature } from './composition/notificationsFeature';
import { installNotifications } from './composition/notificationsFeature';
import type { Platform } from './composition/platform';
import { startPlatform } from './composition/platform';
import { installCustomers } from './composition/customersFeature';
import type { CustomersFeature } from './composition/customersFeature';
import { serveDemoCustomers } from './demo/demoCustomers';
import { UserLanguages } from './i18n/userLanguage';
import { ConversationLanguageStore } from './i18n/conversationLanguage';
import { installResponseActions } from './composition/responseActionsFeature';
import { installHunting } from './composition/huntingFeature';
import { installTab } from './composition/tabFeature';
import type { TabFeature } from './composition/tabFeature';
import type { Config } from './config/config';
import type { DemoEnvironment, SimulatedTenant } from './demo/demoEnvironment';
import { useDemoChannel } from './demo/demoChannel';
import type { RunningPlayground } from './demo/playground';
import { startPlayground } from './demo/playground';
import { startDemoTeamsHost } from './demo/demoTeamsHost';
import type { AlertNotifications } from './notifications/alertNotifications';
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
  /** Start the local Teams host page of the SOC console tab (default: with the Playground, if TEAMS_HOST is on). */
  teamsHost?: boolean;
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
  /** Demo mode: the local Teams host page that opens the SOC console tab. */
  teamsHost: { url: string; origin: string } | undefined;
  logger: Logger;
  /** Resolves when background work started so far (executions, card updates) has finished. */
  idle(): Promise<void>;
  /** One round of Defender status checks and expiries now (tests; production runs them on a timer). */
  trackNow(): Promise<void>;
  /** The alert notification pipeline (tests poll and wait for deliveries through it). */
  notifications: AlertNotifications;
  /** The SOC console tab (tests run its containment reminders by hand). */
  tab: TabFeature;
  stop(): Promise<void>;
}

/**
 * The one composition root: starts the platform (demo tenant, state, audit, ownership, the Defender and Graph
 * clients), the bot's identities, then each feature, then the server, then their background work.
 */
export async function startApp(config: Config, options: StartOptions = {}): Promise<RunningApp> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const now = options.now ?? (() => new Date());
  const lifecycle = new Lifecycle();
  try {
    const platform = await startPlatform(config, logger, now, lifecycle, options);
    const identity = createIdentity(platform);
    const customers = installCustomers(platform, identity);
    // Cards nobody in particular reads (approvals channel, notifications) speak their conversation's language.
    const conversationLanguages = new ConversationLanguageStore(platform.storage);
    const languageOf = (conversationId: string) => conversationLanguages.languageOf(conversationId);
    // Background work reads with the app identity, refused in a customer's tenant once it is offboarded.
    const responseActions = await installResponseActions(platform, customers.servedIdentity, lifecycle, options, {
      servesTenant: async (conversationId, tenantId) =>
        (await customers.registry.boundTo(conversationId)).some((c) => c.tenantId === tenantId.toLowerCase()),
      isServed: (tenantId) => customers.registry.isServed(tenantId),
      languageOf,
    });
    const notifications = installNotifications(platform, customers.servedIdentity, lifecycle, options, {
      isServed: (tenantId) => customers.registry.isServed(tenantId),
      customerNameOf: async (tenantId) => (await customers.registry.activeCustomer(tenantId))?.name,
      languageOf,
    });
    // What a conversation no longer addresses stops reaching it: a customer's notices after an unbind, its own
    // tenant's once it serves customers.
    customers.registry.onBindingChanged(async ({ kind, conversationId, tenantId }) => {
      const stops = kind === 'unbound' ? tenantId : customers.providerTenantId;
      if (stops) await notifications.pipeline.retire(stops, { conversationId });
    });
    customers.registry.onOffboarded(async (tenantId) => {
      await notifications.pipeline.forgetTenant(tenantId);
      await responseActions.expireTenant(tenantId);
    });

    // Saved hunts and ad-hoc KQL, run as the person through Graph; results stored for paging, sorting and CSV.
    const hunting = await installHunting(platform, lifecycle, {
      projectRoot: projectRoot(),
      customers: customers.registry,
    });

    // The SOC console tab: the team's queue, containments, audit and channel subscriptions, under the cards' rules.
    const tab = installTab(
      platform,
      identity,
      lifecycle,
      { responseActions, notifications },
      { projectRoot: projectRoot() },
    );

    const bot = new SocBot({
      defender: platform.defender,
      graph: platform.graph,
      identity: identity.people,
      tokens: identity.defenderTokens,
      graphTokens: identity.graphTokens,
      phrasebook: english,
      logger,
      now,
      allowedTenantIds: platform.tenant ? undefined : config.allowedTenantIds,
      adminConsentUrl: identity.adminConsentUrl,
      responseActions: responseActions.port,
      audit: platform.audit,
      notifications: notifications.bot,
      customers: customers.registry,
      customerAdmin: customers.admin,
      languages: new UserLanguages(platform.storage),
      conversationLanguages,
      huntResults: hunting.results,
      hunting: hunting.port,
    });
    const server = createHttpServer({
      messages: createMessagesHandler(identity.botAdapter, bot, logger),
      logger,
      signInPages: identity.interactive,
      consentPages: customers.onboarding,
      notify: notifications.notifyHandler,
      notifyMaxBodyBytes: config.notifications.notifyMaxBodyBytes,
      tab: tab.pages,
    });
    const running = await listen(server, config.port, config.host);
    lifecycle.onStop(() => running.close());
    customers.listening(running.url);

    // Background work, once the server answers: tenants first (with several instances), then each feature's.
    const ownership = platform.ownership;
    if (ownership) {
      await ownership.start();
      lifecycle.onStop(() => ownership.releaseTenants());
    }
    await responseActions.start();
    await notifications.start();
    hunting.start();
    tab.start();
    const playground = await startDemoPlayground(
      platform,
      running.url,
      { responseActions: responseActions.port, notifications, customers },
      lifecycle,
      options,
    );

    const teamsHost = await startDemoTeamsHostFor(platform, running.url, tab, lifecycle, options);

    return {
      url: running.url,
      mode: config.mode,
      demo: platform.demo,
      tenant: platform.tenant,
      playground,
      teamsHost,
      logger,
      idle: () => platform.background.idle(),
      trackNow: async () => {
        await responseActions.tracker.round({ force: true });
        await platform.background.idle();
      },
      notifications: notifications.pipeline,
      tab,
      stop: () => lifecycle.stop(),
    };
  } catch (err) {
    await lifecycle.stop();
    throw err;
  }
}

/** Demo mode: the Agents Playground, pointed at the bot, with its conversation as the demo's approval channel. */
async function startDemoPlayground(
  platform: Platform,
  botUrl: string,
  features: { responseActions: ResponseActions; notifications: NotificationsFeature; customers: CustomersFeature },
  lifecycle: Lifecycle,
  options: StartOptions,
): Promise<RunningPlayground | undefined> {
  const { responseActions, notifications, customers } = features;
  const { config, tenant, http, logger, now } = platform;
  if (!config.demo || !(options.playground ?? config.demo.playground)) return undefined;
  const playground = await startPlayground({
    port: config.demo.playgroundPort,
    botEndpoint: `${botUrl}/api/messages`,
    configPath: playgroundConfigPathOf(config.demo, options),
    workDir: path.join(config.dataDir, 'playground'),
    currentUser: config.demo.playgroundUser,
    http,
    logger,
  });
  lifecycle.onStop(() => playground.stop());
  if (tenant && config.demo.scenario === 'mssp') {
    await serveDemoCustomers({
      customers,
      settings: responseActions.settings,
      notifications: notifications.pipeline,
      playgroundUrl: playground.url,
      http,
      logger,
      now,
    });
  } else if (tenant) {
    await useDemoChannel({
      settings: responseActions.settings,
      notifications: notifications.pipeline,
      playgroundUrl: playground.url,
      tenantId: tenant.tenantId,
      http,
      now,
    });
  }
  return playground;
}

/** Demo mode: the local Teams host page, allowed to frame the tab (Teams' own hosts are always allowed). */
async function startDemoTeamsHostFor(
  platform: Platform,
  botUrl: string,
  tab: TabFeature,
  lifecycle: Lifecycle,
  options: StartOptions,
): Promise<{ url: string; origin: string } | undefined> {
  const { config, demo, logger } = platform;
  const wanted = options.teamsHost ?? (config.demo?.teamsHost && (options.playground ?? config.demo.playground));
  if (!config.demo || !demo || !wanted) return undefined;
  const host = await startDemoTeamsHost({
    demo,
    botUrl,
    playgroundConfigPath: playgroundConfigPathOf(config.demo, options),
    port: config.demo.teamsHostPort,
    logger,
  });
  lifecycle.onStop(() => host.stop());
  tab.allowDemoHost(host.origin);
  return { url: host.url, origin: host.origin };
}

/** The Playground's conversations and personas for the demo's scenario (the Teams host page uses its team too). */
function playgroundConfigPathOf(demo: NonNullable<Config['demo']>, options: StartOptions): string {
  const file = demo.scenario === 'mssp' ? '.m365agentsplayground.mssp.yml' : '.m365agentsplayground.yml';
  return options.playgroundConfigPath ?? path.join(projectRoot(), file);
}

/** The folder holding package.json (the code runs from dist/src/). */
export function projectRoot(): string {
  return path.resolve(__dirname, '..', '..');
}
