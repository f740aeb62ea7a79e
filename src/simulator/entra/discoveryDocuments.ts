import { resolveTenantAlias } from './botFrameworkTenant';
import { entraErrors } from './entraTokenError';
import { v1Issuer, v2Issuer } from './tokenMinter';

/*
 * The metadata msal-node (and any OpenID Connect client) reads before it asks for a token, with every URL on the
 * emulator's own origin. For `common` / `organizations` the issuer keeps Entra's literal `{tenantid}` placeholder;
 * a domain name (`botframework.com`) is resolved to its tenant id in every URL, as Entra does.
 */

const MULTI_TENANT_SEGMENTS = new Set(['common', 'organizations']);

/** The issuer segment: the tenant id itself, or Entra's `{tenantid}` placeholder for the multi-tenant segments. */
function issuerTenant(tenantSegment: string): string {
  return MULTI_TENANT_SEGMENTS.has(tenantSegment.toLowerCase()) ? '{tenantid}' : resolveTenantAlias(tenantSegment);
}

/** `GET /{tenant}/v2.0/.well-known/openid-configuration`; `issuer` equals the `iss` of the emulator's v2 tokens. */
export function openIdConfigurationV2(issuerBaseUrl: string, tenantSegment: string): Record<string, unknown> {
  const base = `${issuerBaseUrl}/${resolveTenantAlias(tenantSegment)}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: v2Issuer(issuerBaseUrl, issuerTenant(tenantSegment)),
    request_uri_parameter_supported: false,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'cloud_instance_name',
      'cloud_instance_host_name',
      'cloud_graph_host_name',
      'msgraph_host',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'acr',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'at_hash',
      'c_hash',
      'email',
    ],
    tenant_region_scope: null,
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
  };
}

/** `GET /{tenant}/.well-known/openid-configuration`: the v1.0 document, whose issuer is the v1 access tokens' `iss`. */
export function openIdConfigurationV1(issuerBaseUrl: string, tenantSegment: string): Record<string, unknown> {
  const base = `${issuerBaseUrl}/${resolveTenantAlias(tenantSegment)}`;
  return {
    token_endpoint: `${base}/oauth2/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
    scopes_supported: ['openid'],
    issuer: v1Issuer(issuerTenant(tenantSegment)),
    authorization_endpoint: `${base}/oauth2/authorize`,
    device_authorization_endpoint: `${base}/oauth2/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/logout`,
    tenant_region_scope: null,
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
  };
}

/**
 * `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=...` (msal's instance discovery): the
 * emulator is its own only alias. An authorization endpoint on another host is refused (AADSTS50049).
 */
export function instanceDiscovery(
  issuerBaseUrl: string,
  authorizationEndpoint: string | null,
): Record<string, unknown> {
  const host = new URL(issuerBaseUrl).host;
  let tenant = 'common';
  if (authorizationEndpoint) {
    let url: URL;
    try {
      url = new URL(authorizationEndpoint);
    } catch {
      throw entraErrors.unknownInstance();
    }
    if (url.protocol !== 'https:' || url.host.toLowerCase() !== host.toLowerCase()) throw entraErrors.unknownInstance();
    tenant = url.pathname.split('/').find((segment) => segment.length > 0) ?? 'common';
  }
  return {
    tenant_discovery_endpoint: `${issuerBaseUrl}/${tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}
