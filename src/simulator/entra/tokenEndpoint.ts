import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { SeedUser } from '../seed/seedSchema';
import { ENTRA_ROLE_TEMPLATE_IDS } from './entraRoles';
import { verifierMatchesChallenge } from './authorizationCodes';
import { CLIENT_ASSERTION_TYPE_JWT_BEARER, verifyClientAssertion } from './clientAssertion';
import type { AuthorizationCodeStore } from './authorizationCodes';
import type { DirectoryTenant, EntraClientRegistration, EntraDirectory } from './entraDirectory';
import { nameBasedUuid } from './entraDirectory';
import { EntraTokenError, entraErrors, toEntraErrorBody } from './entraTokenError';
import { delegatedPermissionsFor, parseScopeParameter } from './scopeParameter';
import type { ScopeRequest } from './scopeParameter';
import type { SigningKey } from './signingKey';
import { ACCESS_TOKEN_LIFETIME_SECONDS, v1Issuer, v2Issuer } from './tokenMinter';
import type { MintedToken, TokenMinter, TokenSubject } from './tokenMinter';

const GRANT_CLIENT_CREDENTIALS = 'client_credentials';
const GRANT_JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const GRANT_AUTHORIZATION_CODE = 'authorization_code';
const MULTI_TENANT_SEGMENTS = new Set(['common', 'organizations']);
/** Entra tolerates a few minutes of clock skew on `nbf`. */
const NOT_BEFORE_SKEW_SECONDS = 300;

/** One POST to `/{tenant}/oauth2/v2.0/token` (or the legacy v1 `/{tenant}/oauth2/token`). */
export interface TokenRequest {
  /** The `{tenant}` path segment: a tenant id, `common` or `organizations`. */
  pathTenant: string;
  version: 'v1' | 'v2';
  /** The raw form-encoded body. */
  body: string;
  /** The Authorization header, for HTTP Basic client authentication (RFC 6749 §2.3.1). */
  authorization: string | undefined;
  traceId: string;
  correlationId: string;
}

/** The response to send, plus the non-secret facts the emulator logs and counts. */
export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
  /** `client_credentials`, `on_behalf_of`, `authorization_code`, another raw grant_type, or `missing`. */
  grant: string;
  clientId: string | undefined;
  tenantId: string | undefined;
  /** `issued` or `AADSTSnnnnn`. */
  outcome: string;
}

/** Dependencies of the token endpoint. */
export interface TokenEndpointDeps {
  directory: EntraDirectory;
  minter: TokenMinter;
  key: SigningKey;
  codes: AuthorizationCodeStore;
  issuerBaseUrl: string;
  now: () => Date;
}

/** The claims an OBO assertion must carry; anything else is "invalid or malformed". */
const assertionClaimsSchema = z.object({
  aud: z.string().min(1),
  iss: z.string().min(1),
  tid: z.string().min(1),
  oid: z.string().min(1),
  exp: z.number(),
  nbf: z.number().optional(),
  scp: z.string().optional(),
  idtyp: z.string().optional(),
  preferred_username: z.string().optional(),
  upn: z.string().optional(),
  name: z.string().optional(),
  amr: z.array(z.string()).optional(),
});

type AssertionClaims = z.infer<typeof assertionClaimsSchema>;

/**
 * The person an OBO token is issued for in the authority's tenant: a member, a B2B guest account (its own object
 * id there, its own scripted sign-in errors), or a GDAP partner (home object id, Entra role template ids). Guests
 * and partners carry their home UPN.
 */
type ResolvedIdentity =
  | { kind: 'member'; user: SeedUser }
  | { kind: 'guest'; user: SeedUser; homeUpn: string; roleIds: string[] }
  | { kind: 'gdap'; user: TokenSubject; homeUpn: string; roleIds: string[] };

/** Facts gathered while the request is processed, so a refusal is logged with as much context as is known. */
interface RequestFacts {
  grant: string;
  clientId: string | undefined;
  tenantId: string | undefined;
}

/**
 * The token endpoint: client authentication (secret in the body or HTTP Basic), then client credentials
 * (Defender, Bot Framework, or another registered client's API), on-behalf-of, or authorization code (v2 only).
 * Each refusal is an EntraTokenError rendered with Entra's exact body shape; successes follow the documented
 * response (`token_type`, `scope`, `expires_in: 3599`, `ext_expires_in`, `access_token`, a `refresh_token` only
 * when `offline_access` was asked for, and an `id_token` for an authorization code redeemed with `openid`).
 * Refresh tokens are opaque and are not redeemable here.
 */
