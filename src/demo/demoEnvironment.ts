import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '../logging/logger';
import { loadOrCreateClientCredentialCertificate, loadOrCreateDevCertificates } from '../simulator/certs';
import type { ActionTimings, RateLimits } from '../simulator/defender/defenderApi';
import { demoSeedPath, loadSeedFile } from '../simulator/seed/loadSeed';
import { loadMsspSeeds, msspSeedList } from '../simulator/seed/msspSeeds';
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
  /** `certificate`: the demo bot authenticates with a certificate kept under dataDir (default: a secret). */
  credential?: 'secret' | 'certificate';
  /**
   * `mssp`: Woodgrove Security, a provider whose SOC serves Contoso, Fabrikam and (to onboard) Tailspin Toys
   * (src/simulator/seed/mssp/); the bot's app is multi-tenant in the provider and consented where a seed says so.
   */
  scenario?: 'contoso' | 'mssp';
  logger: Logger;
}

/** The running simulated tenant and the demo bot's credentials for it. */
export interface DemoEnvironment {
  simulator: SimulatorServer;
  seed: Seed;
  caCertPem: string;
  botClientId: string;
  /** Random per start-up; lives only in this process's memory. Unset when the bot uses a certificate. */
  botClientSecret: string | undefined;
  /** PEM file (key + certificate, 0600) of the bot's certificate credential; set instead of the secret. */
  botCertificateFile: string | undefined;
}

/**
 * Starts the Defender simulator and Entra ID emulator for demo mode and registers the demo bot as an app of
 * the simulated tenant (admin-consented, delegated Defender permissions, read-only application permissions),
 * with a per-start secret or, with `credential: 'certificate'`, the certificate stored under dataDir.
 */
export async function startDemoEnvironment(options: DemoEnvironmentOptions): Promise<DemoEnvironment> {
  const certificates = loadOrCreateDevCertificates({ dir: path.join(options.dataDir, 'certs') });
  const mssp = options.scenario === 'mssp' ? loadMsspSeeds({ freshen: true }) : undefined;
  const seeds = mssp
    ? msspSeedList(mssp)
    : [options.seedPath ? loadSeedFile(options.seedPath) : loadSeedFile(demoSeedPath(), { freshen: true })];
  // The tenant the bot lives in: the demo tenant, or the provider of the MSSP scenario (first of its seeds).
  const seed = seeds[0]!;
  const simulator = await startSimulatorServer({
    seeds,
    port: options.port,
    certificates,
    rateLimits: options.rateLimits,
    timings: options.timings,
    logger: options.logger.child({ component: 'simulator' }),
  });
  const certificate =
    options.credential === 'certificate'
      ? loadOrCreateClientCredentialCertificate({ dir: path.join(options.dataDir, 'certs') })
      : undefined;
  const botClientSecret = certificate ? undefined : randomBytes(32).toString('base64url');
  simulator.entra.registerClient({
    clientId: DEMO_BOT_ID,
    ...(certificate ? { certificates: [certificate.certPem] } : { clientSecret: botClientSecret }),
    displayName: 'Defender SOC Bot (demo)',
    delegatedPermissions: DEMO_DELEGATED_PERMISSIONS,
    applicationPermissions: DEMO_APPLICATION_PERMISSIONS,
    homeTenantId: seed.tenant.id,
    multiTenant: mssp !== undefined,
  });
  // Every tenant whose administrator has consented (the MSSP's Tailspin Toys has not: the README onboards it).
  for (const each of seeds)
    if (each.tenant.adminConsent !== false) simulator.entra.grantAdminConsent(each.tenant.id, DEMO_BOT_ID);
  return {
    simulator,
    seed,
    caCertPem: certificates.caCertPem,
    botClientId: DEMO_BOT_ID,
    botClientSecret,
    botCertificateFile: certificate?.file,
  };
}

/** A simulated tenant the bot talks to in demo mode: where it answers and the demo bot's credentials there. */
export interface SimulatedTenant {
  url: string;
  caCertPem: string;
  tenantId: string;
  tenantName: string;
  botClientId: string;
  /** Exactly one of the secret and the certificate file (see DemoEnvironment). */
  botClientSecret?: string | undefined;
  botCertificateFile?: string | undefined;
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
    botCertificateFile: demo.botCertificateFile,
  };
}
