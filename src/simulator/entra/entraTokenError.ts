/*
 * Token endpoint failures with the bodies Entra ID sends (defender-api.md §9.2): `error`, an `error_description`
 * that starts with `AADSTSnnnnn: ` and ends with Trace ID / Correlation ID / Timestamp lines, `error_codes`,
 * `timestamp`, `trace_id`, `correlation_id`, `error_uri`, and `suberror` / `claims` where Entra adds them.
 * Descriptions never echo an assertion or a secret. msal-node classifies errors partly by searching the
 * description for `interaction_required` / `consent_required`, so those words only appear where Entra puts them.
 */

/** The OAuth `error` strings the emulator answers with. */
export type EntraErrorString =
  | 'invalid_request'
  | 'invalid_grant'
  | 'invalid_client'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_resource'
  | 'interaction_required'
  | 'invalid_instance'
  | 'invalid_tenant'
  | 'consent_required'
  | 'unsupported_response_type';

/** The JSON body of an Entra error response. */
export interface EntraErrorBody {
  error: EntraErrorString;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
  suberror?: string;
  claims?: string;
}

/** A refused token (or discovery) request: HTTP status, OAuth error, AADSTS code and message. */
export class EntraTokenError extends Error {
  override readonly name = 'EntraTokenError';

  constructor(
    readonly status: 400 | 401,
    readonly error: EntraErrorString,
    readonly aadsts: number,
    readonly description: string,
    readonly extra: { suberror?: string; claims?: string } = {},
  ) {
    super(`${error} AADSTS${aadsts}`);
  }
}

/** Request-scoped facts every error body carries. */
export interface EntraErrorContext {
  now: Date;
  traceId: string;
  correlationId: string;
  issuerBaseUrl: string;
}

