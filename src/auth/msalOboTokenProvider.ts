import { createHash } from 'node:crypto';
import { AppError } from '../errors';
import type { Logger } from '../logging/logger';
import { DEFAULT_DEFENDER_SCOPE, normaliseAuthorityHost, tenantAuthority } from './msalConfiguration';
import type { MsalClientOptions } from './msalConfiguration';
import { MsalClientPool } from './msalClientPool';
import { toAppError } from './msalErrorMapper';
import type { DefenderTokenProvider, UserAssertion } from './userTokens';

/** Options of `MsalOboTokenProvider`. */
export interface MsalOboTokenProviderOptions extends MsalClientOptions {
  /** The tenant of msal's default authority (the bot's home tenant). */
  defaultTenantId: string;
  /** The resource's `.default` scope: Defender for Endpoint (the default) or Microsoft Graph; one provider per resource. */
  scope?: string;
  /** Epoch-milliseconds clock for the assertion expiry check (tests). */
  now?: () => number;
  /** The process's per-tenant msal clients (shared by every token flow); built from the options when absent. */
  clients?: MsalClientPool;
}

/**
 * Delegated tokens for one resource (Defender for Endpoint, or Microsoft Graph) through msal-node's on-behalf-of flow, from the per-tenant msal clients of the
 * process (MsalClientPool) so msal's in-memory cache serves repeated requests for the same assertion; the
 * cache is never skipped. The authority is the user's own tenant, so a partner deployment gets
 * tokens from each customer tenant. Concurrent requests for the same assertion share one network call.
 */
export class MsalOboTokenProvider implements DefenderTokenProvider {
  private readonly clients: MsalClientPool;
  private readonly authorityHost: string;
  private readonly scope: string;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(private readonly options: MsalOboTokenProviderOptions) {
    this.clients = options.clients ?? new MsalClientPool(options);
    this.authorityHost = normaliseAuthorityHost(options.authorityHost);
    this.scope = options.scope ?? DEFAULT_DEFENDER_SCOPE;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
  }

  /** An access token for the resource, for the assertion's user; AppError on every failure (see msalErrorMapper). */
  acquireForUser(assertion: UserAssertion, customerTenantId?: string): Promise<string> {
    if (assertion.expiresAt <= this.now()) {
      return Promise.reject(new AppError('notSignedIn', 'the user assertion has expired'));
    }
    const tenantId = customerTenantId ?? assertion.user.tenantId;
    const crossTenant = tenantId.toLowerCase() !== assertion.user.tenantId.toLowerCase();
    const key = `${tenantId.toLowerCase()}|${createHash('sha256').update(assertion.token).digest('base64url')}`;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const request = this.acquire(assertion.token, tenantId, crossTenant).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, request);
    return request;
  }

  private async acquire(oboAssertion: string, tenantId: string, crossTenant: boolean): Promise<string> {
    try {
      const result = await (
        await this.clients.forTenant(tenantId)
      ).acquireTokenOnBehalfOf({
        oboAssertion,
        scopes: [this.scope],
        authority: tenantAuthority(this.authorityHost, tenantId),
      });
      if (!result?.accessToken) throw new AppError('internal', 'msal returned no on-behalf-of token');
      this.logger.debug({ tenantId, scope: this.scope, fromCache: result.fromCache }, 'on-behalf-of token acquired');
      return result.accessToken;
    } catch (err) {
      const appError = toAppError(err, {
        flow: 'onBehalfOf',
        clientId: this.options.clientId,
        authorityHost: this.authorityHost,
        tenantId,
      });
      this.logger.warn(
        { tenantId, crossTenant, code: appError.code, upstreamCode: appError.details.upstreamCode },
        'on-behalf-of token request failed',
      );
      // In a customer's tenant, "this user does not exist here" (AADSTS50020) means no guest account and no GDAP
      // relationship: the person has no access there, which is not the same as being unknown at home.
      if (crossTenant && appError.code === 'userNotInTenant')
        throw new AppError('noAccessInCustomer', appError.message, appError.details, { cause: appError });
      throw appError;
    }
  }
}
