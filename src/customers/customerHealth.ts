import type { DefenderAuth, DefenderClient } from '../defender/defenderClient';
import { isAppError } from '../errors';
import type { GraphAuth, GraphSecurityClient } from '../graph/graphSecurityClient';
import type { CustomerHealth } from './customerDirectory';

/**
 * What a health check needs: the app's own (application, client-credentials) auth per tenant for each resource, as
 * the composition root's identity builds it (`Identity.defenderAppAuth` / `graphAppAuth`), and the two clients.
 */
export interface CustomerHealthCheckOptions {
  defenderAppAuth: (tenantId: string) => DefenderAuth;
  graphAppAuth: (tenantId: string) => GraphAuth;
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
    const { defender, graph } = this.options;
    // A health check must not queue behind a customer's background reads for long.
    const defenderAuth: DefenderAuth = { ...this.options.defenderAppAuth(tenantId), maxWaitMs: 5_000 };
    const graphAuth: GraphAuth = { ...this.options.graphAppAuth(tenantId), maxWaitMs: 5_000 };
    const [defenderToken, graphToken] = await Promise.all([
      outcome(() => defenderAuth.getAccessToken()),
      outcome(() => graphAuth.getAccessToken()),
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

async function outcome(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
    return HEALTH_OK;
  } catch (err) {
    return isAppError(err) ? err.code : 'internal';
  }
}
