import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import { AppError } from '../errors';
import type { HttpClient } from '../http/httpClient';
import type { Logger } from '../logging/logger';
import type { UserAssertion } from './userTokens';

/** What the validator needs: where the tenants' keys are, which app the token must be for. */
export interface SsoTokenValidatorOptions {
  /** https://login.microsoftonline.com, a sovereign cloud's host, or the local emulator. */
  authorityHost: string;
  /** The bot's app id: the SSO token's audience (or `api://botid-<id>`). */
  botAppId: string;
  /** Further accepted audiences (a bot with a tab: `api://<domain>/botid-<id>`). */
  extraAudiences?: string[];
  httpClient: HttpClient;
  logger: Logger;
  /** Epoch seconds clock (tests). */
  now?: () => number;
  /** Metadata and keys are re-read after this long, and at most this often when an unknown key id appears. */
  metadataTtlMs?: number;
}

const TENANT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12,13}$/i;
const openIdSchema = z.object({ issuer: z.string().min(1), jwks_uri: z.url() });
const claimsSchema = z.object({
  tid: z.string().regex(TENANT),
  oid: z.string().min(1),
  scp: z.string(),
  exp: z.number(),
  name: z.string().optional(),
  preferred_username: z.string().optional(),
  upn: z.string().optional(),
  roles: z.array(z.string()).optional(),
});

interface TenantKeys {
  issuer: string;
  jwks: ReturnType<typeof createLocalJWKSet>;
  fetchedAt: number;
}

/**
 * Validates a Teams SSO token before it is used as the on-behalf-of assertion: RS256 signature against the
 * signing keys of the token's own tenant (from that tenant's OpenID metadata at the configured authority),
 * issuer, audience (the bot), tenant (the activity's), expiry, and the `access_as_user` scope. The token is
 * only ever decoded to learn which tenant's keys to use; nothing in it is trusted before verification.
 */
export class SsoTokenValidator {
  private readonly tenants = new Map<string, Promise<TenantKeys>>();
  private readonly ttlMs: number;
  private readonly audiences: string[];

  constructor(private readonly options: SsoTokenValidatorOptions) {
    this.ttlMs = options.metadataTtlMs ?? 60 * 60 * 1000;
    this.audiences = [options.botAppId, `api://botid-${options.botAppId}`, ...(options.extraAudiences ?? [])];
  }

  /**
   * The assertion for a valid token; AppError `notSignedIn` for anything else. `expectedTenantId` is the
   * tenant of the activity: a token from another tenant is refused even if it is otherwise valid.
   */
  async validate(token: string, expected: { tenantId: string; aadObjectId?: string }): Promise<UserAssertion> {
    let tenantId: string;
    try {
      const unverified = decodeJwt(token);
      tenantId = typeof unverified.tid === 'string' ? unverified.tid : '';
    } catch (err) {
      throw this.refuse('malformed token', err);
    }
    if (!TENANT.test(tenantId)) throw this.refuse('token has no tenant');
    if (tenantId.toLowerCase() !== expected.tenantId.toLowerCase()) throw this.refuse('token is from another tenant');

    let payload: unknown;
    try {
      payload = (await this.verify(token, tenantId, false)).payload;
    } catch (err) {
      if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw this.refuse(reasonOf(err), err);
      // Keys rotate: re-read the tenant's keys once before refusing a token signed with an unknown key.
      try {
        payload = (await this.verify(token, tenantId, true)).payload;
      } catch (retryErr) {
        throw this.refuse(reasonOf(retryErr), retryErr);
      }
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw this.refuse('token lacks required claims');
    const c = claims.data;
    if (!c.scp.split(' ').includes('access_as_user')) throw this.refuse('token lacks the access_as_user scope');
    if (expected.aadObjectId && c.oid.toLowerCase() !== expected.aadObjectId.toLowerCase()) {
      throw this.refuse('token belongs to another user');
    }
    return {
      token,
      expiresAt: c.exp * 1000,
      user: {
        tenantId: c.tid,
        aadObjectId: c.oid,
        userPrincipalName: c.preferred_username ?? c.upn ?? c.oid,
        displayName: c.name ?? c.preferred_username ?? c.oid,
        appRoles: c.roles ?? [],
      },
    };
  }

  private async verify(token: string, tenantId: string, refresh: boolean) {
    const keys = await this.keysFor(tenantId, refresh);
    return jwtVerify(token, keys.jwks, {
      issuer: keys.issuer,
      audience: this.audiences,
      algorithms: ['RS256'],
      clockTolerance: 300,
      requiredClaims: ['exp', 'iat', 'tid', 'oid'],
      ...(this.options.now ? { currentDate: new Date(this.options.now() * 1000) } : {}),
    });
  }

  private keysFor(tenantId: string, refresh: boolean): Promise<TenantKeys> {
    const key = tenantId.toLowerCase();
    const cached = this.tenants.get(key);
    const now = Date.now();
    if (cached && !refresh) {
      return cached.then((keys) => (now - keys.fetchedAt < this.ttlMs ? keys : this.reload(key)));
    }
    if (cached && refresh) {
      // At most one forced re-read per minute per tenant, so forged kids cannot make us hammer Entra.
      return cached.then((keys) => (now - keys.fetchedAt < 60_000 ? keys : this.reload(key)));
    }
    return this.reload(key);
  }

  private reload(tenantId: string): Promise<TenantKeys> {
    const loading = this.fetchKeys(tenantId);
    this.tenants.set(tenantId, loading);
    loading.catch(() => this.tenants.delete(tenantId));
    return loading;
  }

  private async fetchKeys(tenantId: string): Promise<TenantKeys> {
    const host = this.options.authorityHost.replace(/\/+$/, '');
    const metadata = openIdSchema.parse(
      await this.getJson(`${host}/${tenantId}/v2.0/.well-known/openid-configuration`),
    );
    if (new URL(metadata.jwks_uri).origin !== new URL(host).origin) {
      throw new AppError('notSignedIn', 'the authority published keys on another origin');
    }
    const jwks = (await this.getJson(metadata.jwks_uri)) as JSONWebKeySet;
    return {
      issuer: metadata.issuer.replace('{tenantid}', tenantId),
      jwks: createLocalJWKSet(jwks),
      fetchedAt: Date.now(),
    };
  }

  private async getJson(url: string): Promise<unknown> {
    const response = await this.options.httpClient.request({ method: 'GET', url, timeoutMs: 10_000 });
    if (response.status !== 200) {
      throw new AppError('upstreamUnavailable', `Entra ID answered ${response.status} for its signing keys`, {
        status: response.status,
      });
    }
    return JSON.parse(response.body) as unknown;
  }

  private refuse(reason: string, cause?: unknown): AppError {
    if (cause instanceof AppError && cause.code !== 'notSignedIn') return cause;
    this.options.logger.warn({ reason }, 'single sign-on token refused');
    return new AppError('notSignedIn', `single sign-on token refused: ${reason}`, {}, cause ? { cause } : undefined);
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim ${err.claim} invalid`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'unknown signing key';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof AppError) return err.message;
  return 'invalid token';
}
