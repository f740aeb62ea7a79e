/*
 * The storage part of `npm run bench -- storage`: how many storage round trips a command, an approval and a
 * notification cost on Blob Storage (Azurite) beside the file store, measured in the same run, what the bot
 * costs in storage transactions per hour when nobody uses it, and how long an approval click takes to reach
 * Defender on Azurite.
 *
 * How round trips are counted, honestly:
 * - Azurite: a counting HTTP proxy in front of it (real HTTP; the bot's connection string points at the proxy).
 *   Every request the Azure SDK sends is one round trip, retries included: that is what Azure bills.
 * - File store: there is no wire, and the product builds its Storage itself (no wrapper can be slipped in without
 *   changing src/). So the bench counts file-system calls on DATA_DIR/state, the file store's own directory,
 *   grouped into the operations a blob store would make: readFile = a read, rename into place = a write (its temp
 *   file, fsyncs and directory fsync are parts of that one write), rm = a delete, readdir = a list. It does so by
 *   wrapping node:fs/promises in this process for the duration of the run — instrumentation of the bench, nothing
 *   the product sees. Audit lines go to DATA_DIR/audit in both runs (not counted) until the audit trail moves to
 *   the storage account; then the proxy counts its appends too.
 *
 * The bot runs in production mode against the local Entra ID, Defender and Teams emulators
 * (test/support/productionApp.ts), with the production polling intervals.
 */
import { randomBytes } from 'node:crypto';
import fsPromises from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../src/logging/logger';
import { startAzurite } from '../test/support/azurite';
import { demoSeed } from '../test/support/demoTenant';
import type { Conversation, ProductionHarness } from '../test/support/productionApp';
import { startProductionHarness } from '../test/support/productionApp';
import type { LatencySummary } from './approvalBench';

const CONTOSO = demoSeed.tenant.id;
/** Production defaults (src/config/config.ts): the idle cost depends on them. */
const ACTION_POLL_INTERVAL_MS = 5_000;
const NOTIFY_POLL_INTERVAL_MS = 15_000;

/** Round trips to the store, by kind of operation. */
export interface RoundTripCounter {
  total(): number;
  byKind(): Record<string, number>;
  close(): Promise<void>;
}

/** What one store cost. */
export interface StoreFigures {
  store: string;
  /** Round trips per command, by command text. */
  perCommand: { command: string; roundTrips: number }[];
  /** Round trips per approval, by stage, averaged over the samples. */
  perApproval: { request: number; approveToSubmitted: number; trackedToSucceeded: number; samples: number };
  /** Round trips per alert delivered to one conversation, averaged. */
  perNotification: { roundTrips: number; samples: number; delivered: number };
  /** Idle: one tracking round and one alert-poll round with nothing to do, and per hour at production intervals. */
  idle: {
    trackingRound: number;
    pollRound: number;
    perHour: number;
    measuredPerHour: number;
    /** The measured idle hour by kind of operation (reads and writes are priced differently). */
    measuredByKind: Record<string, number>;
    windowSeconds: number;
  };
  /** Final approval click → Defender creates the action. */
  clickToDefender: LatencySummary;
  /** Round trips of the whole run, by kind (for the record: reads, writes, lists…). */
  kinds: Record<string, number>;
}

/** Counts every request of a Blob client by sending it through this proxy on the way to Azurite. */
async function startCountingProxy(targetPort: number): Promise<RoundTripCounter & { port: number }> {
  const kinds: Record<string, number> = {};
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const kind = blobOperation(req.method ?? 'GET', new URL(req.url ?? '/', 'http://proxy').searchParams);
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    const upstream = http.request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    total: () => Object.values(kinds).reduce((sum, n) => sum + n, 0),
    byKind: () => ({ ...kinds }),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}

/** The Blob REST operation a request is (the names Azure's pricing and metrics use, roughly). */
function blobOperation(method: string, query: URLSearchParams): string {
  if (query.get('comp') === 'list') return 'list';
  if (query.get('restype') === 'container') return 'container';
  const comp = query.get('comp');
  if (comp) return comp; // lease, appendblock, metadata…
  if (method === 'GET' || method === 'HEAD') return 'read';
  if (method === 'PUT') return 'write';
  if (method === 'DELETE') return 'delete';
  return method.toLowerCase();
}

