import { pipeline } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import Assembler from 'stream-json/Assembler';
import { parser } from 'stream-json';
import { AppError } from '../errors';
import type { HuntFailure } from '../errors';
import type { HttpClient, HttpStreamResponse } from '../http/httpClient';
import { HttpTransportError } from '../http/httpClient';
import type { ApiAuth } from '../http/restApi';
import { retryAfterMillis, serviceErrorSchema } from '../http/restApi';
import type { SlidingWindowLimiter } from '../http/slidingWindowLimiter';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { HuntingAnswer, HuntingColumn, HuntingResultRow } from '../hunting/huntingTypes';

/** One query for `runHuntingQuery`: the KQL exactly as audited, and the optional ISO-8601 `Timespan`. */
export interface HuntingQuery {
  query: string;
  timespan?: string | undefined;
}

/** Microsoft Graph advanced hunting (`POST /security/runHuntingQuery`); commands depend on this, tests may fake it. */
export interface HuntingClient {
  /**
   * Runs one query with the person's Graph token and answers as soon as the service starts answering: the rows
   * stream (see HuntingAnswer). Failures are AppError `huntFailed` with the reason (syntax, quota…), or the usual
   * codes (`unauthorized`, `upstreamUnavailable`…).
   */
  runHuntingQuery(auth: ApiAuth, query: HuntingQuery): Promise<HuntingAnswer>;
}

/** Settings of the HTTP hunting client. */
export interface HttpHuntingClientOptions {
  /** Graph's base URL with its version (https://graph.microsoft.com/v1.0). */
  baseUrl: string;
  http: HttpClient;
  /** The tenant's hunting budget (45 calls a minute, 1,500 an hour), apart from Graph's other calls. */
  limiter: SlidingWindowLimiter;
  logger: Logger;
  /** The whole answer's deadline; the service gives up on a query after 3 minutes. Default 3 min 10 s. */
  timeoutMs?: number;
  maxRetries: number;
  maxRetryAfterMs: number;
}

/** The service stops a query after 3 minutes; the bot waits a little longer for its answer to arrive. */
const DEFAULT_HUNT_TIMEOUT_MS = 190_000;
/** Longest KQL text the bot sends (the service documents no limit [UNCONFIRMED]). */
export const MAX_HUNT_QUERY_LENGTH = 12_000;
/** A refused query's body is read up to this size (its message is all the bot needs). */
const MAX_ERROR_BODY = 64 * 1024;

/**
 * `runHuntingQuery` over the bot's own HTTP client: the person's Graph token, the tenant's hunting quota on the
 * client side, the answer parsed as a stream with stream-json (schema `name/type` or `Name/Type`, rows one at a
 * time), and every refusal read from its body so the person is told what to do (fix the syntax, wait for the
 * request or CPU quota, narrow the result). A hunt is a read: a 429 is retried only within the read policy
 * (Retry-After no longer than `maxRetryAfterMs`, at most `maxRetries` times), and otherwise raised with its wait;
 * a timeout or 5xx is not retried, as another try would spend the tenant's CPU quota again.
 */
export class HttpHuntingClient implements HuntingClient {
  private readonly url: string;

