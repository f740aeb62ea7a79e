import type { Caller } from './bearerAuth';
import type { DuplicateActionMode } from './faultConfig';
import type { FaultInjector } from './faultInjector';
import type { ActionTimings } from './machineActions';
import type { TenantStore } from './tenantStore';

/** Behaviour switches for points the documentation leaves open (defender-api.md §13). */
export interface UnconfirmedBehaviour {
  /**
   * Status for a user-context action on a device outside the user's device groups: 403 Forbidden (default, the
   * reading of "the user needs access to the device") or 404 ResourceNotFound (as if the device did not exist).
   */
  outOfScopeActionStatus: 403 | 404;
  /**
   * A second non-final action of the same type on the same machine (§4.4, §14.2): 'documented' (default) → 400
   * `BadRequest` "Action is already in progress"; 'activeRequestCode' (alias 'reject') → 400
   * `ActiveRequestAlreadyExists` with that message; 'returnExisting' → 201 with the existing action.
   */
  duplicateAction: DuplicateActionMode;
}

/** Everything a Defender endpoint handler needs; handlers return an ApiResult and never write the response. */
export interface ApiContext {
  caller: Caller;
  store: TenantStore;
  /** Decoded path parameters in route order. */
  params: readonly string[];
  query: URLSearchParams;
  body: string;
  now: Date;
  /** `<baseUrlForLinks>/api` or `<baseUrlForLinks>/api/v1.0`, matching the request, for @odata.context. */
  apiBase: string;
  /** The absolute URL of the requested resource without query, for @odata.nextLink. */
  selfLink: string;
  pageSize: number;
  timings: ActionTimings;
  /** The switches in force for this request's tenant (defaults < options < seed < global faults < tenant faults). */
  behaviour: UnconfirmedBehaviour;
  faults: FaultInjector;
  /** Arms wake-up timers for a newly planned action's transitions. */
  scheduleWakeUps: (times: number[]) => void;
}

/** A handler's answer: JSON `body`, or raw `text` (the bare number of `/$count`). */
export interface ApiResult {
  status: number;
  body?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

/** A Defender endpoint. */
export type ApiHandler = (ctx: ApiContext) => ApiResult | Promise<ApiResult>;

/** A single entity with its `@odata.context` first, as the real API serialises it. */
export function entityResult(ctx: ApiContext, entitySet: string, entity: object, status = 200): ApiResult {
  return { status, body: { '@odata.context': `${ctx.apiBase}/$metadata#${entitySet}/$entity`, ...entity } };
}
