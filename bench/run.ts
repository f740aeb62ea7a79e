/*
 * npm run bench — figures for the record, never a pass/fail test.
 *
 * Three kinds of process, as in production where Defender is a remote service: the Defender simulator (with
 * the Entra ID emulator), the system under test, and this load generator. N concurrent users send
 * "show high alerts" through the bot's real HTTP endpoint (POST /api/messages, expectReplies) against the
 * simulator with no added latency; the same load then goes to a bare echo bot on the same adapter and HTTP
 * server. Prints throughput and latency percentiles for both, their ratio, Defender calls per command and
 * token-endpoint calls per repeated command. Then approvals (bench/approvalBench.ts): time from the final approve
 * click to Defender's action beside a script calling Defender directly, and 50 simultaneous clicks per request.
 * Then notifications (bench/notificationBench.ts): alert-to-card latency pushed and polled, and a 200-channel fan-out.
 * Then Defender's quota (bench/quotaBench.ts, ~2.5 min): 300 commands from 30 people in a minute at 100 calls/min;
 * `npm run bench -- quota` runs only that part. `npm run bench -- scale` (bench/scaleBench.ts, ~1.5 min): take-over
 * after a SIGKILL, and throughput of 3 instances vs 1 on Azurite. `npm run bench -- storage` (bench/storageBench.ts) counts storage round
 * trips per command, approval and notification on Azurite beside the file store. `npm run bench -- tenants`
 * (bench/idleTenantsBench.ts, ~5 min, not in the full run): background cost of idle customer tenants (partner context).
 * `npm run bench -- hunting` (~3 min, not in the full run): hunting result cards for 10, 1,000 and 100,000 rows
 * (bench/huntingResultsBench.ts), Defender calls per enrichment card cold and cached (bench/enrichmentBench.ts), and
 * the simulator's KQL over 1,000,000 events (bench/huntingKqlBench.ts). `npm run bench -- tab` (~1.5 min, not in the
 * full run): the SOC console tab's first load, its queue with 500 pending requests in Chromium, its API latency and
 * Defender calls per load (bench/tabBench.ts).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { SimulatedTenant } from '../src/app';
import { DEMO_BOT_ID } from '../src/demo/demoConstants';
import { HttpClient } from '../src/http/httpClient';
import type { SeedUser } from '../src/simulator/seed/seedSchema';
import type { LatencySummary } from './approvalBench';
import { languageBench, languageLines } from './languageBench';
import {
  approvalToDefenderCall,
  concurrentClicks,
  directDefenderCall,
  slowDefenderApprovals,
  startSinkConnector,
} from './approvalBench';
import { incidentNotificationBench, incidentNotificationLines } from './incidentNotificationBench';
import { notificationBench } from './notificationBench';
import { idleTenantsBench, idleTenantsLines } from './idleTenantsBench';
import { benchSeed, quotaBench, quotaLines } from './quotaBench';
import { scaleBench, scaleLines } from './scaleBench';
import { runStorageBench } from './storageBench';
import { runEnrichmentBench } from './enrichmentBench';
import { runHuntingResultsBench } from './huntingResultsBench';
import { runKqlBench } from './huntingKqlBench';
import { trackerDay, trackerLines } from './trackerBench';
import { runTabBench } from './tabBench';

const USERS = Number(process.env.BENCH_USERS ?? 20);
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 10) * 1000;
const WARMUP_MS = 3000;
const APPROVALS = Number(process.env.BENCH_APPROVALS ?? 100);
const RACED_REQUESTS = 20;
const SLOW_APPROVALS = Number(process.env.BENCH_SLOW_APPROVALS ?? 100);
const CLICKS_PER_REQUEST = 50;
const INCIDENT_MS = Number(process.env.BENCH_INCIDENT_SECONDS ?? 5) * 1000;
const children: ChildProcess[] = [];

interface LoadResult {
  requests: number;
  seconds: number;
  throughput: number;
  p50: number;
  p99: number;
  failures: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Starts a child process and resolves with the first stdout line matching `pattern`. */
function startChild(args: string[], pattern: RegExp, env: NodeJS.ProcessEnv = {}): Promise<RegExpExecArray> {
  const child = spawn(process.execPath, ['--disable-warning=DEP0111', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const match = pattern.exec(line);
      if (match) resolve(match);
    });
  });
}

