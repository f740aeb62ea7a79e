/*
 * `npm run simulator -- --seed FILE --port N`: the Defender API simulator and Entra ID emulator on their own,
 * for trying your own data or rehearsing playbooks with any HTTP client.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { DEMO_APPLICATION_PERMISSIONS, DEMO_BOT_ID, DEMO_DELEGATED_PERMISSIONS } from '../demo/demoConstants';
import { createLogger } from '../logging/logger';
import { loadOrCreateDevCertificates } from './certs';
import { DEFAULT_OFFLINE_TIMEOUT_MS } from './defender/machineActions';
import { demoSeedPath, loadSeedFile, SeedError } from './seed/loadSeed';
import { loadMsspSeeds, msspSeedList } from './seed/msspSeeds';
import { startSimulatorServer } from './simulatorServer';

const USAGE = `Usage: npm run simulator -- [options]
  --seed FILE          seed file (repeat for several tenants); default: the shipped demo tenant
  --mssp               the shipped MSSP world instead: a provider and three customer tenants (seed/mssp/README.md)
  --port N             HTTPS port on 127.0.0.1 (default 3979)
  --freshen            shift the seed's timestamps so its newest alert is 2 minutes old
  --pending-ms N       machine actions stay Pending this long (default 3000)
  --in-progress-ms N   then InProgress this long before Succeeded (default 5000)
  --timeout-ms N       actions scripted to time out (TimeOut fault) end after this long (default 60000)
  --offline-timeout-ms N  actions for devices that are not Active wait this long for them (default 259200000, 3 days)
  --rate-per-minute N  Defender quota per API per tenant and app (default 100; hourly = 15x)
  --graph-rate-per-minute N  Microsoft Graph security quota per tenant and app (default 150; hourly = 60x)
  --data-dir DIR       where the local CA and certificate are kept (default .data)
  --log-level LEVEL    pino level (default info)`;

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', multiple: true },
      mssp: { type: 'boolean', default: false },
      port: { type: 'string' },
      freshen: { type: 'boolean', default: false },
      'pending-ms': { type: 'string' },
      'in-progress-ms': { type: 'string' },
      'timeout-ms': { type: 'string' },
      'offline-timeout-ms': { type: 'string' },
      'rate-per-minute': { type: 'string' },
      'graph-rate-per-minute': { type: 'string' },
      'data-dir': { type: 'string', default: '.data' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const seedFiles = values.seed && values.seed.length > 0 ? values.seed : [demoSeedPath()];
  const freshen = values.freshen || values.seed === undefined;
  const seeds = values.mssp
    ? msspSeedList(loadMsspSeeds({ freshen: true }))
    : seedFiles.map((file) => loadSeedFile(path.resolve(file), { freshen }));
  const dataDir = path.resolve(values['data-dir']);
  const certificates = loadOrCreateDevCertificates({ dir: path.join(dataDir, 'certs') });
  const perMinute = positiveInt(values['rate-per-minute'], '--rate-per-minute', 100);
  const graphPerMinute = positiveInt(values['graph-rate-per-minute'], '--graph-rate-per-minute', 150);
  const server = await startSimulatorServer({
    seeds,
    port: positiveInt(values.port, '--port', 3979),
    certificates,
    timings: {
      pendingMs: positiveInt(values['pending-ms'], '--pending-ms', 3000),
      inProgressMs: positiveInt(values['in-progress-ms'], '--in-progress-ms', 5000),
      timeoutMs: positiveInt(values['timeout-ms'], '--timeout-ms', 60_000),
      offlineTimeoutMs: positiveInt(values['offline-timeout-ms'], '--offline-timeout-ms', DEFAULT_OFFLINE_TIMEOUT_MS),
    },
    rateLimits: { perMinute, perHour: perMinute * 15 },
    graphRateLimits: { perMinute: graphPerMinute, perHour: graphPerMinute * 60 },
    logger: createLogger({ level: values['log-level'], name: 'simulator' }),
  });
  // Seeds without an app registration share one the simulator registers, so tokens can be requested at once: one
  // client id and one secret (random per start, shown here: it only opens this local simulator), multi-tenant
  // when several seeds share it, consented in each of their tenants unless the seed says `adminConsent: false`.
  const credentials: string[] = [];
  const bare = seeds.filter((seed) => seed.clients.length === 0);
  const [home] = bare;
  if (home) {
    const secret = randomBytes(24).toString('base64url');
    server.entra.registerClient({
      clientId: DEMO_BOT_ID,
      clientSecret: secret,
      displayName: 'Defender SOC Bot (simulator)',
      delegatedPermissions: DEMO_DELEGATED_PERMISSIONS,
      applicationPermissions: DEMO_APPLICATION_PERMISSIONS,
      homeTenantId: home.tenant.id,
      multiTenant: bare.length > 1,
    });
    credentials.push(
      `  app registration: client id ${DEMO_BOT_ID}, client secret ${secret}, home tenant ${home.tenant.id}`,
    );
    for (const seed of bare) {
      if (seed.tenant.adminConsent !== false) server.entra.grantAdminConsent(seed.tenant.id, DEMO_BOT_ID);
      else server.entra.revokeAdminConsent(seed.tenant.id, DEMO_BOT_ID);
      credentials.push(
        `    ${seed.tenant.adminConsent !== false ? 'consented' : 'not consented'} in ${seed.tenant.id}`,
      );
    }
  }
  const lines = [
    `Defender API simulator + Entra ID emulator on ${server.url}`,
    `  trust this CA: ${path.join(dataDir, 'certs', 'ca.crt.pem')}  (curl --cacert, NODE_EXTRA_CA_CERTS)`,
    ...seeds.map(
      (seed) =>
        `  tenant ${seed.tenant.id} "${seed.tenant.name}": ${seed.users.length} users, ${seed.machines.length} devices, ${seed.alerts.length} alerts`,
    ),
    ...credentials,
    `  Defender API: ${server.url}/api/alerts   token endpoint: ${server.url}/<tenant>/oauth2/v2.0/token`,
    `  Microsoft Graph security: ${server.url}/v1.0/security/incidents  /v1.0/security/alerts_v2 (Graph base URL ${server.url}/v1.0)`,
    `  control: ${server.url}/_sim/state  /_sim/alerts  /_sim/faults  /_sim/stats  /_sim/incidents  /_sim/alerts_v2  /_sim/entra/assertions`,
    'ready',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  const message = err instanceof SeedError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(1);
});
