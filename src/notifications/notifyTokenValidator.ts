import { decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import { AppError } from '../errors';
import type { HttpClient } from '../http/httpClient';
import { NotifyTenantKeys } from './notifyTenantKeys';

/** Who may call `POST /api/notify` with an Entra ID token, and where the tenants' keys are. */
export interface NotifyBearerOptions {
  /** https://login.microsoftonline.com, a sovereign cloud's host, or the local emulator. */
  authorityHost: string;
  /** Accepted `aud` values (compared case-insensitively): the bot's `api://botid-<BOT_ID>` and `<BOT_ID>`. */
  audiences: string[];
  /** App ids of the callers (a Logic App's managed identity, a daemon app); empty = every token refused. */
  allowedClientIds: string[];
  /** The app role the caller must hold on the bot's API (`roles` claim), e.g. `SOC.Notify`. */
  requiredRole: string;
  /** Tenants whose tokens are accepted; empty = every token refused. Other tenants' keys are never fetched. */
  allowedTenantIds: string[];
}

/** The caller of an accepted token, or one reason for refusing it (with whatever was learnt, for the log). */
export type NotifyTokenVerdict =
  | { ok: true; tenantId: string; clientId: string }
  | { ok: false; reason: string; tenantId?: string; clientId?: string };

/** Options of NotifyTokenValidator: the bearer policy plus its HTTP client and clocks. */
export interface NotifyTokenValidatorOptions extends NotifyBearerOptions {
  httpClient: HttpClient;
  /** Epoch seconds clock (tests). */
  now?: () => number;
  /** Metadata and keys are re-read after this long (default one hour). */
  metadataTtlMs?: number;
}

const TENANT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12,13}$/i;
/** Small, since callers fetch a fresh token per run; Entra itself back-dates `nbf` by five minutes. */
const CLOCK_TOLERANCE_SECONDS = 120;

/** The claims read after the signature, issuer and lifetime are verified. */
const claimsSchema = z.object({
  aud: z.string().min(1),
  tid: z.string().regex(TENANT),
  /** v2 tokens name the calling app in `azp`, v1 tokens in `appid`. */
  azp: z.string().min(1).optional(),
  appid: z.string().min(1).optional(),
  /** Present only on delegated (user) tokens. */
  scp: z.string().optional(),
  /** The optional claim the bot's registration asks for: `app` on app-only tokens. */
  idtyp: z.string().optional(),
  roles: z.array(z.string()).optional(),
});

/**
 * Validates an app-only Entra ID access token presented to `POST /api/notify`: tenant allowed (checked on the
 * unverified token before any key is fetched), RS256 signature against that tenant's keys at the configured
 * authority, v2 or v1 issuer of that tenant, expiry and not-before with small skew, audience = the bot's API,
 * app-only (no `scp`, `idtyp` app when present), calling app allowed, and the required app role. The token is
 * decoded unverified only to learn its tenant; nothing in it is trusted before verification, and it is never
 * logged or echoed.
 */
export class NotifyTokenValidator {
  private readonly keys: NotifyTenantKeys;
  private readonly audiences: Set<string>;
  private readonly clientIds: Set<string>;
  private readonly tenantIds: Set<string>;

  constructor(private readonly options: NotifyTokenValidatorOptions) {
    this.keys = new NotifyTenantKeys({
      authorityHost: options.authorityHost,
      httpClient: options.httpClient,
      ...(options.metadataTtlMs !== undefined ? { ttlMs: options.metadataTtlMs } : {}),
    });
    this.audiences = lowerSet(options.audiences);
    this.clientIds = lowerSet(options.allowedClientIds);
    this.tenantIds = lowerSet(options.allowedTenantIds);
  }

  /** The verdict on `token`; throws AppError (`upstreamUnavailable`, `timeout`…) only when keys are unavailable. */
  async validate(token: string): Promise<NotifyTokenVerdict> {
    let unverifiedTenant: unknown;
    try {
      unverifiedTenant = decodeJwt(token).tid;
    } catch {
      return { ok: false, reason: 'the bearer token is not a JWT' };
    }
    if (typeof unverifiedTenant !== 'string' || !TENANT.test(unverifiedTenant)) {
      return { ok: false, reason: 'the token names no tenant' };
    }
    if (!this.tenantIds.has(unverifiedTenant.toLowerCase())) {
      return { ok: false, reason: 'the token is from a tenant that is not allowed', tenantId: unverifiedTenant };
    }

    let payload: unknown;
    try {
      payload = await this.verify(token, unverifiedTenant, false);
    } catch (err) {
      if (!(err instanceof joseErrors.JWKSNoMatchingKey)) return this.failure(err, unverifiedTenant);
      // Keys rotate: re-read the tenant's keys (at most once a minute) before refusing an unknown key id.
      try {
        payload = await this.verify(token, unverifiedTenant, true);
      } catch (retryErr) {
        return this.failure(retryErr, unverifiedTenant);
      }
    }

    const parsed = claimsSchema.safeParse(payload);
    if (!parsed.success) return { ok: false, reason: 'the token lacks required claims', tenantId: unverifiedTenant };
    const claims = parsed.data;
    const tenantId = claims.tid;
    if (!this.audiences.has(claims.aud.toLowerCase())) {
      return { ok: false, reason: "the token is for another audience than the bot's API", tenantId };
    }
    if (claims.scp !== undefined || (claims.idtyp !== undefined && claims.idtyp !== 'app')) {
      return { ok: false, reason: 'the token is a delegated (user) token; an application token is required', tenantId };
    }
    const clientId = claims.azp ?? claims.appid;
    if (clientId === undefined) return { ok: false, reason: 'the token names no calling application', tenantId };
    if (!this.clientIds.has(clientId.toLowerCase())) {
      return { ok: false, reason: 'the calling application is not in the allowed client ids', tenantId, clientId };
    }
    if (!(claims.roles ?? []).includes(this.options.requiredRole)) {
      return { ok: false, reason: `the token lacks the ${this.options.requiredRole} app role`, tenantId, clientId };
    }
    return { ok: true, tenantId, clientId };
  }

  private async verify(token: string, tenantId: string, refresh: boolean): Promise<unknown> {
    const keys = await this.keys.get(tenantId, refresh);
    const { payload } = await jwtVerify(token, keys.jwks, {
      issuer: keys.issuers,
      algorithms: ['RS256'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp', 'iat', 'aud', 'tid'],
      ...(this.options.now ? { currentDate: new Date(this.options.now() * 1000) } : {}),
    });
    return payload;
  }

  /** Entra being unavailable is not the caller's fault: that propagates (the route answers 503, the sender retries). */
  private failure(err: unknown, tenantId: string): NotifyTokenVerdict {
    if (err instanceof AppError) throw err;
    return { ok: false, reason: reasonOf(err), tenantId };
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return err.claim === 'nbf' ? 'the token is not valid yet' : `the token's ${err.claim} claim is invalid`;
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return "the token is signed with a key the tenant doesn't publish";
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is not signed with RS256';
  return 'the token is invalid';
}

function lowerSet(values: string[]): Set<string> {
  return new Set(values.map((value) => value.trim().toLowerCase()).filter((value) => value.length > 0));
}