/** File-system calls on `dir`, grouped as the operations a blob store would make (see the header). */
function countFileOperations(dir: string): RoundTripCounter {
  const kinds: Record<string, number> = {};
  const inDir = (p: unknown) => typeof p === 'string' && path.resolve(p).startsWith(dir + path.sep);
  const counted = { readFile: 'read', rename: 'write', rm: 'delete', readdir: 'list' } as const;
  type FsCall = (...args: unknown[]) => unknown;
  const target = fsPromises as unknown as Record<string, FsCall>;
  const originals = new Map<string, FsCall>();
  for (const [name, kind] of Object.entries(counted)) {
    const original = target[name]!;
    originals.set(name, original);
    target[name] = function (this: unknown, ...args: unknown[]) {
      // A rename counts where the file lands; anything else where it acts.
      if (inDir(name === 'rename' ? args[1] : args[0])) kinds[kind] = (kinds[kind] ?? 0) + 1;
      return original.apply(this, args);
    };
  }
  return {
    total: () => Object.values(kinds).reduce((sum, n) => sum + n, 0),
    byKind: () => ({ ...kinds }),
    close: () => {
      for (const [name, original] of originals) target[name] = original;
      return Promise.resolve();
    },
  };
}

/** Round trips `work` caused. */
async function roundTripsOf(counter: RoundTripCounter, work: () => Promise<unknown>): Promise<number> {
  const before = counter.total();
  await work();
  return counter.total() - before;
}

function latencySummary(values: number[], failures: number): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  return { samples: sorted.length, p50: rank(50), p99: rank(99), failures };
}

