/*
 * One process of the benchmark: the system under test, alone on its event loop.
 *   node dist/bench/systemUnderTest.js bot   — the SOC bot in demo mode against an external simulator
 *   node dist/bench/systemUnderTest.js echo  — a bare echo bot on the same CloudAdapter and HTTP server
 * Prints one JSON line {"url": …} when it listens.
 */
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import type { SimulatedTenant } from '../src/app';
import { startApp } from '../src/app';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/logging/logger';
import { createHttpServer, listen } from '../src/server/httpServer';

async function main(): Promise<void> {
  // Exit cleanly when the benchmark ends, so `--cpu-prof` can write its profile.
  process.once('SIGTERM', () => process.exit(0));
  const mode = process.argv[2];
  if (mode === 'echo') {
    const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
    const bot = new ActivityHandler().onMessage(async (context, next) => {
      await context.sendActivity(`echo: ${context.activity.text}`);
      await next();
    });
    const server = await listen(
      createHttpServer({
        messages: (req, res) => adapter.process(req, res, (context) => bot.run(context)),
        logger: createLogger({ level: 'silent' }),
      }),
      0,
      '127.0.0.1',
    );
    process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
    return;
  }
  if (mode !== 'bot') throw new Error('usage: systemUnderTest.js bot|echo');
  const tenant = JSON.parse(process.env.BENCH_TENANT ?? '') as SimulatedTenant;
  // Defender's 100 calls/min quota (and Graph's 150) is raised: this measures the bot, not the quota. The tracker polls often, so
  // the bot learns quickly that an action finished and a device can take the next request.
  const config = loadConfig(
    {
      PLAYGROUND: 'off',
      DEFENDER_RATE_LIMIT_PER_MINUTE: '100000',
      GRAPH_RATE_LIMIT_PER_MINUTE: '100000',
      LOG_LEVEL: 'silent',
      ACTION_POLL_INTERVAL_MS: '200',
      // Defender's answers count as late after 1 s (10 s in production): the slow-Defender approvals answer in 1.5 s.
      DEFENDER_TIMEOUT_MS: '1000',
      DATA_DIR: process.env.DATA_DIR ?? '',
    },
    process.cwd(),
  );
  const app = await startApp({ ...config, port: 0 }, { simulatedTenant: tenant });
  process.stdout.write(`${JSON.stringify({ url: app.url })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `system under test failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