  constructor(private readonly options: HttpHuntingClientOptions) {
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/security/runHuntingQuery`;
  }

  async runHuntingQuery(auth: ApiAuth, query: HuntingQuery): Promise<HuntingAnswer> {
    if (query.query.trim().length === 0) throw new AppError('invalidInput', 'empty hunting query');
    if (query.query.length > MAX_HUNT_QUERY_LENGTH) throw new AppError('invalidInput', 'hunting query too long');
    const body = JSON.stringify({ Query: query.query, ...(query.timespan ? { Timespan: query.timespan } : {}) });
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_HUNT_TIMEOUT_MS;
    for (let attempt = 0; ; attempt++) {
      await this.options.limiter.acquire(
        auth.tenantId,
        auth.kind === 'application' ? 'background' : 'interactive',
        auth,
      );
      const token = await auth.getAccessToken();
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), timeoutMs);
      let response: HttpStreamResponse;
      try {
        response = await this.options.http.requestStream({
          method: 'POST',
          url: this.url,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            'content-type': 'application/json; charset=utf-8',
            'user-agent': 'defender-soc-bot',
          },
          body,
          timeoutMs,
          signal: deadline.signal,
        });
      } catch (err) {
        clearTimeout(timer);
        const kind = err instanceof HttpTransportError ? err.kind : 'network';
        this.options.logger.warn({ attempt, kind, err: serializeError(err) }, 'hunting call failed');
        if (kind === 'timeout' || deadline.signal.aborted) throw huntFailed({ reason: 'timeout' }, err);
        throw new AppError('upstreamUnavailable', `Microsoft Graph ${kind} on runHuntingQuery`, {}, { cause: err });
      }
      this.options.logger.debug({ status: response.status, attempt }, 'hunting call');
      if (response.status >= 200 && response.status < 300) {
        return streamedAnswer(response.body, deadline.signal, () => clearTimeout(timer));
      }
      const text = await readSmallBody(response).finally(() => clearTimeout(timer));
      const failure = refusalOf(response.status, response.headers, text);
      if (
        failure.code === 'huntFailed' &&
        failure.details.hunt?.reason === 'requestQuota' &&
        attempt < this.options.maxRetries &&
        retryAfterMillis(response.headers['retry-after']) <= this.options.maxRetryAfterMs
      ) {
        await sleep(retryAfterMillis(response.headers['retry-after']));
        continue;
      }
      throw failure;
    }
  }
}

function huntFailed(hunt: HuntFailure, cause?: unknown, extra: { retryAfterSeconds?: number } = {}): AppError {
  return new AppError('huntFailed', `advanced hunting: ${hunt.reason}`, { hunt, ...extra }, { cause });
}

async function readSmallBody(response: HttpStreamResponse): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      size += buffer.length;
      if (size > MAX_ERROR_BODY) {
        response.body.destroy();
        break;
      }
      chunks.push(buffer);
    }
  } catch {
    // An unreadable error body leaves the status to speak.
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Where a Kusto message says the error is: "line [2,5]", "line:2, position:5", "[line:position=2:5]" or "(2,5)". */
const POSITION =
  /line(?:\s*:\s*position\s*=)?\s*[[(:]?\s*(\d+)\s*[,:]\s*(?:position\s*:?\s*|column\s*:?\s*|pos\s*:?\s*)?(\d+)/i;

/**
 * The AppError a refused hunting call stands for, read from its status and body: the 429's body tells the CPU
 * quota from the request quota; a 400's message tells a syntax error, an unknown name, a result too large and a
 * query stopped for its resources apart.
 */
export function refusalOf(status: number, headers: Record<string, string>, text: string): AppError {
  const parsed = serviceErrorSchema.safeParse(safeJson(text));
  const upstreamCode = parsed.success ? parsed.data.error.code : undefined;
  const message = parsed.success ? (parsed.data.error.message ?? '') : '';
  const details = { status, ...(upstreamCode ? { upstreamCode } : {}) };
  if (status === 429) {
    const retryAfterSeconds = Math.ceil(retryAfterMillis(headers['retry-after']) / 1000);
    const reason = /\bcpu\b|resources|execution time|running time/i.test(message) ? 'cpuQuota' : 'requestQuota';
    return new AppError('huntFailed', `advanced hunting: ${reason}`, {
      ...details,
      hunt: { reason },
      retryAfterSeconds,
    });
  }
  if (status === 403)
    return new AppError('huntFailed', 'advanced hunting: forbidden', { ...details, hunt: { reason: 'noPermission' } });
  if (status === 401) return new AppError('unauthorized', 'Microsoft Graph answered 401 on runHuntingQuery', details);
  if (status === 408 || status === 504 || /timed?\s*out|timeout/i.test(upstreamCode ?? ''))
    return new AppError('huntFailed', 'advanced hunting: timeout', { ...details, hunt: { reason: 'timeout' } });
  if (status === 400) {
    const serviceMessage = clip(message);
    if (/allowed result size/i.test(message)) return queryError('tooLarge', details);
    if (/exceeded the allowed limits|preempted|cpu and\/or memory/i.test(message))
      return queryError('tooHeavy', details);
    if (/failed to resolve|unknown (?:table|column|function)|does not refer to any known/i.test(message))
      return queryError('semantic', details, { serviceMessage });
    const position = POSITION.exec(message);
    return queryError('syntax', details, {
      serviceMessage,
      ...(position ? { line: Number(position[1]), column: Number(position[2]) } : {}),
    });
  }
  if (status >= 500)
    return new AppError('upstreamUnavailable', `Microsoft Graph answered ${status} on runHuntingQuery`, details);
  return new AppError('unexpectedResponse', `Microsoft Graph answered ${status} on runHuntingQuery`, details);
}

function queryError(
  reason: 'syntax' | 'semantic' | 'tooLarge' | 'tooHeavy',
  details: { status: number; upstreamCode?: string },
  facts: Omit<HuntFailure, 'reason'> = {},
): AppError {
  return new AppError('huntFailed', `advanced hunting: ${reason}`, { ...details, hunt: { reason, ...facts } });
}

/** A service message shown to the person: one line, at most 400 characters. */
function clip(message: string): string {
  const line = message.replace(/\s+/g, ' ').trim();
  return line.length > 400 ? `${line.slice(0, 399)}…` : line;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

interface JsonToken {
  name: string;
  value?: unknown;
}

/**
 * Reads a `huntingQueryResults` document as tokens: the `schema` array is assembled whole (it is small), each
 * element of `results` is assembled and handed out alone, anything else (`@odata.context`, `Stats`) is skipped.
 * Property names are compared without case (`schema`/`Schema`, `name`/`Name`).
 */
function streamedAnswer(body: HttpStreamResponse['body'], deadline: AbortSignal, finished: () => void): HuntingAnswer {
  // pipeline, not pipe: a body that errors (the deadline's abort, a reset connection) errors the parser too, so a
  // read waiting for the next row fails instead of waiting forever.
  const json = parser({ streamValues: false, streamKeys: false });
  pipeline(body, json, () => undefined);
  const tokens = (json as AsyncIterable<JsonToken>)[Symbol.asyncIterator]();
  let depth = 0;
  let topKey: string | undefined;
  let schema: HuntingColumn[] | undefined;
  let ended = false;
  let started = false;
  const early: HuntingResultRow[] = [];
  // `columns()` and `rows` may both read ahead; one read of the token stream at a time, in order.
  let reading: Promise<unknown> = Promise.resolve();
  const serially = <T>(read: () => Promise<T>): Promise<T> => {
    const result = reading.then(read);
    reading = result.catch(() => undefined);
    return result;
  };
  let resolveColumns: (columns: HuntingColumn[]) => void = () => undefined;
  const columnsKnown = new Promise<HuntingColumn[]>((resolve) => {
    resolveColumns = resolve;
  });

  const next = async (): Promise<JsonToken | undefined> => {
    try {
      const step = await tokens.next();
      return step.done ? undefined : step.value;
    } catch (err) {
      body.destroy();
      finished();
      if (deadline.aborted) throw huntFailed({ reason: 'timeout' }, err);
      throw new AppError(
        'unexpectedResponse',
        'Microsoft Graph hunting answer is not readable JSON',
        {},
        { cause: err },
      );
    }
  };

  /** Assembles one value whose first token is `first`. */
  const assemble = async (first: JsonToken): Promise<unknown> => {
    const assembler = new Assembler();
    assembler.consume(first as { name: string; value?: string });
    while (!assembler.done) {
      const token = await next();
      if (!token) throw new AppError('unexpectedResponse', 'Microsoft Graph hunting answer ended early');
      assembler.consume(token as { name: string; value?: string });
    }
    return assembler.current as unknown;
  };

  /** Advances to the next row (undefined at the end of the document); reads the schema on the way. */
  const pump = async (): Promise<HuntingResultRow | undefined> => {
    for (;;) {
      const token = await next();
      if (!token) {
        ended = true;
        finished();
        resolveColumns(schema ?? []);
        return undefined;
      }
      switch (token.name) {
        case 'keyValue':
          if (depth === 1) topKey = String(token.value).toLowerCase();
          continue;
        case 'startObject':
        case 'startArray':
          if (depth === 1 && topKey === 'schema' && token.name === 'startArray') {
            schema = toColumns(await assemble(token));
            resolveColumns(schema);
            continue;
          }
          if (depth === 2 && topKey === 'results' && token.name === 'startObject') {
            const row = await assemble(token);
            return row as HuntingResultRow;
          }
          depth++;
          continue;
        case 'endObject':
        case 'endArray':
          depth--;
          continue;
        default:
          continue;
      }
    }
  };

  return {
    rows: {
      [Symbol.asyncIterator]: async function* () {
        if (started) throw new AppError('internal', 'a hunting answer is read once');
        started = true;
        try {
          for (;;) {
            const row = early.shift() ?? (ended ? undefined : await serially(pump));
            if (!row) return;
            yield row;
          }
        } finally {
          if (!ended) {
            body.destroy();
            finished();
          }
        }
      },
    },
    columns: async () => {
      // Graph sends the schema first; should it come after the rows, they are kept until read.
      while (schema === undefined && !ended && !started) {
        const row = await serially(pump);
        if (row) early.push(row);
      }
      return columnsKnown;
    },
  };
}

/** The schema's columns, whatever the casing of `name`/`type`; anything unreadable is the service's fault. */
function toColumns(value: unknown): HuntingColumn[] {
  if (!Array.isArray(value)) throw new AppError('unexpectedResponse', 'hunting schema is not an array');
  return value.map((item: unknown) => {
    const entry = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
    const field = (name: string) => Object.entries(entry).find(([key]) => key.toLowerCase() === name)?.[1];
    const name = field('name');
    const type = field('type');
    if (typeof name !== 'string' || typeof type !== 'string')
      throw new AppError('unexpectedResponse', 'hunting schema column without name or type');
    return { name, type };
  });
}
