import { BOT_FRAMEWORK_RESOURCE } from './botFrameworkTenant';
import { DEFENDER_RESOURCES, serviceOf } from './defenderScopes';
import type { DefenderResource, MicrosoftService } from './defenderScopes';
import { entraErrors } from './entraTokenError';

/** The scope the bot's app registration exposes for Teams SSO (defender-api.md §10.1). */
export const OWN_API_SCOPE = 'access_as_user';

/**
 * The one resource a token request addresses. `ownApi` is the requesting client's own API, named either by its
 * Teams SSO App ID URI (`api://botid-<clientId>`) or by its bare client id; `clientApi` is another registered
 * client's API, named the same way (`clientId` is that other client's).
 */
export type TokenResource =
  | { kind: 'microsoft'; uri: DefenderResource; service: MicrosoftService }
  | { kind: 'botFramework'; uri: typeof BOT_FRAMEWORK_RESOURCE }
  | { kind: 'ownApi'; uri: string; clientId: string }
  | { kind: 'clientApi'; uri: string; clientId: string };

/** Finds the registered client whose API a lower-cased resource identifier names (see EntraDirectory). */
export type ClientApiLookup = (resource: string) => { clientId: string } | undefined;

/** A token request's `scope` parameter, understood. */
export interface ScopeRequest {
  /** The single resource the scopes address; the token's `aud` follows from it. */
  resource: TokenResource;
  /** `'default'` for `<resource>/.default` (every permission the client holds), else the permission names asked for. */
  permissions: 'default' | string[];
  /** `offline_access` was asked for: the response carries a refresh token. */
  offlineAccess: boolean;
  /** `openid` was asked for: an authorization code response carries an id_token. */
  openId: boolean;
  /** The non-OIDC scopes exactly as sent, echoed in the response's `scope` (msal-node keys its cache on them). */
  requestedScopes: string[];
}

/** Scopes Entra accepts next to a resource's scopes without treating them as a second resource. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

/**
 * Parses a v2 `scope` parameter: one resource only (AADSTS28000) that the emulator hosts (AADSTS500011), either
 * `.default` or named permissions, never both (AADSTS70011). `clientId` is the requesting app; other registered
 * clients' APIs are resources only when `clientApis` is given (the token endpoint's client credentials), and
 * whether that API exists in the tenant is the caller's check. Throws EntraTokenError.
 */
export function parseScopeParameter(
  scope: string | undefined,
  tenantName: string,
  clientId: string,
  clientApis?: ClientApiLookup,
): ScopeRequest {
  const items = (scope ?? '').split(/\s+/).filter((item) => item.length > 0);
  if (items.length === 0) throw entraErrors.missingScope();

  const has = (name: string) => items.some((item) => item.toLowerCase() === name);
  const requestedScopes = items.filter((item) => !OIDC_SCOPES.has(item.toLowerCase()));
  if (requestedScopes.length === 0) throw entraErrors.invalidScope(scope ?? '');

  const byResource = new Map<string, string[]>();
  for (const item of requestedScopes) {
    const slash = item.lastIndexOf('/');
    // A bare name (`User.Read`) addresses Microsoft Graph in Entra.
    const resource = (slash < 0 ? 'https://graph.microsoft.com' : item.slice(0, slash))
      .replace(/\/+$/, '')
      .toLowerCase();
    const permission = slash < 0 ? item : item.slice(slash + 1);
    if (permission.length === 0 || resource.length === 0) throw entraErrors.invalidScope(item);
    byResource.set(resource, [...(byResource.get(resource) ?? []), permission]);
  }
  if (byResource.size > 1) throw entraErrors.multipleResources(requestedScopes.join(' '));

  const [[resourceKey, names]] = [...byResource.entries()] as [[string, string[]]];
  const resource = knownResource(resourceKey, clientId, clientApis);
  if (!resource) throw entraErrors.resourceNotFound(resourceKey, tenantName);

  const wantsDefault = names.some((name) => name === '.default');
  if (wantsDefault && names.length > 1) throw entraErrors.invalidScope(requestedScopes.join(' '));
  // The own API exposes one scope; the Bot Framework resource is only ever asked for with `.default`.
  if (!wantsDefault && resource.kind === 'ownApi' && names.some((name) => name !== OWN_API_SCOPE)) {
    throw entraErrors.invalidScope(requestedScopes.join(' '));
  }
  if (!wantsDefault && resource.kind === 'botFramework') throw entraErrors.invalidScope(requestedScopes.join(' '));
  return {
    resource,
    permissions: wantsDefault ? 'default' : [...new Set(names)],
    offlineAccess: has('offline_access'),
    openId: has('openid'),
    requestedScopes,
  };
}

/** The resource a lower-cased identifier names, if the emulator issues tokens for it. */
function knownResource(
  resourceKey: string,
  clientId: string,
  clientApis: ClientApiLookup | undefined,
): TokenResource | undefined {
  const defender = DEFENDER_RESOURCES.find((known) => known === resourceKey);
  if (defender) return { kind: 'microsoft', uri: defender, service: serviceOf(defender) };
  if (resourceKey === BOT_FRAMEWORK_RESOURCE) return { kind: 'botFramework', uri: BOT_FRAMEWORK_RESOURCE };
  const client = clientId.toLowerCase();
  if (resourceKey === `api://botid-${client}` || resourceKey === client) {
    return { kind: 'ownApi', uri: resourceKey, clientId };
  }
  const other = clientApis?.(resourceKey);
  if (other) return { kind: 'clientApi', uri: resourceKey, clientId: other.clientId };
  return undefined;
}

/**
 * The delegated permissions a user token for `scope` carries: `access_as_user` for the own API; for a Microsoft
 * resource (MDE, Graph: the emulator keeps one permission list per client for both), `.default` means
 * every delegated permission the client holds and named permissions must all be held (else AADSTS65001). Other resources (the Bot Framework, other clients' APIs) have no delegated permissions here
 * (AADSTS70011).
 */
export function delegatedPermissionsFor(
  scope: ScopeRequest,
  client: { clientId: string; displayName: string; delegatedPermissions: string[] },
): string[] {
  switch (scope.resource.kind) {
    case 'ownApi':
      return [OWN_API_SCOPE];
    case 'botFramework':
    case 'clientApi':
      throw entraErrors.invalidScope(scope.requestedScopes.join(' '));
    case 'microsoft': {
      const held = new Map(client.delegatedPermissions.map((p) => [p.toLowerCase(), p]));
      if (scope.permissions === 'default') {
        if (held.size === 0) throw entraErrors.consentRequired(client.clientId, client.displayName);
        return client.delegatedPermissions;
      }
      return scope.permissions.map((name) => {
        const permission = held.get(name.toLowerCase());
        if (!permission) throw entraErrors.consentRequired(client.clientId, client.displayName);
        return permission;
      });
    }
  }
}
