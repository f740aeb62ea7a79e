import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { AppError } from '../errors';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { HttpClient, HttpResponse } from './httpClient';
import { HttpTransportError } from './httpClient';
import type { ListOptions } from './odata';
import { toQueryString } from './odata';
import type { QueueTicket, SlidingWindowLimiter } from './slidingWindowLimiter';
import { classifyWriteFailure } from './writeOutcome';

/**
 * Whose token a call uses and which tenant's quota it counts against. `delegated` = a person's on-behalf-of
 * token (the service's RBAC applies to them); `application` = the bot's own read-only identity for background
 * work. Writes accept delegated auth only, so they can never run with the application identity.
 */
export interface ApiAuth extends QueueTicket {
  kind: 'delegated' | 'application';
  tenantId: string;
  getAccessToken(): Promise<string>;
}

/** A bounded list result: `truncated` is true when the service had more than `max` matching items. */
export interface ListResult<T> {
  items: T[];
  truncated: boolean;
}

/** Settings of one REST API (from Config.defender or Config.graph). */
export interface RestApiOptions {
  /** Base URL; its path (e.g. Graph's `/v1.0`) is part of every request path the client builds. */
  baseUrl: string;
  http: HttpClient;
  limiter: SlidingWindowLimiter;
  logger: Logger;
  timeoutMs: number;
  maxRetries: number;
  maxRetryAfterMs: number;
  /** Base delay of the exponential backoff on 5xx and timeouts. */
  backoffBaseMs?: number;
  /** The service's name in messages and logs ("Defender", "Microsoft Graph"). */
  serviceName: string;
  /** Largest `$top` the service serves. */
  maxPageSize: number;
  /** Extra error details read from a refused answer's body (e.g. Defender's duplicate-action answer). */
  describeRefusal?: (status: number, error: ServiceErrorBody | undefined) => Record<string, unknown>;
}

/** The `{"error":{"code","message"}}` body Defender and Graph both use (defender-api.md §7.3). */
export const serviceErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string().optional(), target: z.string().optional() }),
});
export type ServiceErrorBody = z.infer<typeof serviceErrorSchema>;

const collectionSchemas = new WeakMap<z.ZodType, z.ZodType>();

/**
 * An OData collection page, built once per item schema: zod compiles a schema on its first parse, and a list
 * call builds its page schema every time (every poll of every tenant, npm run bench -- tenants).
 */
export function collectionSchema<T extends z.ZodType>(item: T) {
  const build = () => z.object({ value: z.array(item), '@odata.nextLink': z.string().optional() });
  let schema = collectionSchemas.get(item) as ReturnType<typeof build> | undefined;
  if (!schema) {
    schema = build();
    collectionSchemas.set(item, schema);
  }
  return schema;
}

/** One call: method, optional JSON body and extra headers. */
export interface RestCall {
  method: 'GET' | 'POST' | 'PATCH';
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * One REST API over HTTPS, as every client of the bot calls it: bearer token per call, the client-side quota per
 * tenant, bounded retries (Retry-After on 429, exponential backoff with jitter on 5xx and timeouts for reads),
 * `@odata.nextLink` paging restricted to the configured origin (a token is never sent anywhere else), answers
 * checked against zod schemas, and every failure mapped to an AppError code. Why shared: the Defender for
 * Endpoint and Microsoft Graph clients must follow the same rules, above all the one for writes.
 */
export class RestApi {
  readonly origin: string;
  /** The base URL's path without a trailing slash ('' for Defender, '/v1.0' for Graph). */
  readonly basePath: string;

  constructor(private readonly options: RestApiOptions) {
    const base = new URL(options.baseUrl);
    this.origin = base.origin;
    this.basePath = base.pathname.replace(/\/+$/, '');
  }