/** Runs the measurements against one store; `counter` must already count it. */
async function measure(
  store: string,
  h: ProductionHarness,
  counter: RoundTripCounter,
  options: StorageBenchOptions,
): Promise<StoreFigures> {
  const megan = h.person(demoSeed, 'Megan');
  const adele = h.person(demoSeed, 'Adele');
  const triage: Conversation = { id: '19:bench-storage@thread.v2', conversationType: 'groupChat', tenantId: CONTOSO };
  const channel: Conversation = {
    id: '19:bench-storage-alerts@thread.tacv2',
    conversationType: 'channel',
    tenantId: CONTOSO,
  };
  const command = async (text: string, who = adele) => {
    const answer = await h.execute('command.view', { command: text }, who, triage);
    if (answer.type !== 'application/vnd.microsoft.card.adaptive')
      throw new Error(`"${text}" answered ${JSON.stringify(answer).slice(0, 300)}`);
    return answer;
  };
  const device = demoSeed.machines.find((m) => m.computerDnsName.startsWith('ws-fin-041.'))!;
  const windowsDevices = demoSeed.machines.filter(
    (m) => m.healthStatus === 'Active' && m.osPlatform.startsWith('Windows'),
  );

  // Warm-up: sign-in state, tokens, the first writes of each kind of record.
  for (const text of ['show high alerts', `device ${device.computerDnsName.split('.')[0]}`]) await command(text);

  // A channel subscribed to high alerts, so the poller has a tenant to poll.
  const subscribed = await h.execute(
    'command.view',
    { command: 'subscribe to high alerts category Execution' },
    adele,
    channel,
  );
  if (!String(subscribed.value).startsWith('Subscribed')) throw new Error(`subscribe: ${String(subscribed.value)}`);

  // Idle: one tracking round with nothing open and one poll round finding nothing new, then a measured window.
  const trackingRound = await roundTripsOf(counter, () => h.app.trackNow());
  const pollRound = await roundTripsOf(counter, () => h.app.notifications.poller.round());
  const windowStart = counter.byKind();
  await new Promise((resolve) => setTimeout(resolve, options.idleSeconds * 1000));
  const measuredByKind = Object.fromEntries(
    Object.entries(counter.byKind()).map(([kind, n]) => [
      kind,
      Math.round(((n - (windowStart[kind] ?? 0)) * 3600) / options.idleSeconds),
    ]),
  );
  const measuredPerHour = Object.values(measuredByKind).reduce((sum, n) => sum + n, 0);
  const perHour =
    (3600_000 / ACTION_POLL_INTERVAL_MS) * trackingRound + (3600_000 / NOTIFY_POLL_INTERVAL_MS) * pollRound;

  // Commands.
  const perCommand = [];
  for (const text of ['show high alerts', `device ${device.computerDnsName.split('.')[0]}`]) {
    let total = 0;
    for (let i = 0; i < options.commands; i++) total += await roundTripsOf(counter, () => command(text));
    perCommand.push({ command: text, roundTrips: total / options.commands });
  }

  // Approvals: request (ask + confirm), approve → submitted to Defender, the tracking round that sees it succeed.
  const stages = { request: 0, approveToSubmitted: 0, trackedToSucceeded: 0 };
  const latencies: number[] = [];
  let failures = 0;
  for (let i = 0; i < options.approvals; i++) {
    const target = windowsDevices[i % windowsDevices.length]!;
    let approvalId: string | undefined;
    stages.request += await roundTripsOf(counter, async () => {
      const text = `collect investigation package from ${target.id}`;
      const asked = JSON.stringify(await command(text, megan));
      const confirm = /"verb":"action\.confirm","data":(\{[^}]*\})/.exec(asked)?.[1];
      if (!confirm) throw new Error(`no confirmation card for ${target.id}: ${asked.slice(0, 300)}`);
      const data = { ...(JSON.parse(confirm) as object), reason: 'bench: storage round trips' };
      const requested = await h.execute('action.confirm', data, megan, triage);
      approvalId = /"(A-[A-Za-z0-9_-]{12})"/.exec(JSON.stringify(requested))?.[1];
    });
    if (!approvalId) throw new Error(`no approval id for ${target.id}`);
    const ours = () =>
      h.simulator.defender.state.machineActions(CONTOSO).find((a) => (a.requestorComment ?? '').includes(approvalId!));
    const clicked = Date.now();
    stages.approveToSubmitted += await roundTripsOf(counter, async () => {
      const answer = await h.execute('approval.approve', { approvalId }, adele, triage);
      if (answer.statusCode !== 200) failures++;
      await h.app.idle();
    });
    const action = ours();
    // Defender's timestamps carry seven fraction digits; milliseconds are enough.
    if (action) latencies.push(Date.parse(action.creationDateTimeUtc.replace(/(\.\d{3})\d*Z$/, '$1Z')) - clicked);
    else failures++;
    // Defender finishes the action on its own (simulator timings); no storage is touched while it does.
    for (let wait = 0; ours()?.status !== 'Succeeded' && wait < 200; wait++)
      await new Promise((resolve) => setTimeout(resolve, 25));
    stages.trackedToSucceeded += await roundTripsOf(counter, () => h.app.trackNow());
  }

  // Notifications: one alert pushed, delivered to one subscribed channel (subscribed before the idle figures).
  const machineId = demoSeed.machines.find((m) => m.computerDnsName.startsWith('srv-file-01.'))!.id;
  let notificationTrips = 0;
  let delivered = 0;
  for (let i = 0; i < options.notifications; i++) {
    const alert = h.simulator.defender.state.injectAlert(
      { title: `Storage bench alert ${i}`, severity: 'High', category: 'Execution', machineId },
      CONTOSO,
    );
    const since = h.channel.sentCount();
    notificationTrips += await roundTripsOf(counter, async () => {
      await h.app.notifications.ingestPushed(CONTOSO, [alert.id]);
      await h.app.notifications.idle();
    });
    const cards = h.channel
      .sent()
      .slice(since)
      .filter((s) => s.kind === 'send' && JSON.stringify(s.activity.attachments).includes(alert.id));
    if (cards.length === 1) delivered++;
    // Stay within Teams' per-conversation pace (the connector emulator enforces it).
    await new Promise((resolve) => setTimeout(resolve, 300));
  }

  return {
    store,
    perCommand,
    perApproval: {
      request: stages.request / options.approvals,
      approveToSubmitted: stages.approveToSubmitted / options.approvals,
      trackedToSucceeded: stages.trackedToSucceeded / options.approvals,
      samples: options.approvals,
    },
    perNotification: {
      roundTrips: notificationTrips / options.notifications,
      samples: options.notifications,
      delivered,
    },
    idle: { trackingRound, pollRound, perHour, measuredPerHour, measuredByKind, windowSeconds: options.idleSeconds },
    clickToDefender: latencySummary(latencies, failures),
    kinds: counter.byKind(),
  };
}

/** How much the storage bench does. */
export interface StorageBenchOptions {
  commands: number;
  approvals: number;
  notifications: number;
  idleSeconds: number;
}

/** The bot in production mode, quiet, on the given storage settings and production polling intervals. */
function startBot(env: NodeJS.ProcessEnv): Promise<ProductionHarness> {
  return startProductionHarness({
    seeds: [demoSeed],
    env: { ...env, NOTIFY_DIGEST_THRESHOLD: '1000', LOG_LEVEL: 'silent' },
    startOptions: {
      actionPollIntervalMs: ACTION_POLL_INTERVAL_MS,
      notificationPollIntervalMs: NOTIFY_POLL_INTERVAL_MS,
      logger: createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, done) => done() }) }),
    },
  });
}

