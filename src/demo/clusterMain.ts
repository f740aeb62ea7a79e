/*
 * `npm run cluster`: the demo as a scaled-out deployment on this machine. Azurite (in memory) as the shared
 * Blob Storage, one simulated tenant (Defender simulator + Entra ID emulator), CLUSTER_INSTANCES bot processes
 * (default 3) in demo mode on one container, a round-robin load balancer on PORT in front of them, and the
 * Agents Playground pointed at the balancer. Kill an instance (its pid is printed) to watch another take over.
 * With STORAGE_CONNECTION_STRING set, that store is used instead of a fresh Azurite.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as readline from 'node:readline';
import { z } from 'zod';
import { projectRoot } from '../app';
import { loadConfig } from '../config/config';
import { environmentWithFiles } from '../config/envFiles';
import { HttpClient } from '../http/httpClient';
import { createLogger } from '../logging/logger';
import { simulatedTenantOf, startDemoEnvironment } from './demoEnvironment';
import { startLoadBalancer } from './loadBalancer';
import { startPlayground } from './playground';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
const AZURITE_ACCOUNT = 'devstoreaccount1';
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const instanceCountSchema = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() !== '' ? v : undefined),
  z.coerce.number().int().min(1).max(9).default(3),
);

/** A child process that prints one JSON line {"url": …} once it listens. */
interface Started {
  child: ChildProcess;
  url: string;
}

/** Spawns `node args…` and resolves with the URL it prints, or rejects with its stderr if it exits first. */
function spawnListening(args: string[], env: NodeJS.ProcessEnv, urlPattern: RegExp): Promise<Started> {
  // stdin stays open for the child's lifetime: an instance exits when this process is gone.
  const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const match = urlPattern.exec(line);
      if (match) resolve({ child, url: match[1]! });
    });
    child.once('exit', () => reject(new Error(`exited during start-up: ${stderr.join('').trim().slice(-500)}`)));
  });
}

/** Every process this cluster started (Azurite, the instances), stopped on exit. */
const children = new Set<ChildProcess>();

async function main(): Promise<void> {
  const config = loadConfig(environmentWithFiles(process.env, path.join(projectRoot(), 'env')), projectRoot());
  if (!config.demo) throw new Error('npm run cluster runs demo mode: unset BOT_ID');
  const count = instanceCountSchema.parse(process.env.CLUSTER_INSTANCES);
  const root = path.join(config.dataDir, 'cluster');
  fs.mkdirSync(root, { recursive: true });
  const logger = createLogger({ level: config.logLevel });
  const stops: (() => Promise<void> | void)[] = [];
  const shutdown = async () => {
    for (const step of stops.reverse()) await step();
    for (const child of children) child.kill('SIGTERM');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());

  let connectionString: string;
  let container = config.storage.kind === 'blob' ? config.storage.container : 'soc-bot';
  if (config.storage.kind === 'blob' && 'connectionString' in config.storage) {
    connectionString = config.storage.connectionString;
  } else {
    const azurite = await spawnListening(
      [
        require.resolve('azurite/dist/src/blob/main.js'),
        ...['--blobHost', '127.0.0.1', '--blobPort', '0', '--inMemoryPersistence'],
        ...['--skipApiVersionCheck', '--loose', '--disableTelemetry'],
      ],
      { PATH: process.env.PATH },
      /successfully listens on (http:\/\/127\.0\.0\.1:\d+)/,
    );
    children.add(azurite.child);
    connectionString =
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
      `BlobEndpoint=${azurite.url}/${AZURITE_ACCOUNT};`;
    container = `cluster-${randomBytes(4).toString('hex')}`;
  }

  const demo = await startDemoEnvironment({
    dataDir: root,
    port: config.demo.simulatorPort,
    seedPath: config.demo.seedPath,
    rateLimits: {
      perMinute: config.demo.simulatorRateLimitPerMinute,
      perHour: config.demo.simulatorRateLimitPerMinute * 15,
    },
    credential: config.demo.credential,
    logger,
  });
  stops.push(() => demo.simulator.close());
  const tenant = simulatedTenantOf(demo);

  const balancer = await startLoadBalancer({ port: config.port, backends: [] });
  stops.push(() => balancer.close());
  const urls = new Map<number, string>();
  const instanceMain = path.join(__dirname, 'clusterInstanceMain.js');
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const dataDir = path.join(root, `instance-${i}`);
    fs.mkdirSync(dataDir, { recursive: true });
    const instance = await spawnListening(
      ['--disable-warning=DEP0111', instanceMain],
      {
        ...process.env,
        PLAYGROUND: 'off',
        DATA_DIR: dataDir,
        STORAGE_CONNECTION_STRING: connectionString,
        STORAGE_ACCOUNT_URL: '',
        STORAGE_CONTAINER: container,
        // The instances start together with nothing spent: the quota's join wait need only cover a lease round.
        DEFENDER_JOIN_WAIT_MS: process.env.DEFENDER_JOIN_WAIT_MS ?? '5000',
        CLUSTER_TENANT: JSON.stringify(tenant),
      },
      /^\{"url":"([^"]+)"\}$/,
    );
    children.add(instance.child);
    urls.set(i, instance.url);
    balancer.setBackends([...urls.values()]);
    instance.child.once('exit', (code, signal) => {
      urls.delete(i);
      balancer.setBackends([...urls.values()]);
      process.stdout.write(
        `instance ${i} exited (${signal ?? `code ${code}`}); ${urls.size} left behind the balancer\n`,
      );
    });
    lines.push(`Bot instance ${i} (pid ${instance.child.pid})${' '.repeat(15)}${instance.url}/api/messages`);
  }

  const playground = config.demo.playground
    ? await startPlayground({
        port: config.demo.playgroundPort,
        botEndpoint: `${balancer.url}/api/messages`,
        configPath: path.join(projectRoot(), '.m365agentsplayground.yml'),
        workDir: path.join(root, 'playground'),
        currentUser: config.demo.playgroundUser,
        http: new HttpClient({}),
        logger,
      })
    : undefined;
  if (playground) stops.push(() => playground.stop());

  process.stdout.write(
    [
      `Azure Blob Storage (container ${container})${' '.repeat(Math.max(1, 12 - container.length))}${
        connectionString.match(/BlobEndpoint=([^;]+)/)?.[1] ?? 'from STORAGE_CONNECTION_STRING'
      }`,
      `Defender API simulator + Entra ID emulator  ${demo.simulator.url}   (tenant: ${demo.seed.tenant.name})`,
      ...lines,
      `Load balancer (round robin)                 ${balancer.url}/api/messages`,
      ...(playground ? [`Microsoft 365 Agents Playground             ${playground.url}   <- open this`] : []),
      `ready (${count} instances, demo mode); Ctrl+C stops everything`,
    ].join('\n') + '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`Cluster start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
  for (const child of children) child.kill('SIGTERM');
  process.exit(1);
});
