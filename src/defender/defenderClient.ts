import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { AppError, isAppError } from '../errors';
import type { HttpClient, HttpResponse } from '../http/httpClient';
import { HttpTransportError } from '../http/httpClient';
import { classifyWriteFailure } from '../http/writeOutcome';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { FilterExpression } from './odata';
import { compare, toQueryString } from './odata';
import type { Alert, Machine, MachineAction } from './schemas';
import { alertSchema, collectionSchema, defenderErrorSchema, machineActionSchema, machineSchema } from './schemas';
import type { QueueTicket, SlidingWindowLimiter } from './slidingWindowLimiter';

/**
 * Whose token a call uses and which tenant's quota it counts against. `delegated` = a person's on-behalf-of
 * token (Defender's RBAC applies to them); `application` = the bot's own read-only identity for background
 * work. Response actions accept delegated auth only, so they can never run with the application identity.
 */
export interface DefenderAuth extends QueueTicket {
  kind: 'delegated' | 'application';
  tenantId: string;
  getAccessToken(): Promise<string>;
}

/** A bounded list result: `truncated` is true when Defender had more than `max` matching items. */
export interface ListResult<T> {
  items: T[];
  truncated: boolean;
}

/** The Defender for Endpoint operations the bot uses; commands depend on this, tests may fake it. */
export interface DefenderClient {
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
export interface HttpDefenderClientOptions {
  baseUrl: string;
  http: HttpClient;
  limiter: SlidingWindowLimiter;
  logger: Logger;
  timeoutMs: number;
  maxRetries: number;
  maxRetryAfterMs: number;
  /** Base delay of the exponential backoff on 5xx and timeouts. */
  backoffBaseMs?: number;
}

/** Largest page Defender serves (`$top` maximum, defender-api.md §2.3). */
const MAX_PAGE = 10_000;

/**
 * The Defender for Endpoint API over HTTPS: bearer token per call, client-side quota per tenant, bounded
 * retries (Retry-After on 429, exponential backoff with jitter on 5xx/timeouts), `@odata.nextLink` paging
 * restricted to the configured origin (a token is never sent anywhere else), and every failure mapped to
 * an AppError code.
 */
export class HttpDefenderClient implements DefenderClient {
  private readonly origin: string;

  constructor(private readonly options: HttpDefenderClientOptions) {
    this.origin = new URL(options.baseUrl).origin;
  }

  listAlerts(
    auth: DefenderAuth,
    query: { filter?: FilterExpression | undefined; max: number; expandEvidence?: boolean },
  ): Promise<ListResult<Alert>> {
    return this.list(auth, '/api/alerts', alertSchema, query.max, {
      filter: query.filter,
      ...(query.expandEvidence ? { expand: 'evidence' as const } : {}),
    });
  }

  async getAlert(auth: DefenderAuth, alertId: string): Promise<Alert> {
    // The list endpoint is the documented way to get evidence (`$expand=evidence`); filtering on the id keeps
    // it one call and lets Defender apply the caller's device-group scope.
    const result = await this.list(auth, '/api/alerts', alertSchema, 1, {
      filter: compare('id', 'eq', alertId),
      expand: 'evidence',
    });
    const alert = result.items[0];
    if (!alert) throw new AppError('notFound', 'alert not found', { status: 404 });
    return alert;
  }

  async updateAlert(auth: DefenderAuth, alertId: string, update: AlertUpdate): Promise<Alert> {
    requireDelegated(auth);
    const body: Record<string, string> = {};
    if (update.status !== undefined) body.status = update.status;
    if (update.assignedTo !== undefined) body.assignedTo = update.assignedTo;
    if (update.comment !== undefined) body.comment = update.comment;
    const path = `/api/alerts/${encodeURIComponent(alertId)}`;
    return this.parse(await this.send(auth, path, { method: 'PATCH', body }), alertSchema);
  }

  async getMachine(auth: DefenderAuth, idOrName: string): Promise<Machine> {
    const response = await this.send(auth, `/api/machines/${encodeURIComponent(idOrName)}`);
    return this.parse(response, machineSchema);
  }

  listMachines(
    auth: DefenderAuth,
    query: { filter?: FilterExpression | undefined; max: number },
  ): Promise<ListResult<Machine>> {
    return this.list(auth, '/api/machines', machineSchema, query.max, { filter: query.filter });
  }

