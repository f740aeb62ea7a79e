/*
 * One bot instance of a test cluster (test/support/cluster.ts), alone in its process so that SIGKILL is real:
 *   node dist/test/support/instanceMain.js
 * The configuration comes from the environment, as in production (BOT_ID, STORAGE_CONNECTION_STRING, DATA_DIR…);
 * test seams that are not configuration come from CLUSTER_START_OPTIONS (JSON). Listens on a free loopback port,
 * prints one JSON line {"url": …} when it does, and writes its debug log to DATA_DIR/instance.log.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { startApp } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import { createLogger, serializeError } from '../../src/logging/logger';

/** The StartOptions a cluster may set for its instances (short timings for tests). */
const instanceStartOptionsSchema = z.strictObject({
  actionPollIntervalMs: z.number().int().positive().optional(),
  reconcileTimings: z
    .strictObject({ settleMs: z.number().int().positive(), firstReadDelayMs: z.number().int().nonnegative() })
    .partial()
    .optional(),
  notificationPollIntervalMs: z.number().int().positive().optional(),
  notificationBackoff: z
    .strictObject({ baseMs: z.number().int().positive(), maxMs: z.number().int().positive(), jitter: z.number() })
    .optional(),
});

/** Test seams of one instance, as CLUSTER_START_OPTIONS carries them (import it as a type only: this file runs). */
export type InstanceStartOptions = z.infer<typeof instanceStartOptionsSchema>;

async function main(): Promise<void> {
  const config = loadConfig(process.env, process.cwd());
  const startOptions = instanceStartOptionsSchema.parse(JSON.parse(process.env.CLUSTER_START_OPTIONS ?? '{}'));
  const log = fs.createWriteStream(path.join(config.dataDir, 'instance.log'), { flags: 'a' });
  const logger = createLogger({ level: config.logLevel, destination: log });
  const app = await startApp({ ...config, port: 0 }, { logger, ...startOptions });
  process.on('unhandledRejection', (err) => logger.error({ err: serializeError(err) }, 'unhandled rejection'));
  process.once('SIGTERM', () => {
    void app.stop().then(() => log.end(() => process.exit(0)));
  });
  // The cluster holds our stdin open: when it is gone (even SIGKILLed), so is this instance, never an orphan.
  process.stdin.once('close', () => process.exit(1));
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ url: app.url })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `instance failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
