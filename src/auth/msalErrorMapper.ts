import { AuthError, InteractionRequiredAuthError, ServerError } from '@azure/msal-node';
import { AppError } from '../errors';
import type { AppErrorDetails } from '../errors';
import { MSAL_NETWORK_ERROR, MSAL_TOKEN_PARSING_ERROR } from './msalNetworkClient';

/** What the failing token request was, for the consent URL and the log message. */
export interface MsalErrorContext {
  flow: 'onBehalfOf' | 'clientCredentials';
  clientId: string;
  authorityHost: string;
  tenantId: string;
}

/** MFA / Conditional Access step-up: the user must sign in interactively with the returned claims. */
const INTERACTION_CODES = new Set([50076, 50079, 50072, 50074, 50158]);
/** The user or the tenant is unknown to Entra (50034 user not in directory, 50020 external user, 90002 tenant). */
const UNKNOWN_USER_CODES = new Set([50034, 50020, 90002]);
/** The bot's own registration or credential was refused. */
const CLIENT_CODES = new Set([70002, 7000215, 7000222, 7000218, 700016, 7000112, 700021, 700023, 700024, 700027]);
/** The assertion is expired, forged, malformed or addressed to someone else. */
const ASSERTION_CODES = new Set([500133, 50013, 50027]);
/** msal-common codes for "Entra could not be reached or answered nonsense". */
const UNAVAILABLE_CODES = new Set([
  MSAL_NETWORK_ERROR,
  MSAL_TOKEN_PARSING_ERROR,
  'openid_config_error',
  'endpoints_resolution_error',
  'temporarily_unavailable',
]);

/**
 * Turns any msal failure into the product's AppError. The message carries the OAuth error and AADSTS code only:
 * msal's own messages embed the server's error_description, which is never copied; the msal error stays the
 * `cause` for diagnostics.
 */
export function toAppError(err: unknown, context: MsalErrorContext): AppError {
  if (err instanceof AppError) return err;
  const what = context.flow === 'onBehalfOf' ? 'on-behalf-of' : 'client credentials';
  if (!(err instanceof AuthError)) {
    return new AppError('internal', `${what} token request failed unexpectedly`, {}, { cause: err });
  }

  const aadsts = aadstsOf(err);
  const status = err instanceof ServerError ? err.status : undefined;
  const label = aadsts === undefined ? err.errorCode : `${err.errorCode} AADSTS${aadsts}`;
  const details: AppErrorDetails = {
    upstreamCode: aadsts === undefined ? err.errorCode : `AADSTS${aadsts}`,
    ...(status !== undefined ? { status } : {}),
  };
  const fail = (code: AppError['code'], extra: AppErrorDetails = {}) =>
    new AppError(code, `${what} token request refused (${label})`, { ...details, ...extra }, { cause: err });

  // 7000229: the app has no service principal in the tenant — it was never consented there (partner context).
  if (
    err.subError === 'consent_required' ||
    err.errorCode === 'consent_required' ||
    aadsts === 65001 ||
    aadsts === 7000229
  ) {
    const consentUrl = `${context.authorityHost}/${context.tenantId}/adminconsent?client_id=${encodeURIComponent(context.clientId)}`;
    return fail('consentRequired', { consentUrl });
  }
  if (
    err.errorCode === 'interaction_required' ||
    err.errorCode === 'login_required' ||
    (aadsts !== undefined && INTERACTION_CODES.has(aadsts))
  ) {
    const claims = err instanceof InteractionRequiredAuthError && err.claims ? err.claims : undefined;
    return fail('interactionRequired', claims ? { claims } : {});
  }
  if (aadsts !== undefined && UNKNOWN_USER_CODES.has(aadsts)) return fail('userNotInTenant');
  // The resource's service principal is missing in the tenant: Defender for Endpoint is not there (§14.4).
  if (aadsts === 500011 || err.errorCode === 'invalid_resource') return fail('defenderNotInTenant');
  if (
    err.errorCode === 'invalid_client' ||
    err.errorCode === 'unauthorized_client' ||
    (aadsts !== undefined && CLIENT_CODES.has(aadsts))
  ) {
    return fail('clientCredentialsInvalid');
  }
  if ((aadsts !== undefined && ASSERTION_CODES.has(aadsts)) || err.errorCode === 'invalid_grant')
    return fail('notSignedIn');
  if (UNAVAILABLE_CODES.has(err.errorCode) || (status !== undefined && status >= 500))
    return fail('upstreamUnavailable');
  return fail('internal');
}

/** The AADSTS number: msal's `errorNo` (the body's `error_codes[0]`, a number at runtime despite its type). */
function aadstsOf(err: AuthError): number | undefined {
  const errorNo: unknown =
    err instanceof ServerError || err instanceof InteractionRequiredAuthError ? err.errorNo : undefined;
  const value =
    typeof errorNo === 'number' ? errorNo : typeof errorNo === 'string' ? Number.parseInt(errorNo, 10) : NaN;
  if (Number.isFinite(value)) return value;
  const match = /AADSTS(\d+)/.exec(err.errorMessage);
  return match?.[1] ? Number.parseInt(match[1], 10) : undefined;
}
