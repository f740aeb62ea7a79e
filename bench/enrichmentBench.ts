/*
 * The enrichment part of `npm run bench -- enrichment`: what an "Investigate" click costs. For each kind of entity
 * (file, IP, domain, user, and a device's users and alerts), the Defender calls one enrichment card makes the first
 * time a person asks (cold) and the second time within the cache's minutes (cached), beside the sections and
 * entities the card shows (goal: calls ≤ sections shown + the one read of the card it came from, 0 when cached);
 * then the latency of a click, cold and cached, p50/p99 over distinct analysts (each their own cache, each signed in
 * before), beside the baseline measured in the same run: "alert <id>", one Defender call through the same bot.
 *
 * The bot runs whole, in demo mode, over the entity seed of the tests (test/investigation/investigationWorld.ts):
 * real HTTP between the bot, the Defender simulator and the Entra emulator; calls are counted by the simulator.
 */
import type { TeamsUser } from '../test/support/botClient';
import { ALERT_1, ALERT_3, C2_DOMAIN, C2_IP, FILE_SHA1 } from '../test/simulator/entities/entitySeed';
import { FIN_WS } from '../test/simulator/defender/testSeeds';
import type { InvestigationWorld } from '../test/investigation/investigationWorld';
import {
  chatOf,
  extraAnalystOid,
  firstCard,
  INCIDENT_ID,
  investigateButtons,
  startInvestigationWorld,
} from '../test/investigation/investigationWorld';

const SAMPLES = Number(process.env.BENCH_ENRICHMENT_SAMPLES ?? 30);

/** One kind of card: the click that opens it and the sections it shows. */
interface CardCase {
  name: string;
  data: Record<string, unknown>;
  sections: number;
}

const CASES: CardCase[] = [
  { name: 'file (from the alert card)', data: click('file', 'alert', ALERT_1, FILE_SHA1), sections: 3 },
  { name: 'IP address (from the incident)', data: click('ip', 'incident', INCIDENT_ID, C2_IP), sections: 1 },
  { name: 'domain (from the alert card)', data: click('domain', 'alert', ALERT_3, C2_DOMAIN), sections: 3 },
  { name: 'user (from the device card)', data: click('user', 'device', FIN_WS, 'jonis'), sections: 2 },
  { name: "device's users and alerts", data: click('device', 'device', FIN_WS, FIN_WS), sections: 2 },
];

function click(kind: string, source: string, id: string, entity: string): Record<string, unknown> {
  return { kind, source: { kind: source, id }, entity };
}

function analyst(n: number): TeamsUser {
  const oid = extraAnalystOid(n);
  return { id: `29:${oid}`, name: `bench-analyst-${n}`, aadObjectId: oid };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(1)} ms  p99 ${percentile(sorted, 99).toFixed(1)} ms`;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/** Runs the enrichment bench and returns its report, one line per figure. */
export async function runEnrichmentBench(): Promise<string[]> {
  const world = await startInvestigationWorld({
    extraAnalysts: SAMPLES + CASES.length,
    env: { DEFENDER_RATE_LIMIT_PER_MINUTE: '100000', SIMULATOR_RATE_LIMIT_PER_MINUTE: '1000000' },
  });
  try {
    const lines = [
      'enrichment: Defender calls per "Investigate" card (goal ≤ sections shown + 1 read of the card clicked, 0 cached;',
      '  an incident is read from Microsoft Graph, not counted here)',
    ];
    lines.push(`${'card'.padEnd(32)}sections  calls cold  calls cached`);
    for (const [i, card] of CASES.entries()) {
      const who = analyst(SAMPLES + i);
      const cold = await calls(world, () => execute(world, card.data, who));
      const cached = await calls(world, () => execute(world, card.data, who));
      lines.push(
        `${card.name.padEnd(32)}${String(card.sections).padStart(8)}${String(cold).padStart(12)}${String(cached).padStart(14)}`,
      );
    }
    const entities = investigateButtons(
      firstCard((await world.bot.say(`alert ${ALERT_1}`, analyst(0), chatOf(analyst(0))))[0]),
    ).length;
    lines.push(
      `entities offered on the alert card: ${entities} (one button each; nothing is read until one is clicked)`,
    );

    const cold: number[] = [];
    const cached: number[] = [];
    const baseline: number[] = [];
    const file = CASES[0]!.data;
    for (let n = 0; n < SAMPLES; n++) {
      const who = analyst(n);
      world.app.demo!.simulator.defender.resetRateLimits();
      // Unmeasured: the person's first command signs them in (their tokens are then cached like in production).
      await world.bot.say(`alert ${ALERT_1}`, who, chatOf(who));
      baseline.push(await timed(() => world.bot.say(`alert ${ALERT_1}`, who, chatOf(who))));
      cold.push(await timed(() => execute(world, file, who)));
      cached.push(await timed(() => execute(world, file, who)));
    }
    lines.push(`latency over ${SAMPLES} analysts (file card from the alert card, POST /api/messages):`);
    lines.push(`  baseline "alert <id>" (1 Defender call)   ${summary(baseline)}`);
    lines.push(`  Investigate, cold                         ${summary(cold)}`);
    lines.push(`  Investigate, cached (same person)         ${summary(cached)}`);
    return lines;
  } finally {
    await world.app.stop();
  }
}

async function execute(world: InvestigationWorld, data: Record<string, unknown>, who: TeamsUser): Promise<void> {
  const response = await world.bot.execute('entity.investigate', data, who, chatOf(who));
  if (response.type !== 'application/vnd.microsoft.card.adaptive')
    throw new Error(`no enrichment card: ${JSON.stringify(response.value).slice(0, 200)}`);
}

async function calls(world: InvestigationWorld, run: () => Promise<void>): Promise<number> {
  const before = world.app.demo!.simulator.defender.stats().defenderCalls;
  await run();
  return world.app.demo!.simulator.defender.stats().defenderCalls - before;
}