function activity(text: string, user: SeedUser, tenantId: string) {
  return JSON.stringify({
    type: 'message',
    id: randomUUID(),
    channelId: 'msteams',
    serviceUrl: 'http://127.0.0.1:1/_connector',
    from: { id: `29:${user.aadObjectId}`, name: user.displayName, aadObjectId: user.aadObjectId },
    recipient: { id: 'bot', name: 'Defender SOC Bot' },
    conversation: { id: `a:${user.aadObjectId}`, conversationType: 'personal', tenantId },
    channelData: { tenant: { id: tenantId } },
    text,
    textFormat: 'plain',
    deliveryMode: 'expectReplies',
  });
}

/** Each virtual user sends its next request as soon as the previous answer arrived (closed loop). */
async function load(
  url: string,
  text: string,
  users: SeedUser[],
  tenantId: string,
  durationMs: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let failures = 0;
  const started = Date.now();
  const deadline = started + durationMs;
  await Promise.all(
    users.map(async (user) => {
      while (Date.now() < deadline) {
        const t0 = performance.now();
        const response = await fetch(`${url}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: activity(text, user, tenantId),
        });
        const body = await response.text();
        if (response.status === 200 && body.includes('"attachments"') !== (text === 'hello'))
          latencies.push(performance.now() - t0);
        else failures++;
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    seconds,
    throughput: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failures,
  };
}

async function main(): Promise<void> {
  if (process.argv.slice(2).includes('tracking')) {
    process.stdout.write(
      `${trackerLines(await trackerDay({ withActions: true }), await trackerDay({ withActions: false })).join('\n')}\n`,
    );
    return;
  }
  if (process.argv.slice(2).includes('scale')) {
    process.stdout.write(`${scaleLines(await scaleBench()).join('\n')}\n`);
    return;
  }
  if (process.argv.slice(2).includes('storage')) {
    process.stdout.write(`${(await runStorageBench()).join('\n')}\n`);
    return;
  }
  if (process.argv.slice(2).includes('tenants')) {
    const figures = await idleTenantsBench({
      tenantCounts: (process.env.BENCH_TENANT_COUNTS ?? '1,100,500,1000').split(',').map(Number),
      intervalMs: Number(process.env.BENCH_TENANTS_INTERVAL_MS ?? 10_000),
      warmupIntervals: 2,
      measuredIntervals: 3,
    });
    process.stdout.write(`${idleTenantsLines(figures).join('\n')}\n`);
    return;
  }
  if (process.argv.slice(2).includes('language')) {
    process.stdout.write(`${languageLines(languageBench()).join('\n')}\n`);
    return;
  }
  if (process.argv.slice(2).includes('tab')) {
    process.stdout.write(`${(await runTabBench()).join('\n')}\n`);
    return;
  }
  if (process.argv.slice(2).includes('hunting')) {
    // Investigating from chat (issue 14): result cards, enrichment cards, then the simulator's KQL over 1M events.
    process.stdout.write(`${(await runHuntingResultsBench()).join('\n')}\n\n`);
    process.stdout.write(`${(await runEnrichmentBench()).join('\n')}\n\n`);
    process.stdout.write(`${(await runKqlBench()).join('\n')}\n`);
    return;
  }
  if (process.argv.slice(2).includes('quota')) {
    process.stdout.write(`${quotaLines(await quotaBench()).join('\n')}\n`);
    return;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-bench-'));
  // The demo tenant plus N analysts with full visibility, so every virtual user has their own tokens, and the
  // demo bot registered with a secret known to this run only.
  const { seed, analysts: users, botClientSecret } = benchSeed(USERS, 'bbbbbbbb', 'Bench user');
  // For the approvals figures: one responder who asks, five approvers who click.
  const responder = seed.users.find((u) => u.appRoles.includes('SOC.Responder'))!;
  const approverTemplate = seed.users.find((u) => u.appRoles.includes('SOC.Approver') && u.deviceGroups.includes('*'))!;
  const approvers: SeedUser[] = Array.from({ length: 5 }, (_, i) => ({
    ...approverTemplate,
    aadObjectId: `cccccccc-0000-4000-8000-${String(i).padStart(12, '0')}`,
    userPrincipalName: `approver${i}@contoso.com`,
    displayName: `Bench approver ${i}`,
  }));
  seed.users.push(...approvers);
  // Windows devices: every action the bench asks for runs there (src/approvals/osSupport.ts).
  const deviceIds = seed.machines
    .filter((m) => m.healthStatus === 'Active' && m.osPlatform.startsWith('Windows'))
    .map((m) => m.id);
  const seedPath = path.join(dataDir, 'bench-seed.json');
  fs.writeFileSync(seedPath, JSON.stringify(seed));

  const dist = path.resolve(__dirname, '..');
  const [, simulatorUrl] = await startChild(
    [
      path.join(dist, 'src/simulator/main.js'),
      '--seed',
      seedPath,
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--rate-per-minute',
      '1000000',
      '--graph-rate-per-minute',
      '1000000',
      // Actions finish at once, so a device can take the next request (Defender refuses a duplicate pending one).
      '--pending-ms',
      '0',
      '--in-progress-ms',
      '0',
      '--log-level',
      'silent',
    ],
    /on (https:\/\/127\.0\.0\.1:\d+)/,
  );
  const tenant: SimulatedTenant = {
    url: simulatorUrl!,
    caCertPem: fs.readFileSync(path.join(dataDir, 'certs', 'ca.crt.pem'), 'utf8'),
    tenantId: seed.tenant.id,
    tenantName: seed.tenant.name,
    botClientId: DEMO_BOT_ID,
    botClientSecret,
  };
  const sut = path.join(dist, 'bench/systemUnderTest.js');
  const urlLine = /^\{"url":"(http:\/\/[^"]+)"\}$/;
  const [, botUrl] = await startChild([sut, 'bot'], urlLine, {
    BENCH_TENANT: JSON.stringify(tenant),
    DATA_DIR: path.join(dataDir, 'bot'),
  });
  const [, echoUrl] = await startChild([sut, 'echo'], urlLine);

  const http = new HttpClient({ extraCaPem: [tenant.caCertPem] });
  const simulator = async (method: 'GET' | 'POST', p: string) =>
    JSON.parse((await http.request({ method, url: `${tenant.url}${p}` })).body || '{}') as Record<string, number>;

  // Warm-up: every user signs in once (assertion + OBO token cached), JIT settles.
  await load(botUrl!, 'show high alerts', users, tenant.tenantId, WARMUP_MS);
  await load(echoUrl!, 'hello', users, tenant.tenantId, WARMUP_MS);
  await simulator('POST', '/_sim/stats/reset');
  await simulator('POST', '/_sim/entra/stats/reset');

  if (process.argv.slice(2).includes('incidents')) {
    const runs = await incidentCommands(botUrl!, users, tenant.tenantId, simulator);
    for (const child of children) child.kill();
    const lines = [...incidentLines(runs), '', ...incidentNotificationLines(await incidentNotifications())];
    process.stdout.write(`${lines.join('\n')}\n`);
    return;
  }
  const bot = await load(botUrl!, 'show high alerts', users, tenant.tenantId, DURATION_MS);
  const defenderCalls = (await simulator('GET', '/_sim/stats')).defenderCalls!;
  const tokenCalls = (await simulator('GET', '/_sim/entra/stats')).tokenRequests!;
  const echo = await load(echoUrl!, 'hello', users, tenant.tenantId, DURATION_MS);

  const incidentRuns = await incidentCommands(botUrl!, users, tenant.tenantId, simulator);

  // Approvals: the bot posts its approval cards to a connector that answers at once.
  const connector = await startSinkConnector();
  const target = {
    botUrl: botUrl!,
    simulatorUrl: tenant.url,
    tenantId: tenant.tenantId,
    botClientId: DEMO_BOT_ID,
    botClientSecret,
    http,
  };
  // Warm-up: the responder's and the approver's tokens, JIT.
  await approvalToDefenderCall(target, { requester: responder, approver: approvers[0]! }, deviceIds, 10, connector.url);
  const viaBot = await approvalToDefenderCall(
    target,
    { requester: responder, approver: approvers[0]! },
    deviceIds,
    APPROVALS,
    connector.url,
  );
  const direct = await directDefenderCall(target, approvers[0]!, deviceIds, APPROVALS);
  const raced = await concurrentClicks(
    target,
    { requester: responder, approvers },
    deviceIds,
    RACED_REQUESTS,
    CLICKS_PER_REQUEST,
    connector.url,
  );
  const slow = await slowDefenderApprovals(
    target,
    { requester: responder, approver: approvers[0]! },
    deviceIds,
    SLOW_APPROVALS,
    1_500,
    connector.url,
  );
  connector.close();
  http.close();
  for (const child of children) child.kill();

  const notify = await notificationBench({
    samples: Number(process.env.BENCH_NOTIFY_SAMPLES ?? 40),
    pollIntervalMs: Number(process.env.BENCH_POLL_INTERVAL_MS ?? 2_000),
  });

  const incidentNotify = await incidentNotifications();
  const quota = await quotaBench();
  const tracking = trackerLines(await trackerDay({ withActions: true }), await trackerDay({ withActions: false }));

  const row = (name: string, r: LoadResult) =>
    `${name.padEnd(28)}${r.throughput.toFixed(1).padStart(9)}${r.p50.toFixed(1).padStart(9)}${r.p99.toFixed(1).padStart(9)}${String(r.requests).padStart(10)}${String(r.failures).padStart(10)}`;
  const lines = [
    `npm run bench — ${USERS} concurrent users, ${DURATION_MS / 1000} s per run, Node ${process.version}, ${os.cpus().length} CPUs`,
    'processes: load generator | system under test | Defender simulator + Entra ID emulator (no added latency)',
    '',
    `${'system under test'.padEnd(28)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'requests'.padStart(10)}${'failures'.padStart(10)}`,
    row('bot: "show high alerts"', bot),
    row('echo bot (baseline)', echo),
    '',
    `throughput ratio bot / echo          ${(bot.throughput / echo.throughput).toFixed(2)}   (goal >= 0.80)`,
    `Defender calls per list command      ${(defenderCalls / bot.requests).toFixed(2)}   (goal 1)`,
    `token-endpoint calls per repeat      ${(tokenCalls / bot.requests).toFixed(2)}   (goal 0)`,
    '',
    ...incidentLines(incidentRuns),
    '',
    `approval → Defender call, ${APPROVALS} requests approved one at a time (collect investigation package)`,
    `${'path'.padEnd(38)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'samples'.padStart(9)}${'failures'.padStart(10)}`,
    latencyRow('final approve click → Defender action', viaBot),
    latencyRow('script calls Defender (baseline)', direct),
    '',
    `exactly once: ${raced.requests} requests × ${raced.clicks} simultaneous approve clicks by ${approvers.length} approvers`,
    `Defender actions per request         ${describeCounts(raced.actionsPerRequest)}   (goal exactly 1 each)`,
    `clicks answered other than HTTP 200  ${raced.non200}   (goal 0)`,
    '',
    `approvals while Defender answers each action after 1.5 s, 1.5× the bot's 1 s timeout (the action is created at once): ${slow.runs} runs`,
    `Defender actions per approval        ${describeCounts(slow.actionsPerApproval)}   (goal exactly 1.00)`,
    `cards ending in Defender's true state ${slow.trueState}/${slow.runs} (${((100 * slow.trueState) / Math.max(1, slow.runs)).toFixed(0)} %)   (goal 100 %); clicks not answered 200: ${slow.failures}`,
    '',
    'alert notifications (bot in production mode against the Entra, Defender and Teams emulators; Teams limits enforced)',
    `${'alert appears → card accepted by Teams'.padEnd(44)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'samples'.padStart(9)}${'lost'.padStart(6)}`,
    notifyRow('pushed (POST /api/notify)', notify.pushed),
    notifyRow(`polled (every ${notify.polled.pollIntervalMs / 1000} s)`, notify.polled),
    notifyRow('baseline: one card straight to the connector', notify.connectorRoundTrip),
    '',
    `fan-out of one alert to ${notify.fanOut.conversations} channels    ${notify.fanOut.seconds.toFixed(2)} s   (minimum Teams' 30/s allows: ${notify.fanOut.minimumSeconds.toFixed(2)} s)`,
    `  delivered ${notify.fanOut.delivered}/${notify.fanOut.conversations}, Teams limit violations ${notify.fanOut.violations}`,
    `same with 10% of requests answered 429    ${notify.fanOutThrottled.seconds.toFixed(2)} s   (${notify.fanOutThrottled.throttled} throttled)`,
    `  delivered ${notify.fanOutThrottled.delivered}/${notify.fanOutThrottled.conversations}, duplicates ${notify.fanOutThrottled.duplicates}, Teams limit violations ${notify.fanOutThrottled.violations}`,
    '',
    ...incidentNotificationLines(incidentNotify),
    '',
    ...quotaLines(quota),
    '',
    ...tracking,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** One incident command under load: throughput, latency, and what it cost in Graph calls and token requests. */
interface IncidentRun {
  command: string;
  result: LoadResult;
  graphCalls: number;
  tokenCalls: number;
}

/**
 * Incidents through Microsoft Graph: Graph calls per command and token requests when people repeat one (each
 * user's Graph token is another resource's, obtained once in the warm-up).
 */
async function incidentCommands(
  botUrl: string,
  users: SeedUser[],
  tenantId: string,
  simulator: (method: 'GET' | 'POST', p: string) => Promise<Record<string, number>>,
): Promise<IncidentRun[]> {
  const runs: IncidentRun[] = [];
  await load(botUrl, 'show incidents', users, tenantId, WARMUP_MS);
  for (const command of ['show incidents', 'show high incidents assigned to me', 'incident 2301']) {
    await simulator('POST', '/_sim/stats/reset');
    await simulator('POST', '/_sim/entra/stats/reset');
    const result = await load(botUrl, command, users, tenantId, INCIDENT_MS);
    const stats = (await simulator('GET', '/_sim/stats')) as unknown as { graph: { graphCalls: number } };
    const tokenCalls = (await simulator('GET', '/_sim/entra/stats')).tokenRequests!;
    runs.push({ command, result, graphCalls: stats.graph.graphCalls, tokenCalls });
  }
  return runs;
}

/** The incident notification measurements with the bench's settings (BENCH_POLL_INTERVAL_MS, BENCH_NOTIFY_SAMPLES). */
function incidentNotifications() {
  return incidentNotificationBench({
    samples: Number(process.env.BENCH_NOTIFY_SAMPLES ?? 40) / 2,
    pollIntervalMs: Number(process.env.BENCH_POLL_INTERVAL_MS ?? 2_000),
    conversations: 20,
    alertsAdded: 5,
  });
}

function incidentLines(runs: IncidentRun[]): string[] {
  return [
    `Defender XDR incidents through Microsoft Graph, ${INCIDENT_MS / 1000} s per command, ${USERS} users`,
    `${'command'.padEnd(38)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'Graph/cmd'.padStart(11)}${'tokens/cmd'.padStart(12)}${'failures'.padStart(10)}`,
    ...runs.map(
      (r) =>
        `${`"${r.command}"`.padEnd(38)}${r.result.throughput.toFixed(1).padStart(9)}${r.result.p50.toFixed(1).padStart(9)}${r.result.p99.toFixed(1).padStart(9)}${(r.graphCalls / Math.max(1, r.result.requests)).toFixed(2).padStart(11)}${(r.tokenCalls / Math.max(1, r.result.requests)).toFixed(2).padStart(12)}${String(r.result.failures).padStart(10)}`,
    ),
    '(goals: 1 Graph call per command, with $expand=alerts; 0 token-endpoint calls when a person repeats a command)',
  ];
}

function latencyRow(name: string, r: LatencySummary): string {
  return `${name.padEnd(38)}${r.p50.toFixed(1).padStart(9)}${r.p99.toFixed(1).padStart(9)}${String(r.samples).padStart(9)}${String(r.failures).padStart(10)}`;
}

function notifyRow(name: string, r: { p50: number; p99: number; samples: number; lost: number }): string {
  return `${name.padEnd(44)}${r.p50.toFixed(1).padStart(9)}${r.p99.toFixed(1).padStart(9)}${String(r.samples).padStart(9)}${String(r.lost).padStart(6)}`;
}

/** "1 × 20" when every request made exactly one action, otherwise every count seen. */
function describeCounts(counts: number[]): string {
  const tally = new Map<number, number>();
  for (const c of counts) tally.set(c, (tally.get(c) ?? 0) + 1);
  return [...tally.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([actions, requests]) => `${actions} action${actions === 1 ? '' : 's'}: ${requests} requests`)
    .join(', ');
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill();
  });