export class TokenEndpoint {
  constructor(private readonly deps: TokenEndpointDeps) {}

  /** Answers one token request; never throws. */
  handle(request: TokenRequest): TokenResponse {
    const facts: RequestFacts = { grant: 'missing', clientId: undefined, tenantId: undefined };
    try {
      const body = this.process(request, facts);
      return { status: 200, body, ...facts, outcome: 'issued' };
    } catch (err) {
      if (!(err instanceof EntraTokenError)) throw err;
      const errorBody = toEntraErrorBody(err, {
        now: this.deps.now(),
        traceId: request.traceId,
        correlationId: request.correlationId,
        issuerBaseUrl: this.deps.issuerBaseUrl,
      });
      return { status: err.status, body: { ...errorBody }, ...facts, outcome: `AADSTS${err.aadsts}` };
    }
  }

  private process(request: TokenRequest, facts: RequestFacts): Record<string, unknown> {
    const form = readForm(request.body);
    const grantType = form.get('grant_type');
    if (!grantType) throw entraErrors.missingParameter('grant_type');
    facts.grant = grantLabel(grantType, form.get('requested_token_use'));
    const supported =
      grantType === GRANT_CLIENT_CREDENTIALS ||
      grantType === GRANT_JWT_BEARER ||
      (grantType === GRANT_AUTHORIZATION_CODE && request.version === 'v2');
    if (!supported) throw entraErrors.unsupportedGrantType(grantType);

    const pathTenant = request.pathTenant.toLowerCase();
    const isMultiTenantPath = MULTI_TENANT_SEGMENTS.has(pathTenant);
    const pathTenantEntry = isMultiTenantPath ? undefined : this.deps.directory.tenant(pathTenant);
    if (!isMultiTenantPath && !pathTenantEntry) throw entraErrors.tenantNotFound(request.pathTenant);
    facts.tenantId = pathTenantEntry?.id;

    const client = this.authenticateClient(form, request.authorization, request.pathTenant, pathTenantEntry, facts);
    // The code already carries its scopes; a `scope` sent with it is not re-interpreted.
    if (grantType === GRANT_AUTHORIZATION_CODE) return this.authorizationCode(form, client, pathTenantEntry, facts);
    const tenantName = pathTenantEntry?.name ?? request.pathTenant;
    const scope = this.readScope(form, request.version, tenantName, client.clientId);

    if (grantType === GRANT_CLIENT_CREDENTIALS) {
      if (!pathTenantEntry) throw entraErrors.tenantRequiredForAppTokens(request.pathTenant);
      return this.clientCredentials(client, pathTenantEntry, scope, request.version);
    }
    return this.onBehalfOf(form, client, pathTenantEntry, scope, request.version, facts);
  }

  /**
   * Client id from the body or Basic header, then either a secret (compared in constant time) or a certificate
   * client assertion (verified against the app's registered certificates); never both.
   */
  private authenticateClient(
    form: Map<string, string>,
    authorization: string | undefined,
    pathTenant: string,
    tenant: DirectoryTenant | undefined,
    facts: RequestFacts,
  ): EntraClientRegistration {
    const basic = parseBasicAuthorization(authorization);
    const bodyClientId = form.get('client_id');
    if (basic && bodyClientId && basic.clientId.toLowerCase() !== bodyClientId.toLowerCase()) {
      throw entraErrors.conflictingClientAuthentication();
    }
    const clientId = bodyClientId ?? basic?.clientId;
    if (!clientId) throw entraErrors.missingParameter('client_id');
    facts.clientId = clientId;

    const client = this.deps.directory.client(clientId);
    if (!client || (tenant && !this.deps.directory.isKnownIn(client, tenant.id))) {
      throw entraErrors.applicationNotFound(clientId, tenant?.id ?? pathTenant);
    }
    if (client.disabled) throw entraErrors.applicationDisabled(client.clientId, client.displayName);

    const secrets = [form.get('client_secret'), basic?.clientSecret].filter((s): s is string => s !== undefined);
    const assertion = form.get('client_assertion');
    if (assertion !== undefined) {
      if (secrets.length > 0) throw entraErrors.clientAuthenticationAmbiguous();
      const assertionType = form.get('client_assertion_type');
      if (!assertionType) throw entraErrors.missingParameter('client_assertion_type');
      if (assertionType !== CLIENT_ASSERTION_TYPE_JWT_BEARER) throw entraErrors.clientAssertionTypeUnsupported();
      verifyClientAssertion(assertion, {
        clientId: client.clientId,
        certificates: client.certificates ?? [],
        tokenEndpointUrls: this.tokenEndpointUrls(pathTenant, tenant),
        now: this.deps.now(),
      });
      return client;
    }
    if (secrets.length === 0) throw entraErrors.missingClientCredentials();
    const registeredSecret = client.clientSecret;
    if (!registeredSecret || !secrets.every((secret) => sameSecret(secret, registeredSecret))) {
      throw entraErrors.invalidClientSecret(client.clientId);
    }
    return client;
  }

