/*
 * `npm run bench -- tenants`: the background cost of idle customer tenants (partner context, issue 12).
 *
 * An MSSP's bot polls every customer tenant with subscriptions, with that tenant's application identity (client
 * credentials against the customer's authority, one msal client per tenant): the MDE alert poller, the Graph
 * incident poller and the Graph alerts_v2 poller, each once per interval. "Idle": subscribed, nothing changes.
 *
 * Three processes per run, as in production: the simulator (Defender + Graph + Entra emulator) with N generated
 * small customer tenants beside the provider tenant (the bot's app registered multi-tenant in the provider and
 * admin-consented in every customer), the bot (demo mode pointed at that simulator, as bench/systemUnderTest.ts
 * does), and this runner. Each customer tenant gets one subscription ("alerts and incidents, High") to the
 * provider's SOC channel, written through the project's SubscriptionStore into the bot's file store before the
 * bot starts (the commands that subscribe a provider channel to a customer are not there yet).
 *
 * Measured after a warm-up (first msal client and token per tenant), over several intervals: the bot's CPU (from
 * /proc, % of one core), its RSS, Defender + Graph + token-endpoint calls per tenant and hour (the simulator's
 * counters), and how long one polling round over all tenants takes beside the interval (timed in the bot process).
 *
 * Run as a child of itself: `node dist/bench/idleTenantsBench.js simulator|bot`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { SimulatedTenant } from '../src/app';
import { startApp } from '../src/app';
import { loadConfig } from '../src/config/config';
import { DEMO_APPLICATION_PERMISSIONS, DEMO_BOT_ID, DEMO_DELEGATED_PERMISSIONS } from '../src/demo/demoConstants';
import { HttpClient } from '../src/http/httpClient';
import { createLogger } from '../src/logging/logger';
import { SubscriptionStore } from '../src/notifications/subscriptionStore';
import { loadOrCreateDevCertificates } from '../src/simulator/certs';
import { demoSeedPath, loadSeedFile, parseSeed } from '../src/simulator/seed/loadSeed';
import type { Seed } from '../src/simulator/seed/seedSchema';
import { startSimulatorServer } from '../src/simulator/simulatorServer';
import { FileStorage } from '../src/storage/fileStorage';

/** The shipped default of NOTIFY_POLL_INTERVAL_MS, to which the per-hour figures are scaled. */
const PRODUCTION_INTERVAL_MS = 15_000;
/** The provider's SOC channel, where every customer's notifications go. */
const SOC_CHANNEL = '19:mssp-soc@thread.tacv2';

/** How the idle-tenant bench runs. */
export interface IdleTenantsOptions {
  /** Customer tenant counts, each its own run with fresh processes (the first is the baseline). */
  tenantCounts: number[];
  /** NOTIFY_POLL_INTERVAL_MS of the bot under test. */
  intervalMs: number;
  /** Intervals waited after the first full round before measuring. */
  warmupIntervals: number;
  /** Intervals measured. */
  measuredIntervals: number;
}

/** What one run measured. */
export interface IdleTenantsRun {
  tenants: number;
  seconds: number;
  /** Bot process CPU over the measured window, % of one core. */
  cpuPercent: number;
  rssMb: number;
  defenderCalls: number;
  graphCalls: number;
  tokenCalls: number;
  /** Token-endpoint calls from the bot's start to the end of the warm-up (the first token of each tenant). */
  warmupTokenCalls: number;
  /** Per poller: rounds completed in the window and the slowest one. */
  rounds: Record<string, { count: number; maxMs: number; meanMs: number }>;
}

/** The figures of every run, and the interval they were taken at. */
export interface IdleTenantsFigures {
  intervalMs: number;
  runs: IdleTenantsRun[];
}