/** Entra's timestamp format in error bodies: `2024-05-04 08:55:37Z`. */
export function formatEntraTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** Renders the wire body for `err` (CRLF-separated trailer lines, as Entra sends). */
export function toEntraErrorBody(err: EntraTokenError, context: EntraErrorContext): EntraErrorBody {
  const timestamp = formatEntraTimestamp(context.now);
  return {
    error: err.error,
    error_description:
      `AADSTS${err.aadsts}: ${err.description}\r\nTrace ID: ${context.traceId}\r\n` +
      `Correlation ID: ${context.correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [err.aadsts],
    timestamp,
    trace_id: context.traceId,
    correlation_id: context.correlationId,
    error_uri: `${context.issuerBaseUrl}/error?code=${err.aadsts}`,
    ...(err.extra.suberror !== undefined ? { suberror: err.extra.suberror } : {}),
    ...(err.extra.claims !== undefined ? { claims: err.extra.claims } : {}),
  };
}

/** WindowsDefenderATP's well-known application id (observed, defender-api.md §1.3), named in MFA messages. */
const DEFENDER_RESOURCE_APP_ID = 'fc780465-2017-40d4-a0c5-307022471b92';

/** Every refusal the emulator produces, by scenario; one place to compare against the documented bodies. */
export const entraErrors = {
  missingParameter: (name: string) =>
    new EntraTokenError(
      400,
      'invalid_request',
      900144,
      `The request body must contain the following parameter: '${name}'.`,
    ),

  duplicateParameter: (name: string) =>
    new EntraTokenError(400, 'invalid_request', 90016, `Parameter '${name}' is specified more than once.`),

  /** AADSTS90002; the token endpoint says `invalid_request`, the metadata endpoints `invalid_tenant`. */
  tenantNotFound: (tenant: string, error: 'invalid_request' | 'invalid_tenant' = 'invalid_request') =>
    new EntraTokenError(
      400,
      error,
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    ),

  /** [UNCONFIRMED] Entra refuses app-only tokens from /common and /organizations; msal-node refuses them first. */
  tenantRequiredForAppTokens: (tenant: string) =>
    new EntraTokenError(
      400,
      'invalid_request',
      900023,
      `Specified tenant identifier '${tenant}' is not valid for the client credentials flow; use the tenant ID.`,
    ),

  unsupportedGrantType: (grantType: string) =>
    new EntraTokenError(
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grantType}'.`,
    ),

  unsupportedTokenUse: () =>
    new EntraTokenError(
      400,
      'invalid_request',
      50027,
      "The jwt-bearer grant is only supported with requested_token_use 'on_behalf_of'.",
    ),

  /** Entra answers an unknown app id with `unauthorized_client` (HTTP 400), not `invalid_client` (observed widely). */
  applicationNotFound: (clientId: string, tenant: string) =>
    new EntraTokenError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the ` +
        'application has not been installed by the administrator of the tenant or consented to by any user in the ' +
        'tenant. You may have sent your authentication request to the wrong tenant.',
    ),

  /**
   * AADSTS7000229 (observed bodies, e.g. Azure/azure-sdk-for-net#46762): client credentials of an app with no
   * service principal in the tenant, i.e. never consented there. HTTP status UNCONFIRMED (401 like invalid_client).
   */
  clientServicePrincipalMissing: (clientId: string, tenantId: string) =>
    new EntraTokenError(
      401,
      'invalid_client',
      7000229,
      `The client application ${clientId} is missing service principal in the tenant ${tenantId}. See instructions ` +
        'here: https://go.microsoft.com/fwlink/?linkid=2225119',
    ),

  /** A disabled app registration (AADSTS7000112); like 700016 Entra reports it as `unauthorized_client`. */
  applicationDisabled: (clientId: string, displayName: string) =>
    new EntraTokenError(400, 'unauthorized_client', 7000112, `Application '${clientId}'(${displayName}) is disabled.`),

  /** The most common bad-secret code (7000215; 70002 is the older generic one); HTTP 401 like Entra. */
  invalidClientSecret: (clientId: string) =>
    new EntraTokenError(
      401,
      'invalid_client',
      7000215,
      'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, ' +
        `not the client secret ID, for a secret added to app '${clientId}'.`,
    ),

  missingClientCredentials: () =>
    new EntraTokenError(
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    ),

  /** AADSTS700027: the assertion names no registered certificate, or its signature does not verify with it. */
  certificateNotRegistered: (reason: string) =>
    new EntraTokenError(
      401,
      'invalid_client',
      700027,
      'The certificate with identifier used to sign the client assertion is not registered on application. ' +
        `[Reason - ${reason}]`,
    ),

  /** AADSTS700021: the assertion's `iss`/`sub` is not the `client_id` of the request. */
  clientAssertionWrongClient: () =>
    new EntraTokenError(
      401,
      'invalid_client',
      700021,
      "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at " +
        'https://learn.microsoft.com/entra/identity-platform/certificate-credentials .',
    ),

  /** AADSTS700023: the assertion's `aud` is not this token endpoint. */
  clientAssertionWrongAudience: (audience: string) =>
    new EntraTokenError(
      401,
      'invalid_client',
      700023,
      `Client assertion audience claim does not match Realm issuer. The audience in the assertion was '${audience}'.`,
    ),

  /** AADSTS700024: expired, not yet valid, or (UNCONFIRMED code for this case) a lifetime longer than allowed. */
  clientAssertionOutOfRange: (now: Date, notBefore: Date, expiry: Date) =>
    new EntraTokenError(
      401,
      'invalid_client',
      700024,
      `Client assertion is not within its valid time range. Current time: ${now.toISOString()}, assertion valid ` +
        `from ${notBefore.toISOString()}, expiry time of assertion ${expiry.toISOString()}.`,
    ),

  /** A client assertion of another type than jwt-bearer (UNCONFIRMED code; Entra's wording varies). */
  clientAssertionTypeUnsupported: () =>
    new EntraTokenError(
      400,
      'invalid_request',
      50027,
      "The client_assertion_type must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
    ),

  /** A client assertion that is not a signed JWT with the claims Entra requires (`aud`, `iss`, `sub`, `exp`, `jti`). */
  clientAssertionMalformed: () =>
    new EntraTokenError(401, 'invalid_client', 50027, 'JWT token is invalid or malformed.'),

  /** Both a secret and an assertion (UNCONFIRMED code): the client must authenticate one way only. */
  clientAuthenticationAmbiguous: () =>
    new EntraTokenError(
      400,
      'invalid_request',
      90014,
      "The request must contain only one of the parameters 'client_assertion' or 'client_secret'.",
    ),

  conflictingClientAuthentication: () =>
    new EntraTokenError(
      400,
      'invalid_request',
      90014,
      'The client_id in the Authorization header does not match the client_id in the request body.',
    ),

  missingScope: () =>
    new EntraTokenError(400, 'invalid_scope', 70011, "The provided request must include a 'scope' input parameter."),

  invalidScope: (scope: string) =>
    new EntraTokenError(
      400,
      'invalid_scope',
      70011,
      `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
    ),

  clientCredentialsNeedDefaultScope: (scope: string) =>
    new EntraTokenError(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with ` +
        '/.default suffixed to the resource identifier (application ID URI).',
    ),

  /** AADSTS28000 (observed, defender-api.md §9.2): one token request can target one resource only. */
  multipleResources: (scope: string) =>
    new EntraTokenError(
      400,
      'invalid_scope',
      28000,
      'Provided value for the input parameter scope is not valid because it contains more than one resource. ' +
        `Scope ${scope} is not valid.`,
    ),

  resourceNotFound: (resource: string, tenantName: string) =>
    new EntraTokenError(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenantName}. This can happen if ` +
        'the application has not been installed by the administrator of the tenant or consented to by any user in ' +
        'the tenant. You might have sent your authentication request to the wrong tenant.',
    ),

  /** AADSTS65001 with `suberror: consent_required` (observed body, defender-api.md §9.2). */
  consentRequired: (clientId: string, displayName: string) =>
    new EntraTokenError(
      400,
      'invalid_grant',
      65001,
      `The user or administrator has not consented to use the application with ID '${clientId}' named ` +
        `'${displayName}'. Send an interactive authorization request for this user and resource.`,
      { suberror: 'consent_required' },
    ),

  /** AADSTS50079 with a claims challenge (documented, defender-api.md §9.2); `capolids` as in Entra's CA challenges. */
  multifactorRequired: (policyId: string) =>
    new EntraTokenError(
      400,
      'interaction_required',
      50079,
      'Due to a configuration change made by your administrator, or because you moved to a new location, you must ' +
        `enroll in multifactor authentication to access '${DEFENDER_RESOURCE_APP_ID}'.`,
      { claims: JSON.stringify({ access_token: { capolids: { essential: true, values: [policyId] } } }) },
    ),

  /** AADSTS500133; the `error` string is `invalid_grant` as in the captured bodies (UNCONFIRMED in the docs). */
  assertionExpired: (now: Date, notBefore: Date, expiry: Date) =>
    new EntraTokenError(
      400,
      'invalid_grant',
      500133,
      'Assertion is not within its valid time range. Ensure that the access token is not expired before using it ' +
        `for user assertion, or request a new token. Current time: ${now.toISOString()}, not-before time of ` +
        `assertion ${notBefore.toISOString()}, expiry time of assertion ${expiry.toISOString()}.`,
    ),

  malformedAssertion: () => new EntraTokenError(400, 'invalid_request', 50027, 'JWT token is invalid or malformed.'),

  assertionSignatureInvalid: (reason: string) =>
    new EntraTokenError(400, 'invalid_grant', 50013, `Assertion failed signature validation. [Reason - ${reason}]`),

  assertionAudienceMismatch: (audience: string, clientId: string) =>
    new EntraTokenError(
      400,
      'invalid_grant',
      50013,
      `Assertion audience claim does not match the required value. The audience in the assertion was '${audience}' ` +
        `and the expected audience is '${clientId}' or one of the Application Id URIs of this application.`,
    ),

  assertionNotUserToken: () =>
    new EntraTokenError(
      400,
      'invalid_grant',
      50013,
      'Assertion is not a delegated user token; the on-behalf-of flow only accepts tokens issued to a user.',
    ),

  /** AADSTS50034 (user account does not exist in the directory): the seed of that tenant has no such user. */
  userNotInTenant: (user: string, tenantName: string) =>
    new EntraTokenError(
      400,
      'invalid_grant',
      50034,
      `The user account ${user} does not exist in the ${tenantName} directory. To sign into this application, the ` +
        'account must be added to the directory.',
    ),

  /**
   * AADSTS50020: a person of another tenant with neither a guest account nor a GDAP role here (the documented
   * message of the Entra error-code reference, with the application named).
   */
  userFromOtherTenant: (user: string, homeTenantId: string, tenantName: string, clientId: string, clientName: string) =>
    new EntraTokenError(
      400,
      'invalid_grant',
      50020,
      `User account '${user}' from identity provider 'https://sts.windows.net/${homeTenantId}/' does not exist in ` +
        `tenant '${tenantName}' and cannot access the application '${clientId}'(${clientName}) in that tenant. The ` +
        'account needs to be added as an external user in the tenant first. Sign out and sign in again with a ' +
        'different Microsoft Entra user account.',
    ),

  unknownInstance: () => new EntraTokenError(400, 'invalid_instance', 50049, 'Unknown or invalid instance.'),

  /** The authorize endpoint's AADSTS65001 as a redirect: `error=consent_required` (no interactive consent here). */
  consentRequiredInteractive: (clientId: string, displayName: string) =>
    new EntraTokenError(
      400,
      'consent_required',
      65001,
      `The user or administrator has not consented to use the application with ID '${clientId}' named ` +
        `'${displayName}'. Send an interactive authorization request for this user and resource.`,
    ),

  /** AADSTS50011; the emulator's only registered reply URLs are loopback http(s) URLs. */
  redirectUriNotRegistered: (redirectUri: string, clientId: string) =>
    new EntraTokenError(
      400,
      'invalid_request',
      50011,
      `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for ` +
        `the application '${clientId}'. The emulator accepts loopback http and https redirect URIs only.`,
    ),

  /** The emulator has no sign-in page: `login_hint` names the seed user who signs in. */
  loginHintRequired: () =>
    new EntraTokenError(
      400,
      'invalid_request',
      900144,
      "The request must contain the following parameter: 'login_hint' (the emulator has no sign-in page; name " +
        'the seeded user who signs in by UPN).',
    ),

  unsupportedResponseType: (responseType: string) =>
    new EntraTokenError(
      400,
      'unsupported_response_type',
      70005,
      `response_type '${responseType}' is not enabled for the application.`,
    ),

  codeChallengeMethodInvalid: () =>
    new EntraTokenError(400, 'invalid_request', 50149, 'Invalid Code_Challenge_method parameter.'),

  codeChallengeSizeInvalid: () =>
    new EntraTokenError(400, 'invalid_request', 501491, 'Invalid size of Code_Challenge parameter.'),

  /** An unknown or malformed authorization code (AADSTS70000). */
  invalidAuthorizationCode: () =>
    new EntraTokenError(400, 'invalid_grant', 70000, 'Provided grant is invalid or malformed.'),

  /** AADSTS70008: codes live ten minutes. */
  authorizationCodeExpired: () =>
    new EntraTokenError(
      400,
      'invalid_grant',
      70008,
      'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive ' +
        'authorization request for this user and resource.',
    ),

  /** AADSTS54005: codes are single-use. */
  authorizationCodeRedeemed: () =>
    new EntraTokenError(
      400,
      'invalid_grant',
      54005,
      'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing ' +
        'refresh token.',
    ),

  /** AADSTS501481: the PKCE verifier does not hash to the challenge of the authorize request. */
  pkceMismatch: () =>
    new EntraTokenError(
      400,
      'invalid_grant',
      501481,
      'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
    ),

  /** AADSTS500112: redemption must repeat the authorize request's redirect_uri. */
  authorizationCodeRedirectMismatch: (presented: string, expected: string) =>
    new EntraTokenError(
      400,
      'invalid_grant',
      500112,
      `The reply address '${presented}' does not match the reply address '${expected}' provided when requesting ` +
        'Authorization code.',
    ),

  /** AADSTS700005: a code redeemed at another tenant's token endpoint. */
  authorizationCodeWrongTenant: () =>
    new EntraTokenError(
      400,
      'invalid_grant',
      700005,
      'Provided Authorization Code is intended to use against other tenant, thus rejected.',
    ),
} as const;