  /** The URLs a client assertion may name as `aud`: this endpoint under the path segment, tenant id or name. */
  private tokenEndpointUrls(pathTenant: string, tenant: DirectoryTenant | undefined): string[] {
    const segments = new Set([pathTenant, ...(tenant ? [tenant.id, tenant.name] : [])]);
    return [...segments].flatMap((segment) => [
      `${this.deps.issuerBaseUrl}/${segment}/oauth2/v2.0/token`,
      `${this.deps.issuerBaseUrl}/${segment}/oauth2/token`,
    ]);
  }

  /** v2 reads `scope`; the legacy v1 endpoint reads `resource` and means `<resource>/.default`. */
  private readScope(
    form: Map<string, string>,
    version: 'v1' | 'v2',
    tenantName: string,
    clientId: string,
  ): ScopeRequest {
    const clientApis = (resource: string) => this.deps.directory.clientByApiIdentifier(resource);
    if (version === 'v2') return parseScopeParameter(form.get('scope'), tenantName, clientId, clientApis);
    const resource = form.get('resource');
    if (!resource) throw entraErrors.missingParameter('resource');
    return parseScopeParameter(`${resource.replace(/\/+$/, '')}/.default`, tenantName, clientId, clientApis);
  }

  private clientCredentials(
    client: EntraClientRegistration,
    tenant: DirectoryTenant,
    scope: ScopeRequest,
    version: 'v1' | 'v2',
  ): Record<string, unknown> {
    if (scope.permissions !== 'default')
      throw entraErrors.clientCredentialsNeedDefaultScope(scope.requestedScopes.join(' '));
    const resource = scope.resource;
    switch (resource.kind) {
      case 'botFramework': {
        // Every app may ask any tenant it is known in (the botframework.com tenant knows them all); no roles.
        const minted = this.deps.minter.botFramework({
          tenantId: tenant.id,
          clientId: client.clientId,
          now: this.deps.now(),
        });
        return this.successBody(minted, scope, version, false);
      }
      case 'microsoft': {
        // MDE's service principal lives in customer tenants that have Defender for Endpoint, not in the Bot
        // Framework's.
        if (!this.deps.directory.hostsService(tenant, resource.service)) {
          throw entraErrors.resourceNotFound(resource.uri, tenant.name);
        }
        // A multi-tenant app that no administrator of this tenant ever consented to has no service principal here.
        if (!this.deps.directory.hasOwnServicePrincipal(tenant.id, client)) {
          throw entraErrors.clientServicePrincipalMissing(client.clientId, tenant.id);
        }
        // Entra issues the token either way; with the tenant's admin consent revoked it simply carries no `roles`.
        const roles = this.deps.directory.isConsented(tenant.id, client.clientId) ? client.applicationPermissions : [];
        const minted = this.deps.minter.app({
          tenantId: tenant.id,
          clientId: client.clientId,
          resource: resource.uri,
          roles,
          now: this.deps.now(),
        });
        return this.successBody(minted, scope, version, false);
      }
      case 'ownApi':
        // An app token for the bot's own API is valid in Entra but nothing here needs one: not emulated.
        throw entraErrors.invalidScope(scope.requestedScopes.join(' '));
      case 'clientApi': {
        // Another app's API is a resource only where that app has a service principal (else 500011, as in Entra).
        const api = this.deps.directory.client(resource.clientId);
        if (!api || !this.deps.directory.hasServicePrincipal(tenant.id, api)) {
          throw entraErrors.resourceNotFound(resource.uri, tenant.name);
        }
        // Entra issues the token whether or not the caller holds an app role on that API; the API checks `roles`.
        const minted = this.deps.minter.appForApi({
          tenantId: tenant.id,
          clientId: client.clientId,
          api: { clientId: api.clientId, uri: resource.uri, tokenVersion: api.requestedAccessTokenVersion ?? 2 },
          roles: this.deps.directory.appRolesOn(client, api.clientId),
          now: this.deps.now(),
        });
        return this.successBody(minted, scope, version, false);
      }
    }
  }

