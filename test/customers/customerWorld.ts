import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditSink } from '../../src/approvals/auditSink';
import type { AuditEntryInput } from '../../src/audit/auditEntry';
import { auditEntryInputSchema } from '../../src/audit/auditEntry';
import { MsalAppTokenProvider } from '../../src/auth/msalAppTokenProvider';
import type { CustomerPersonRef } from '../../src/customers/customerDirectory';
import { CustomerHealthCheck } from '../../src/customers/customerHealth';
import { CustomerOnboarding } from '../../src/customers/customerOnboarding';
import { CustomerRegistry } from '../../src/customers/customerRegistry';
import { HttpDefenderClient } from '../../src/defender/defenderClient';
import type { DefenderAuth } from '../../src/defender/defenderClient';
import { DEMO_APPLICATION_PERMISSIONS, DEMO_BOT_ID, DEMO_DELEGATED_PERMISSIONS } from '../../src/demo/demoConstants';
import { HttpGraphSecurityClient } from '../../src/graph/graphSecurityClient';
import { HttpClient } from '../../src/http/httpClient';
import { SlidingWindowLimiter } from '../../src/http/slidingWindowLimiter';
import { createLogger } from '../../src/logging/logger';
import type { Logger } from '../../src/logging/logger';
import { registerConsentPage } from '../../src/server/authPages';
import { createHttpServer, listen } from '../../src/server/httpServer';
import type { RunningHttpServer } from '../../src/server/httpServer';
import { loadOrCreateDevCertificates } from '../../src/simulator/certs';
import type { SimulatorServer } from '../../src/simulator/simulatorServer';
import { startSimulatorServer } from '../../src/simulator/simulatorServer';
import type { Storage } from '../../src/storage/storage';
import { FileStorage } from '../../src/storage/fileStorage';
import { demoSeed, persona } from '../support/demoTenant';
import { FABRIKAM_TENANT_ID, fabrikamSeed } from '../support/partnerTenant';

/** The provider (MSSP) tenant of these tests: the demo tenant, where the bot is registered. */
export const PROVIDER_TENANT_ID = demoSeed.tenant.id;
/** The customer tenant onboarded in these tests. */
export const CUSTOMER_TENANT_ID = FABRIKAM_TENANT_ID;
const BOT_SECRET = 'customer-test-secret-0123456789';

/** The provider's admin who onboards customers (a SOC.Admin in the provider's tenant). */
export const ADMIN: CustomerPersonRef = (() => {
  const p = persona('Adele');
  return { aadObjectId: p.aadObjectId, userPrincipalName: p.userPrincipalName, displayName: p.displayName };
})();

/** An AuditSink that checks every record against the audit schema (as the real log does) and keeps it. */
export class RecordingAuditSink implements AuditSink {
  readonly entries: AuditEntryInput[] = [];

  append(entry: AuditEntryInput): Promise<unknown> {
    this.entries.push(auditEntryInputSchema.parse(entry));
    return Promise.resolve();
  }

  /** The records of one type. */
  ofType(type: AuditEntryInput['type']): AuditEntryInput[] {
    return this.entries.filter((e) => e.type === type);
  }
}

/** The simulator (provider + one customer tenant, the bot registered multi-tenant), storage and the customer parts. */
export interface CustomerWorld {
  simulator: SimulatorServer;
  http: HttpClient;
  storage: Storage;
  audit: RecordingAuditSink;
  registry: CustomerRegistry;
  health: CustomerHealthCheck;
  onboarding: CustomerOnboarding;
  /** Where the consent redirect goes (set it before `start`; tests with a real server put its URL here). */
  publicUrl: { value: string | undefined };
  /** The registry of a second instance on the same storage. */
  secondInstance(clock?: () => number): CustomerRegistry;
  close(): Promise<void>;
}