  /** Items of a collection matching `query`, following `@odata.nextLink` up to `max`. */
  async list<T extends z.ZodType>(
    auth: ApiAuth,
    path: string,
    itemSchema: T,
    max: number,
    query: Omit<ListOptions, 'top'> = {},
  ): Promise<ListResult<z.infer<T>>> {
    const pageSchema = collectionSchema(itemSchema);
    const items: z.infer<T>[] = [];
    // Ask for one more than wanted so "more exist" is known without a second call.
    let next: string | undefined =
      `${this.basePath}${path}${toQueryString({ ...query, top: Math.min(max + 1, this.options.maxPageSize) })}`;
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

  /** GET one resource (path below the base URL) and check it against `schema`. */
  async get<T extends z.ZodType>(auth: ApiAuth, path: string, schema: T): Promise<z.infer<T>> {
    return this.parse(await this.send(auth, `${this.basePath}${path}`), schema);
  }

  /** Parses a JSON answer against its documented shape; AppError `unexpectedResponse` otherwise. */
  parse<T extends z.ZodType>(response: HttpResponse, schema: T): z.infer<T> {
    let json: unknown;
    try {
      json = JSON.parse(response.body);
    } catch (err) {
      throw new AppError('unexpectedResponse', `${this.options.serviceName} response is not JSON`, {}, { cause: err });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 3)
        .map((i) => i.path.join('.'))
        .join(', ');
      throw new AppError(
        'unexpectedResponse',
        `${this.options.serviceName} response does not match the documented shape (${where})`,
      );
    }
    return parsed.data;
  }

  /**
   * One logical call with admission control, retries and status mapping; resolves only on 2xx. `pathAndQuery`
   * includes the base path. Reads are retried after 5xx, timeouts and network errors. Writes follow the rule of
   * src/http/writeOutcome.ts: retried only after a 429 (the service did nothing) or when the request provably never
   * left; any ambiguous outcome (timeout, reset after sending, 5xx) is raised with `details.uncertain` for the
   * caller to reconcile by reading.
   */
  async send(auth: ApiAuth, pathAndQuery: string, call: RestCall = { method: 'GET' }): Promise<HttpResponse> {
    const service = this.options.serviceName;
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
            ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...call.headers,
          },
          ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
          timeoutMs: this.options.timeoutMs,
        });
      } catch (err) {
        const kind = err instanceof HttpTransportError ? err.kind : 'network';
        const ambiguous = isWrite && classifyWriteFailure({ error: err }) === 'ambiguous';
        this.options.logger.warn(
          { path: logPath, method: call.method, attempt, kind, ambiguous, err: serializeError(err) },
          `${service.toLowerCase()} call failed`,
        );
        if (!ambiguous && attempt < this.options.maxRetries) {
          await sleep(this.backoff(attempt));
          continue;
        }
        throw new AppError(
          kind === 'timeout' ? 'timeout' : 'upstreamUnavailable',
          `${service} ${kind} on ${call.method} ${logPath}`,
          ambiguous ? { uncertain: true } : {},
          { cause: err },
        );
      }
      this.options.logger.debug(
        { path: logPath, method: call.method, status: response.status, ms: Date.now() - started, attempt },
        `${service.toLowerCase()} call`,
      );

      if (response.status >= 200 && response.status < 300) return response;
      if (response.status === 429) {
        const retryAfterMs = retryAfterMillis(response.headers['retry-after']);
        if (attempt < this.options.maxRetries && retryAfterMs <= this.options.maxRetryAfterMs) {
          await sleep(retryAfterMs);
          continue;
        }
        throw new AppError('rateLimited', `${service} throttled ${logPath}`, {
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

  /** Turns an absolute nextLink into a path, refusing any other origin so the bearer token cannot leak. */
  private sameOriginPath(link: string): string {
    const url = new URL(link, this.origin);
    if (url.origin !== this.origin) {
      throw new AppError('unexpectedResponse', `${this.options.serviceName} returned a nextLink to another origin`);
    }
    return `${url.pathname}${url.search}`;
  }

  private statusError(
    code: 'upstreamUnavailable' | 'unauthorized' | 'forbidden' | 'notFound' | 'badRequest' | 'unexpectedResponse',
    response: HttpResponse,
    path: string | undefined,
  ): AppError {
    const body = serviceErrorSchema.safeParse(safeJson(response.body));
    const error = body.success ? body.data : undefined;
    const upstreamCode = error?.error.code;
    return new AppError(code, `${this.options.serviceName} answered ${response.status} on ${path}`, {
      status: response.status,
      ...(upstreamCode ? { upstreamCode } : {}),
      ...(this.options.describeRefusal?.(response.status, error) ?? {}),
    });
  }

  private backoff(attempt: number): number {
    const base = this.options.backoffBaseMs ?? 250;
    const exp = base * 2 ** attempt;
    return exp / 2 + Math.random() * (exp / 2);
  }
}

/** Writes run only with a person's delegated token: the application identity is read-only. */
export function requireDelegated(auth: ApiAuth, what: string): void {
  if (auth.kind !== 'delegated') {
    throw new AppError('forbidden', `${what} never run with the application identity`);
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
