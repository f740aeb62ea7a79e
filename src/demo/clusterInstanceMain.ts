/*
 * One bot instance of `npm run cluster` (src/demo/clusterMain.ts), in its own process: demo mode against the
 * cluster's one simulated tenant (CLUSTER_TENANT, JSON) instead of a simulator of its own, on the shared Blob
 * container (STORAGE_CONNECTION_STRING), on a free loopback port. Prints one JSON line {"url": …} when it listens.
 */
import { z } from 'zod';
import { startApp } from '../app';
import { loadConfig } from '../config/config';
import { serializeError } from '../logging/logger';

const simulatedTenantSchema = z.strictObject({
  url: z.url(),
  caCertPem: z.string().includes('BEGIN CERTIFICATE'),
  tenantId: z.string().min(1),
  tenantName: z.string(),
  botClientId: z.string().min(1),
  botClientSecret: z.string().min(1).optional(),
  botCertificateFile: z.string().min(1).optional(),
});

async function main(): Promise<void> {
  const config = loadConfig(process.env, process.cwd());
  const tenant = simulatedTenantSchema.parse(JSON.parse(process.env.CLUSTER_TENANT ?? ''));
  const app = await startApp({ ...config, port: 0 }, { simulatedTenant: tenant, playground: false });
  process.on('unhandledRejection', (err) => app.logger.error({ err: serializeError(err) }, 'unhandled rejection'));
  process.once('SIGTERM', () => {
    void app.stop().then(() => process.exit(0));
  });
  // npm run cluster holds our stdin open: when it is gone (even killed), so is this instance, never an orphan.
  process.stdin.once('close', () => process.exit(1));
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ url: app.url })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`instance failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