/** A customer tenant's id: a distinct GUID per index. */
export function customerTenantId(index: number): string {
  return `c0570000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;
}

/**
 * A small customer tenant derived from the demo tenant: its own GUID, name and device ids, 2–3 devices, three OLD
 * alerts (the demo's, not freshened) with their incidents and a few alerts_v2 — nothing changes during the bench.
 */
export function customerSeed(demo: Seed, index: number): Seed {
  const alerts = demo.alerts.filter((a) => a.machineId !== null && a.incidentId !== null).slice(0, 3);
  const machineIds = [...new Set(alerts.map((a) => a.machineId!))];
  for (const machine of demo.machines) {
    if (machineIds.length >= 2 + (index % 2)) break;
    if (!machineIds.includes(machine.id)) machineIds.push(machine.id);
  }
  const incidentIds = new Set(alerts.map((a) => String(a.incidentId)));
  const incidents = demo.incidents.filter((i) => incidentIds.has(i.id));
  const alertsV2 = demo.alertsV2
    .filter((a) => a.incidentId !== null && incidentIds.has(a.incidentId))
    .slice(0, 3)
    .map((a) => ({ ...a, evidence: a.evidence.filter((e) => !e.mdeDeviceId || machineIds.includes(e.mdeDeviceId)) }));
  let json = JSON.stringify({
    tenant: { id: demo.tenant.id, name: `Customer ${index}` },
    users: [],
    clients: [],
    machines: demo.machines.filter((m) => machineIds.includes(m.id)),
    alerts,
    machineActions: [],
    incidents,
    alertsV2,
  });
  json = json.replaceAll(demo.tenant.id, customerTenantId(index)).replaceAll('contoso', `customer${index}`);
  for (const id of machineIds)
    json = json.replaceAll(id, createHash('sha1').update(`customer ${index} device ${id}`).digest('hex'));
  return parseSeed(JSON.parse(json), `customer ${index}`);
}

const children: ChildProcess[] = [];

function startChild(
  args: string[],
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void,
): { child: ChildProcess; ready: Promise<string> } {
  // BENCH_CPU_PROF_DIR: the bot writes a CPU profile there (node --cpu-prof) when the run ends.
  const profile =
    args[0] === 'bot' && process.env.BENCH_CPU_PROF_DIR
      ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF_DIR]
      : [];
  const child = spawn(process.execPath, ['--disable-warning=DEP0111', ...profile, __filename, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const ready = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const ready = /^\{"ready":"([^"]+)"\}$/.exec(line);
      if (ready) resolve(ready[1]!);
      else onLine(line);
    });
  });
  return { child, ready };
}

/** utime + stime of a process in seconds, and its resident set in MB (Linux /proc). */
function processUsage(pid: number): { cpuSeconds: number; rssMb: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuSeconds: ticks / 100, rssMb: rssKb / 1024 };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One run: N customer tenants, fresh simulator and bot. */
async function runOnce(tenants: number, options: IdleTenantsOptions): Promise<IdleTenantsRun> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-tenants-bench-'));
  const botClientSecret = randomBytes(24).toString('base64url');
  const simulator = startChild(
    ['simulator'],
    {
      BENCH_TENANTS: String(tenants),
      BENCH_DATA_DIR: dataDir,
      BENCH_BOT_SECRET: botClientSecret,
    },
    () => {},
  );
  const [simulatorUrl, providerId] = (await simulator.ready).split(' ') as [string, string];

  // One subscription per customer, to the provider's SOC channel, before the bot opens its store.
  const store = new FileStorage({ dir: path.join(dataDir, 'bot', 'state') });
  await store.ready();
  const subscriptions = new SubscriptionStore(store);
  for (let i = 0; i < tenants; i++) {
    await subscriptions.add(
      customerTenantId(i),
      {
        conversationId: SOC_CHANNEL,
        kind: 'channel',
        teamId: '19:mssp-team@thread.tacv2',
        address: {
          channelId: 'msteams',
          serviceUrl: 'http://127.0.0.1:1/_connector',
          conversation: { id: SOC_CHANNEL, conversationType: 'channel', tenantId: providerId, isGroup: true },
          bot: { id: `28:${DEMO_BOT_ID}`, name: 'Defender SOC Bot' },
        },
      },
      {
        filter: { severities: ['High'], follows: ['alerts', 'incidents'] },
        createdBy: {
          aadObjectId: '00000000-0000-0000-0000-0000000000020',
          userPrincipalName: 'alexw@contoso.com',
          displayName: 'Alex Wilber',
        },
        createdAt: new Date().toISOString(),
      },
    );
  }
  await store.close();

  const caCertPem = fs.readFileSync(path.join(dataDir, 'certs', 'ca.crt.pem'), 'utf8');
  const tenant: SimulatedTenant = {
    url: simulatorUrl,
    caCertPem,
    tenantId: providerId,
    tenantName: 'Contoso Ltd (provider)',
    botClientId: DEMO_BOT_ID,
    botClientSecret,
  };
  const rounds: { poller: string; at: number; ms: number }[] = [];
  const bot = startChild(
    ['bot'],
    {
      BENCH_TENANT: JSON.stringify(tenant),
      BENCH_INTERVAL_MS: String(options.intervalMs),
      DATA_DIR: path.join(dataDir, 'bot'),
    },
    (line) => {
      const round = /^\{"round":"([^"]+)","ms":([\d.]+)\}$/.exec(line);
      if (round) rounds.push({ poller: round[1]!, at: Date.now(), ms: Number(round[2]) });
    },
  );
  await bot.ready;

  const http = new HttpClient({ extraCaPem: [caCertPem] });
  const simulatorCall = async (method: 'GET' | 'POST', p: string) =>
    JSON.parse((await http.request({ method, url: `${simulatorUrl}${p}` })).body || '{}') as {
      defenderCalls?: number;
      graph?: { graphCalls: number };
      tokenRequests?: number;
    };
  try {
    // Warm-up: every poller has gone once over all tenants (msal clients, first tokens), then a few more rounds.
    while (new Set(rounds.map((r) => r.poller)).size < 3) await sleep(200);
    await sleep(options.warmupIntervals * options.intervalMs);
    const warmupTokenCalls = (await simulatorCall('GET', '/_sim/entra/stats')).tokenRequests ?? 0;
    await simulatorCall('POST', '/_sim/stats/reset');
    await simulatorCall('POST', '/_sim/entra/stats/reset');
    const pid = bot.child.pid!;
    const before = processUsage(pid);
    const started = Date.now();
    await sleep(options.measuredIntervals * options.intervalMs);
    const after = processUsage(pid);
    const seconds = (Date.now() - started) / 1000;
    const defender = await simulatorCall('GET', '/_sim/stats');
    const entra = await simulatorCall('GET', '/_sim/entra/stats');
    const windowRounds = rounds.filter((r) => r.at > started);
    const byPoller: IdleTenantsRun['rounds'] = {};
    for (const name of new Set(rounds.map((r) => r.poller))) {
      const ms = windowRounds.filter((r) => r.poller === name).map((r) => r.ms);
      byPoller[name] = {
        count: ms.length,
        maxMs: ms.length ? Math.max(...ms) : NaN,
        meanMs: ms.length ? ms.reduce((a, b) => a + b, 0) / ms.length : NaN,
      };
    }
    return {
      tenants,
      seconds,
      cpuPercent: (100 * (after.cpuSeconds - before.cpuSeconds)) / seconds,
      rssMb: after.rssMb,
      defenderCalls: defender.defenderCalls ?? 0,
      graphCalls: defender.graph?.graphCalls ?? 0,
      tokenCalls: entra.tokenRequests ?? 0,
      warmupTokenCalls,
      rounds: byPoller,
    };
  } finally {
    http.close();
    for (const child of [bot.child, simulator.child]) {
      child.removeAllListeners('exit');
      child.kill();
    }
    await sleep(500);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs every tenant count in turn and returns the figures. */
export async function idleTenantsBench(options: IdleTenantsOptions): Promise<IdleTenantsFigures> {
  const runs: IdleTenantsRun[] = [];
  try {
    for (const tenants of options.tenantCounts) runs.push(await runOnce(tenants, options));
  } finally {
    for (const child of children) child.kill();
  }
  return { intervalMs: options.intervalMs, runs };
}

/** The figures as the bench prints them: one row per tenant count, the first (1 tenant) as the baseline. */
export function idleTenantsLines(f: IdleTenantsFigures): string[] {
  // Per-tenant figures at the shipped interval: the bench polls more often, so its rates are scaled down.
  const scale = f.intervalMs / PRODUCTION_INTERVAL_MS;
  const perHour = (calls: number, r: IdleTenantsRun) => (calls / r.tenants / r.seconds) * 3600 * scale;
  const pollers = ['alert', 'incident', 'alerts_v2'];
  const slowest = (r: IdleTenantsRun) => Math.max(...pollers.map((p) => r.rounds[p]?.maxMs ?? NaN));
  const columns: [string, number, (r: IdleTenantsRun) => string][] = [
    ['tenants', 8, (r) => String(r.tenants)],
    ['CPU %', 8, (r) => r.cpuPercent.toFixed(1)],
    ['~CPU % @15s', 13, (r) => (r.cpuPercent * scale).toFixed(1)],
    ['RSS MB', 8, (r) => r.rssMb.toFixed(0)],
    ['polled every s', 16, (r) => ((f.intervalMs + (r.rounds.alert?.meanMs ?? NaN)) / 1000).toFixed(1)],
    ['MDE/h', 8, (r) => perHour(r.defenderCalls, r).toFixed(0)],
    ['Graph/h', 9, (r) => perHour(r.graphCalls, r).toFixed(0)],
    ['tokens/h', 10, (r) => perHour(r.tokenCalls, r).toFixed(1)],
    ['first tokens', 14, (r) => (r.warmupTokenCalls / r.tenants).toFixed(2)],
    ['round ms alert/incident/v2', 28, (r) => pollers.map((p) => (r.rounds[p]?.maxMs ?? NaN).toFixed(0)).join('/')],
    ['fits in interval', 18, (r) => String(Math.floor((r.tenants * f.intervalMs) / Math.max(1, slowest(r))))],
  ];
  const row = (cells: string[]) => cells.map((cell, i) => cell.padStart(columns[i]![1])).join('');
  return [
    `idle customer tenants: the bot polls each one's MDE alerts, Graph incidents and Graph alerts_v2 (its application identity in that tenant), waiting ${f.intervalMs / 1000} s after each round`,
    row(columns.map(([name]) => name)),
    ...f.runs.map((r) => row(columns.map(([, , cell]) => cell(r)))),
    `per tenant: MDE/h, Graph/h and tokens/h at the default interval (${PRODUCTION_INTERVAL_MS / 1000} s; measured at ${f.intervalMs / 1000} s and scaled), "~CPU % @15s" likewise;`,
    '  "first tokens" = token requests per tenant until the end of the warm-up (a token lasts 1 h: Defender\'s and Graph\'s, ~2 per hour);',
    '  "polled every s" = interval + mean alert round; "fits in interval" = tenants one round covers in one interval at the slowest round of that run',
    `(goal: >= 500 idle tenants at <= 25 % of one core; ${f.runs[0]?.tenants ?? 1} tenant = baseline)`,
  ];
}

