import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MsalOboTokenProvider } from '../../src/auth/msalOboTokenProvider';
import type { DefenderAuth } from '../../src/defender/defenderClient';
import { DEMO_BOT_ID, DEMO_DELEGATED_PERMISSIONS } from '../../src/demo/demoConstants';
import { HttpClient } from '../../src/http/httpClient';
import type { Logger } from '../../src/logging/logger';
import { createLogger } from '../../src/logging/logger';
import { loadOrCreateDevCertificates } from '../../src/simulator/certs';
import type { RateLimits } from '../../src/simulator/defender/rateLimiter';
import type { SimulatorServer } from '../../src/simulator/simulatorServer';
import { startSimulatorServer } from '../../src/simulator/simulatorServer';
import { demoSeed, persona } from '../support/demoTenant';

/** A running simulator of the demo tenant, an HTTPS client trusting it, and Adele's delegated Defender auth. */
export interface SimulatorWithUser {
  simulator: SimulatorServer;
  httpClient: HttpClient;
  /** The simulator's CA, for another client that must trust it. */
  caCertPem: string;
  auth: DefenderAuth;
  /** Adele's delegated Microsoft Graph auth (another on-behalf-of token, audience Graph). */
  graphAuth: DefenderAuth;
  close: () => Promise<void>;
}

/**
 * Why the Defender client's tests share one setup: each needs the simulator with the bot registered and consented,
 * and a real on-behalf-of token for a person (Adele, who sees every alert) obtained through msal over HTTPS.
 */
export async function startSimulatorWithUser(
  options: { pageSize?: number; rateLimits?: RateLimits; logger?: Logger } = {},
): Promise<SimulatorWithUser> {
  const certificates = loadOrCreateDevCertificates({ dir: fs.mkdtempSync(path.join(os.tmpdir(), 'certs-')) });
  const simulator = await startSimulatorServer({ seeds: [demoSeed], port: 0, certificates, ...options });
  simulator.entra.registerClient({
    clientId: DEMO_BOT_ID,
    clientSecret: 'test-secret-value-0123456789',
    displayName: 'test',
    delegatedPermissions: DEMO_DELEGATED_PERMISSIONS,
    applicationPermissions: [],
    homeTenantId: demoSeed.tenant.id,
  });
  simulator.entra.grantAdminConsent(demoSeed.tenant.id, DEMO_BOT_ID);
  const httpClient = new HttpClient({ extraCaPem: [certificates.caCertPem] });
  const tokens = new MsalOboTokenProvider({
    clientId: DEMO_BOT_ID,
    clientSecret: 'test-secret-value-0123456789',
    authorityHost: simulator.url,
    defaultTenantId: demoSeed.tenant.id,
    httpClient,
    logger: createLogger({ level: 'silent' }),
  });
  const graphTokens = new MsalOboTokenProvider({
    clientId: DEMO_BOT_ID,
    clientSecret: 'test-secret-value-0123456789',
    authorityHost: simulator.url,
    defaultTenantId: demoSeed.tenant.id,
    scope: 'https://graph.microsoft.com/.default',
    httpClient,
    logger: createLogger({ level: 'silent' }),
  });
  const adele = persona('Adele');
  const minted = simulator.entra.mintUserAssertion({
    tenantId: demoSeed.tenant.id,
    aadObjectId: adele.aadObjectId,
    audience: DEMO_BOT_ID,
  });
  const assertion = {
    token: minted.token,
    expiresAt: minted.expiresOn.getTime(),
    user: {
      tenantId: demoSeed.tenant.id,
      aadObjectId: adele.aadObjectId,
      userPrincipalName: adele.userPrincipalName,
      displayName: adele.displayName,
      appRoles: [],
    },
  };
  return {
    simulator,
    httpClient,
    caCertPem: certificates.caCertPem,
    auth: { kind: 'delegated', tenantId: demoSeed.tenant.id, getAccessToken: () => tokens.acquireForUser(assertion) },
    graphAuth: {
      kind: 'delegated',
      tenantId: demoSeed.tenant.id,
      getAccessToken: () => graphTokens.acquireForUser(assertion),
    },
    close: async () => {
      httpClient.close();
      await simulator.close();
    },
  };
}
