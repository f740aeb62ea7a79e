import { z } from 'zod';
import type { Logger } from '../../logging/logger';
import { createBearerVerifier } from '../defender/bearerAuth';
import type { Caller, SigningKeySource } from '../defender/bearerAuth';
import { DefenderApiError } from '../defender/defenderError';
import type { ListQuerySpec } from '../defender/odataQuery';
import { applyFilter, pageOf, parseEntityQuery, parseListQuery } from '../defender/odataQuery';
import type { FaultInjector } from '../defender/faultInjector';
import type { RateLimits } from '../defender/rateLimiter';
import { SlidingWindowRateLimiter } from '../defender/rateLimiter';
import { parseJsonBody } from '../defender/requestBody';
import { GRAPH_APP_ID } from '../entra/defenderScopes';
import type { DeviceScope } from '../defender/rbac';
import { SimInputError } from '../defender/simInputError';
import type { HuntingTables } from '../seed/huntingSchema';
import type { GraphIncidentEntity, Seed } from '../seed/seedSchema';
import { ODATA_JSON, sendJson } from '../simHttp';
import type { SimHandler } from '../simHttp';
import { GraphApiError } from './graphError';
import { createHuntingService } from './hunting/huntingService';
import type { HuntingBehaviour, HuntingService } from './hunting/huntingService';
import { GRAPH_ALERT_FIELDS, INCIDENT_FIELDS, determinationProblem, incidentPatchSchema } from './graphFields';
import { createGraphPortal } from './graphPortal';
import type { GraphPortal } from './graphPortal';
import { alertVisible, graphDeviceScope, graphTenantFromSeed, incidentVisible, visibleAlertsOf } from './graphTenant';
import type { GraphTenant } from './graphTenant';

/** Audiences a Graph access token may carry: Graph's resource URI or its app id; MDE and XDR tokens get 401. */
export const GRAPH_AUDIENCES = ['https://graph.microsoft.com', GRAPH_APP_ID] as const;

/**
 * Graph's throttling for the security service: 150 requests per minute per app per tenant (defender-api.md §7.1);
 * the hour window is not documented, so it is 60 minutes' worth.
 */
export const GRAPH_SECURITY_RATE_LIMITS: RateLimits = { perMinute: 150, perHour: 9_000 };

/**
 * Longest comment the simulator accepts. The Graph pages do not state a limit [UNCONFIRMED]; 30,000 characters
 * is the value the bot must stay under, so an over-long comment fails here as loudly as it might in production.
 */
export const MAX_GRAPH_COMMENT_LENGTH = 30_000;

/** Options for `createGraphApi`. */
export interface GraphApiOptions {
  seeds: readonly Seed[];
  keys: SigningKeySource;
  /** Origin for `@odata.context` and `@odata.nextLink`, e.g. https://127.0.0.1:3979. */
  baseUrlForLinks: string;
  now?: () => Date;
  /** Items per page before `@odata.nextLink` (default 50). */
  pageSize?: number;
  rateLimits?: RateLimits;
  /** The simulator's fault profiles (shared with the Defender API); matched against `/v1.0/security/...`. */
  faults?: FaultInjector;
  logger?: Logger;
  /** Advanced hunting's limits and simulated CPU/timeouts (default: the documented ones). */
  hunting?: Partial<HuntingBehaviour>;
  /** A tenant's advanced hunting tables, when shared with other endpoints (default: read from its seed once). */
  huntingTables?: (tenantId: string) => HuntingTables;
}

/** What a request under /v1.0/security asked for; `unmatched` for a path or method Graph does not serve. */
export type GraphOperation =
  | 'incidents.list'
  | 'incidents.get'
  | 'incidents.patch'
  | 'incidents.comment'
  | 'alerts.list'
  | 'alerts.get'
  | 'hunting.run'
  | 'unmatched';

/** Counters of /v1.0/security requests, rejected ones included (the benchmark reads them). */
export interface GraphStats {
  graphCalls: number;
  byOperation: Partial<Record<GraphOperation, number>>;
  /** Requests whose token was verified, by the token's tenant (lower case): proves which tenant's data was read. */
  byTenant: Record<string, number>;
}

/** One answered Graph request, as `onRequest` listeners see it (no token, no body). */
export interface GraphCall {
  operation: GraphOperation;
  method: string;
  /** Tenant of the token; undefined when the token was refused before it was read. */
  tenantId: string | undefined;
  status: number;
}

