import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '../logging/logger';
import { loadOrCreateDevCertificates } from '../simulator/certs';
import type { ActionTimings, RateLimits } from '../simulator/defender/defenderApi';
import { demoSeedPath, loadSeedFile } from '../simulator/seed/loadSeed';
import type { Seed } from '../simulator/seed/seedSchema';
import type { SimulatorServer } from '../simulator/simulatorServer';
import { startSimulatorServer } from '../simulator/simulatorServer';
import { DEMO_APPLICATION_PERMISSIONS, DEMO_BOT_ID, DEMO_DELEGATED_PERMISSIONS } from './demoConstants';

/** What demo mode needs: where to keep certificates, which seed, and the simulator knobs. */
export interface DemoEnvironmentOptions {
  dataDir: string;
  port: number;
  /** A user's own seed; undefined = the shipped demo tenant, with timestamps freshened to start-up. */
  seedPath?: string | undefined;
  rateLimits?: RateLimits;
  timings?: ActionTimings;
  logger: Logger;
}

/** The running simulated tenant and the demo bot's credentials for it. */
export interface DemoEnvironment {
  simulator: SimulatorServer;
  seed: Seed;
  caCertPem: string;
  botClientId: string;
  /** Random per start-up; lives only in this process's memory. */
  botClientSecret: string;
}

/**
 * Starts the Defender simulator and Entra ID emulator for demo mode and registers the demo bot as an app of
 * the simulated tenant (admin-consented, delegated Defender permissions, read-only application permissions).
 */
export async function startDemoEnvironment(options: DemoEnvironmentOptions): Promise<DemoEnvironment> {
  const certificates = loadOrCreateDevCertificates({ dir: path.join(options.dataDir, 'certs') });
  const seed = options.seedPath ? loadSeedFile(options.seedPath) : loadSeedFile(demoSeedPath(), { freshen: true });
  const simulator = await startSimulatorServer({
    seeds: [seed],
    port: options.port,
    certificates,
    rateLimits: options.rateLimits,
    timings: options.timings,
    logger: options.logger.child({ component: 'simulator' }),
  });
  const botClientSecret = randomBytes(32).toString('base64url');
  simulator.entra.registerClient({
    clientId: DEMO_BOT_ID,
    clientSecret: botClientSecret,
    displayName: 'Defender SOC Bot (demo)',
    delegatedPermissions: DEMO_DELEGATED_PERMISSIONS,
    applicationPermissions: DEMO_APPLICATION_PERMISSIONS,
    homeTenantId: seed.tenant.id,
    multiTenant: false,
  });
  simulator.entra.grantAdminConsent(seed.tenant.id, DEMO_BOT_ID);
  return { simulator, seed, caCertPem: certificates.caCertPem, botClientId: DEMO_BOT_ID, botClientSecret };
}

/** A simulated tenant the bot talks to in demo mode: where it answers and the demo bot's credentials there. */
export interface SimulatedTenant {
  url: string;
  caCertPem: string;
  tenantId: string;
  tenantName: string;
  botClientId: string;
  botClientSecret: string;
}

/** The running demo environment as the bot addresses it (in this process, or passed to another one). */
export function simulatedTenantOf(demo: DemoEnvironment): SimulatedTenant {
  return {
    url: demo.simulator.url,
    caCertPem: demo.caCertPem,
    tenantId: demo.seed.tenant.id,
    tenantName: demo.seed.tenant.name,
    botClientId: demo.botClientId,
    botClientSecret: demo.botClientSecret,
  };
}
