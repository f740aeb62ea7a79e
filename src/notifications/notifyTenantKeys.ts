import { createLocalJWKSet } from 'jose';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import { AppError } from '../errors';
import { HttpTransportError } from '../http/httpClient';
import type { HttpClient } from '../http/httpClient';

/** What a tenant's OpenID metadata says about its access tokens: the issuers and the signing keys. */
export interface TenantSigningKeys {
  /** The v2 issuer (`{authority}/{tid}/v2.0`) and the v1 issuer (`https://sts.windows.net/{tid}/` in public cloud). */
  issuers: string[];
  jwks: ReturnType<typeof createLocalJWKSet>;
  fetchedAt: number;
}

/** Where the metadata is and how long it is kept. */
export interface NotifyTenantKeysOptions {
  /** https://login.microsoftonline.com, a sovereign cloud's host, or the local emulator. */
  authorityHost: string;
  httpClient: HttpClient;
  /** Metadata and keys are re-read after this long (default one hour). */
  ttlMs?: number;
}

const openIdSchema = z.object({ issuer: z.string().min(1), jwks_uri: z.url() });
const jwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string() })) });
/** A forced re-read (unknown key id) happens at most this often per tenant, so forged kids cannot hammer Entra. */
const MIN_FORCED_REFRESH_MS = 60_000;

/**
 * Per-tenant signing keys and issuers from the tenant's OpenID metadata at the configured authority: the v2
 * document (`{authority}/{tid}/v2.0/.well-known/openid-configuration`) for the issuer and `jwks_uri`, the v1
 * document for the v1 issuer (managed-identity tokens may be v1; its host differs per cloud). Concurrent callers
 * share one fetch; a failed first fetch is forgotten so the next call retries, a failed refresh keeps the old keys.
 */
export class NotifyTenantKeys {
  private readonly tenants = new Map<string, Promise<TenantSigningKeys>>();
  private readonly reloading = new Map<string, Promise<TenantSigningKeys>>();
  private readonly host: string;
  private readonly ttlMs: number;

  constructor(private readonly options: NotifyTenantKeysOptions) {
    this.host = options.authorityHost.replace(/\/+$/, '');
    this.ttlMs = options.ttlMs ?? 60 * 60 * 1000;
  }

  /**
   * The keys of `tenantId` (a validated GUID: it becomes a URL path segment). `refresh` asks for a re-read because
   * a token named an unknown key; it is honoured at most once a minute per tenant.
   */
  get(tenantId: string, refresh = false): Promise<TenantSigningKeys> {
    const key = tenantId.toLowerCase();
    const cached = this.tenants.get(key);
    if (!cached) return this.reload(key);
    const maxAge = refresh ? Math.min(MIN_FORCED_REFRESH_MS, this.ttlMs) : this.ttlMs;
    return cached.then((keys) => (Date.now() - keys.fetchedAt < maxAge ? keys : this.reload(key)));
  }

  /**
   * One fetch per tenant at a time, however many requests ask (a flood of tokens naming unknown keys costs one
   * fetch a minute). When a refresh fails, the keys that were good before stay in use (a forced refresh is tried
   * again after a minute).
   */
  private reload(tenantId: string): Promise<TenantSigningKeys> {
    const inFlight = this.reloading.get(tenantId);
    if (inFlight) return inFlight;
    const previous = this.tenants.get(tenantId);
    const loading = this.fetchKeys(tenantId)
      .catch(async (err: unknown) => {
        const before = previous ? await previous.catch(() => undefined) : undefined;
        if (!before) throw err;
        // Counted as just fetched: a forced refresh waits its minute, an ordinary one the whole TTL.
        return { ...before, fetchedAt: Date.now() };
      })
      .finally(() => this.reloading.delete(tenantId));
    this.reloading.set(tenantId, loading);
    this.tenants.set(tenantId, loading);
    loading.catch(() => {
      if (this.tenants.get(tenantId) === loading) this.tenants.delete(tenantId);
    });
    return loading;
  }

  private async fetchKeys(tenantId: string): Promise<TenantSigningKeys> {
    const [v2, v1] = await Promise.all([
      this.getJson(`${this.host}/${tenantId}/v2.0/.well-known/openid-configuration`, openIdSchema),
      this.getJson(`${this.host}/${tenantId}/.well-known/openid-configuration`, openIdSchema),
    ]);
    if (new URL(v2.jwks_uri).origin !== new URL(this.host).origin) {
      throw new AppError('upstreamUnavailable', 'the authority published its signing keys on another origin');
    }
    const jwks = (await this.getJson(v2.jwks_uri, jwksSchema)) as JSONWebKeySet;
    return {
      issuers: [v2.issuer, v1.issuer].map((issuer) => issuer.replace('{tenantid}', tenantId)),
      jwks: createLocalJWKSet(jwks),
      fetchedAt: Date.now(),
    };
  }

  private async getJson<T>(url: string, schema: z.ZodType<T>): Promise<T> {
    let response;
    try {
      response = await this.options.httpClient.request({ method: 'GET', url, timeoutMs: 10_000 });
    } catch (err) {
      if (!(err instanceof HttpTransportError)) throw err;
      throw new AppError(
        err.kind === 'timeout' ? 'timeout' : 'upstreamUnavailable',
        'Entra ID could not be reached for its signing keys',
        {},
        { cause: err },
      );
    }
    if (response.status !== 200) {
      throw new AppError('upstreamUnavailable', `Entra ID answered ${response.status} for its signing keys`, {
        status: response.status,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(response.body);
    } catch (err) {
      throw new AppError('unexpectedResponse', 'Entra ID metadata is not JSON', {}, { cause: err });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new AppError('unexpectedResponse', 'Entra ID metadata lacks issuer, jwks_uri or keys');
    return parsed.data;
  }
}
