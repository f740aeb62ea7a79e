import { HttpTransportError } from './httpClient';

/*
 * THE RULE FOR WRITES (every POST, PATCH, PUT or DELETE the bot sends to Defender, Graph or any other service
 * that changes something): a write is never retried blindly.
 *
 * - `notSent`: the request provably never left this process (the connection was refused, the name did not
 *   resolve, TLS failed before any byte of the request was written). Nothing happened; sending it again is safe.
 * - `throttled`: a 429. The service refused it before doing anything; it may be sent again after Retry-After.
 * - `refused`: any other 4xx. The service answered and did nothing; sending it again gives the same answer.
 * - `ambiguous`: a timeout, a connection reset after the request was written, or a 5xx. The service may have
 *   done the work (Defender creates an action and then answers slowly; a gateway 502/504 hides a success). The
 *   caller must NOT send it again: it reconciles by reading the service's state (for a response action: the
 *   device's recent actions of that type carrying the approval id) and adopts what it finds. Only when a read
 *   made after the outcome settled shows the service clearly has nothing may the caller send it once more,
 *   under the same decision, and it must record that it did.
 *
 * GETs are exempt: reading twice changes nothing, so the clients retry them after 5xx and timeouts.
 */

/** What a failed write means for whether the service did the work. */
export type WriteFailure = 'notSent' | 'throttled' | 'refused' | 'ambiguous';

/**
 * Error codes Node raises when no request byte can have reached the server: nothing was processed.
 * ECONNRESET, EPIPE and socket hang-ups are NOT here: on a kept-alive socket they can follow a request the
 * server already read.
 */
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
]);

/** Classifies a write that did not get a 2xx: by its HTTP status, or by the transport error it raised. */
export function classifyWriteFailure(failure: { status: number } | { error: unknown }): WriteFailure {
  if ('status' in failure) {
    if (failure.status === 429) return 'throttled';
    if (failure.status >= 400 && failure.status < 500) return 'refused';
    return 'ambiguous';
  }
  return isNotSent(failure.error) ? 'notSent' : 'ambiguous';
}

/** True when the transport error proves the request never reached the server. */
function isNotSent(error: unknown): boolean {
  if (!(error instanceof HttpTransportError) || error.kind === 'timeout') return false;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && NOT_SENT_CODES.has(code);
}
