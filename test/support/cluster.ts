import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { DEMO_APPLICATION_PERMISSIONS, DEMO_DELEGATED_PERMISSIONS } from '../../src/demo/demoConstants';
import { createLogger } from '../../src/logging/logger';
import type { OpenedStorage } from '../../src/storage/createStorage';
import { createStorage } from '../../src/storage/createStorage';
import { loadOrCreateDevCertificates } from '../../src/simulator/certs';
import type { ChannelEmulatorServer } from '../../src/simulator/channel/channelEmulatorServer';
import type { ConnectorLimits } from '../../src/simulator/channel/connectorLimits';
import type { Seed } from '../../src/simulator/seed/seedSchema';
import type { SimulatorServer } from '../../src/simulator/simulatorServer';
import { startSimulatorServer } from '../../src/simulator/simulatorServer';
import type { Azurite } from './azurite';
import { startAzurite } from './azurite';
import type { InstanceStartOptions } from './instanceMain';
import type { Conversation, TeamsPerson } from './productionApp';
import { teamsEnvelope, teamsMessage } from './teamsActivities';

/*
 * Several bot instances as one deployment: child processes (so SIGKILL is real) in production mode, on one
 * Azure Blob container (Azurite, in memory) and each with its own DATA_DIR, against ONE simulated tenant — the
 * Defender simulator, the Entra ID emulator and the Teams channel + Bot Connector emulator in this process, which
 * count what every instance did. Everything listens on 127.0.0.1.
 */

/** One request the Defender simulator answered, from its own request log. */
export interface DefenderRequest {
  method: string;
  path: string;
  status: number;
}

/** How to build the cluster: how many instances, the tenant, and settings every instance shares. */
export interface ClusterOptions {
  instances: number;
  seed: Seed;
  /** Settings for every instance (on top of the cluster's own: identity, storage, short lease timings). */
  env?: NodeJS.ProcessEnv;
  /** Test seams for every instance (default: short tracking, reconcile and backoff timings). */
  startOptions?: InstanceStartOptions;
  /** Machine-action lifecycle of the simulator (default: fast). */
  timings?: { pendingMs: number; inProgressMs: number; timeoutMs: number };
  /**
   * Defender's quota per API (the simulator enforces it, ×15 per hour) and the bot's budget for it
   * (DEFENDER_RATE_LIMIT_PER_MINUTE). Default: lifted, so fast test timings do not exhaust it; quotas have
   * their own test.
   */
  quotaPerMinute?: number;
  connectorLimits?: Partial<ConnectorLimits>;
}

/**
 * Where an activity goes: one instance by index, an origin in front of the instances (`via`, e.g. a load
 * balancer), or by default the next live instance round-robin (what a load balancer does).
 */
export interface Routing {
  to?: number;
  via?: string;
}