/** Child: the simulator with the provider (the demo tenant) and N customers, the bot consented in each. */
async function simulatorChild(): Promise<void> {
  const tenants = Number(process.env.BENCH_TENANTS);
  const dataDir = process.env.BENCH_DATA_DIR!;
  const demo = loadSeedFile(demoSeedPath());
  const provider = loadSeedFile(demoSeedPath(), { freshen: true });
  const customers = Array.from({ length: tenants }, (_, i) => customerSeed(demo, i));
  const server = await startSimulatorServer({
    seeds: [provider, ...customers],
    port: 0,
    certificates: loadOrCreateDevCertificates({ dir: path.join(dataDir, 'certs') }),
    rateLimits: { perMinute: 1_000_000, perHour: 15_000_000 },
    graphRateLimits: { perMinute: 1_000_000, perHour: 60_000_000 },
    logger: createLogger({ level: 'silent' }),
  });
  server.entra.registerClient({
    clientId: DEMO_BOT_ID,
    clientSecret: process.env.BENCH_BOT_SECRET!,
    displayName: 'Defender SOC Bot (MSSP bench)',
    delegatedPermissions: DEMO_DELEGATED_PERMISSIONS,
    applicationPermissions: DEMO_APPLICATION_PERMISSIONS,
    homeTenantId: provider.tenant.id,
    multiTenant: true,
  });
  for (const customer of customers) server.entra.grantAdminConsent(customer.tenant.id, DEMO_BOT_ID);
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
  process.stdout.write(`${JSON.stringify({ ready: `${server.url} ${provider.tenant.id}` })}\n`);
}