  private onBehalfOf(
    form: Map<string, string>,
    client: EntraClientRegistration,
    pathTenant: DirectoryTenant | undefined,
    scope: ScopeRequest,
    version: 'v1' | 'v2',
    facts: RequestFacts,
  ): Record<string, unknown> {
    const tokenUse = form.get('requested_token_use');
    if (!tokenUse) throw entraErrors.missingParameter('requested_token_use');
    if (tokenUse !== 'on_behalf_of') throw entraErrors.unsupportedTokenUse();
    const assertion = form.get('assertion');
    if (!assertion) throw entraErrors.missingParameter('assertion');

    const claims = this.validateAssertion(assertion, client);
    const resource = scope.resource;
    // OBO here exchanges for Microsoft APIs only; the Bot Framework and the bot's own API are not OBO targets.
    if (resource.kind !== 'microsoft') throw entraErrors.invalidScope(scope.requestedScopes.join(' '));

    // On /common and /organizations the tenant is the user's (the assertion's `tid`).
    const tenant = pathTenant ?? this.deps.directory.tenant(claims.tid);
    if (!tenant) throw entraErrors.tenantNotFound(claims.tid);
    facts.tenantId = tenant.id;
    if (!this.deps.directory.isKnownIn(client, tenant.id))
      throw entraErrors.applicationNotFound(client.clientId, tenant.id);
    const identity = this.resolveIdentity(claims, tenant, client);
    // No resource principal, nothing to consent to: AADSTS500011 comes before any consent question.
    if (!this.deps.directory.hostsService(tenant, resource.service)) {
      throw entraErrors.resourceNotFound(resource.uri, tenant.name);
    }

    if (!this.deps.directory.isConsented(tenant.id, client.clientId)) {
      throw entraErrors.consentRequired(client.clientId, client.displayName);
    }
    // The customer's own sign-in rules apply to its guest accounts; a GDAP partner has no account here to script.
    if (identity.kind !== 'gdap') {
      this.applyScriptedSignInError(identity.user, client, tenant, claims.amr?.includes('mfa') === true);
    }
    const permissions = delegatedPermissionsFor(scope, client);

    const minted = this.deps.minter.delegated({
      tenantId: tenant.id,
      user: identity.user,
      clientId: client.clientId,
      resource: resource.uri,
      permissions,
      now: this.deps.now(),
      ...(identity.kind === 'member'
        ? {}
        : { external: { homeTenantId: claims.tid, homeUpn: identity.homeUpn, directoryRoles: identity.roleIds } }),
    });
    const body = this.successBody(minted, scope, version, scope.offlineAccess);
    // client_info names the home account (msal's cache key), whichever tenant the token is for.
    if (form.get('client_info') === '1') body.client_info = clientInfo(claims.oid, claims.tid);
    return body;
  }

