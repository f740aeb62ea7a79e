import { randomUUID } from 'node:crypto';
import type { SeedUser } from '../seed/seedSchema';
import type { AuthorizationCodeStore } from './authorizationCodes';
import type { DirectoryTenant, EntraClientRegistration, EntraDirectory } from './entraDirectory';
import { nameBasedUuid } from './entraDirectory';
import { EntraTokenError, entraErrors, toEntraErrorBody } from './entraTokenError';
import { loopbackRedirect } from './loopbackRedirect';
import { delegatedPermissionsFor, parseScopeParameter } from './scopeParameter';

/** What one `GET /{tenant}/oauth2/v2.0/authorize` asked for and how it ended; tests assert on it. */
export interface AuthorizeRequestRecord {
  at: Date;
  /** The `{tenant}` path segment as sent. */
  tenant: string;
  clientId: string | undefined;
  redirectUri: string | undefined;
  scope: string | undefined;
  state: string | undefined;
  loginHint: string | undefined;
  /** The claims challenge the caller forwarded (MFA step-up), verbatim. */
  claims: string | undefined;
  prompt: string | undefined;
  codeChallengeMethod: string | undefined;
  /** `code` when a code was issued; otherwise the OAuth `error` (redirected, or answered with HTTP 400). */
  outcome: string;
}

/** How to answer: a 302 to the caller's redirect_uri (code or error), or an error body when no redirect is safe. */
export type AuthorizeAnswer = { kind: 'redirect'; location: string } | { kind: 'error'; error: EntraTokenError };

/** Dependencies of the authorize endpoint. */
export interface AuthorizeEndpointDeps {
  directory: EntraDirectory;
  codes: AuthorizationCodeStore;
  issuerBaseUrl: string;
  now: () => Date;
}

const MULTI_TENANT_SEGMENTS = new Set(['common', 'organizations']);
/** RFC 7636: a code challenge is 43 to 128 characters of the unreserved set. */
const CODE_CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;

/**
 * The authorization endpoint of the code flow with PKCE, without UI: the user is the seed user `login_hint`
 * names, and signing in always succeeds unless consent or a scripted failure says otherwise. Problems that make
 * the redirect_uri untrustworthy (or leave no one to sign in) are answered directly; every later problem is
 * redirected as `error` / `error_description` / `state`, as Entra does.
 *
 * Scripted users: `signInError: consent_required` always ends in `error=consent_required`;
 * `signInError: interaction_required` ends in `error=interaction_required` unless the request's `claims` parameter
 * asks for access-token claims (the challenge the bot received from OBO, e.g. `{"access_token":{"capolids":…}}`,
 * possibly merged with msal's own id_token claims). Then the sign-in counts as the MFA step-up and the issued
 * token carries `amr: ['pwd', 'mfa']`, which the OBO grant accepts for that user. msal-node always sends an
 * id_token-only `claims` parameter, so a mere `claims` is not a step-up.
 */
export class AuthorizeEndpoint {
  constructor(private readonly deps: AuthorizeEndpointDeps) {}

  /** Handles one request (the caller has already checked it comes from loopback). */
  handle(tenantSegment: string, query: URLSearchParams): { answer: AuthorizeAnswer; record: AuthorizeRequestRecord } {
    const param = (name: string) => query.get(name) ?? undefined;
    const record: AuthorizeRequestRecord = {
      at: this.deps.now(),
      tenant: tenantSegment,
      clientId: param('client_id'),
      redirectUri: param('redirect_uri'),
      scope: param('scope'),
      state: param('state'),
      loginHint: param('login_hint'),
      claims: param('claims'),
      prompt: param('prompt'),
      codeChallengeMethod: param('code_challenge_method'),
      outcome: 'code',
    };
    const answer = this.decide(tenantSegment, query, record);
    if (answer.kind === 'error') record.outcome = answer.error.error;
    return { answer, record };
  }

