import type { ConfidentialClientApplication } from '@azure/msal-node';
import { AppError } from '../errors';
import { HttpTransportError } from '../http/httpClient';
import type { MsalClientOptions } from './msalConfiguration';
import { createConfidentialClient, normaliseAuthorityHost, tenantAuthority } from './msalConfiguration';

/**
 * One msal ConfidentialClientApplication per tenant, created on first use and shared by every token flow
 * (on-behalf-of, client credentials, the bot's channel token, interactive sign-in). Each has its own token
 * cache, so a token obtained in one customer tenant can never be served to another (partner context), and a
 * single-tenant deployment still has exactly one client in the process.
 *
 * The tenant's OpenID metadata is fetched here, once, through the product's HTTP client and handed to msal:
 * a tenant Entra does not know (AADSTS90002) becomes `userNotInTenant` instead of msal's opaque
 * endpoints_resolution_error, and an outage becomes `upstreamUnavailable`.
 */
export class MsalClientPool {
  private readonly clients = new Map<string, Promise<ConfidentialClientApplication>>();
  readonly authorityHost: string;

  constructor(
    private readonly options: Omit<MsalClientOptions, 'defaultTenantId'>,
    /**
     * Bounds memory if many tenants are seen; least recently used clients are dropped first. Above every customer
     * an MSSP's instance polls: the pollers visit tenants in turn, so a bound below their number would drop each
     * client just before its next use (a metadata fetch and a token request per poll; npm run bench -- tenants).
     */
    private readonly maxTenants = 5_000,
  ) {
    this.authorityHost = normaliseAuthorityHost(options.authorityHost);
    const hasSecret = options.clientSecret !== undefined && options.clientSecret.length > 0;
    if (hasSecret === (options.clientCertificate !== undefined)) {
      throw new AppError('clientCredentialsInvalid', 'configure exactly one of clientSecret or clientCertificate');
    }
  }

  /** The bot's app (client) id. */
  get clientId(): string {
    return this.options.clientId;
  }

  /** The client whose authority and cache belong to `tenantId` (a GUID, or `botframework.com`). */
  forTenant(tenantId: string): Promise<ConfidentialClientApplication> {
    const authority = tenantAuthority(this.authorityHost, tenantId);
    const key = tenantId.toLowerCase();
    let client = this.clients.get(key);
    if (client) {
      this.clients.delete(key);
    } else {
      client = this.create(authority, key);
      client.catch(() => this.clients.delete(key));
      if (this.clients.size >= this.maxTenants) {
        const oldest = this.clients.keys().next().value;
        if (oldest !== undefined) this.clients.delete(oldest);
      }
    }
    this.clients.set(key, client);
    return client;
  }

  private async create(authority: string, tenantId: string): Promise<ConfidentialClientApplication> {
    const metadataUrl = `${authority}/v2.0/.well-known/openid-configuration`;
    let status: number;
    let body: string;
    try {
      ({ status, body } = await this.options.httpClient.request({
        method: 'GET',
        url: metadataUrl,
        timeoutMs: 10_000,
      }));
    } catch (err) {
      const kind = err instanceof HttpTransportError ? err.kind : 'network';
      throw new AppError(
        kind === 'timeout' ? 'timeout' : 'upstreamUnavailable',
        'Entra ID metadata unreachable',
        {},
        { cause: err },
      );
    }
    if (status === 400 && /"invalid_tenant"|AADSTS90002/.test(body)) {
      throw new AppError('userNotInTenant', 'Entra ID does not know this tenant', {
        upstreamCode: 'AADSTS90002',
        status,
      });
    }
    if (status !== 200) {
      throw new AppError('upstreamUnavailable', `Entra ID metadata answered ${status}`, { status });
    }
    return createConfidentialClient({ ...this.options, defaultTenantId: tenantId, authorityMetadata: body });
  }
}