/** Measures the file store, then Azurite behind the counting proxy, in this order and in this process. */
export async function storageBench(options: StorageBenchOptions): Promise<StoreFigures[]> {
  const figures: StoreFigures[] = [];

  const dataDir = await fsPromises.mkdtemp(path.join(os.tmpdir(), 'soc-bot-storage-bench-'));
  const fileBot = await startBot({ DATA_DIR: dataDir });
  const stateDir = await fsPromises.realpath(path.join(dataDir, 'state'));
  const fileCounter = countFileOperations(stateDir);
  try {
    figures.push(await measure('file store', fileBot, fileCounter, options));
  } finally {
    await fileCounter.close();
    await fileBot.stop();
  }

  const azurite = await startAzurite();
  const azuritePort = Number(/BlobEndpoint=http:\/\/127\.0\.0\.1:(\d+)\//.exec(azurite.connectionString)![1]);
  const proxy = await startCountingProxy(azuritePort);
  try {
    const blobBot = await startBot({
      STORAGE_CONNECTION_STRING: azurite.connectionString.replace(`:${azuritePort}/`, `:${proxy.port}/`),
      STORAGE_CONTAINER: `bench-${randomBytes(4).toString('hex')}`,
    });
    try {
      figures.push(await measure('Azurite (Blob Storage)', blobBot, proxy, options));
    } finally {
      await blobBot.stop();
    }
  } finally {
    await proxy.close();
    await azurite.stop();
  }
  return figures;
}

/** The figures as the bench prints them: one column per store. */
export function storageLines(figures: StoreFigures[], options: StorageBenchOptions): string[] {
  const cell = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1)).padStart(24);
  const row = (name: string, pick: (f: StoreFigures) => number) =>
    `${name.padEnd(52)}${figures.map((f) => cell(pick(f))).join('')}`;
  const [first] = figures;
  return [
    `storage round trips (bot in production mode against the emulators; ${options.commands} commands, ${options.approvals} approvals, ${options.notifications} notifications per store)`,
    'file store: file operations on DATA_DIR/state (read, write = rename into place, delete, list); Azurite: HTTP requests through a counting proxy',
    `${'per'.padEnd(52)}${figures.map((f) => f.store.padStart(24)).join('')}`,
    ...(first?.perCommand ?? []).map((c, i) => row(`command "${c.command}"`, (f) => f.perCommand[i]!.roundTrips)),
    row('approval: request (ask + confirm)', (f) => f.perApproval.request),
    row('approval: approve click → submitted to Defender', (f) => f.perApproval.approveToSubmitted),
    row('approval: tracking round that records "succeeded"', (f) => f.perApproval.trackedToSucceeded),
    row(
      'approval: total',
      (f) => f.perApproval.request + f.perApproval.approveToSubmitted + f.perApproval.trackedToSucceeded,
    ),
    row('notification: one alert → one conversation', (f) => f.perNotification.roundTrips),
    row('idle: one tracking round (nothing open)', (f) => f.idle.trackingRound),
    row('idle: one alert-poll round', (f) => f.idle.pollRound),
    row(
      `idle per hour (rounds every ${ACTION_POLL_INTERVAL_MS / 1000} s and ${NOTIFY_POLL_INTERVAL_MS / 1000} s)`,
      (f) => f.idle.perHour,
    ),
    row(`idle per hour, measured over ${options.idleSeconds} s`, (f) => f.idle.measuredPerHour),
    ...figures.map(
      (f) =>
        `  ${f.store}: idle hour by kind ${JSON.stringify(f.idle.measuredByKind)}; notifications delivered ${f.perNotification.delivered}/${f.perNotification.samples}; all round trips by kind ${JSON.stringify(f.kinds)}`,
    ),
    '',
    `final approve click → Defender action (${options.approvals} approvals one at a time)`,
    `${'store'.padEnd(38)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'samples'.padStart(9)}${'failures'.padStart(10)}`,
    ...figures.map(
      (f) =>
        `${f.store.padEnd(38)}${f.clickToDefender.p50.toFixed(1).padStart(9)}${f.clickToDefender.p99.toFixed(1).padStart(9)}${String(f.clickToDefender.samples).padStart(9)}${String(f.clickToDefender.failures).padStart(10)}`,
    ),
  ];
}

/** `npm run bench -- storage`: the measurements with sizes from BENCH_STORAGE_* (defaults below), as printed lines. */
export async function runStorageBench(): Promise<string[]> {
  const options: StorageBenchOptions = {
    commands: Number(process.env.BENCH_STORAGE_COMMANDS ?? 20),
    approvals: Number(process.env.BENCH_STORAGE_APPROVALS ?? 20),
    notifications: Number(process.env.BENCH_STORAGE_NOTIFICATIONS ?? 10),
    idleSeconds: Number(process.env.BENCH_STORAGE_IDLE_SECONDS ?? 30),
  };
  return storageLines(await storageBench(options), options);
}
