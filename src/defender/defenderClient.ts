import { AppError, isAppError } from '../errors';
import type { ApiAuth, ListResult, RestApiOptions, ServiceErrorBody } from '../http/restApi';
import { RestApi, requireDelegated } from '../http/restApi';
import type { FilterExpression } from '../http/odata';
import { compare, toQueryString } from '../http/odata';
import type { EntityClient } from './entityClient';
import { HttpEntityClient } from './entityClient';
import type { Alert, Machine, MachineAction } from './schemas';
import { alertSchema, machineActionSchema, machineSchema } from './schemas';

/**
 * Whose token a Defender call uses and which tenant's quota it counts against (src/http/restApi.ts). Response
 * actions accept delegated auth only, so they can never run with the application identity.
 */
export type DefenderAuth = ApiAuth;

export type { ListResult } from '../http/restApi';

/** The Defender for Endpoint operations the bot uses; commands depend on this, tests may fake it. */
export interface DefenderClient {
  /** File, IP, domain and user statistics, related devices and alerts, logged-on users (investigation cards). */
  readonly entities: EntityClient;
  /** Alerts matching `filter`, following `@odata.nextLink` up to `max` items. */
  listAlerts(
    auth: DefenderAuth,
    query: { filter?: FilterExpression | undefined; max: number; expandEvidence?: boolean },
  ): Promise<ListResult<Alert>>;
  /** One alert with its evidence; AppError `notFound` when it does not exist or is outside the user's scope. */
  getAlert(auth: DefenderAuth, alertId: string): Promise<Alert>;
  /** Changes an alert (`PATCH /api/alerts/{id}`, defender-api.md §2.5) as the signed-in person; delegated only. */
  updateAlert(auth: DefenderAuth, alertId: string, update: AlertUpdate): Promise<Alert>;
  /** One device by id or computer name; AppError `notFound` otherwise. */
  getMachine(auth: DefenderAuth, idOrName: string): Promise<Machine>;
  /** Devices matching `filter`, up to `max`. */
  listMachines(
    auth: DefenderAuth,
    query: { filter?: FilterExpression | undefined; max: number },
  ): Promise<ListResult<Machine>>;
  /** Alerts of one device matching `filter`, up to `max`. */
  listMachineAlerts(
    auth: DefenderAuth,
    machineId: string,
    query: { filter?: FilterExpression | undefined; max: number },
  ): Promise<ListResult<Alert>>;
  /** Number of alerts of one device matching `filter` (`/alerts/$count`). */
  countMachineAlerts(auth: DefenderAuth, machineId: string, filter?: FilterExpression): Promise<number>;
  /** Machine actions matching `filter`, up to `max`. */
  listMachineActions(
    auth: DefenderAuth,
    query: { filter?: FilterExpression | undefined; max: number },
  ): Promise<ListResult<MachineAction>>;
  /** One machine action (its current status). */
  getMachineAction(auth: DefenderAuth, actionId: string): Promise<MachineAction>;
  /**
   * Submits a response action. Delegated auth only: the application identity can never act. Never retried
   * blindly (src/http/writeOutcome.ts): an ambiguous outcome raises an error with `details.uncertain`, and the
   * caller reconciles by listing the device's actions; an action already running raises `details.duplicateAction`.
   */
  submitAction(auth: DefenderAuth, request: ResponseActionRequest): Promise<MachineAction>;
  /** Cancels a machine action that is not final yet (delegated auth only). */
  cancelMachineAction(auth: DefenderAuth, actionId: string, comment: string): Promise<MachineAction>;
}

/** The documented PATCH body of an alert; omitted properties keep their values. */
export interface AlertUpdate {
  status?: 'New' | 'InProgress' | 'Resolved';
  assignedTo?: string;
  comment?: string;
}

/** A response action as Defender's API takes it (defender-api.md §4.1). */
export type ResponseActionRequest =
  | { kind: 'isolate'; machineId: string; comment: string; isolationType: 'Full' | 'Selective' }
  | { kind: 'unisolate'; machineId: string; comment: string }
  | { kind: 'restrictCodeExecution'; machineId: string; comment: string }
  | { kind: 'unrestrictCodeExecution'; machineId: string; comment: string }
  | { kind: 'runAntiVirusScan'; machineId: string; comment: string; scanType: 'Quick' | 'Full' }
  | { kind: 'collectInvestigationPackage'; machineId: string; comment: string }
  | { kind: 'stopAndQuarantineFile'; machineId: string; comment: string; sha1: string };

/** The path and the documented body (parameter names are case-sensitive) of each action. */
function actionCall(request: ResponseActionRequest): { path: string; body: Record<string, string> } {
  const base = `/api/machines/${encodeURIComponent(request.machineId)}`;
  switch (request.kind) {
    case 'isolate':
      return { path: `${base}/isolate`, body: { Comment: request.comment, IsolationType: request.isolationType } };
    case 'unisolate':
      return { path: `${base}/unisolate`, body: { Comment: request.comment } };
    case 'restrictCodeExecution':
      return { path: `${base}/restrictCodeExecution`, body: { Comment: request.comment } };
    case 'unrestrictCodeExecution':
      return { path: `${base}/unrestrictCodeExecution`, body: { Comment: request.comment } };
    case 'runAntiVirusScan':
      return { path: `${base}/runAntiVirusScan`, body: { Comment: request.comment, ScanType: request.scanType } };
    case 'collectInvestigationPackage':
      return { path: `${base}/collectInvestigationPackage`, body: { Comment: request.comment } };
    case 'stopAndQuarantineFile':
      return { path: `${base}/StopAndQuarantineFile`, body: { Comment: request.comment, Sha1: request.sha1 } };
  }
}