  /**
   * Redeems a code from the authorize endpoint: same client, same tenant (unless redeemed at /common or
   * /organizations), same redirect_uri, and a PKCE verifier that hashes to the challenge. The access token is the
   * bot's own-API token (shaped like a Teams SSO token, `aud` = the client id, `azp` = the client) or, for a
   * Defender scope, a delegated Defender token; an id_token comes with `openid`.
   */
  private authorizationCode(
    form: Map<string, string>,
    client: EntraClientRegistration,
    pathTenant: DirectoryTenant | undefined,
    facts: RequestFacts,
  ): Record<string, unknown> {
    const code = form.get('code');
    if (!code) throw entraErrors.missingParameter('code');
    const redirectUri = form.get('redirect_uri');
    if (!redirectUri) throw entraErrors.missingParameter('redirect_uri');
    const grant = this.deps.codes.find(code);
    if (grant.clientId.toLowerCase() !== client.clientId.toLowerCase()) throw entraErrors.invalidAuthorizationCode();
    if (pathTenant && pathTenant.id.toLowerCase() !== grant.tenantId.toLowerCase()) {
      throw entraErrors.authorizationCodeWrongTenant();
    }
    facts.tenantId = grant.tenantId;
    if (redirectUri !== grant.redirectUri)
      throw entraErrors.authorizationCodeRedirectMismatch(redirectUri, grant.redirectUri);
    const verifier = form.get('code_verifier');
    if (!verifier || !verifierMatchesChallenge(verifier, grant.codeChallenge)) throw entraErrors.pkceMismatch();
    this.deps.codes.markRedeemed(code);

    const now = this.deps.now();
    const resource = grant.scope.resource;
    const minted =
      resource.kind === 'microsoft'
        ? this.deps.minter.delegated({
            tenantId: grant.tenantId,
            user: grant.user,
            clientId: client.clientId,
            resource: resource.uri,
            permissions: grant.permissions,
            now,
          })
        : this.deps.minter.userAssertion({
            tenantId: grant.tenantId,
            user: grant.user,
            // v2 access tokens name the resource app by its client id, whichever App ID URI was asked for.
            audience: client.clientId,
            lifetimeSeconds: ACCESS_TOKEN_LIFETIME_SECONDS,
            authorizedParty: client.clientId,
            scope: grant.permissions.join(' '),
            mfa: grant.mfa,
            now,
          });
    const body = this.successBody(minted, grant.scope, 'v2', grant.scope.offlineAccess);
    if (grant.scope.openId) {
      body.id_token = this.deps.minter.idToken({
        tenantId: grant.tenantId,
        user: grant.user,
        clientId: client.clientId,
        nonce: grant.nonce,
        withEmail: form.get('scope')?.split(/\s+/).includes('email') === true,
        now,
      }).token;
    }
    if (form.get('client_info') === '1') {
      body.client_info = clientInfo(grant.user.aadObjectId, grant.tenantId);
    }
    return body;
  }

  /**
   * Who the assertion's person is in `tenant`. Same tenant: the member account (AADSTS50034 if unknown). Another
   * tenant (an MSSP analyst at a customer's authority): their B2B guest account there, else a GDAP relationship
   * naming them (their home object id, the granted Entra roles as `wids`), else AADSTS50020 as Entra answers a
   * user from another identity provider.
   */
  private resolveIdentity(
    claims: AssertionClaims,
    tenant: DirectoryTenant,
    client: EntraClientRegistration,
  ): ResolvedIdentity {
    const userLabel = claims.preferred_username ?? claims.upn ?? claims.oid;
    if (tenant.id.toLowerCase() === claims.tid.toLowerCase()) {
      const user = this.deps.directory.user(tenant.id, claims.oid);
      if (!user) throw entraErrors.userNotInTenant(userLabel, tenant.name);
      return { kind: 'member', user };
    }
    const guest = this.deps.directory.guestAccount(tenant, claims.tid, claims.oid);
    if (guest) return { kind: 'guest', user: guest, homeUpn: userLabel, roleIds: [] };
    const roles = this.deps.directory.delegatedRoles(tenant, claims.tid, claims.oid);
    if (roles.length > 0) {
      const home = this.deps.directory.user(claims.tid, claims.oid);
      return {
        kind: 'gdap',
        user: {
          aadObjectId: claims.oid,
          displayName: home?.displayName ?? claims.name ?? userLabel,
          userPrincipalName: userLabel,
        },
        homeUpn: userLabel,
        roleIds: roles.map((role) => ENTRA_ROLE_TEMPLATE_IDS[role]),
      };
    }
    throw entraErrors.userFromOtherTenant(userLabel, claims.tid, tenant.name, client.clientId, client.displayName);
  }

