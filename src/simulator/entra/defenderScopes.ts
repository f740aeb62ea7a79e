import { entraErrors } from './entraTokenError';

/**
 * Resource identifiers the emulator issues Defender tokens for (defender-api.md §1.3): MDE's two hosts, the
 * WindowsDefenderATP App ID URI used by the curl samples, and the `.windows.com` spelling of the XDR
 * user-context sample. A token's `aud` is the identifier that was asked for, in this canonical spelling.
 */
export const DEFENDER_RESOURCES = [
  'https://api.securitycenter.microsoft.com',
  'https://api.security.microsoft.com',
  'https://securitycenter.onmicrosoft.com/windowsatpservice',
  'https://api.securitycenter.windows.com',
] as const;

/** One of `DEFENDER_RESOURCES`. */
export type DefenderResource = (typeof DEFENDER_RESOURCES)[number];

/** A token request's `scope` parameter, understood. */
export interface ScopeRequest {
  /** The single resource the scopes address: the token's `aud`. */
  resource: DefenderResource;
  /** `'default'` for `<resource>/.default` (every permission the client holds), else the permission names asked for. */
  permissions: 'default' | string[];
  /** `offline_access` was asked for: the response carries a refresh token. */
  offlineAccess: boolean;
  /** The non-OIDC scopes exactly as sent, echoed in the response's `scope` (msal-node keys its cache on them). */
  requestedScopes: string[];
}

/** Scopes Entra accepts next to a resource's scopes without treating them as a second resource. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

/**
 * Parses a v2 `scope` parameter: one resource only (AADSTS28000), a Defender one (AADSTS500011), either
 * `.default` or named permissions, never both (AADSTS70011). Throws EntraTokenError.
 */
export function parseScopeParameter(scope: string | undefined, tenantName: string): ScopeRequest {
  const items = (scope ?? '').split(/\s+/).filter((item) => item.length > 0);
  if (items.length === 0) throw entraErrors.missingScope();

  const offlineAccess = items.some((item) => item.toLowerCase() === 'offline_access');
  const requestedScopes = items.filter((item) => !OIDC_SCOPES.has(item.toLowerCase()));
  if (requestedScopes.length === 0) throw entraErrors.invalidScope(scope ?? '');

  const byResource = new Map<string, string[]>();
  for (const item of requestedScopes) {
    const slash = item.lastIndexOf('/');
    // A bare name (`User.Read`) addresses Microsoft Graph in Entra; the emulator hosts no Graph, so it is refused
    // below as an unknown resource principal.
    const resource = (slash < 0 ? 'https://graph.microsoft.com' : item.slice(0, slash))
      .replace(/\/+$/, '')
      .toLowerCase();
    const permission = slash < 0 ? item : item.slice(slash + 1);
    if (permission.length === 0 || resource.length === 0) throw entraErrors.invalidScope(item);
    byResource.set(resource, [...(byResource.get(resource) ?? []), permission]);
  }
  if (byResource.size > 1) throw entraErrors.multipleResources(requestedScopes.join(' '));

  const [[resourceKey, names]] = [...byResource.entries()] as [[string, string[]]];
  const resource = DEFENDER_RESOURCES.find((known) => known === resourceKey);
  if (!resource) throw entraErrors.resourceNotFound(resourceKey, tenantName);

  const wantsDefault = names.some((name) => name === '.default');
  if (wantsDefault && names.length > 1) throw entraErrors.invalidScope(requestedScopes.join(' '));
  return {
    resource,
    permissions: wantsDefault ? 'default' : [...new Set(names)],
    offlineAccess,
    requestedScopes,
  };
}