/** Starts a fresh world: nothing onboarded, the customer tenant not consented. */
export async function startCustomerWorld(options: { now?: () => Date } = {}): Promise<CustomerWorld> {
  const certificates = loadOrCreateDevCertificates({ dir: fs.mkdtempSync(path.join(os.tmpdir(), 'certs-')) });
  const simulator = await startSimulatorServer({ seeds: [demoSeed, fabrikamSeed()], port: 0, certificates });
  simulator.entra.registerClient({
    clientId: DEMO_BOT_ID,
    clientSecret: BOT_SECRET,
    displayName: 'SOC bot',
    delegatedPermissions: DEMO_DELEGATED_PERMISSIONS,
    applicationPermissions: DEMO_APPLICATION_PERMISSIONS,
    homeTenantId: PROVIDER_TENANT_ID,
    multiTenant: true,
  });
  simulator.entra.grantAdminConsent(PROVIDER_TENANT_ID, DEMO_BOT_ID);
  const http = new HttpClient({ extraCaPem: [certificates.caCertPem] });
  const logger = createLogger({ level: 'silent' });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-customers-'));
  const storage = new FileStorage({ dir: dataDir });
  const audit = new RecordingAuditSink();
  const msal = {
    clientId: DEMO_BOT_ID,
    clientSecret: BOT_SECRET,
    authorityHost: simulator.url,
    httpClient: http,
    logger,
  };
  const defenderTokens = new MsalAppTokenProvider({
    ...msal,
    scope: 'https://api.securitycenter.microsoft.com/.default',
  });
  const graphTokens = new MsalAppTokenProvider({ ...msal, scope: 'https://graph.microsoft.com/.default' });
  const rest = {
    http,
    limiter: new SlidingWindowLimiter({ windows: [{ limit: 1000, windowMs: 60_000 }], maxWaitMs: 0 }),
    logger,
    timeoutMs: 5_000,
    maxRetries: 0,
    maxRetryAfterMs: 1_000,
  };
  const defenderAppAuth = (tenantId: string): DefenderAuth => ({
    kind: 'application',
    tenantId,
    getAccessToken: () => defenderTokens.acquireForApp(tenantId),
  });
  const health = new CustomerHealthCheck({
    defenderAppAuth,
    graphAppAuth: (tenantId) => ({
      kind: 'application',
      tenantId,
      getAccessToken: () => graphTokens.acquireForApp(tenantId),
    }),
    defender: new HttpDefenderClient({ ...rest, baseUrl: simulator.url }),
    graph: new HttpGraphSecurityClient({ ...rest, baseUrl: `${simulator.url}/v1.0` }),
  });
  const registry = new CustomerRegistry({ storage, audit });
  const publicUrl: { value: string | undefined } = { value: 'http://127.0.0.1:3978' };
  const onboarding = new CustomerOnboarding({
    registry,
    storage,
    audit,
    http,
    authorityHost: simulator.url,
    botAppId: DEMO_BOT_ID,
    providerTenantId: PROVIDER_TENANT_ID,
    publicUrl: () => publicUrl.value,
    defenderAppAuth,
    health,
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    simulator,
    http,
    storage,
    audit,
    registry,
    health,
    onboarding,
    publicUrl,
    secondInstance: (clock) => new CustomerRegistry({ storage, audit, ...(clock ? { clock } : {}) }),
    close: async () => {
      http.close();
      await simulator.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Visits the consent link as the customer's admin would (the emulator consents and redirects to loopback). */
export async function visitConsentLink(world: CustomerWorld, consentUrl: string): Promise<URL> {
  const response = await world.http.request({ method: 'GET', url: consentUrl });
  const location = response.headers.location;
  if (response.status !== 302 || !location) throw new Error(`consent link answered ${response.status}`);
  return new URL(location);
}

/** The redirect's query as restify would hand it to the page. */
export function queryOf(url: URL): Record<string, string> {
  return Object.fromEntries(url.searchParams.entries());
}

/** `/auth/consent` of the world's onboarding on a real HTTP server (port 0), its URL set as the redirect target. */
export async function serveConsentPage(world: CustomerWorld, logger: Logger): Promise<RunningHttpServer> {
  const app = createHttpServer({ messages: () => Promise.resolve(), logger });
  registerConsentPage(app, world.onboarding, logger);
  const server = await listen(app, 0, '127.0.0.1');
  world.publicUrl.value = server.url;
  return server;
}
