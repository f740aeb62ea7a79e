import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../logging/logger';
import type { Seed } from '../seed/seedSchema';
import { ODATA_JSON, sendJson } from '../simHttp';
import type { SimHandler } from '../simHttp';
import type { ApiContext, ApiResult, UnconfirmedBehaviour } from './apiContext';
import { createBearerVerifier } from './bearerAuth';
import type { SigningKeySource } from './bearerAuth';
import { createControlEndpoints } from './controlEndpoints';
import type { DefenderStats } from './controlEndpoints';
import { DefenderApiError } from './defenderError';
import { matchDefenderRoute, splitApiPath } from './defenderRoutes';
import type { ApiPath, DefenderApiName } from './defenderRoutes';
import { DefenderState } from './defenderState';
import type { DefenderStateView } from './defenderState';
import { FaultInjector } from './faultInjector';
import { DEFAULT_ACTION_TIMINGS } from './machineActions';
import type { ActionTimings } from './machineActions';
import { MAX_TOP } from './odataQuery';
import { SlidingWindowRateLimiter } from './rateLimiter';
import type { RateLimits } from './rateLimiter';

/** Re-exported so the composition root and demo mode import every simulator type from this one module. */
export type { DefenderStats } from './controlEndpoints';
export type { DefenderStateView } from './defenderState';
export type { ActionTimings } from './machineActions';
export type { RateLimits } from './rateLimiter';
export type { UnconfirmedBehaviour } from './apiContext';
export type { DefenderApiName } from './defenderRoutes';
export type { FaultConfig, FaultConfigInput, FaultScope } from './faultInjector';
export type { BehaviourOverrides, DuplicateActionMode } from './faultConfig';

/** How to build the simulated Defender API. Only `seeds`, `keys` and `baseUrlForLinks` are required. */
export interface DefenderApiOptions {
  /** One seed per tenant (partner/MSSP scenarios), keyed by `seed.tenant.id`; the first is the default tenant. */
  seeds: Seed[];
  /** Public signing keys of the Entra emulator, for bearer-token verification. */
  keys: SigningKeySource;
  /** Scheme + host (+ port) used in `@odata.context` and `@odata.nextLink`, e.g. `https://127.0.0.1:3979`. */
  baseUrlForLinks: string;
  /**
   * Machine-action lifecycle durations; default 3 s pending, 5 s in progress, 60 s for the TimeOut fault, 3 days
   * for an offline device's action.
   */
  timings?: ActionTimings;
  /** Per API, per tenant + app id; default 100/min and 1,500/h (§7.1). */
  rateLimits?: RateLimits;
  /** Server-driven page size; default 10,000 (the documented maximum page). */
  pageSize?: number;
  logger?: Logger;
  /** Clock for timestamps, token expiry, rate windows and the action lifecycle; default real time. */
  now?: () => Date;
  /** Randomness for fault rates and latency jitter; default Math.random (tests inject a sequence). */
  random?: () => number;
  /**
   * Switches for undocumented behaviour; defaults: out-of-scope action → 403, duplicate action → 'documented'.
   * A seed's `defender.behaviour` overrides them for its tenant, and fault profiles override both at run time.
   */
  behaviour?: Partial<UnconfirmedBehaviour>;
}

/** The simulated Defender for Endpoint API, ready to be composed into the simulator's HTTPS server. */
export interface DefenderApi {
  /** Answers `/api/...`, `/api/v1.0/...` and the Defender part of `/_sim/...`; false for anything else. */
  handle: SimHandler;
  /** Typed access to tenants, alerts, machines and actions (tests, demo mode). */
  state: DefenderStateView;
  /** Fault knobs, the same ones `/_sim/faults` sets. */
  faults: FaultInjector;
  /** Every /api request counted, rejected ones included. */
  stats(): DefenderStats;
  resetStats(): void;
  /** Empties every rate-limit window. */
  resetRateLimits(): void;
  /** Stops the lifecycle wake-up timers. */
  close(): void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Longest delay setTimeout takes (about 24.8 days); longer waits are re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The `tid` of a bearer token, read without verifying it: only to pick the tenant's fault profile for faults
 * that strike before the token is checked. Authentication itself is unaffected.
 */
function tenantHint(authorization: string | undefined): string | undefined {
  const payload = /^Bearer\s+[^.\s]+\.([^.\s]+)\./i.exec(authorization ?? '')?.[1];
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const tid = typeof claims === 'object' && claims !== null ? (claims as { tid?: unknown }).tid : undefined;
    return typeof tid === 'string' ? tid.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, result: ApiResult): void {
  if (result.text !== undefined) {
    res.writeHead(result.status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(result.text),
      'odata-version': '4.0',
      ...result.headers,
    });
    res.end(result.text);
    return;
  }
  sendJson(res, result.status, result.body, { 'content-type': ODATA_JSON, 'odata-version': '4.0', ...result.headers });
}

