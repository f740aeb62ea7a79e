import { parseControlBody, serveControlRoutes } from '../defender/controlEndpoints';
import type { DefenderStats } from '../defender/controlEndpoints';
import type { SimHandler } from '../simHttp';
import type { GraphApi, GraphStats } from './graphApi';

/** `GET /_sim/stats` of the whole simulator: the Defender figures as before, plus `graph`. */
export type SimulatorStats = DefenderStats & { graph: GraphStats };

/** What the Graph control routes operate on. */
export interface GraphControlDeps {
  graph: GraphApi;
  /** The Defender API's counters, reported beside Graph's in `/_sim/stats`. */
  defender: { stats(): DefenderStats; resetStats(): void };
}

/**
 * The Graph part of the control plane (loopback only, `?tenantId=` picks the tenant, default the first seed):
 * portal-side incident changes, new incidents and alerts, and `/_sim/stats` with both APIs' counters. It must
 * be offered requests before the Defender API, whose own `/_sim/stats` knows only the Defender figures.
 */
export function createGraphControlEndpoints(deps: GraphControlDeps): SimHandler {
  const { graph, defender } = deps;
  const stats = (): SimulatorStats => ({ ...defender.stats(), graph: graph.stats() });
  return serveControlRoutes([
    {
      pattern: /^\/_sim\/incidents$/,
      method: 'GET',
      run: (r) => ({ status: 200, body: { value: graph.portal.incidents(r.tenantId) } }),
    },
    {
      pattern: /^\/_sim\/incidents$/,
      method: 'POST',
      run: (r) => ({ status: 201, body: graph.portal.createIncident(parseControlBody(r.body), r.tenantId) }),
    },
    {
      pattern: /^\/_sim\/incidents\/([^/]+)$/,
      method: 'PATCH',
      run: (r) => ({ status: 200, body: graph.portal.updateIncident(r.id, parseControlBody(r.body), r.tenantId) }),
    },
    {
      pattern: /^\/_sim\/incidents\/([^/]+)\/alerts$/,
      method: 'POST',
      run: (r) => ({ status: 201, body: graph.portal.addAlert(r.id, parseControlBody(r.body), r.tenantId) }),
    },
    {
      pattern: /^\/_sim\/alerts_v2$/,
      method: 'GET',
      run: (r) => ({ status: 200, body: { value: graph.portal.alerts(r.tenantId) } }),
    },
    {
      pattern: /^\/_sim\/alerts_v2$/,
      method: 'POST',
      run: (r) => ({ status: 201, body: graph.portal.addStandaloneAlert(parseControlBody(r.body), r.tenantId) }),
    },
    { pattern: /^\/_sim\/stats$/, method: 'GET', run: () => ({ status: 200, body: stats() }) },
    {
      pattern: /^\/_sim\/stats\/reset$/,
      method: 'POST',
      run: () => {
        defender.resetStats();
        graph.resetStats();
        return { status: 200, body: stats() };
      },
    },
  ]);
}