/** The Microsoft Graph security surface of the simulator (`/v1.0/security/*`). */
export interface GraphApi {
  /** Answers requests under `/v1.0/security/`; returns false for every other path. */
  handle: SimHandler;
  /** Changes "made in the portal" (the control plane's `/_sim/incidents...` and `/_sim/alerts_v2`). */
  portal: GraphPortal;
  /** Requests counted by operation since the start or the last reset. */
  stats(): GraphStats;
  resetStats(): void;
  /** Calls `listener` after every answered Graph request (tests watching the bot's calls); returns the unsubscribe. */
  onRequest(listener: (call: GraphCall) => void): () => void;
  /** Advanced hunting (`runHuntingQuery`): its limits, simulated CPU quota and timeouts can be changed. */
  hunting: Pick<HuntingService, 'configure' | 'reset'>;
}

/** The operation of a request from its method and path segments below /v1.0/security. */
export function graphOperationOf(method: string, segments: readonly string[]): GraphOperation {
  const [collection, id, sub, ...extra] = segments;
  const set = collection?.toLowerCase();
  if (extra.length > 0) return 'unmatched';
  if (set === 'incidents') {
    if (id === undefined && sub === undefined && method === 'GET') return 'incidents.list';
    if (id !== undefined && sub === undefined && method === 'GET') return 'incidents.get';
    if (id !== undefined && sub === undefined && method === 'PATCH') return 'incidents.patch';
    if (id !== undefined && sub?.toLowerCase() === 'comments' && method === 'POST') return 'incidents.comment';
  }
  if (set === 'alerts_v2' && sub === undefined && method === 'GET')
    return id === undefined ? 'alerts.list' : 'alerts.get';
  if (set === 'runhuntingquery' && id === undefined && method === 'POST') return 'hunting.run';
  return 'unmatched';
}

type Operation = 'incidents.read' | 'incidents.write' | 'alerts.read' | 'hunting.read';

/** Graph uses the same permission names in `scp` (delegated) and `roles` (application). */
const PERMISSIONS: Record<Operation, readonly string[]> = {
  'incidents.read': ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'],
  'incidents.write': ['SecurityIncident.ReadWrite.All'],
  'alerts.read': ['SecurityAlert.Read.All', 'SecurityAlert.ReadWrite.All'],
  'hunting.read': ['ThreatHunting.Read.All'],
};

interface Request {
  operation: GraphOperation;
  method: string;
  segments: string[];
  query: URLSearchParams;
  body: string;
  caller: Caller;
  tenant: GraphTenant;
  now: Date;
  selfLink: string;
}

interface Result {
  status: number;
  body: unknown;
}

const INCIDENT_QUERY: ListQuerySpec = { fields: INCIDENT_FIELDS, expandable: ['alerts'] };
const ALERT_QUERY: ListQuerySpec = { fields: GRAPH_ALERT_FIELDS, expandable: [] };

const commentSchema = z.strictObject({ '@odata.type': z.string().optional(), comment: z.string() });

function requirePermission(caller: Caller, operation: Operation): void {
  const needed = PERMISSIONS[operation];
  if (needed.some((p) => caller.permissions.has(p))) return;
  const claim = caller.kind === 'app' ? 'roles' : 'scp';
  throw new GraphApiError(
    403,
    'Forbidden',
    `Missing ${claim} permission: the token needs one of ${needed.join(', ')}.`,
  );
}

function notFound(kind: string, id: string): GraphApiError {
  return new GraphApiError(404, 'NotFound', `The ${kind} with id '${id}' was not found.`);
}

/** Re-raises the shared OData/body/bearer errors (DefenderApiError) as Graph errors. */
function asGraphError(err: unknown): unknown {
  if (!(err instanceof DefenderApiError)) return err;
  const code = err.status === 401 ? 'InvalidAuthenticationToken' : err.status === 400 ? 'BadRequest' : err.code;
  return new GraphApiError(err.status, code, err.message, err.headers);
}

/** Splits `/v1.0/security/<rest>` into decoded segments; undefined for any other path. */
function securitySegments(pathname: string): string[] | undefined {
  const raw = pathname.split('/');
  if (raw[0] !== '' || raw[1]?.toLowerCase() !== 'v1.0' || raw[2]?.toLowerCase() !== 'security') return undefined;
  const rest = raw.slice(3).filter((s, i, all) => !(s === '' && i === all.length - 1));
  return rest.map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return '\u0000';
    }
  });
}