/** Builds the simulated Defender API over the given seeds. */
export function createDefenderApi(options: DefenderApiOptions): DefenderApi {
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const logger = options.logger;
  const timings: ActionTimings = { ...DEFAULT_ACTION_TIMINGS, ...options.timings };
  const pageSize = options.pageSize ?? MAX_TOP;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new Error('pageSize must be a positive integer');
  const baseBehaviour: UnconfirmedBehaviour = {
    outOfScopeActionStatus: options.behaviour?.outOfScopeActionStatus ?? 403,
    duplicateAction: options.behaviour?.duplicateAction ?? 'documented',
  };
  const linkBase = options.baseUrlForLinks.replace(/\/+$/, '');

  const state = new DefenderState(options.seeds, now, {
    onChanged: (tenantId, actions) => {
      for (const action of actions) {
        logger?.debug({ tenantId, actionId: action.id, type: action.type, status: action.status }, 'machine action');
      }
    },
    timings,
    scheduleWakeUps: (times) => scheduleWakeUps(times),
  });
  const seededFaults = new Map(
    options.seeds.flatMap((seed) => (seed.defender?.faults ? [[seed.tenant.id, seed.defender.faults] as const] : [])),
  );
  const faults = new FaultInjector(random, (tenantId) => state.has(tenantId), seededFaults);
  const limiter = new SlidingWindowRateLimiter(options.rateLimits ?? { perMinute: 100, perHour: 1500 }, () =>
    now().getTime(),
  );
  // A tenant without Defender for Endpoint is served by no one, as if it were not loaded.
  const verify = createBearerVerifier({ keys: options.keys, isKnownTenant: (tid) => state.serves(tid), now });

  let stats: DefenderStats = { defenderCalls: 0, byApi: {}, byTenant: {} };
  const timers = new Set<NodeJS.Timeout>();

  const scheduleWakeUp = (at: number, retries = 5) => {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        // Node may fire a timer a millisecond before the wall clock reaches `at`; wait out the rest
        // (a few times at most, so a frozen test clock cannot keep a timer cycling).
        if (now().getTime() < at && retries > 0) scheduleWakeUp(at, retries - 1);
        else state.advanceAll();
      },
      Math.min(MAX_TIMER_MS, Math.max(0, at - now().getTime())),
    );
    // The lifecycle is also advanced on every read, so timers must never keep the process alive.
    timer.unref();
    timers.add(timer);
  };
  const scheduleWakeUps = (times: number[]) => times.forEach((at) => scheduleWakeUp(at));

  const control = createControlEndpoints({
    state,
    faults,
    stats: () => structuredClone(stats),
    resetStats: () => {
      stats = { defenderCalls: 0, byApi: {}, byTenant: {} };
    },
  });

  /** Switches for one tenant's request: defaults < options < seed < global fault profile < tenant profile. */
  const behaviourFor = (tenantId: string): UnconfirmedBehaviour => ({
    ...baseBehaviour,
    ...state.store(tenantId).behaviour,
    ...faults.behaviour(tenantId),
  });

  async function answer(
    req: IncomingMessage,
    url: URL,
    body: string,
    apiPath: ApiPath,
    faultPath: string,
    tenant: string | undefined,
  ): Promise<ApiResult> {
    const match = matchDefenderRoute(req.method ?? 'GET', apiPath.segments);
    const api: DefenderApiName = match.kind === 'route' ? match.api : 'unmatched';
    stats.defenderCalls += 1;
    stats.byApi[api] = (stats.byApi[api] ?? 0) + 1;

    const delay = faults.latencyFor(faultPath, tenant);
    if (delay > 0) await sleep(delay);
    const fault = faults.requestFault(faultPath, tenant);
    if (fault.kind === 'throttle') {
      throw new DefenderApiError(
        429,
        'TooManyRequests',
        `API calls quota exceeded! Retry in ${fault.retryAfterSeconds} seconds.`,
        { 'retry-after': String(fault.retryAfterSeconds) },
      );
    }
    if (fault.kind === 'error') {
      throw fault.status === 503
        ? new DefenderApiError(503, 'ServiceUnavailable', 'The service is temporarily unavailable. Retry later.')
        : new DefenderApiError(500, 'InternalServerError', 'An internal error occurred. Retry the operation.');
    }
    if (match.kind === 'notFound') {
      throw new DefenderApiError(
        404,
        'NotFound',
        `No HTTP resource was found that matches the request URI '${url.pathname}'.`,
      );
    }
    if (match.kind === 'methodNotAllowed') {
      throw new DefenderApiError(
        405,
        'MethodNotAllowed',
        `The requested resource does not support http method '${req.method ?? ''}'.`,
        { allow: match.allow.join(', ') },
      );
    }

    const caller = await verify(req.headers.authorization);
    stats.byTenant[caller.tenantId] = (stats.byTenant[caller.tenantId] ?? 0) + 1;
    const decision = limiter.tryAcquire(`${api}|${caller.tenantId}|${caller.appId.toLowerCase()}`);
    if (!decision.allowed) {
      throw new DefenderApiError(
        429,
        'TooManyRequests',
        `API calls quota exceeded! Maximum admitted ${decision.limit} per ${decision.window}. Retry in ${decision.retryAfterSeconds} seconds.`,
        { 'retry-after': String(decision.retryAfterSeconds) },
      );
    }
    const ctx: ApiContext = {
      caller,
      store: state.store(caller.tenantId),
      params: match.params,
      query: url.searchParams,
      body,
      now: now(),
      apiBase: `${linkBase}${apiPath.prefix}`,
      selfLink: `${linkBase}${url.pathname}`,
      pageSize,
      timings,
      behaviour: behaviourFor(caller.tenantId),
      faults,
      scheduleWakeUps,
    };
    return await match.handler(ctx);
  }

  const handle: SimHandler = async (req, res, url, body) => {
    if (url.pathname.startsWith('/_sim/')) return control(req, res, url, body);
    const apiPath = splitApiPath(url.pathname);
    if (apiPath === undefined) return false;
    const started = performance.now();
    // Faults are matched against the version-less path so one prefix covers /api and /api/v1.0.
    const faultPath = `/api/${apiPath.segments.join('/')}`;
    const hint = tenantHint(req.headers.authorization);
    const tenant = hint !== undefined && state.has(hint) ? hint : undefined;
    let result: ApiResult;
    try {
      result = await answer(req, url, body, apiPath, faultPath, tenant);
    } catch (err) {
      if (err instanceof DefenderApiError) {
        result = { status: err.status, body: err.toBody(), headers: err.headers };
      } else {
        logger?.error({ err, path: url.pathname }, 'defender simulator failed to answer');
        const internal = new DefenderApiError(500, 'InternalServerError', 'An internal error occurred.');
        result = { status: 500, body: internal.toBody() };
      }
    }
    // The work is done; a late answer or a reset now only changes what the client learns of it.
    const after = faults.answerFault(faultPath, tenant, req.method);
    if (after.holdMs > 0) await sleep(after.holdMs);
    if (after.reset) {
      req.socket.destroy();
      logger?.debug({ method: req.method, path: url.pathname, status: result.status }, 'defender answer dropped');
      return true;
    }
    send(res, result);
    // Query values can be long and carry user data, so only option names are logged; never headers.
    logger?.debug(
      {
        method: req.method,
        path: url.pathname,
        query: [...new Set(url.searchParams.keys())],
        status: result.status,
        ms: Math.round(performance.now() - started),
      },
      'defender api request',
    );
    return true;
  };

  return {
    handle,
    state,
    faults,
    stats: () => structuredClone(stats),
    resetStats: () => {
      stats = { defenderCalls: 0, byApi: {}, byTenant: {} };
    },
    resetRateLimits: () => limiter.reset(),
    close: () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
