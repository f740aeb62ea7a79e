/*
 * npm run bench — figures for the record, never a pass/fail test.
 *
 * N concurrent users send "show high alerts" through the bot's real HTTP endpoint (POST /api/messages,
 * expectReplies) against the embedded Defender simulator with no added latency; the same load then goes to a
 * bare echo bot on the same adapter and HTTP server. Prints throughput and latency percentiles for both,
 * their ratio, Defender calls per command and token-endpoint calls per repeated command.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { startApp } from '../src/app';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/logging/logger';
import { createHttpServer, listen } from '../src/server/httpServer';
import { demoSeedPath, loadSeedFile } from '../src/simulator/seed/loadSeed';
import type { SeedUser } from '../src/simulator/seed/seedSchema';

const USERS = Number(process.env.BENCH_USERS ?? 20);
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 10) * 1000;
const WARMUP_MS = 2000;

interface LoadResult {
  requests: number;
  seconds: number;
  throughput: number;
  p50: number;
  p99: number;
  failures: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function activity(text: string, user: SeedUser, tenantId: string, conversationId: string) {
  return JSON.stringify({
    type: 'message',
    id: randomUUID(),
    channelId: 'msteams',
    serviceUrl: 'http://127.0.0.1:1/_connector',
    from: { id: `29:${user.aadObjectId}`, name: user.displayName, aadObjectId: user.aadObjectId },
    recipient: { id: 'bot', name: 'Defender SOC Bot' },
    conversation: { id: conversationId, conversationType: 'personal', tenantId },
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
      const conversationId = `a:${user.aadObjectId}`;
      while (Date.now() < deadline) {
        const t0 = performance.now();
        const response = await fetch(`${url}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: activity(text, user, tenantId, conversationId),
        });
        const body = await response.text();
        const ok = response.status === 200 && body.includes('"activities"');
        if (ok) latencies.push(performance.now() - t0);
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
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-bench-'));
  // The demo tenant plus N analysts with full visibility, so every virtual user has their own tokens.
  const seed = loadSeedFile(demoSeedPath(), { freshen: true });
  const template = seed.users.find((u) => u.deviceGroups.includes('*') && u.defenderPermissions.includes('ViewData'))!;
  const users: SeedUser[] = Array.from({ length: USERS }, (_, i) => ({
    ...template,
    aadObjectId: `bbbbbbbb-0000-4000-8000-${String(i).padStart(12, '0')}`,
    userPrincipalName: `bench${i}@contoso.com`,
    displayName: `Bench user ${i}`,
  }));
  seed.users.push(...users);
  const seedPath = path.join(dataDir, 'bench-seed.json');
  fs.writeFileSync(seedPath, JSON.stringify(seed));

  // Defender's 100 calls/min quota is raised on both sides: this measures the bot, not the quota.
  const config = loadConfig(
    {
      PLAYGROUND: 'off',
      DATA_DIR: dataDir,
      DEMO_SEED: seedPath,
      DEFENDER_RATE_LIMIT_PER_MINUTE: '100000',
      SIMULATOR_RATE_LIMIT_PER_MINUTE: '1000000',
      LOG_LEVEL: 'silent',
    },
    process.cwd(),
  );
  const app = await startApp({ ...config, port: 0, demo: { ...config.demo!, simulatorPort: 0 } });
  const simulator = app.demo!.simulator;

  // Echo bot: same CloudAdapter, same HTTP server code, no Defender.
  const echoAdapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  const echoBot = new ActivityHandler().onMessage(async (context, next) => {
    await context.sendActivity(`echo: ${context.activity.text}`);
    await next();
  });
  const echoServer = await listen(
    createHttpServer({
      messages: (req, res) => echoAdapter.process(req, res, (context) => echoBot.run(context)),
      logger: createLogger({ level: 'silent' }),
    }),
    0,
    '127.0.0.1',
  );

  const tenantId = seed.tenant.id;
  // Warm-up: every user signs in once (assertion + OBO token cached), JIT settles.
  await load(app.url, 'show high alerts', users, tenantId, WARMUP_MS);
  await load(echoServer.url, 'hello', users, tenantId, WARMUP_MS);

  simulator.defender.resetStats();
  simulator.entra.resetStats();
  const bot = await load(app.url, 'show high alerts', users, tenantId, DURATION_MS);
  const defenderCalls = simulator.defender.stats().defenderCalls;
  const tokenCalls = simulator.entra.stats().tokenRequests;
  const echo = await load(echoServer.url, 'hello', users, tenantId, DURATION_MS);

  const row = (name: string, r: LoadResult) =>
    `${name.padEnd(26)}${r.throughput.toFixed(1).padStart(10)}${r.p50.toFixed(1).padStart(10)}${r.p99.toFixed(1).padStart(10)}${String(r.requests).padStart(10)}${String(r.failures).padStart(10)}`;
  const lines = [
    `npm run bench — ${USERS} concurrent users, ${DURATION_MS / 1000} s per run, Node ${process.version}, ${os.cpus().length} CPUs`,
    '',
    `${'endpoint'.padEnd(26)}${'req/s'.padStart(10)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'requests'.padStart(10)}${'failures'.padStart(10)}`,
    row('"show high alerts" (bot)', bot),
    row('echo bot (baseline)', echo),
    '',
    `throughput ratio bot/echo            ${(bot.throughput / echo.throughput).toFixed(2)}   (goal ≥ 0.80)`,
    `Defender calls per list command      ${(defenderCalls / bot.requests).toFixed(2)}   (goal 1)`,
    `token-endpoint calls per repeat      ${(tokenCalls / bot.requests).toFixed(2)}   (goal 0)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  await echoServer.close();
  await app.stop();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
