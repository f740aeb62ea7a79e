import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { isLoopback, sendJson } from '../simHttp';
import type { SimHandler } from '../simHttp';
import type { DefenderState } from './defenderState';
import type { FaultInjector } from './faultInjector';
import { SimInputError } from './simInputError';

/** Counters of /api requests (the benchmark reads them). */
export interface DefenderStats {
  defenderCalls: number;
  byApi: Record<string, number>;
  /** Requests whose token was verified, by the token's tenant (lower case): proves which tenant's data was read. */
  byTenant: Record<string, number>;
}

/** What the control plane operates on. */
export interface ControlDeps {
  state: DefenderState;
  faults: FaultInjector;
  stats: () => DefenderStats;
  resetStats: () => void;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One control request as a route sees it. */
export interface ControlRequest {
  url: URL;
  body: string;
  /** Path parameter (alert or machine id) when the route has one. */
  id: string;
  tenantId: string | undefined;
}

/** One `/_sim/` route: a path pattern (its first group is the id), a method and what it answers. */
export interface ControlRoute {
  pattern: RegExp;
  method: Method;
  run: (request: ControlRequest) => { status: number; body: unknown };
}

/** Parses a control request's JSON body; SimInputError (400) when it is not JSON. */
export function parseControlBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new SimInputError('the request body is not valid JSON');
  }
}

function errorBody(code: string, message: string, issues: unknown[] = []): unknown {
  return { error: { code, message, target: randomUUID(), ...(issues.length > 0 ? { issues } : {}) } };
}

/**
 * The simulator's control plane under `/_sim/` (loopback callers only), used to rehearse playbooks: inspect
 * state, inject or edit alerts, take a device offline, script faults, read request statistics. Tenant
 * selection: `?tenantId=`, defaulting to the first seed. Unknown `/_sim/` paths are left to other handlers.
 */
export function createControlEndpoints(deps: ControlDeps): SimHandler {
  const { state, faults } = deps;
  const routes: ControlRoute[] = [
    { pattern: /^\/_sim\/state$/, method: 'GET', run: (r) => ({ status: 200, body: state.dump(r.tenantId) }) },
    {
      pattern: /^\/_sim\/alerts$/,
      method: 'POST',
      run: (r) => ({ status: 201, body: state.injectAlert(parseControlBody(r.body), r.tenantId) }),
    },
    {
      pattern: /^\/_sim\/alerts\/([^/]+)$/,
      method: 'PATCH',
      run: (r) => ({ status: 200, body: state.updateAlert(r.id, parseControlBody(r.body), r.tenantId) }),
    },
    {
      pattern: /^\/_sim\/machines\/([^/]+)$/,
      method: 'PATCH',
      run: (r) => ({ status: 200, body: state.updateMachine(r.id, parseControlBody(r.body), r.tenantId) }),
    },
    // Without ?tenantId= these address the global profile (DELETE: every profile), with it that tenant's.
    {
      pattern: /^\/_sim\/faults$/,
      method: 'GET',
      run: (r) => ({ status: 200, body: faults.get({ tenantId: r.tenantId }) }),
    },
    {
      pattern: /^\/_sim\/faults$/,
      method: 'PUT',
      run: (r) => {
        try {
          return { status: 200, body: faults.set(parseControlBody(r.body), { tenantId: r.tenantId }) };
        } catch (err) {
          if (err instanceof z.ZodError) throw SimInputError.fromZod('the fault configuration is invalid', err);
          throw err;
        }
      },
    },
    {
      pattern: /^\/_sim\/faults$/,
      method: 'DELETE',
      run: (r) => {
        faults.clear({ tenantId: r.tenantId });
        return { status: 200, body: faults.get({ tenantId: r.tenantId }) };
      },
    },
    { pattern: /^\/_sim\/stats$/, method: 'GET', run: () => ({ status: 200, body: deps.stats() }) },
    {
      pattern: /^\/_sim\/stats\/reset$/,
      method: 'POST',
      run: () => {
        deps.resetStats();
        return { status: 200, body: deps.stats() };
      },
    },
  ];

  return serveControlRoutes(routes);
}

/**
 * Answers the given `/_sim/` routes for loopback callers (403 otherwise, 405 for a known path with another
 * method, SimInputError as 400/404/409); paths no route matches are left to other handlers.
 */
export function serveControlRoutes(routes: readonly ControlRoute[]): SimHandler {
  return (req: IncomingMessage, res: ServerResponse, url: URL, body: string) => {
    const matching = routes.filter((route) => route.pattern.test(url.pathname));
    if (matching.length === 0) return Promise.resolve(false);
    if (!isLoopback(req)) {
      sendJson(res, 403, errorBody('Forbidden', 'Simulator control endpoints only answer callers on this machine.'));
      return Promise.resolve(true);
    }
    const route = matching.find((r) => r.method === req.method);
    if (route === undefined) {
      sendJson(res, 405, errorBody('MethodNotAllowed', `Use ${matching.map((r) => r.method).join(' or ')} here.`), {
        allow: matching.map((r) => r.method).join(', '),
      });
      return Promise.resolve(true);
    }
    const raw = route.pattern.exec(url.pathname)?.[1];
    let id = '';
    try {
      id = raw === undefined ? '' : decodeURIComponent(raw);
    } catch {
      id = raw ?? '';
    }
    try {
      const result = route.run({ url, body, id, tenantId: url.searchParams.get('tenantId') ?? undefined });
      sendJson(res, result.status, result.body);
    } catch (err) {
      if (!(err instanceof SimInputError)) {
        sendJson(res, 500, errorBody('InternalServerError', 'The simulator failed to handle this control request.'));
        return Promise.resolve(true);
      }
      const code = err.status === 404 ? 'NotFound' : err.status === 409 ? 'Conflict' : 'InvalidInput';
      sendJson(res, err.status, errorBody(code, err.message, err.issues));
    }
    return Promise.resolve(true);
  };
}
