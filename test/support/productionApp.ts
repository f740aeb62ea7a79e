import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningApp, StartOptions } from '../../src/app';
import { startApp } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import { DEMO_APPLICATION_PERMISSIONS, DEMO_DELEGATED_PERMISSIONS } from '../../src/demo/demoConstants';
import type { HttpResponse } from '../../src/http/httpClient';
import { HttpClient } from '../../src/http/httpClient';
import { createLogger } from '../../src/logging/logger';
import { loadOrCreateDevCertificates } from '../../src/simulator/certs';
import type { ChannelEmulatorServer } from '../../src/simulator/channel/channelEmulatorServer';
import type { ConnectorLimits } from '../../src/simulator/channel/connectorLimits';
import type { DeliverActivityOptions } from '../../src/simulator/channel/channelEmulator';
import type { Seed, SeedUser } from '../../src/simulator/seed/seedSchema';
import type { SimulatorServer } from '../../src/simulator/simulatorServer';
import { startSimulatorServer } from '../../src/simulator/simulatorServer';
import { freePort } from './playgroundDriver';
import { teamsEnvelope, teamsMessage } from './teamsActivities';
import { captureStream } from './testApp';

/** A person of a simulated tenant, as Teams names them in activities. */
export interface TeamsPerson {
  tenantId: string;
  user: SeedUser;
  /** The Teams user id (`29:…`). */
  id: string;
}

/** Where a test posts: personal chat, group chat or a team channel of a tenant. */
export interface Conversation {
  id: string;
  conversationType: 'personal' | 'groupChat' | 'channel';
  tenantId: string;
}