/** Builds the Graph security API over the tenants of `seeds`, verifying tokens with the Entra emulator's keys. */
export function createGraphApi(options: GraphApiOptions): GraphApi {
  const now = options.now ?? (() => new Date());
  const pageSize = options.pageSize ?? 50;
  const tenants = new Map<string, GraphTenant>();
  for (const seed of options.seeds) {
    const tenant = graphTenantFromSeed(seed);
    tenants.set(tenant.tenantId, tenant);
  }
  const tenantOf = (tenantId?: string): GraphTenant => {
    const tenant = tenants.get(tenantId?.toLowerCase() ?? [...tenants.keys()][0] ?? '');
    if (tenant === undefined) {
      throw new SimInputError(
        `unknown tenant '${tenantId ?? ''}'; loaded tenants: ${[...tenants.keys()].join(', ')}`,
        [],
        404,
      );
    }
    return tenant;
  };
  let stats: GraphStats = { graphCalls: 0, byOperation: {}, byTenant: {} };
  const listeners = new Set<(call: GraphCall) => void>();
  const verify = createBearerVerifier({
    keys: options.keys,
    isKnownTenant: (tenantId) => tenants.has(tenantId),
    now,
    audiences: GRAPH_AUDIENCES,
  });
  const limiter = new SlidingWindowRateLimiter(options.rateLimits ?? GRAPH_SECURITY_RATE_LIMITS, () => now().getTime());
  const base = `${options.baseUrlForLinks}/v1.0`;
  const hunting = createHuntingService({
    seeds: options.seeds,
    ...(options.hunting ? { behaviour: options.hunting } : {}),
    ...(options.huntingTables ? { tablesOf: options.huntingTables } : {}),
  });

  const incidentView = (
    r: Request,
    scope: DeviceScope,
    incident: GraphIncidentEntity,
    expand: ReadonlySet<string>,
  ) => ({
    ...incident,
    tenantId: r.tenant.tenantId,
    incidentWebUrl: `https://security.microsoft.com/incidents/${encodeURIComponent(incident.id)}?tid=${r.tenant.tenantId}`,
    ...(expand.has('alerts') ? { alerts: visibleAlertsOf(r.tenant, scope, incident.id) } : {}),
  });

  /** An incident outside the caller's device groups is 404, like one that does not exist (no existence leak). */
  const findIncident = (r: Request, scope: DeviceScope, id: string) => {
    const incident = r.tenant.incidents.find((i) => i.id === id);
    if (incident === undefined || !incidentVisible(r.tenant, scope, incident)) throw notFound('incident', id);
    return incident;
  };

  const list = <T extends Record<string, unknown>>(
    r: Request,
    spec: ListQuerySpec,
    items: readonly T[],
    set: string,
    view: (item: T, expand: ReadonlySet<string>) => unknown,
  ): Result => {
    const params = new URLSearchParams(r.query);
    const countText = [...params].find(([name]) => name.toLowerCase() === '$count')?.[1];
    for (const name of [...params.keys()]) if (name.toLowerCase() === '$count') params.delete(name);
    if (countText !== undefined && !['true', 'false'].includes(countText.toLowerCase())) {
      throw new GraphApiError(400, 'BadRequest', `Invalid value '${countText}' for $count: expected true or false.`);
    }
    const withCount = countText?.toLowerCase() === 'true';
    const query = parseListQuery(params, spec);
    const filtered = applyFilter(items, query);
    const page = pageOf(filtered, query, pageSize, r.selfLink);
    return {
      status: 200,
      body: {
        '@odata.context': `${base}/$metadata#security/${set}`,
        ...(withCount ? { '@odata.count': filtered.length } : {}),
        value: page.value.map((item) => view(item, query.expand)),
        ...(page.nextLink !== undefined
          ? { '@odata.nextLink': withCount ? `${page.nextLink}&$count=true` : page.nextLink }
          : {}),
      },
    };
  };

  const entity = (set: string, value: object): Result => ({
    status: 200,
    body: { '@odata.context': `${base}/$metadata#security/${set}/$entity`, ...value },
  });

  function updateIncident(r: Request, scope: DeviceScope, incident: GraphIncidentEntity): Result {
    const patch = parseJsonBody(r.body, incidentPatchSchema);
    const classification = patch.classification ?? incident.classification;
    const determination = patch.determination ?? incident.determination;
    const problem = determinationProblem(classification, determination);
    if ((patch.classification !== undefined || patch.determination !== undefined) && problem !== undefined) {
      throw new GraphApiError(400, 'BadRequest', problem);
    }
    if (patch.status !== undefined) incident.status = patch.status;
    if (patch.assignedTo !== undefined) incident.assignedTo = patch.assignedTo;
    if (patch.customTags !== undefined) incident.customTags = patch.customTags;
    if (patch.description !== undefined) incident.description = patch.description;
    incident.classification = classification;
    incident.determination = determination;
    incident.lastUpdateDateTime = r.now.toISOString();
    return entity('incidents', incidentView(r, scope, incident, new Set()));
  }

  function addComment(r: Request, incident: GraphIncidentEntity): Result {
    const { comment } = parseJsonBody(r.body, commentSchema);
    if (comment.trim() === '') throw new GraphApiError(400, 'BadRequest', 'The comment must not be empty.');
    if (comment.length > MAX_GRAPH_COMMENT_LENGTH) {
      throw new GraphApiError(
        400,
        'BadRequest',
        `The comment is ${comment.length} characters long; the maximum is ${MAX_GRAPH_COMMENT_LENGTH}.`,
      );
    }
    const createdDateTime = r.now.toISOString();
    incident.comments.push({
      comment,
      createdByDisplayName: r.caller.kind === 'user' ? r.caller.upn : r.caller.appId,
      createdDateTime,
    });
    incident.lastUpdateDateTime = createdDateTime;
    return {
      status: 200,
      body: {
        '@odata.context': `${base}/$metadata#Collection(microsoft.graph.security.alertComment)`,
        value: incident.comments.map((c) => ({ '@odata.type': '#microsoft.graph.security.alertComment', ...c })),
      },
    };
  }

  function route(r: Request): Result {
    const [, id] = r.segments;
    switch (r.operation) {
      case 'incidents.list': {
        requirePermission(r.caller, 'incidents.read');
        const scope = graphDeviceScope(r.tenant, r.caller, 'ViewData');
        const visible = r.tenant.incidents.filter((i) => incidentVisible(r.tenant, scope, i));
        return list(r, INCIDENT_QUERY, visible, 'incidents', (i, expand) => incidentView(r, scope, i, expand));
      }
      case 'incidents.get': {
        requirePermission(r.caller, 'incidents.read');
        const scope = graphDeviceScope(r.tenant, r.caller, 'ViewData');
        const expand = parseEntityQuery(r.query, INCIDENT_QUERY);
        return entity('incidents', incidentView(r, scope, findIncident(r, scope, id ?? ''), expand));
      }
      case 'incidents.patch': {
        requirePermission(r.caller, 'incidents.write');
        const scope = graphDeviceScope(r.tenant, r.caller, 'AlertsInvestigation');
        return updateIncident(r, scope, findIncident(r, scope, id ?? ''));
      }
      case 'incidents.comment': {
        requirePermission(r.caller, 'incidents.write');
        const scope = graphDeviceScope(r.tenant, r.caller, 'AlertsInvestigation');
        return addComment(r, findIncident(r, scope, id ?? ''));
      }
      case 'alerts.list': {
        requirePermission(r.caller, 'alerts.read');
        const scope = graphDeviceScope(r.tenant, r.caller, 'ViewData');
        const visible = r.tenant.alerts.filter((a) => alertVisible(r.tenant, scope, a));
        return list(r, ALERT_QUERY, visible, 'alerts_v2', (a) => a);
      }
      case 'alerts.get': {
        requirePermission(r.caller, 'alerts.read');
        const scope = graphDeviceScope(r.tenant, r.caller, 'ViewData');
        parseEntityQuery(r.query, ALERT_QUERY);
        const alert = r.tenant.alerts.find((a) => a.id === id);
        if (alert === undefined || !alertVisible(r.tenant, scope, alert)) throw notFound('alert', id ?? '');
        return entity('alerts_v2', alert);
      }
      case 'hunting.run':
      case 'unmatched':
        throw new GraphApiError(
          400,
          'BadRequest',
          `Resource not found for the segment '${r.segments.join('/')}' with method ${r.method}.`,
        );
    }
  }

  /** `runHuntingQuery`: ThreatHunting.Read.All, and for a user the Defender role's View data and device groups. */
  function runHunting(r: Request): Promise<Result> {
    requirePermission(r.caller, 'hunting.read');
    const scope = graphDeviceScope(r.tenant, r.caller, 'ViewData');
    return hunting.run({ tenant: r.tenant, scope, body: r.body, now: r.now });
  }

  /** Latency, forced 429s and 5xx of the fault profile, applied before the request is processed. */
  async function applyRequestFaults(faultPath: string, tenantId: string): Promise<void> {
    const faults = options.faults;
    if (faults === undefined) return;
    const delay = faults.latencyFor(faultPath, tenantId);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const fault = faults.requestFault(faultPath, tenantId);
    if (fault.kind === 'throttle') {
      throw new GraphApiError(429, 'TooManyRequests', 'Too many requests.', {
        'retry-after': String(fault.retryAfterSeconds),
      });
    }
    if (fault.kind === 'error') {
      throw fault.status === 503
        ? new GraphApiError(503, 'serviceNotAvailable', 'The service is temporarily unavailable.')
        : new GraphApiError(500, 'generalException', 'An internal error occurred.');
    }
  }

  async function answer(req: Parameters<SimHandler>[0], url: URL, body: string, segments: string[], at: Date) {
    const clientRequestId = req.headers['client-request-id'];
    let tenantId: string | undefined;
    try {
      const caller = await verify(req.headers.authorization);
      tenantId = caller.tenantId;
      stats.byTenant[tenantId] = (stats.byTenant[tenantId] ?? 0) + 1;
      const tenant = tenants.get(caller.tenantId);
      if (tenant === undefined) throw new GraphApiError(401, 'InvalidAuthenticationToken', 'Unknown tenant.');
      await applyRequestFaults(url.pathname, tenantId);
      const decision = limiter.tryAcquire(`${caller.tenantId}|${caller.appId}`);
      if (!decision.allowed) {
        throw new GraphApiError(429, 'TooManyRequests', 'Too many requests.', {
          'retry-after': String(decision.retryAfterSeconds),
        });
      }
      const request: Request = {
        operation: graphOperationOf(req.method ?? 'GET', segments),
        method: req.method ?? 'GET',
        segments,
        query: url.searchParams,
        body,
        caller,
        tenant,
        now: at,
        selfLink: `${options.baseUrlForLinks}${url.pathname}`,
      };
      const result = request.operation === 'hunting.run' ? await runHunting(request) : route(request);
      return { tenantId, status: result.status, body: result.body, headers: { 'content-type': ODATA_JSON } };
    } catch (caught) {
      const err = asGraphError(caught);
      if (!(err instanceof GraphApiError)) throw err;
      options.logger?.info({ status: err.status, code: err.code }, 'graph simulator refused a request');
      const requestId = typeof clientRequestId === 'string' ? clientRequestId : undefined;
      return { tenantId, status: err.status, body: err.toBody(at, requestId), headers: err.headers };
    }
  }

  return {
    portal: createGraphPortal(tenantOf, now),
    hunting: { configure: (changes) => hunting.configure(changes), reset: () => hunting.reset() },
    stats: () => structuredClone(stats),
    resetStats: () => {
      stats = { graphCalls: 0, byOperation: {}, byTenant: {} };
    },
    onRequest: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    handle: async (req, res, url, body) => {
      const segments = securitySegments(url.pathname);
      if (segments === undefined) return false;
      const method = req.method ?? 'GET';
      const operation = graphOperationOf(method, segments);
      stats.graphCalls += 1;
      stats.byOperation[operation] = (stats.byOperation[operation] ?? 0) + 1;
      const result = await answer(req, url, body, segments, now());
      for (const listener of listeners)
        listener({ operation, method, tenantId: result.tenantId, status: result.status });
      // The work is done; a late answer or a reset only changes what the client learns of it.
      const after = options.faults?.answerFault(url.pathname, result.tenantId, req.method);
      if (after !== undefined && after.holdMs > 0) await new Promise((resolve) => setTimeout(resolve, after.holdMs));
      if (after?.reset === true) {
        req.socket.destroy();
        return true;
      }
      sendJson(res, result.status, result.body, result.headers);
      return true;
    },
  };
}