/** Child: the bot in demo mode against that simulator; prints how long each polling round took. */
async function botChild(): Promise<void> {
  process.once('SIGTERM', () => process.exit(0));
  const tenant = JSON.parse(process.env.BENCH_TENANT ?? '') as SimulatedTenant;
  const config = loadConfig(
    {
      PLAYGROUND: 'off',
      LOG_LEVEL: 'silent',
      NOTIFY_POLL_INTERVAL_MS: process.env.BENCH_INTERVAL_MS ?? '',
      DATA_DIR: process.env.DATA_DIR ?? '',
    },
    process.cwd(),
  );
  const app = await startApp({ ...config, port: 0 }, { simulatedTenant: tenant });
  const pipeline = app.notifications;
  const pollers = { alert: pipeline.poller, incident: pipeline.incidentPoller, alerts_v2: pipeline.sourcesPoller };
  for (const [name, poller] of Object.entries(pollers)) {
    if (!poller) continue;
    const round = poller.round.bind(poller);
    poller.round = async () => {
      const t0 = performance.now();
      await round();
      process.stdout.write(`${JSON.stringify({ round: name, ms: Number((performance.now() - t0).toFixed(1)) })}\n`);
    };
  }
  process.stdout.write(`${JSON.stringify({ ready: app.url })}\n`);
}

if (require.main === module) {
  const role = process.argv[2];
  (role === 'simulator' ? simulatorChild() : role === 'bot' ? botChild() : Promise.reject(new Error('role?'))).catch(
    (err: unknown) => {
      process.stderr.write(
        `idle tenants bench ${role}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
