import type { AppErrorCode } from '../errors';
import type { Logger } from './logger';
import { serializeError, serializeErrorBrief } from './logger';

/**
 * How loudly a failure is logged. `mistake`: the person asked for something they may not have or that does not
 * exist, or must act themselves (sign in, consent): info, no stack — nothing for an operator to fix.
 * `outage`: something the bot depends on is down or slow: warn, without a stack (the stack says nothing).
 * `fault`: a bug or a misconfiguration: error, with the stack and causes.
 */
export type ErrorSeverity = 'mistake' | 'outage' | 'fault';

/** Every code's severity, in one exhaustive table (a new code does not compile until it is placed here). */
const SEVERITY: Record<AppErrorCode, ErrorSeverity> = {
  notSignedIn: 'mistake',
  signInRequired: 'mistake',
  consentRequired: 'mistake',
  interactionRequired: 'mistake',
  userNotInTenant: 'mistake',
  forbidden: 'mistake',
  notFound: 'mistake',
  tenantNotAllowed: 'mistake',
  noAccessInCustomer: 'mistake',
  customerNotChosen: 'mistake',
  customerNotBound: 'mistake',
  invalidInput: 'mistake',
  // A query error, a quota or a missing hunting permission: the person's to act on (quotas are told, not hidden).
  huntFailed: 'mistake',
  unauthorized: 'outage',
  rateLimited: 'outage',
  upstreamUnavailable: 'outage',
  timeout: 'outage',
  storageUnavailable: 'outage',
  defenderNotInTenant: 'outage',
  clientCredentialsInvalid: 'fault',
  badRequest: 'fault',
  unexpectedResponse: 'fault',
  internal: 'fault',
};

/** The severity of an error code (see ErrorSeverity). */
export function severityOf(code: AppErrorCode): ErrorSeverity {
  return SEVERITY[code];
}

/**
 * Logs a failure of a person's request at the level its code deserves: a mistake at info with its code only, an
 * outage at warn with type and message, a fault at error with the stack and causes.
 */
export function logFailure(log: Logger, code: AppErrorCode, err: unknown, message: string): void {
  switch (severityOf(code)) {
    case 'mistake':
      log.info({ code }, message);
      return;
    case 'outage':
      log.warn({ code, err: serializeErrorBrief(err) }, message);
      return;
    case 'fault':
      log.error({ code, err: serializeError(err) }, message);
      return;
  }
}
