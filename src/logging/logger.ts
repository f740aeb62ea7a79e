import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';

/** The structured logger used everywhere (pino). Child loggers carry a correlation id per turn. */
export type Logger = PinoLogger;

/**
 * Paths pino blanks out wherever they appear. Belt and braces: code never logs tokens on purpose, and the
 * suite-wide log scan in test/logging proves it, but a stray `{ headers }` or `{ body }` must not leak one.
 */
const REDACTED_PATHS = [
  'authorization',
  'Authorization',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'req.headers.authorization',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'assertion',
  '*.assertion',
  'oboAssertion',
  '*.oboAssertion',
  'client_secret',
  '*.client_secret',
  'clientSecret',
  '*.clientSecret',
  'password',
  '*.password',
  'body',
  '*.body',
];

/** A JSON Web Token anywhere in a string (three base64url segments, the first one a JSON header). */
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** Replaces anything shaped like a JWT in free text; used on error messages before they are logged. */
export function scrubTokens(text: string): string {
  return text.replace(JWT_PATTERN, '[redacted-jwt]');
}

/** Options for `createLogger`; `destination` lets tests capture every line the product writes. */
export interface LoggerOptions {
  level?: string;
  name?: string;
  destination?: DestinationStream;
}

/** Process-wide sink override, set by the test suite so it can scan every log line for secrets. */
let sharedDestination: DestinationStream | undefined;

/** Routes every logger created afterwards to `destination` (tests only). */
export function setSharedLogDestination(destination: DestinationStream | undefined): void {
  sharedDestination = destination;
}

/** Creates a pino logger with token redaction and error serialisation that scrubs JWTs from messages. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? sharedDestination;
  const pinoOptions: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base: { name: options.name ?? 'defender-soc-bot' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      // Callers may pass a raw error or one already serialised with serializeError.
      err: (err: unknown) => (err instanceof Error ? serializeError(err) : err),
    },
    formatters: {
      level: (label) => ({ level: label }),
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(pinoOptions, destination) : pino(pinoOptions);
}

/** Serialises an error for logs: type, code, scrubbed message and the chain of causes, never payloads. */
export function serializeError(err: unknown, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) {
    let text: string;
    try {
      text = typeof err === 'object' && err !== null ? JSON.stringify(err) : String(err);
    } catch {
      text = String(err);
    }
    return { message: scrubTokens(text).slice(0, 500) };
  }
  const out: Record<string, unknown> = {
    type: err.name,
    message: scrubTokens(err.message),
  };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (err.stack) out.stack = scrubTokens(err.stack);
  if (err.cause !== undefined && depth < 4) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/** A new correlation id for a turn, a request or a background job. */
export function newCorrelationId(): string {
  return randomUUID();
}

/** serializeError without the stacks: for failures of something the bot depends on, where a stack says nothing. */
export function serializeErrorBrief(err: unknown): Record<string, unknown> {
  return withoutStacks(serializeError(err));
}

function withoutStacks(serialised: Record<string, unknown>): Record<string, unknown> {
  const { stack: _stack, cause, ...rest } = serialised;
  return cause && typeof cause === 'object'
    ? { ...rest, cause: withoutStacks(cause as Record<string, unknown>) }
    : rest;
}