  private decide(tenantSegment: string, query: URLSearchParams, record: AuthorizeRequestRecord): AuthorizeAnswer {
    const { directory } = this.deps;
    const isMultiTenantPath = MULTI_TENANT_SEGMENTS.has(tenantSegment.toLowerCase());
    const pathTenant = isMultiTenantPath ? undefined : directory.tenant(tenantSegment);
    if (!isMultiTenantPath && !pathTenant) {
      return { kind: 'error', error: entraErrors.tenantNotFound(tenantSegment, 'invalid_tenant') };
    }
    const clientId = record.clientId;
    if (!clientId) return { kind: 'error', error: entraErrors.missingParameter('client_id') };
    const redirect = loopbackRedirect(record.redirectUri);
    if (!redirect || !record.redirectUri) {
      return { kind: 'error', error: entraErrors.redirectUriNotRegistered(record.redirectUri ?? '', clientId) };
    }

    // From here on the redirect_uri is trusted: refusals travel back to it.
    const refuse = (error: EntraTokenError): AuthorizeAnswer => ({
      kind: 'redirect',
      location: this.errorLocation(redirect, error, record.state),
    });
    try {
      const client = directory.client(clientId);
      if (!client) throw entraErrors.applicationNotFound(clientId, pathTenant?.id ?? tenantSegment);
      if (client.disabled) throw entraErrors.applicationDisabled(client.clientId, client.displayName);
      const responseType = query.get('response_type') ?? '';
      if (responseType !== 'code') throw entraErrors.unsupportedResponseType(responseType);
      const codeChallenge = readCodeChallenge(query);
      const scope = parseScopeParameter(record.scope, pathTenant?.name ?? tenantSegment, client.clientId);

      const signIn = this.signedInUser(record.loginHint, pathTenant);
      if (!signIn) {
        return {
          kind: 'error',
          error: record.loginHint
            ? entraErrors.userNotInTenant(record.loginHint, pathTenant?.name ?? tenantSegment)
            : entraErrors.loginHintRequired(),
        };
      }
      const { tenant, user } = signIn;
      if (!directory.isKnownIn(client, tenant.id)) throw entraErrors.applicationNotFound(client.clientId, tenant.id);
      if (scope.resource.kind === 'microsoft' && !directory.hostsService(tenant, scope.resource.service)) {
        throw entraErrors.resourceNotFound(scope.resource.uri, tenant.name);
      }
      const mfa = this.applyConsentAndScriptedErrors(client, tenant, user, record.claims);
      const permissions = interactive(() => delegatedPermissionsFor(scope, client), client);

      const code = this.deps.codes.issue({
        clientId: client.clientId,
        tenantId: tenant.id,
        redirectUri: record.redirectUri,
        codeChallenge,
        user,
        scope,
        permissions,
        nonce: query.get('nonce') ?? undefined,
        mfa,
      });
      const location = new URL(redirect);
      location.searchParams.set('code', code);
      if (record.state !== undefined) location.searchParams.set('state', record.state);
      return { kind: 'redirect', location: location.toString() };
    } catch (err) {
      if (!(err instanceof EntraTokenError)) throw err;
      record.outcome = err.error;
      return refuse(err);
    }
  }

  /** The seed user named by `login_hint`, in the path tenant or, on /common and /organizations, in any tenant. */
  private signedInUser(
    loginHint: string | undefined,
    pathTenant: DirectoryTenant | undefined,
  ): { tenant: DirectoryTenant; user: SeedUser } | undefined {
    if (!loginHint) return undefined;
    return this.deps.directory.usersByUpn(loginHint, pathTenant?.id)[0];
  }

  /** Consent for the tenant, then the user's scripted failure; returns whether the sign-in counts as MFA. */
  private applyConsentAndScriptedErrors(
    client: EntraClientRegistration,
    tenant: DirectoryTenant,
    user: SeedUser,
    claims: string | undefined,
  ): boolean {
    if (!this.deps.directory.isConsented(tenant.id, client.clientId) || user.signInError === 'consent_required') {
      throw entraErrors.consentRequiredInteractive(client.clientId, client.displayName);
    }
    const stepUp = isAccessTokenClaimsChallenge(claims);
    if (user.signInError === 'interaction_required' && !stepUp) {
      throw entraErrors.multifactorRequired(nameBasedUuid(`conditional-access|${tenant.id.toLowerCase()}`));
    }
    return stepUp;
  }

  /** `redirect_uri?error=…&error_description=…&state=…`, the description carrying Entra's trace lines. */
  private errorLocation(redirect: URL, error: EntraTokenError, state: string | undefined): string {
    const body = toEntraErrorBody(error, {
      now: this.deps.now(),
      traceId: randomUUID(),
      correlationId: randomUUID(),
      issuerBaseUrl: this.deps.issuerBaseUrl,
    });
    const location = new URL(redirect);
    location.searchParams.set('error', body.error);
    location.searchParams.set('error_description', body.error_description);
    if (state !== undefined) location.searchParams.set('state', state);
    return location.toString();
  }
}

/** True when `claims` is JSON asking for access-token claims, as a Conditional Access challenge does. */
function isAccessTokenClaimsChallenge(claims: string | undefined): boolean {
  if (claims === undefined) return false;
  try {
    const parsed: unknown = JSON.parse(claims);
    if (typeof parsed !== 'object' || parsed === null) return false;
    const accessToken: unknown = (parsed as Record<string, unknown>).access_token;
    return typeof accessToken === 'object' && accessToken !== null && Object.keys(accessToken).length > 0;
  } catch {
    return false;
  }
}

/** `code_challenge` (required: the emulator insists on PKCE) with `code_challenge_method=S256`. */
function readCodeChallenge(query: URLSearchParams): string {
  const challenge = query.get('code_challenge');
  if (!challenge) throw entraErrors.missingParameter('code_challenge');
  if (query.get('code_challenge_method') !== 'S256') throw entraErrors.codeChallengeMethodInvalid();
  if (!CODE_CHALLENGE.test(challenge)) throw entraErrors.codeChallengeSizeInvalid();
  return challenge;
}

/** Asking for Defender permissions the client does not hold is missing consent, asked for interactively here. */
function interactive(permissions: () => string[], client: EntraClientRegistration): string[] {
  try {
    return permissions();
  } catch (err) {
    if (err instanceof EntraTokenError && err.aadsts === 65001) {
      throw entraErrors.consentRequiredInteractive(client.clientId, client.displayName);
    }
    throw err;
  }
}