  /** Signed by this emulator, issued by it for the token's tenant, within its time range, addressed to the client. */
  private validateAssertion(assertion: string, client: EntraClientRegistration): AssertionClaims {
    const verified = this.deps.key.verify(assertion);
    if (!verified.ok) {
      if (verified.reason === 'malformed') throw entraErrors.malformedAssertion();
      throw entraErrors.assertionSignatureInvalid(
        verified.reason === 'unknownKey'
          ? 'The key was not found.'
          : 'Key was found, but use of the key to verify the signature failed.',
      );
    }
    const parsed = assertionClaimsSchema.safeParse(verified.claims);
    if (!parsed.success) throw entraErrors.malformedAssertion();
    const claims = parsed.data;

    const trustedIssuers = [v2Issuer(this.deps.issuerBaseUrl, claims.tid), v1Issuer(claims.tid)];
    if (!trustedIssuers.includes(claims.iss)) throw entraErrors.assertionSignatureInvalid('The issuer is not trusted.');

    const now = this.deps.now();
    const nowSeconds = now.getTime() / 1000;
    const notBefore = claims.nbf ?? 0;
    if (nowSeconds >= claims.exp || nowSeconds + NOT_BEFORE_SKEW_SECONDS < notBefore) {
      throw entraErrors.assertionExpired(now, new Date(notBefore * 1000), new Date(claims.exp * 1000));
    }

    const audiences = [client.clientId, `api://botid-${client.clientId}`].map((a) => a.toLowerCase());
    if (!audiences.includes(claims.aud.toLowerCase()))
      throw entraErrors.assertionAudienceMismatch(claims.aud, client.clientId);
    if (claims.scp === undefined || claims.idtyp === 'app') throw entraErrors.assertionNotUserToken();
    return claims;
  }

  /**
   * Seed users can rehearse the consent and MFA paths (`signInError`). An assertion from a step-up sign-in
   * (`amr` with `mfa`, see AuthorizeEndpoint) satisfies the MFA challenge, as a fresh token would in Entra.
   */
  private applyScriptedSignInError(
    user: SeedUser,
    client: EntraClientRegistration,
    tenant: DirectoryTenant,
    mfaDone: boolean,
  ): void {
    if (user.signInError === 'consent_required') throw entraErrors.consentRequired(client.clientId, client.displayName);
    if (user.signInError === 'interaction_required' && !mfaDone) {
      throw entraErrors.multifactorRequired(nameBasedUuid(`conditional-access|${tenant.id.toLowerCase()}`));
    }
  }

  private successBody(
    minted: MintedToken,
    scope: ScopeRequest,
    version: 'v1' | 'v2',
    withRefreshToken: boolean,
  ): Record<string, unknown> {
    // Opaque, like Entra's; the emulator does not redeem refresh tokens (msal-node never uses them for OBO).
    const refreshToken = withRefreshToken ? { refresh_token: `0.${randomBytes(48).toString('base64url')}` } : {};
    if (version === 'v1') {
      const expiresOn = Math.floor(minted.expiresOn.getTime() / 1000);
      return {
        token_type: 'Bearer',
        expires_in: String(ACCESS_TOKEN_LIFETIME_SECONDS),
        ext_expires_in: String(ACCESS_TOKEN_LIFETIME_SECONDS),
        expires_on: String(expiresOn),
        not_before: String(expiresOn - ACCESS_TOKEN_LIFETIME_SECONDS),
        resource: scope.resource.uri,
        access_token: minted.token,
        ...refreshToken,
      };
    }
    return {
      token_type: 'Bearer',
      // The scopes as asked (`.default` stays `.default`): msal-node keys its cache on the response's scopes,
      // so this is what lets a repeated request be served from its cache. The permissions are in `scp`.
      scope: [...scope.requestedScopes, ...(withRefreshToken ? ['offline_access'] : [])].join(' '),
      expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
      ext_expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
      access_token: minted.token,
      ...refreshToken,
    };
  }
}

/** msal asks for `client_info=1`; Entra then returns the user's home ids (uid.utid is msal's account key). */
function clientInfo(objectId: string, tenantId: string): string {
  return Buffer.from(JSON.stringify({ uid: objectId, utid: tenantId })).toString('base64url');
}

/** Form fields; a repeated field is refused rather than guessed at. */
function readForm(body: string): Map<string, string> {
  const form = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(body)) {
    if (form.has(name)) throw entraErrors.duplicateParameter(name);
    form.set(name, value);
  }
  return form;
}

/** Counts and logs name the flow, not the URN. */
function grantLabel(grantType: string, tokenUse: string | undefined): string {
  if (grantType === GRANT_JWT_BEARER) return tokenUse === 'on_behalf_of' ? 'on_behalf_of' : 'jwt_bearer';
  return grantType;
}

/** `Basic base64(urlencode(client_id) ":" urlencode(client_secret))`, RFC 6749 §2.3.1. */
function parseBasicAuthorization(header: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      clientSecret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return undefined;
  }
}

/** Constant-time comparison of two secrets of any length (hash first, then timingSafeEqual). */
function sameSecret(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
