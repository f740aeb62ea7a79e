import path from 'node:path';
import { projectRoot, startApp } from './app';
import { ConfigError, loadConfig } from './config/config';
import { environmentWithFiles } from './config/envFiles';
import { serializeError } from './logging/logger';

/** Entry point: read configuration, start the app, print where each component answers. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(environmentWithFiles(process.env, path.join(projectRoot(), 'env')), projectRoot());
  } catch (err) {
    if (err instanceof ConfigError || err instanceof Error) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const app = await startApp(config);
  // Backstops: a stray rejection is logged (name and message, never a token) and the bot keeps serving; an
  // exception that escaped every handler leaves state unknown, so the process logs it and exits for a restart.
  process.on('unhandledRejection', (err) => app.logger.error({ err: serializeError(err) }, 'unhandled rejection'));
  process.on('uncaughtException', (err) => {
    app.logger.fatal({ err: serializeError(err) }, 'uncaught exception; exiting');
    process.exit(1);
  });
  const lines: string[] = [];
  if (app.demo) {
    lines.push(
      `Defender API simulator + Entra ID emulator  ${app.demo.simulator.url}   (tenant: ${app.demo.seed.tenant.name})`,
    );
  }
  lines.push(`Bot endpoint                                ${app.url}/api/messages`);
  if (app.playground) lines.push(`Microsoft 365 Agents Playground             ${app.playground.url}   <- open this`);
  if (app.teamsHost) lines.push(`SOC console tab (local Teams host page)     ${app.teamsHost.url}   <- and this`);
  lines.push(`ready (${app.mode} mode)`);
  process.stdout.write(`${lines.join('\n')}\n`);

  const shutdown = () => {
    void app.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`Start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
