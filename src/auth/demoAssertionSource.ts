import { z } from 'zod';
import { AppError } from '../errors';
import type { HttpClient } from '../http/httpClient';
import type { Logger } from '../logging/logger';
import type { SignedInUser, UserAssertion, UserAssertionSource, UserReference } from './userTokens';

/** Options of `DemoAssertionSource`. */
export interface DemoAssertionSourceOptions {
  /** The Entra emulator's origin, e.g. `https://127.0.0.1:3979`: https on a loopback host, or the constructor throws. */
  emulatorUrl: string;
  /** The bot's client id: the audience of the minted assertions (what OBO requires). */
  botClientId: string;
  /** Must trust the emulator's local CA (HttpClient `extraCaPem`). */
  httpClient: HttpClient;
  logger?: Logger;
  /** Epoch-milliseconds clock (tests). */
  now?: () => number;
}

/** A cached assertion is used until this long before it expires, so an OBO call never races its expiry. */
export const ASSERTION_REUSE_MARGIN_MS = 5 * 60 * 1000;
const REQUEST_TIMEOUT_MS = 5_000;
const LOOPBACK_HOSTNAMES = new Set(['127.0.0.1', '[::1]', 'localhost']);

const mintResponseSchema = z.object({ token: z.string().min(1), expiresOn: z.string() });
const notFoundSchema = z.object({ error: z.enum(['user_not_found', 'tenant_not_found']) });
const assertionClaimsSchema = z.object({
  aud: z.string(),
  tid: z.string(),
  oid: z.string(),
  preferred_username: z.string(),
  name: z.string(),
  roles: z.array(z.string()).optional(),
  exp: z.number(),
});

/**
 * Demo mode's stand-in for Teams SSO: asks the local Entra emulator to mint the user's assertion
 * (`POST /_sim/entra/assertions`) and reads the user from its claims. It can only ever talk to an emulator on this
 * machine: the constructor refuses any URL that is not https on 127.0.0.1, ::1 or localhost. Assertions are cached
 * per (tenant, user) until 5 minutes before they expire, so repeated commands cost no emulator call.
 */
export class DemoAssertionSource implements UserAssertionSource {
  private readonly endpoint: string;
  private readonly now: () => number;
  private readonly cache = new Map<string, UserAssertion>();
  private readonly inFlight = new Map<string, Promise<UserAssertion>>();

  constructor(private readonly options: DemoAssertionSourceOptions) {
    let url: URL;
    try {
      url = new URL(options.emulatorUrl);
    } catch {
      throw new AppError('internal', 'DemoAssertionSource: the emulator URL is not a URL');
    }
    if (url.protocol !== 'https:' || !LOOPBACK_HOSTNAMES.has(url.hostname) || url.username || url.password) {
      throw new AppError('internal', 'DemoAssertionSource only talks to an https Entra emulator on a loopback address');
    }
    this.endpoint = `${url.origin}/_sim/entra/assertions`;
    this.now = options.now ?? Date.now;
  }

  /** The user's assertion, from the cache or freshly minted; AppError `userNotInTenant` for an unknown user. */
  getAssertion(user: UserReference): Promise<UserAssertion> {
    const key = `${user.tenantId.toLowerCase()}|${user.aadObjectId.toLowerCase()}`;
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt - this.now() > ASSERTION_REUSE_MARGIN_MS) return Promise.resolve(cached);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const request = this.mint(user)
      .then((assertion) => {
        this.forgetExpired();
        this.cache.set(key, assertion);
        return assertion;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, request);
    return request;
  }

  private async mint(user: UserReference): Promise<UserAssertion> {
    let response;
    try {
      response = await this.options.httpClient.request({
        method: 'POST',
        url: this.endpoint,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          tenantId: user.tenantId,
          aadObjectId: user.aadObjectId,
          audience: this.options.botClientId,
        }),
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
    } catch (err) {
      throw new AppError('upstreamUnavailable', 'the Entra emulator could not be reached', {}, { cause: err });
    }

    if (response.status === 404 && notFoundSchema.safeParse(parseJson(response.body)).success) {
      this.options.logger?.info({ tenantId: user.tenantId }, 'demo sign-in refused: user not in tenant');
      throw new AppError('userNotInTenant', 'the emulator has no such user in that tenant', { status: 404 });
    }
    if (response.status !== 200) {
      const code = response.status >= 500 ? 'upstreamUnavailable' : 'internal';
      throw new AppError(code, `the Entra emulator answered HTTP ${response.status}`, { status: response.status });
    }
    const minted = mintResponseSchema.safeParse(parseJson(response.body));
    if (!minted.success) throw new AppError('internal', 'the Entra emulator answered with an unexpected body');
    return this.toAssertion(minted.data.token, user);
  }

  /** Reads the user from the claims, and checks the token is the one asked for (tenant, user, audience). */
  private toAssertion(token: string, requested: UserReference): UserAssertion {
    const claims = assertionClaimsSchema.safeParse(parseJson(decodePayload(token)));
    if (!claims.success) throw new AppError('notSignedIn', 'the minted assertion lacks the expected claims');
    const { tid, oid, aud } = claims.data;
    const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
    if (!same(tid, requested.tenantId) || !same(oid, requested.aadObjectId) || !same(aud, this.options.botClientId)) {
      throw new AppError('notSignedIn', 'the minted assertion is for another user, tenant or audience');
    }
    const user: SignedInUser = {
      tenantId: tid,
      aadObjectId: oid,
      userPrincipalName: claims.data.preferred_username,
      displayName: claims.data.name,
      appRoles: claims.data.roles ?? [],
    };
    return { token, user, expiresAt: claims.data.exp * 1000 };
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [key, assertion] of this.cache) if (assertion.expiresAt <= now) this.cache.delete(key);
  }
}

function decodePayload(token: string): string {
  const payload = token.split('.')[1] ?? '';
  return Buffer.from(payload, 'base64url').toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