/** Settings of the HTTP client (from Config.defender). */
export type HttpDefenderClientOptions = Omit<RestApiOptions, 'serviceName' | 'maxPageSize' | 'describeRefusal'>;

/** Largest page Defender serves (`$top` maximum, defender-api.md §2.3). */
const MAX_PAGE = 10_000;

/**
 * The Defender for Endpoint API over HTTPS, through the shared REST caller (src/http/restApi.ts: bearer token per
 * call, client-side quota per tenant, bounded retries, same-origin paging, the rule for writes).
 */
export class HttpDefenderClient implements DefenderClient {
  private readonly api: RestApi;
  readonly entities: EntityClient;

  constructor(options: HttpDefenderClientOptions) {
    this.api = new RestApi({
      ...options,
      serviceName: 'Defender',
      maxPageSize: MAX_PAGE,
      describeRefusal: duplicateActionDetails,
    });
    this.entities = new HttpEntityClient(this.api);
  }

  listAlerts(
    auth: DefenderAuth,
    query: { filter?: FilterExpression | undefined; max: number; expandEvidence?: boolean },
  ): Promise<ListResult<Alert>> {
    return this.api.list(auth, '/api/alerts', alertSchema, query.max, {
      filter: query.filter,
      ...(query.expandEvidence ? { expand: 'evidence' as const } : {}),
    });
  }

  async getAlert(auth: DefenderAuth, alertId: string): Promise<Alert> {
    // The list endpoint is the documented way to get evidence (`$expand=evidence`); filtering on the id keeps
    // it one call and lets Defender apply the caller's device-group scope.
    const result = await this.api.list(auth, '/api/alerts', alertSchema, 1, {
      filter: compare('id', 'eq', alertId),
      expand: 'evidence',
    });
    const alert = result.items[0];
    if (!alert) throw new AppError('notFound', 'alert not found', { status: 404 });
    return alert;
  }

  async updateAlert(auth: DefenderAuth, alertId: string, update: AlertUpdate): Promise<Alert> {
    requireDelegated(auth, 'alert changes are');
    const body: Record<string, string> = {};
    if (update.status !== undefined) body.status = update.status;
    if (update.assignedTo !== undefined) body.assignedTo = update.assignedTo;
    if (update.comment !== undefined) body.comment = update.comment;
    const path = `/api/alerts/${encodeURIComponent(alertId)}`;
    return this.api.parse(await this.api.send(auth, path, { method: 'PATCH', body }), alertSchema);
  }

  getMachine(auth: DefenderAuth, idOrName: string): Promise<Machine> {
    return this.api.get(auth, `/api/machines/${encodeURIComponent(idOrName)}`, machineSchema);
  }

  listMachines(
    auth: DefenderAuth,
    query: { filter?: FilterExpression | undefined; max: number },
  ): Promise<ListResult<Machine>> {
    return this.api.list(auth, '/api/machines', machineSchema, query.max, { filter: query.filter });
  }

  listMachineAlerts(
    auth: DefenderAuth,
    machineId: string,
    query: { filter?: FilterExpression | undefined; max: number },
  ): Promise<ListResult<Alert>> {
    return this.api.list(auth, `/api/machines/${encodeURIComponent(machineId)}/alerts`, alertSchema, query.max, {
      filter: query.filter,
    });
  }

  async countMachineAlerts(auth: DefenderAuth, machineId: string, filter?: FilterExpression): Promise<number> {
    const response = await this.api.send(
      auth,
      `/api/machines/${encodeURIComponent(machineId)}/alerts/$count${toQueryString({ filter })}`,
    );
    const count = Number(response.body.trim());
    if (!Number.isInteger(count) || count < 0) throw new AppError('unexpectedResponse', 'alert count is not a number');
    return count;
  }

  listMachineActions(
    auth: DefenderAuth,
    query: { filter?: FilterExpression | undefined; max: number },
  ): Promise<ListResult<MachineAction>> {
    return this.api.list(auth, '/api/machineactions', machineActionSchema, query.max, { filter: query.filter });
  }

  getMachineAction(auth: DefenderAuth, actionId: string): Promise<MachineAction> {
    return this.api.get(auth, `/api/machineactions/${encodeURIComponent(actionId)}`, machineActionSchema);
  }

  async submitAction(auth: DefenderAuth, request: ResponseActionRequest): Promise<MachineAction> {
    requireDelegated(auth, 'response actions are');
    const { path, body } = actionCall(request);
    const response = await this.api.send(auth, path, { method: 'POST', body });
    try {
      return this.api.parse(response, machineActionSchema);
    } catch (err) {
      // Defender accepted it (2xx) but the answer is unreadable: the action exists, so the outcome is ambiguous.
      if (isAppError(err)) err.details.uncertain = true;
      throw err;
    }
  }

  async cancelMachineAction(auth: DefenderAuth, actionId: string, comment: string): Promise<MachineAction> {
    requireDelegated(auth, 'response actions are');
    const path = `/api/machineactions/${encodeURIComponent(actionId)}/cancel`;
    return this.api.parse(
      await this.api.send(auth, path, { method: 'POST', body: { Comment: comment } }),
      machineActionSchema,
    );
  }
}

/**
 * Recognises Defender's documented "action already running" answers (400 "Action is already in progress", the
 * code `ActiveRequestAlreadyExists`). The message is free text that "may change" (§7.3): read only for this,
 * never shown or logged.
 */
function duplicateActionDetails(status: number, body: ServiceErrorBody | undefined): Record<string, unknown> {
  const duplicateAction =
    status === 400 &&
    (body?.error.code === 'ActiveRequestAlreadyExists' || /already in progress/i.test(body?.error.message ?? ''));
  return duplicateAction ? { duplicateAction: true } : {};
}