/** The running cluster and its controls. */
export interface Cluster {
  simulator: SimulatorServer;
  channel: ChannelEmulatorServer;
  azurite: Azurite;
  /** The Blob container every instance shares. */
  container: string;
  botId: string;
  size: number;
  /** The instance's `http://127.0.0.1:port`, or undefined while it is down. */
  url(index: number): string | undefined;
  isUp(index: number): boolean;
  /** Sends the signal and waits for the process to be gone. */
  kill(index: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a new process for the instance (same DATA_DIR, new port) and waits until it listens. */
  restart(index: number): Promise<void>;
  /** Instances that are up, in index order. */
  upInstances(): number[];
  person(firstName: string): TeamsPerson;
  /** POSTs a channel-signed activity to an instance (round-robin over live instances by default). */
  deliver(activity: Record<string, unknown>, routing?: Routing): Promise<{ status: number; body: unknown }>;
  message(
    text: string,
    from: TeamsPerson,
    conversation: Conversation,
    routing?: Routing,
  ): Promise<{ status: number; body: unknown }>;
  /** An Action.Execute click, signed in (the invoke carries the clicker's SSO token); resolves with the body. */
  execute(
    verb: string,
    data: unknown,
    from: TeamsPerson,
    conversation: Conversation,
    routing?: Routing,
  ): Promise<{ statusCode: number; type: string; value: unknown }>;
  /** An item of the shared store as the instances see it (read through the product's own Blob store). */
  stored(key: string): Promise<Record<string, unknown> | undefined>;
  /** Every request the Defender simulator answered, oldest first. */
  defenderRequests(): DefenderRequest[];
  /**
   * Instances whose log shows a Defender call matching `path` since `since`, the latest caller first: who does
   * a tenant's background work (its tracker lists machine actions, its poller lists alerts).
   */
  callersOf(path: RegExp, since: Date): number[];
  /** The instance's log so far (for a failing test's message). */
  log(index: number): string;
  /**
   * Runs `npm run audit:export`'s tool with these arguments against the shared store (STORAGE_CONNECTION_STRING)
   * from an empty DATA_DIR of its own: exit code, stdout and stderr.
   */
  auditExport(args: string[]): Promise<{ exitCode: number; output: string }>;
  stop(): Promise<void>;
}

/** Polls `condition` until it returns a value other than undefined/false; throws with `what` after `timeoutMs`. */
export async function waitUntil<T>(
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  what: string | (() => string | Promise<string>),
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : await what()}`);
    await sleep(options.intervalMs ?? 50);
  }
}

/** Lease settings for tests: Azure's shortest lease (15 s), renewed every 3 s. */
const SHORT_LEASES: NodeJS.ProcessEnv = { LEASE_DURATION_SECONDS: '15', LEASE_RENEW_MS: '3000' };

const running = new Set<ChildProcess>();
// Mocha runs with --exit: kill what is still running rather than leave an orphan polling Defender.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts the simulated tenant, Azurite and `options.instances` bot processes; resolves once all of them listen. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const botId = randomUUID();
  const botSecret = `secret-${randomUUID()}`;
  const home = options.seed.tenant.id;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-cluster-'));
  const certificates = loadOrCreateDevCertificates({ dir: path.join(root, 'certs') });
  const caFile = path.join(root, 'ca.pem');
  fs.writeFileSync(caFile, certificates.caCertPem);

  const quotaPerMinute = options.quotaPerMinute ?? 100_000;
  const requests: DefenderRequest[] = [];
  const simulatorLog = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.includes('"defender api request"')) continue;
        const entry = JSON.parse(line) as DefenderRequest;
        requests.push({ method: entry.method, path: entry.path, status: entry.status });
      }
      done();
    },
  });
  const simulator = await startSimulatorServer({
    seeds: [options.seed],
    port: 0,
    certificates,
    channel: { botAppId: botId, ...(options.connectorLimits ? { limits: options.connectorLimits } : {}) },
    timings: options.timings ?? { pendingMs: 150, inProgressMs: 150, timeoutMs: 2_000 },
    rateLimits: { perMinute: quotaPerMinute, perHour: quotaPerMinute * 15 },
    logger: createLogger({ level: 'debug', destination: simulatorLog }),
  });
  const channel = simulator.channel!;
  simulator.entra.registerClient({
    clientId: botId,
    clientSecret: botSecret,
    displayName: 'Defender SOC Bot (cluster)',
    delegatedPermissions: DEMO_DELEGATED_PERMISSIONS,
    applicationPermissions: DEMO_APPLICATION_PERMISSIONS,
    homeTenantId: home,
    multiTenant: true,
  });
  simulator.entra.grantAdminConsent(home, botId);
  const azurite = await startAzurite();
  const container = `cluster-${randomBytes(6).toString('hex')}`;

  const stateKey = randomBytes(32).toString('base64');
  const sharedEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    BOT_ID: botId,
    BOT_PASSWORD: botSecret,
    BOT_TENANT_ID: home,
    BOT_TYPE: 'SingleTenant',
    BOT_DOMAIN: '127.0.0.1',
    ALLOWED_TENANT_IDS: home,
    AUTHORITY_HOST: simulator.url,
    DEFENDER_API_URL: simulator.url,
    EXTRA_CA_CERTS_FILE: caFile,
    BOT_OPENID_METADATA_URL: channel.openIdMetadataUrl,
    LOG_LEVEL: 'debug',
    STORAGE_CONNECTION_STRING: azurite.connectionString,
    STORAGE_CONTAINER: container,
    DEFENDER_RATE_LIMIT_PER_MINUTE: String(quotaPerMinute),
    // One key for every instance: sign-in state sealed by one is opened by the others.
    STATE_ENCRYPTION_KEY: stateKey,
    // The instances start together, with nothing spent yet: the quota's join wait need only cover the time the
    // membership takes to settle (a lease round), not a whole minute.
    DEFENDER_JOIN_WAIT_MS: '5000',
    ...SHORT_LEASES,
    ...(options.env ?? {}),
    CLUSTER_START_OPTIONS: JSON.stringify({
      actionPollIntervalMs: 200,
      reconcileTimings: { settleMs: 600, firstReadDelayMs: 50 },
      notificationBackoff: { baseMs: 50, maxMs: 400, jitter: 0.2 },
      ...(options.startOptions ?? {}),
    }),
  };
  const dataDirs = Array.from({ length: options.instances }, (_, i) => {
    const dir = path.join(root, `instance-${i}`);
    fs.mkdirSync(dir);
    return dir;
  });
  const processes: (ChildProcess | undefined)[] = Array.from({ length: options.instances });
  const urls: (string | undefined)[] = Array.from({ length: options.instances });
  const main = path.join(__dirname, 'instanceMain.js');

  async function launch(index: number): Promise<void> {
    const child = spawn(process.execPath, ['--disable-warning=DEP0111', main], {
      env: { ...sharedEnv, DATA_DIR: dataDirs[index] },
      cwd: process.cwd(),
      // stdin stays open for the instance's lifetime: it exits when this process is gone (see instanceMain.ts).
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    running.add(child);
    processes[index] = child;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    void exited.then(() => {
      running.delete(child);
      if (processes[index] === child) urls[index] = undefined;
    });
    const stderr: string[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    urls[index] = await new Promise<string>((resolve, reject) => {
      const lines = readline.createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        if (line.startsWith('{"url"')) resolve((JSON.parse(line) as { url: string }).url);
      });
      void exited.then(() =>
        reject(new Error(`instance ${index} exited before listening: ${stderr.join('').slice(0, 1_000)}`)),
      );
    });
  }

  async function kill(index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = processes[index];
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    urls[index] = undefined;
    child.kill(signal);
    // A graceful stop that hangs must not hang the suite: it becomes a kill.
    const hung = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(hung);
  }

  // Started one after another: each start reads the shared store, as a rolling deployment would.
  try {
    for (let i = 0; i < options.instances; i++) await launch(i);
  } catch (err) {
    for (let i = 0; i < options.instances; i++) await kill(i);
    await azurite.stop();
    await simulator.close();
    throw err;
  }

  let next = 0;
  let store: OpenedStorage | undefined;
  const upInstances = () => urls.flatMap((url, i) => (url ? [i] : []));
  const endpointFor = (routing: Routing = {}) => {
    if (routing.via !== undefined) return `${routing.via}/api/messages`;
    let index = routing.to;
    if (index === undefined) {
      const up = upInstances();
      if (up.length === 0) throw new Error('no instance is up');
      index = up[next++ % up.length]!;
    }
    const url = urls[index];
    if (!url) throw new Error(`instance ${index} is down`);
    return `${url}/api/messages`;
  };
  const envelope = (from: TeamsPerson, conversation: Conversation) =>
    teamsEnvelope({ botId, serviceUrl: channel.serviceUrl, from, conversation });

  const cluster: Cluster = {
    simulator,
    channel,
    azurite,
    container,
    botId,
    size: options.instances,
    url: (index) => urls[index],
    isUp: (index) => urls[index] !== undefined,
    kill,
    async restart(index) {
      await kill(index);
      await launch(index);
    },
    upInstances,
    person(firstName) {
      const user = options.seed.users.find((u) => u.displayName.startsWith(firstName));
      if (!user) throw new Error(`no ${firstName} in ${options.seed.tenant.name}`);
      return { tenantId: home, user, id: `29:${user.aadObjectId}` };
    },
    deliver: (activity, routing) => channel.deliverActivity(endpointFor(routing), activity as never),
    message: (text, from, conversation, routing) =>
      cluster.deliver({ ...envelope(from, conversation), ...teamsMessage(text, botId, conversation) }, routing),
    async execute(verb, data, from, conversation, routing) {
      const token = simulator.entra.mintUserAssertion({
        tenantId: home,
        aadObjectId: from.user.aadObjectId,
        audience: botId,
      }).token;
      const response = await cluster.deliver(
        {
          ...envelope(from, conversation),
          type: 'invoke',
          name: 'adaptiveCard/action',
          value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual', authentication: { token } },
        },
        routing,
      );
      return response.body as { statusCode: number; type: string; value: unknown };
    },
    async stored(key) {
      store ??= await createStorage({ kind: 'blob', connectionString: azurite.connectionString, container }, root);
      return (await store.storage.read([key]))[key] as Record<string, unknown> | undefined;
    },
    defenderRequests: () => [...requests],
    callersOf(pathPattern, since) {
      const latest = new Map<number, number>();
      for (let i = 0; i < options.instances; i++) {
        for (const line of cluster.log(i).split('\n')) {
          if (!line.includes('"msg":"defender call"')) continue;
          const entry = JSON.parse(line) as { time: string; path: string };
          const at = Date.parse(entry.time);
          if (at >= since.getTime() && pathPattern.test(entry.path)) latest.set(i, Math.max(at, latest.get(i) ?? 0));
        }
      }
      return [...latest.entries()].sort((a, b) => b[1] - a[1]).map(([i]) => i);
    },
    log(index) {
      const file = path.join(dataDirs[index]!, 'instance.log');
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    },
    auditExport: (args) =>
      new Promise((resolve) => {
        const auditor = fs.mkdtempSync(path.join(root, 'auditor-'));
        const child = spawn(
          process.execPath,
          [path.join(__dirname, '..', '..', 'src', 'audit', 'exportMain.js'), ...args],
          { env: { ...sharedEnv, DATA_DIR: auditor }, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        const output: string[] = [];
        child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
        child.once('exit', (code) => resolve({ exitCode: code ?? 1, output: output.join('') }));
      }),
    async stop() {
      await store?.close();
      for (let i = 0; i < options.instances; i++) await kill(i, 'SIGTERM');
      await azurite.stop();
      await simulator.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  return cluster;
}
