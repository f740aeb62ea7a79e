/*
 * npm run bench -- scale: several instances on one Blob container (Azurite), production mode against the
 * simulated tenant (test/support/cluster.ts). Two figures:
 *  - take-over: SIGKILL of the instance polling the tenant's alerts, until another instance polls them
 *    (goal: within the lease period + one round);
 *  - throughput: "show high alerts" clicks per second through the round-robin load balancer, 3 instances vs 1.
 */
import { startLoadBalancer } from '../src/demo/loadBalancer';
import type { Cluster } from '../test/support/cluster';
import { startCluster, waitUntil } from '../test/support/cluster';
import { demoSeed } from '../test/support/demoTenant';
import type { Conversation } from '../test/support/productionApp';

const LEASE_SECONDS = 15;
const POLL_MS = 1_000;
const USERS = Number(process.env.BENCH_USERS ?? 8);
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 10) * 1000;

/** The scale figures, for the record. */
export interface ScaleFigures {
  takeOverMs: number;
  throughput: { instances: number; perSecond: number; p50Ms: number; failures: number }[];
}

/** Seconds from the kill of the tenant's poller to the first poll by another instance. */
async function takeOver(c: Cluster): Promise<number> {
  const adele = c.person('Adele');
  const soc: Conversation = {
    id: '19:bench-scale@thread.tacv2',
    conversationType: 'channel',
    tenantId: demoSeed.tenant.id,
  };
  await c.execute('command.view', { command: 'subscribe to high alerts' }, adele, soc);
  const since = new Date();
  const [poller] = await waitUntil(() => {
    const callers = c.callersOf(/\/alerts/i, since);
    return callers.length > 0 && callers;
  }, 'a poller');
  const killedAt = new Date();
  await c.kill(poller!, 'SIGKILL');
  const firstPollAfter = await waitUntil(
    () => {
      const callers = c.callersOf(/\/alerts/i, killedAt).filter((i) => i !== poller);
      return callers.length > 0 && callers;
    },
    'another instance to poll',
    { timeoutMs: 120_000 },
  );
  const takenOverAt = Math.min(...firstPollAfter.map((i) => firstCallAfter(c.log(i), /\/alerts/i, killedAt.getTime())));
  return takenOverAt - killedAt.getTime();
}

/** Time of an instance's first Defender call matching `path` after `since` (ms since epoch). */
function firstCallAfter(log: string, path: RegExp, since: number): number {
  for (const line of log.split('\n')) {
    if (!line.includes('"msg":"defender call"')) continue;
    const entry = JSON.parse(line) as { time: string; path: string };
    const at = Date.parse(entry.time);
    if (at >= since && path.test(entry.path)) return at;
  }
  return Number.POSITIVE_INFINITY;
}

/** Closed-loop clicks from USERS people through a round-robin balancer in front of the cluster. */
async function throughput(c: Cluster): Promise<{ perSecond: number; p50Ms: number; failures: number }> {
  const balancer = await startLoadBalancer({ port: 0, backends: c.upInstances().map((i) => c.url(i)!) });
  const alex = c.person('Alex');
  const latencies: number[] = [];
  let failures = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: USERS }, async (_, u) => {
      const chat: Conversation = { id: `a:bench-${u}`, conversationType: 'personal', tenantId: demoSeed.tenant.id };
      while (Date.now() - started < DURATION_MS) {
        const t0 = performance.now();
        const answer = await c
          .execute('command.view', { command: 'show high alerts' }, alex, chat, { via: balancer.url })
          .catch(() => undefined);
        if (answer?.type === 'application/vnd.microsoft.card.adaptive') latencies.push(performance.now() - t0);
        else failures++;
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  await balancer.close();
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / seconds,
    p50Ms: latencies[Math.floor(latencies.length / 2)] ?? NaN,
    failures,
  };
}

/** Runs both figures: a 3-instance cluster (throughput, then take-over), then a 1-instance one (throughput). */
export async function scaleBench(): Promise<ScaleFigures> {
  const env = {
    LEASE_DURATION_SECONDS: String(LEASE_SECONDS),
    NOTIFY_POLL_INTERVAL_MS: String(POLL_MS),
    LOG_LEVEL: 'debug',
  };
  const figures: ScaleFigures = { takeOverMs: NaN, throughput: [] };
  for (const instances of [3, 1]) {
    const c = await startCluster({ instances, seed: demoSeed, env });
    try {
      figures.throughput.push({ instances, ...(await throughput(c)) });
      if (instances > 1) figures.takeOverMs = await takeOver(c);
    } finally {
      await c.stop();
    }
  }
  return figures;
}

/** The figures as lines for the bench's output. */
export function scaleLines(figures: ScaleFigures): string[] {
  return [
    `Scale-out (Azurite, production mode, ${USERS} people clicking "show high alerts" for ${DURATION_MS / 1000} s through a round-robin balancer):`,
    ...figures.throughput.map(
      (t) =>
        `  ${t.instances} instance${t.instances > 1 ? 's' : ' '}: ${t.perSecond.toFixed(1)} clicks/s, p50 ${t.p50Ms.toFixed(0)} ms, ${t.failures} failed`,
    ),
    `  take-over after SIGKILL of the tenant's poller: ${(figures.takeOverMs / 1000).toFixed(1)} s (lease ${LEASE_SECONDS} s + poll ${POLL_MS / 1000} s)`,
  ];
}
