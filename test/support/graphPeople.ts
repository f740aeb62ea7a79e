import { MsalOboTokenProvider } from '../../src/auth/msalOboTokenProvider';
import type { GraphAuth } from '../../src/graph/graphSecurityClient';
import { HttpGraphSecurityClient } from '../../src/graph/graphSecurityClient';
import { HttpClient } from '../../src/http/httpClient';
import { SlidingWindowLimiter } from '../../src/http/slidingWindowLimiter';
import { createLogger } from '../../src/logging/logger';
import type { ProductionHarness } from './productionApp';

/** A person of the simulated tenant, as far as their Entra identity goes. */
export interface GraphPerson {
  aadObjectId: string;
  userPrincipalName: string;
  displayName: string;
}

/** People working in the Defender portal behind the bot's back, each with a delegated Graph token of their own. */
export interface GraphPeople {
  /** HTTPS client trusting the simulator (also for other calls a test makes as a "portal user"). */
  http: HttpClient;
  /** A Graph client and that person's on-behalf-of Graph auth, over real HTTPS. */
  as(person: GraphPerson): { client: HttpGraphSecurityClient; auth: GraphAuth };
  close(): void;
}

/**
 * Why one helper: tests that change incidents as someone else (in the portal, to race the bot) need a real Graph
 * token for that person — an assertion minted by the Entra emulator, exchanged on-behalf-of through msal-node with
 * the harness's bot registration — and a Graph client with no retries of its own.
 */
export function graphPeople(h: ProductionHarness, tenantId: string): GraphPeople {
  const http = new HttpClient({ extraCaPem: [h.caCertPem] });
  const logger = createLogger({ level: 'silent' });
  const client = new HttpGraphSecurityClient({
    baseUrl: `${h.simulator.url}/v1.0`,
    http,
    limiter: new SlidingWindowLimiter({ windows: [{ limit: 1000, windowMs: 60_000 }], maxWaitMs: 0 }),
    logger,
    timeoutMs: 5_000,
    maxRetries: 0,
    maxRetryAfterMs: 1_000,
    backoffBaseMs: 10,
  });
  const tokens = new MsalOboTokenProvider({
    clientId: h.botId,
    clientSecret: h.botSecret,
    authorityHost: h.simulator.url,
    defaultTenantId: tenantId,
    scope: 'https://graph.microsoft.com/.default',
    httpClient: http,
    logger,
  });
  return {
    http,
    as: (person) => {
      const minted = h.simulator.entra.mintUserAssertion({
        tenantId,
        aadObjectId: person.aadObjectId,
        audience: h.botId,
      });
      const assertion = {
        token: minted.token,
        expiresAt: minted.expiresOn.getTime(),
        user: { tenantId, ...person, appRoles: [] },
      };
      return {
        client,
        auth: { kind: 'delegated', tenantId, getAccessToken: () => tokens.acquireForUser(assertion) },
      };
    },
    close: () => http.close(),
  };
}
