/**
 * The one error type of the product. Every failure that can reach a user carries a code from this closed
 * union; `userMessageFor` (in src/userMessages.ts) is the single place that turns a code into words.
 * Upstream messages, tokens and payloads are kept in `cause` for diagnostics and never shown to users.
 */
export type AppErrorCode =
  /** The user could not be signed in (no assertion available, or it was rejected). */
  | 'notSignedIn'
  /** No valid single sign-on token is held for the user yet: the bot starts Teams SSO. */
  | 'signInRequired'
  /** Entra ID: the tenant has not consented to the bot's Defender permissions (AADSTS65001). */
  | 'consentRequired'
  /** Entra ID: MFA or Conditional Access requires an interactive sign-in; `details.claims` carries the challenge. */
  | 'interactionRequired'
  /** The user (or tenant) is not known to the identity provider. */
  | 'userNotInTenant'
  /** The bot's own credentials were refused by Entra ID (misconfiguration). */
  | 'clientCredentialsInvalid'
  /** Defender answered 401: the token was not accepted. */
  | 'unauthorized'
  /** Defender answered 403: the user's Defender role or device-group scope forbids the request. */
  | 'forbidden'
  /** Defender answered 404 for an entity that was asked for by id or name. */
  | 'notFound'
  /** Defender answered 429, or the client-side limiter could not admit the call in time. */
  | 'rateLimited'
  /** Defender answered 5xx after the bounded retries. */
  | 'upstreamUnavailable'
  /** Defender did not answer within the timeout after the bounded retries. */
  | 'timeout'
  /** Defender rejected the request as malformed (a bug on our side, never the user's text). */
  | 'badRequest'
  /** Defender answered with a body that does not match the documented shape. */
  | 'unexpectedResponse'
  /** The activity came from a tenant this deployment does not serve. */
  | 'tenantNotAllowed'
  /**
   * Entra ID: the tenant has no Defender for Endpoint service principal (AADSTS500011 invalid_resource): Defender
   * is not set up there, or its API was never added to the tenant. An administrator's problem, not a bug.
   */
  | 'defenderNotInTenant'
  /** The bot's own state store (Azure Blob Storage) did not answer or refused: nothing was changed. */
  | 'storageUnavailable'
  /**
   * Partner context: the person has no identity in the customer's tenant (no B2B guest account, no GDAP
   * relationship: AADSTS50020 on the on-behalf-of request), so nothing is read there as them.
   */
  | 'noAccessInCustomer'
  /** Partner context: the conversation may address several customers and the command did not say which. */
  | 'customerNotChosen'
  /** Partner context: the command or card names a customer this conversation is not bound to (or not active). */
  | 'customerNotBound'
  /** A card action or command carried data that failed validation. */
  | 'invalidInput'
  /** Advanced hunting refused or failed a query; `details.hunt.reason` says why (src/graph/huntingClient.ts). */
  | 'huntFailed'
  /** Anything else; the user sees a correlation id. */
  | 'internal';

/** Extra, non-secret facts some codes carry (e.g. the claims challenge for `interactionRequired`). */
export interface AppErrorDetails {
  claims?: string;
  retryAfterSeconds?: number;
  status?: number;
  upstreamCode?: string;
  consentUrl?: string;
  /** A write failed in a way that leaves open whether Defender did it (src/http/writeOutcome.ts: `ambiguous`). */
  uncertain?: boolean;
  /**
   * Defender refused an action because the same one is already running on the device: HTTP 400 with the code
   * `ActiveRequestAlreadyExists` (seen in third-party code) or the documented message "Action is already in
   * progress" (defender-api.md §4.4).
   */
  duplicateAction?: boolean;
  /** Partner context: the customer a failure is about ("Contoso"), for its message. */
  customerName?: string;
  /** Partner context: the customers a conversation may address, when a command must say which. */
  customerChoices?: string[];
  /** Advanced hunting: why a query failed, and the service's own words and position for a query error. */
  hunt?: HuntFailure;
}

/**
 * Why advanced hunting did not answer: `syntax` (the parser's error), `semantic` (unknown table, column or
 * function), `tooLarge` (result over the size limit), `tooHeavy` (the query exceeded its CPU or memory limits),
 * `requestQuota` / `cpuQuota` (the tenant's calls per minute or hour / CPU per 15-minute cycle, told apart by the
 * 429's body), `timeout` (no answer within 3 minutes), `noPermission` (403: no ThreatHunting permission or no
 * Defender role that may view data).
 */
export type HuntFailureReason =
  'syntax' | 'semantic' | 'tooLarge' | 'tooHeavy' | 'requestQuota' | 'cpuQuota' | 'timeout' | 'noPermission';

/** The facts of a failed hunt a person may see: the reason, and for query errors the service's message and where. */
export interface HuntFailure {
  reason: HuntFailureReason;
  /** The service's own explanation of a query error (the query is the person's; the words help them fix it). */
  serviceMessage?: string;
  line?: number;
  column?: number;
}

/** A failure with a closed code, an internal message for logs (never for users) and the original cause. */
export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details: AppErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `value` is an AppError (optionally of one of the given codes). */
export function isAppError(value: unknown, ...codes: AppErrorCode[]): value is AppError {
  return value instanceof AppError && (codes.length === 0 || codes.includes(value.code));
}
