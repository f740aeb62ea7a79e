import type { AppTokenProvider } from '../auth/userTokens';
import type { DefenderAuth, DefenderClient } from '../defender/defenderClient';
import { isAppError } from '../errors';
import type { GraphAuth, GraphSecurityClient } from '../graph/graphSecurityClient';
import type { CustomerHealth } from './customerDirectory';

/** What a health check needs: the app's token per resource, and the two clients it reads through. */
export interface CustomerHealthCheckOptions {
  /** The app's Defender for Endpoint tokens (client credentials) per tenant. */
  defenderTokens: AppTokenProvider;
  /** The app's Microsoft Graph tokens per tenant. */
  graphTokens: AppTokenProvider;
  defender: DefenderClient;
  graph: GraphSecurityClient;
}

/** The health value of a check that passed. */
export const HEALTH_OK = 'ok';

/**
 * Checks that the bot can serve a customer tenant with its own (application) identity: a token for Defender and one
 * for Graph can be obtained there, Defender answers `GET /api/alerts?$top=…` and Graph answers a one-incident list.
 * Read-only and small (two list calls of one item); each part is `ok` or the AppError code of its failure.
 */
export class CustomerHealthCheck {
  constructor(private readonly options: CustomerHealthCheckOptions) {}

  /** The customer's health now. Never throws for a failing customer: failures are the result. */
  async check(tenantId: string, now: Date): Promise<CustomerHealth> {
    const { defenderTokens, graphTokens, defender, graph } = this.options;
    const defenderAuth: DefenderAuth = appAuth(tenantId, defenderTokens);
    const graphAuth: GraphAuth = appAuth(tenantId, graphTokens);
    const [defenderToken, graphToken] = await Promise.all([
      outcome(() => defenderTokens.acquireForApp(tenantId)),
      outcome(() => graphTokens.acquireForApp(tenantId)),
    ]);
    const [defenderReach, graphReach] = await Promise.all([
      defenderToken === HEALTH_OK ? outcome(() => defender.listAlerts(defenderAuth, { max: 1 })) : defenderToken,
      graphToken === HEALTH_OK ? outcome(() => graph.listIncidents(graphAuth, { max: 1 })) : graphToken,
    ]);
    return {
      checkedAt: now.toISOString(),
      token: defenderToken !== HEALTH_OK ? defenderToken : graphToken,
      defender: defenderReach,
      graph: graphReach,
    };
  }
}

/** True when every part of a health check passed. */
export function isHealthy(health: CustomerHealth | undefined): boolean {
  return health !== undefined && [health.token, health.defender, health.graph].every((part) => part === HEALTH_OK);
}

function appAuth(tenantId: string, tokens: AppTokenProvider): DefenderAuth {
  // A health check must not queue behind a customer's background reads for long.
  return { kind: 'application', tenantId, maxWaitMs: 5_000, getAccessToken: () => tokens.acquireForApp(tenantId) };
}

async function outcome(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
    return HEALTH_OK;
  } catch (err) {
    return isAppError(err) ? err.code : 'internal';
  }
}