  listMachineAlerts(
    auth: DefenderAuth,
    machineId: string,
    query: { filter?: FilterExpression | undefined; max: number },
  ): Promise<ListResult<Alert>> {
    return this.list(auth, `/api/machines/${encodeURIComponent(machineId)}/alerts`, alertSchema, query.max, {
      filter: query.filter,
    });
  }

  async countMachineAlerts(auth: DefenderAuth, machineId: string, filter?: FilterExpression): Promise<number> {
    const response = await this.send(
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
    return this.list(auth, '/api/machineactions', machineActionSchema, query.max, { filter: query.filter });
  }

  async getMachineAction(auth: DefenderAuth, actionId: string): Promise<MachineAction> {
    return this.parse(
      await this.send(auth, `/api/machineactions/${encodeURIComponent(actionId)}`),
      machineActionSchema,
    );
  }

  async submitAction(auth: DefenderAuth, request: ResponseActionRequest): Promise<MachineAction> {
    requireDelegated(auth);
    const { path, body } = actionCall(request);
    const response = await this.send(auth, path, { method: 'POST', body });
    try {
      return this.parse(response, machineActionSchema);
    } catch (err) {
      // Defender accepted it (2xx) but the answer is unreadable: the action exists, so the outcome is ambiguous.
      if (isAppError(err)) err.details.uncertain = true;
      throw err;
    }
  }

  async cancelMachineAction(auth: DefenderAuth, actionId: string, comment: string): Promise<MachineAction> {
    requireDelegated(auth);
    const path = `/api/machineactions/${encodeURIComponent(actionId)}/cancel`;
    return this.parse(await this.send(auth, path, { method: 'POST', body: { Comment: comment } }), machineActionSchema);
  }

  private async list<T extends z.ZodType>(
    auth: DefenderAuth,
    path: string,
    itemSchema: T,
    max: number,
    options: { filter?: FilterExpression | undefined; expand?: 'evidence' },
  ): Promise<ListResult<z.infer<T>>> {
    const pageSchema = collectionSchema(itemSchema);
    const items: z.infer<T>[] = [];
    // Ask for one more than wanted so "more exist" is known without a second call.
    let next: string | undefined = `${path}${toQueryString({ ...options, top: Math.min(max + 1, MAX_PAGE) })}`;
    while (next !== undefined && items.length <= max) {
      const page: { value: z.infer<T>[]; '@odata.nextLink'?: string | undefined } = this.parse(
        await this.send(auth, next),
        pageSchema,
      );
      items.push(...page.value);
      next = page['@odata.nextLink'] === undefined ? undefined : this.sameOriginPath(page['@odata.nextLink']);
    }
    return { items: items.slice(0, max), truncated: items.length > max || next !== undefined };
  }

  /** Turns an absolute nextLink into a path, refusing any other origin so the bearer token cannot leak. */
  private sameOriginPath(link: string): string {
    const url = new URL(link, this.origin);
    if (url.origin !== this.origin) {
      throw new AppError('unexpectedResponse', 'Defender returned a nextLink to another origin');
    }
    return `${url.pathname}${url.search}`;
  }

  private parse<T extends z.ZodType>(response: HttpResponse, schema: T): z.infer<T> {
    let json: unknown;
    try {
      json = JSON.parse(response.body);
    } catch (err) {
      throw new AppError('unexpectedResponse', 'Defender response is not JSON', {}, { cause: err });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 3)
        .map((i) => i.path.join('.'))
        .join(', ');
      throw new AppError('unexpectedResponse', `Defender response does not match the documented shape (${where})`);
    }
    return parsed.data;
  }