/** The bot in production mode against the simulators: a real Teams channel and Entra ID, emulated locally. */
export interface ProductionHarness {
  app: RunningApp;
  simulator: SimulatorServer;
  channel: ChannelEmulatorServer;
  botId: string;
  /** The bot's client secret in the emulator (benchmarks get the bot's own channel token with it). */
  botSecret: string;
  /** The local CA every emulator's certificate is signed by (for a test's own HTTPS client). */
  caCertPem: string;
  person(seed: Seed, firstName: string): TeamsPerson;
  /** A Teams SSO token for the person (what Teams puts in `signin/tokenExchange` and `authentication.token`). */
  ssoToken(person: TeamsPerson, options?: { expired?: boolean; audience?: string }): string;
  /** POSTs a signed activity to the bot; resolves with the HTTP answer. */
  deliver(
    activity: Record<string, unknown>,
    options?: DeliverActivityOptions,
  ): Promise<{ status: number; body: unknown }>;
  message(
    text: string,
    from: TeamsPerson,
    conversation: Conversation,
    options?: DeliverActivityOptions,
  ): Promise<{ status: number; body: unknown }>;
  invoke(
    name: string,
    value: unknown,
    from: TeamsPerson,
    conversation: Conversation,
  ): Promise<{ status: number; body: unknown }>;
  /** A browser's GET (no redirects followed), trusting the emulators' CA: sign-in and consent pages. */
  browse(url: string | URL): Promise<HttpResponse>;
  /**
   * Clicks an Action.Execute button as Teams does after a sign-in: the invoke carries the clicker's SSO token
   * (`authentication.token`). Resolves with the invoke response body.
   */
  execute(
    verb: string,
    data: unknown,
    from: TeamsPerson,
    conversation: Conversation,
    options?: { signedIn?: boolean; activityId?: string; replyToId?: string },
  ): Promise<{ statusCode: number; type: string; value: unknown }>;
  /** Stops the bot and starts a new one on the same data directory (a restart or redeploy). */
  restartBot(): Promise<void>;
  /**
   * Starts another instance of the bot with the same settings (on Blob Storage: the same container), its own
   * port and DATA_DIR: the returned harness talks to it; the simulators are shared. Stopped with `stop()` of the
   * original harness, or its own `app.stop()`.
   */
  startPeer(): Promise<ProductionHarness>;
  /** The next activities the bot sends to a conversation through the connector after `since`. */
  repliesTo(conversation: Conversation, since: number, count?: number): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

/** Options: the tenants (the first is the bot's home), which consented, and which are served. */
export interface ProductionHarnessOptions {
  seeds: Seed[];
  consentedTenants?: string[];
  allowedTenantIds?: string[];
  botType?: string;
  /** Machine-action lifecycle of the simulator (default: fast, for tests). */
  timings?: { pendingMs: number; inProgressMs: number; timeoutMs: number };
  /** Teams' per-conversation limits enforced by the connector emulator (default: Teams' own). */
  connectorLimits?: Partial<ConnectorLimits>;
  /** The simulator's Defender quotas (default: lifted). */
  rateLimits?: { perMinute: number; perHour: number };
  /** The bot's clock (approval expiry); default real time. */
  now?: () => Date;
  /** Extra settings for the bot (policy knobs…). */
  env?: NodeJS.ProcessEnv;
  /** Extra start options (short notification backoff…). */
  startOptions?: Partial<StartOptions>;
}

/**
 * Starts the whole product in production mode (BOT_ID set) against the local Entra ID emulator, Defender
 * simulator and Teams channel + Bot Connector emulator: channel JWTs are validated, replies carry the bot's
 * msal token, and users sign in with SSO tokens issued by the emulator for each tenant.
 */
export async function startProductionHarness(options: ProductionHarnessOptions): Promise<ProductionHarness> {
  const botId = randomUUID();
  const botSecret = `secret-${randomUUID()}`;
  const home = options.seeds[0]!.tenant.id;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-prod-'));
  const certificates = loadOrCreateDevCertificates({ dir: path.join(dataDir, 'certs') });
  const caFile = path.join(dataDir, 'ca.pem');
  fs.writeFileSync(caFile, certificates.caCertPem);
  const simulator = await startSimulatorServer({
    seeds: options.seeds,
    port: 0,
    certificates,
    channel: { botAppId: botId, ...(options.connectorLimits ? { limits: options.connectorLimits } : {}) },
    timings: options.timings ?? { pendingMs: 150, inProgressMs: 150, timeoutMs: 2_000 },
    // Quotas are tested on their own; elsewhere fast polling must not exhaust Defender's 100 calls/min.
    rateLimits: options.rateLimits ?? { perMinute: 1_000_000, perHour: 15_000_000 },
    logger: createLogger({ level: 'silent' }),
  });
  const channel = simulator.channel!;
  simulator.entra.registerClient({
    clientId: botId,
    clientSecret: botSecret,
    displayName: 'Defender SOC Bot (test)',
    delegatedPermissions: DEMO_DELEGATED_PERMISSIONS,
    applicationPermissions: DEMO_APPLICATION_PERMISSIONS,
    homeTenantId: home,
    multiTenant: true,
  });
  for (const tenantId of options.consentedTenants ?? options.seeds.map((s) => s.tenant.id)) {
    simulator.entra.grantAdminConsent(tenantId, botId);
  }

  const port = await freePort();
  const config = loadConfig(
    {
      BOT_ID: botId,
      BOT_PASSWORD: botSecret,
      BOT_TENANT_ID: home,
      BOT_TYPE: options.botType ?? 'SingleTenant',
      BOT_DOMAIN: `127.0.0.1:${port}`,
      ALLOWED_TENANT_IDS: (options.allowedTenantIds ?? [home]).join(','),
      AUTHORITY_HOST: simulator.url,
      DEFENDER_API_URL: simulator.url,
      GRAPH_API_URL: `${simulator.url}/v1.0`,
      EXTRA_CA_CERTS_FILE: caFile,
      BOT_OPENID_METADATA_URL: channel.openIdMetadataUrl,
      LOG_LEVEL: 'debug',
      DATA_DIR: dataDir,
      DEFENDER_RATE_LIMIT_PER_MINUTE: '100000',
      // A starting instance on shared storage would make no Defender call for a minute (the quota's join wait,
      // test/defender/sharedQuota.test.ts); the conversation tests start instances and talk to them at once.
      DEFENDER_JOIN_WAIT_MS: '0',
      // Required with Blob storage (several instances share it); harmless with the file store.
      STATE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ...(options.env ?? {}),
    },
    process.cwd(),
  );
  const peers: RunningApp[] = [];
  const boot = (at = { port, dataDir: config.dataDir }) =>
    startApp(
      { ...config, port: at.port, dataDir: at.dataDir },
      {
        logger: createLogger({ level: 'debug', destination: captureStream() }),
        actionPollIntervalMs: 100,
        // An ambiguous Defender answer is checked for a short while in tests (a minute in production).
        reconcileTimings: { settleMs: 600, firstReadDelayMs: 50 },
        ...(options.now ? { now: options.now } : {}),
        ...(options.startOptions ?? {}),
      },
    );
  let app = await boot();
  const endpoint = `${app.url}/api/messages`;
  const browser = new HttpClient({ extraCaPem: [certificates.caCertPem] });

  const envelope = (from: TeamsPerson, conversation: Conversation) =>
    teamsEnvelope({ botId, serviceUrl: channel.serviceUrl, from, conversation });
  const harness: ProductionHarness = {
    get app() {
      return app;
    },
    simulator,
    channel,
    botId,
    botSecret,
    caCertPem: certificates.caCertPem,
    person(seed, firstName) {
      const user = seed.users.find((u) => u.displayName.startsWith(firstName));
      if (!user) throw new Error(`no ${firstName} in ${seed.tenant.name}`);
      return { tenantId: seed.tenant.id, user, id: `29:${user.aadObjectId}` };
    },
    ssoToken(person, tokenOptions = {}) {
      return simulator.entra.mintUserAssertion({
        tenantId: person.tenantId,
        aadObjectId: person.user.aadObjectId,
        audience: tokenOptions.audience ?? botId,
        ...(tokenOptions.expired ? { expired: true } : {}),
      }).token;
    },
    deliver: (activity, deliverOptions) => channel.deliverActivity(endpoint, activity as never, deliverOptions),
    message(text, from, conversation, deliverOptions) {
      return this.deliver(
        { ...envelope(from, conversation), ...teamsMessage(text, botId, conversation) },
        deliverOptions,
      );
    },
    browse: (url) => browser.request({ method: 'GET', url: url.toString(), timeoutMs: 10_000 }),
    async execute(verb, data, from, conversation, executeOptions = {}) {
      const signedIn = executeOptions.signedIn ?? true;
      const response = await this.deliver({
        ...envelope(from, conversation),
        ...(executeOptions.activityId ? { id: executeOptions.activityId } : {}),
        ...(executeOptions.replyToId ? { replyToId: executeOptions.replyToId } : {}),
        type: 'invoke',
        name: 'adaptiveCard/action',
        value: {
          action: { type: 'Action.Execute', verb, data },
          trigger: 'manual',
          ...(signedIn ? { authentication: { token: harness.ssoToken(from) } } : {}),
        },
      });
      return response.body as { statusCode: number; type: string; value: unknown };
    },
    async restartBot() {
      await app.stop();
      app = await boot();
    },
    invoke(name, value, from, conversation) {
      return this.deliver({ ...envelope(from, conversation), type: 'invoke', name, value });
    },
    async startPeer() {
      const peerDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-peer-'));
      const peerApp = await boot({ port: await freePort(), dataDir: peerDir });
      peers.push(peerApp);
      const peerEndpoint = `${peerApp.url}/api/messages`;
      return {
        ...harness,
        app: peerApp,
        deliver: (activity, deliverOptions) => channel.deliverActivity(peerEndpoint, activity as never, deliverOptions),
      };
    },
    async repliesTo(conversation, since, count = 1) {
      const records = await channel.waitFor((a) => a.conversationId === conversation.id && a.kind !== 'delete', {
        since,
        count,
        timeoutMs: 10_000,
      });
      return records.map((r) => r.activity as Record<string, unknown>);
    },
    async stop() {
      browser.close();
      for (const peer of peers) await peer.stop();
      await app.stop();
      await simulator.close();
    },
  };
  return harness;
}

/** The new posts (not updates) the bot made in a conversation (a channel's threads included) since `since` requests. */
export function postsIn(h: ProductionHarness, where: Conversation, since: number): Record<string, unknown>[] {
  return h.channel
    .sent()
    .slice(since)
    .filter((s) => s.kind === 'send' && s.conversationId.startsWith(where.id))
    .map((s) => s.activity);
}
