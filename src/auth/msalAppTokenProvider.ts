import { AppError } from '../errors';
import type { Logger } from '../logging/logger';
import { DEFAULT_DEFENDER_SCOPE, normaliseAuthorityHost, tenantAuthority } from './msalConfiguration';
import type { MsalClientOptions } from './msalConfiguration';
import { MsalClientPool } from './msalClientPool';
import { toAppError } from './msalErrorMapper';
import type { AppTokenProvider } from './userTokens';

/** Options of `MsalAppTokenProvider`. */
export interface MsalAppTokenProviderOptions extends MsalClientOptions {
  /** Defaults to `DEFAULT_DEFENDER_SCOPE`; client credentials always use `<resource>/.default` (one provider per resource). */
  scope?: string;
  /** The process's per-tenant msal clients (shared by every token flow); built from the options when absent. */
  clients?: MsalClientPool;
}

/**
 * Application-context tokens for one resource (Defender for Endpoint, or Microsoft Graph) (client credentials) per tenant, from msal-node's in-memory cache when
 * possible. msal keys cached app tokens by tenant, so one tenant's token is never handed out for another.
 */
export class MsalAppTokenProvider implements AppTokenProvider {
  private readonly clients: MsalClientPool;
  private readonly authorityHost: string;
  private readonly scope: string;
  private readonly logger: Logger;
  /** Requests under way per tenant: concurrent callers (the Graph incident and alerts pollers) share one. */
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(private readonly options: MsalAppTokenProviderOptions) {
    this.clients = options.clients ?? new MsalClientPool(options);
    this.authorityHost = normaliseAuthorityHost(options.authorityHost);
    this.scope = options.scope ?? DEFAULT_DEFENDER_SCOPE;
    this.logger = options.logger;
  }

  /**
   * An access token for the app in `tenantId`; AppError on every failure. Callers asking for the same tenant while
   * a request is under way get its answer: msal does not coalesce them, and each cache miss would be a token request.
   */
  acquireForApp(tenantId: string): Promise<string> {
    const key = tenantId.toLowerCase();
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.acquire(tenantId).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async acquire(tenantId: string): Promise<string> {
    try {
      const result = await (
        await this.clients.forTenant(tenantId)
      ).acquireTokenByClientCredential({
        scopes: [this.scope],
        authority: tenantAuthority(this.authorityHost, tenantId),
      });
      if (!result?.accessToken) throw new AppError('internal', 'msal returned no app token');
      this.logger.debug({ tenantId, scope: this.scope, fromCache: result.fromCache }, 'app token acquired');
      return result.accessToken;
    } catch (err) {
      const appError = toAppError(err, {
        flow: 'clientCredentials',
        clientId: this.options.clientId,
        authorityHost: this.authorityHost,
        tenantId,
      });
      this.logger.warn(
        { tenantId, code: appError.code, upstreamCode: appError.details.upstreamCode },
        'app token request failed',
      );
      throw appError;
    }
  }
}