  /**
   * One logical call with admission control, retries and status mapping; resolves only on 2xx. Reads are
   * retried after 5xx, timeouts and network errors. Writes follow the rule of src/http/writeOutcome.ts: retried
   * only after a 429 (Defender did nothing) or when the request provably never left; any ambiguous outcome
   * (timeout, reset after sending, 5xx) is raised with `details.uncertain` for the caller to reconcile.
   */
  private async send(
    auth: DefenderAuth,
    pathAndQuery: string,
    call: { method: 'GET' | 'POST' | 'PATCH'; body?: Record<string, string> } = { method: 'GET' },
  ): Promise<HttpResponse> {
    const isWrite = call.method !== 'GET';
    const url = `${this.origin}${pathAndQuery}`;
    const logPath = pathAndQuery.split('?')[0];
    for (let attempt = 0; ; attempt++) {
      await this.options.limiter.acquire(
        auth.tenantId,
        auth.kind === 'application' ? 'background' : 'interactive',
        auth,
      );
      const token = await auth.getAccessToken();
      const started = Date.now();
      let response: HttpResponse;
      try {
        response = await this.options.http.request({
          method: call.method,
          url,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            'user-agent': 'defender-soc-bot',
            ...(call.body ? { 'content-type': 'application/json' } : {}),
          },
          ...(call.body ? { body: JSON.stringify(call.body) } : {}),
          timeoutMs: this.options.timeoutMs,
        });
      } catch (err) {
        const kind = err instanceof HttpTransportError ? err.kind : 'network';
        const ambiguous = isWrite && classifyWriteFailure({ error: err }) === 'ambiguous';
        this.options.logger.warn(
          { path: logPath, method: call.method, attempt, kind, ambiguous, err: serializeError(err) },
          'defender call failed',
        );
        if (!ambiguous && attempt < this.options.maxRetries) {
          await sleep(this.backoff(attempt));
          continue;
        }
        throw new AppError(
          kind === 'timeout' ? 'timeout' : 'upstreamUnavailable',
          `Defender ${kind} on ${call.method} ${logPath}`,
          ambiguous ? { uncertain: true } : {},
          { cause: err },
        );
      }
      this.options.logger.debug(
        { path: logPath, method: call.method, status: response.status, ms: Date.now() - started, attempt },
        'defender call',
      );

      if (response.status >= 200 && response.status < 300) return response;
      if (response.status === 429) {
        const retryAfterMs = retryAfterMillis(response.headers['retry-after']);
        if (attempt < this.options.maxRetries && retryAfterMs <= this.options.maxRetryAfterMs) {
          await sleep(retryAfterMs);
          continue;
        }
        throw new AppError('rateLimited', `Defender throttled ${logPath}`, {
          status: 429,
          retryAfterSeconds: Math.ceil(retryAfterMs / 1000),
        });
      }
      if (response.status >= 500) {
        if (!isWrite && attempt < this.options.maxRetries) {
          await sleep(this.backoff(attempt));
          continue;
        }
        const error = this.statusError('upstreamUnavailable', response, logPath);
        if (isWrite) error.details.uncertain = true;
        throw error;
      }
      if (response.status === 401) throw this.statusError('unauthorized', response, logPath);
      if (response.status === 403) throw this.statusError('forbidden', response, logPath);
      if (response.status === 404) throw this.statusError('notFound', response, logPath);
      if (response.status === 400) throw this.statusError('badRequest', response, logPath);
      throw this.statusError('unexpectedResponse', response, logPath);
    }
  }

  private statusError(
    code: 'upstreamUnavailable' | 'unauthorized' | 'forbidden' | 'notFound' | 'badRequest' | 'unexpectedResponse',
    response: HttpResponse,
    path: string | undefined,
  ): AppError {
    const body = defenderErrorSchema.safeParse(safeJson(response.body));
    const upstreamCode = body.success ? body.data.error.code : undefined;
    // The message is free text that "may change" (§7.3): read only to recognise the documented duplicate
    // answer, never shown or logged.
    const duplicateAction =
      response.status === 400 &&
      (upstreamCode === 'ActiveRequestAlreadyExists' ||
        (body.success && /already in progress/i.test(body.data.error.message ?? '')));
    return new AppError(code, `Defender answered ${response.status} on ${path}`, {
      status: response.status,
      ...(upstreamCode ? { upstreamCode } : {}),
      ...(duplicateAction ? { duplicateAction: true } : {}),
    });
  }

  private backoff(attempt: number): number {
    const base = this.options.backoffBaseMs ?? 250;
    const exp = base * 2 ** attempt;
    return exp / 2 + Math.random() * (exp / 2);
  }
}

/** Response actions run only with a person's delegated token: the application identity is read-only. */
function requireDelegated(auth: DefenderAuth): void {
  if (auth.kind !== 'delegated') {
    throw new AppError('forbidden', 'response actions are never executed with the application identity');
  }
}

/** Retry-After in seconds (or an HTTP date) as milliseconds; 1 s when absent or unreadable. */
export function retryAfterMillis(header: string | undefined): number {
  if (header === undefined) return 1000;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(header);
  if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  return 1000;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
