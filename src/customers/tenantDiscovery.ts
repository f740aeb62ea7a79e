import { z } from 'zod';
import { AppError } from '../errors';
import type { HttpClient } from '../http/httpClient';
import { customerRefusal, GUID_PATTERN } from './customerRecords';

/** A DNS domain as an admin types it (contoso.com, contoso.onmicrosoft.com). */
const DOMAIN_PATTERN = /^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

const discoverySchema = z.object({ issuer: z.string().max(2048) });

/** The tenant id in a v2 issuer: `https://login.microsoftonline.com/{tenantId}/v2.0`. */
const ISSUER_TENANT = /\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/v2\.0\/?$/i;

/**
 * Turns what a provider's admin types for a customer (a tenant id or one of its domains) into the tenant id, the
 * way Entra itself resolves it: the `issuer` of `{authorityHost}/{tenant}/v2.0/.well-known/openid-configuration`.
 * A GUID is checked the same way, so a mistyped id is refused before anyone is sent a consent link.
 */
export async function resolveTenantId(
  http: HttpClient,
  authorityHost: string,
  typed: string,
  timeoutMs = 10_000,
): Promise<string> {
  const tenant = typed.trim();
  if (!GUID_PATTERN.test(tenant) && !DOMAIN_PATTERN.test(tenant)) {
    throw customerRefusal('notATenant', 'not a tenant id or domain name');
  }
  let response;
  try {
    response = await http.request({
      method: 'GET',
      url: `${authorityHost}/${encodeURIComponent(tenant)}/v2.0/.well-known/openid-configuration`,
      timeoutMs,
    });
  } catch (err) {
    throw new AppError('upstreamUnavailable', 'tenant discovery did not answer', {}, { cause: err });
  }
  if (response.status === 400 || response.status === 404) throw noSuchTenant(tenant);
  if (response.status !== 200) {
    throw new AppError('upstreamUnavailable', `tenant discovery answered ${response.status}`, {
      status: response.status,
    });
  }
  let issuer: string | undefined;
  try {
    issuer = discoverySchema.safeParse(JSON.parse(response.body)).data?.issuer;
  } catch {
    issuer = undefined;
  }
  const tenantId = issuer === undefined ? undefined : ISSUER_TENANT.exec(issuer)?.[1];
  // A document whose issuer names no tenant id is not a tenant's (an unknown domain on a lenient server).
  if (!tenantId) throw noSuchTenant(tenant);
  return tenantId.toLowerCase();
}

function noSuchTenant(tenant: string): AppError {
  return customerRefusal('noSuchTenant', `no Microsoft Entra tenant called ${tenant}`);
}
