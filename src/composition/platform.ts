import { openAuditLog } from '../audit/openAuditLog';
import type { AuditTrail } from '../audit/auditTrail';
import { BackgroundTasks } from '../background/backgroundTasks';
import type { InstanceLiveness, InstanceMembership, TenantOwnership } from '../background/membership';
import { SINGLE_INSTANCE } from '../background/membership';
import { WorkOwnership } from '../background/workOwnership';
import type { Config } from '../config/config';
import { HttpDefenderClient } from '../defender/defenderClient';
import type { DemoEnvironment, SimulatedTenant } from '../demo/demoEnvironment';
import { simulatedTenantOf, startDemoEnvironment } from '../demo/demoEnvironment';
import { HttpGraphSecurityClient } from '../graph/graphSecurityClient';
import { HttpClient } from '../http/httpClient';
import { createDefenderLimiter } from '../http/slidingWindowLimiter';
import type { Logger } from '../logging/logger';
import type { ActionTimings } from '../simulator/defender/defenderApi';
import { createStorage } from '../storage/createStorage';
import type { Storage } from '../storage/storage';
import type { Lifecycle } from './lifecycle';

/** What every feature stands on: state, audit, who owns which tenant, the HTTP clients of Defender and Graph. */
export interface Platform {
  config: Config;
  logger: Logger;
  now: () => Date;
  /** The in-process simulator of demo mode (undefined in production or with an external simulated tenant). */
  demo: DemoEnvironment | undefined;
  /** The simulated tenant the bot talks to in demo mode. */
  tenant: SimulatedTenant | undefined;
  storage: Storage;
  audit: AuditTrail;
  /** Set with several instances (Blob Storage): leases decide which instance does each tenant's background work. */
  ownership: WorkOwnership | undefined;
  /** This instance as the others see it; every tenant's owner when it runs alone. */
  instances: InstanceMembership & TenantOwnership & InstanceLiveness;
  /** Features tell ownership which tenants have background work and hear when this instance takes one over. */
  tenantWork: TenantWork;
  http: HttpClient;
  defender: HttpDefenderClient;
  graph: HttpGraphSecurityClient;
  background: BackgroundTasks;
}

/** The features' side of tenant ownership: where tenants with background work come from, who resumes it. */
export interface TenantWork {
  /** Adds a source of tenants whose background work exists (served tenants, tenants with subscriptions…). */
  addTenantSource(source: () => Promise<string[]>): void;
  /** Adds what runs when this instance takes a tenant over (resume its deliveries, read its actions at once). */
  onTenantGained(listener: (tenantId: string) => void): void;
}

/** Test seams of the platform (see StartOptions in src/app.ts). */
export interface PlatformOptions {
  simulatedTenant?: SimulatedTenant | undefined;
  simulatorTimings?: ActionTimings | undefined;
}

/**
 * Starts what every feature needs, in order: the demo's simulated tenant (demo mode), the state store and its
 * leases, the audit trail, tenant ownership (several instances), Defender's and Graph's quota, the HTTP clients.
 */
export async function startPlatform(
  config: Config,
  logger: Logger,
  now: () => Date,
  lifecycle: Lifecycle,
  options: PlatformOptions,
): Promise<Platform> {
  let demo: DemoEnvironment | undefined;
  if (config.demo && !options.simulatedTenant) {
    demo = await startDemoEnvironment({
      dataDir: config.dataDir,
      port: config.demo.simulatorPort,
      seedPath: config.demo.seedPath,
      credential: config.demo.credential,
      scenario: config.demo.scenario,
      rateLimits: {
        perMinute: config.demo.simulatorRateLimitPerMinute,
        perHour: config.demo.simulatorRateLimitPerMinute * 15,
      },
      timings: options.simulatorTimings,
      logger,
    });
    lifecycle.onStop(() => demo?.simulator.close());
  }
  const tenant: SimulatedTenant | undefined = options.simulatedTenant ?? (demo && simulatedTenantOf(demo));

  // Durable records, and which instance does which tenant's background work (leases in the same store).
  const state = await createStorage(config.storage, config.dataDir);
  lifecycle.onStop(() => state.close());
  logger.info({ storage: state.description }, 'state store ready');
  const audit = await openAuditLog(config.storage, config.dataDir, { clock: now, logger });
  lifecycle.onStop(() => audit.close());

  // Several instances (Blob Storage): each tenant's background work (polling, tracking, delivery) goes to one
  // instance through leases, and the quotas are split among the live ones. One instance: all of it here.
  const sources: (() => Promise<string[]>)[] = [];
  const gained: ((tenantId: string) => void)[] = [];
  const tenantWork: TenantWork = {
    addTenantSource: (source) => sources.push(source),
    onTenantGained: (listener) => gained.push(listener),
  };
  const ownership = state.shared
    ? new WorkOwnership({
        leases: state.leases,
        leaseSeconds: config.leases.seconds,
        renewMs: config.leases.renewMs,
        tenants: async () => [...new Set((await Promise.all(sources.map((s) => s()))).flat())],
        onGained: (tenantId) => gained.forEach((listener) => listener(tenantId)),
        logger: logger.child({ component: 'leases' }),
      })
    : undefined;
  // Stopping, the instance lease goes last: after the server and every background task (an execution being sent),
  // so no other instance takes this one's sends for orphaned meanwhile (the tenants are released earlier).
  if (ownership) lifecycle.onStop(() => ownership.leave());

  const sharing = ownership ? { membership: ownership, ownership, joinWaitMs: config.defender.joinWaitMs } : {};
  const limiter = createDefenderLimiter(config.defender, sharing);
  lifecycle.onStop(() => limiter.close());
  // Graph has its own budget (150 security requests a minute per app and tenant, no hourly limit documented).
  const graphLimiter = createDefenderLimiter(
    {
      ...config.defender,
      rateLimitPerMinute: config.graph.rateLimitPerMinute,
      rateLimitPerHour: config.graph.rateLimitPerMinute * 60,
    },
    sharing,
  );
  lifecycle.onStop(() => graphLimiter.close());
  const http = new HttpClient({ extraCaPem: [...config.extraCaPem, ...(tenant ? [tenant.caCertPem] : [])] });
  lifecycle.onStop(() => http.close());
  const calls = {
    http,
    timeoutMs: config.defender.timeoutMs,
    maxRetries: config.defender.maxRetries,
    maxRetryAfterMs: config.defender.maxRetryAfterMs,
  };
  const defender = new HttpDefenderClient({
    ...calls,
    baseUrl: tenant ? tenant.url : config.defender.apiUrl,
    limiter,
    logger: logger.child({ component: 'defender' }),
  });
  const graph = new HttpGraphSecurityClient({
    ...calls,
    baseUrl: tenant ? `${tenant.url}/v1.0` : config.graph.apiUrl,
    limiter: graphLimiter,
    logger: logger.child({ component: 'graph' }),
  });

  const background = new BackgroundTasks(logger);
  lifecycle.onStop(() => background.idle());
  return {
    config,
    logger,
    now,
    demo,
    tenant,
    storage: state.storage,
    audit,
    ownership,
    instances: ownership ?? SINGLE_INSTANCE,
    tenantWork,
    http,
    defender,
    graph,
    background,
  };
}
