import { randomBytes } from 'node:crypto';
import { CryptoProvider } from '@azure/msal-node';
import { AppError } from '../errors';
import type { Logger } from '../logging/logger';
import type { MsalClientPool } from './msalClientPool';
import { toAppError } from './msalErrorMapper';
import type { SsoTokenValidator } from './ssoTokenValidator';
import type { UserAssertion } from './userTokens';

/** A sign-in the bot has offered: which tenant, optionally a claims challenge (MFA / Conditional Access). */
interface PendingSignIn {
  tenantId: string;
  loginHint: string | undefined;
  claims: string | undefined;
  codeVerifier: string | undefined;
  state: string | undefined;
  expiresAt: number;
}

const SIGN_IN_TTL_MS = 10 * 60_000;
const MAGIC_CODE_TTL_MS = 5 * 60_000;

/**
 * The sign-in button fallback of Teams SSO (when the silent token exchange cannot be used, or Entra demands an
 * interactive step-up): the button opens `/auth/start?id=…`, which redirects to the authority with PKCE and
 * any claims challenge; `/auth/end` redeems the code with msal-node, validates the resulting token exactly like
 * an SSO token, and shows Teams a one-time code (`microsoftTeams.authentication.notifySuccess`). Teams then
 * sends `signin/verifyState` with that code from the chat, and the bot accepts it only for the same person.
 */
export class InteractiveSignIn {
  private readonly pending = new Map<string, PendingSignIn>();
  private readonly byState = new Map<string, string>();
  private readonly codes = new Map<string, { assertion: UserAssertion; expiresAt: number }>();
  private readonly crypto = new CryptoProvider();
  private readonly now: () => number;

  constructor(
    private readonly options: {
      clients: MsalClientPool;
      botAppId: string;
      /** Absolute URL of `/auth/end` (registered as a redirect URI of the app). */
      redirectUri: string;
      /** Absolute URL of `/auth/start`. */
      startUri: string;
      validator: SsoTokenValidator;
      logger: Logger;
      now?: () => number;
    },
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The scope of the bot's own API: what Teams SSO would have given (the on-behalf-of assertion). */
  get scope(): string {
    return `api://botid-${this.options.botAppId}/access_as_user`;
  }

  /** Registers a sign-in for a tenant (and a claims challenge) and returns the URL of its sign-in button. */
  offer(input: { tenantId: string; loginHint?: string | undefined; claims?: string | undefined }): string {
    this.sweep();
    const id = randomBytes(18).toString('base64url');
    this.pending.set(id, {
      tenantId: input.tenantId,
      loginHint: input.loginHint,
      claims: input.claims,
      codeVerifier: undefined,
      state: undefined,
      expiresAt: this.now() + SIGN_IN_TTL_MS,
    });
    return `${this.options.startUri}?id=${id}`;
  }

  /** `/auth/start`: the authority's authorize URL for an offered sign-in (PKCE, state, claims). */
  async authorizeUrl(id: string): Promise<string> {
    const pending = this.pending.get(id);
    if (!pending || pending.expiresAt <= this.now()) throw new AppError('invalidInput', 'unknown or expired sign-in');
    const { verifier, challenge } = await this.crypto.generatePkceCodes();
    const state = randomBytes(18).toString('base64url');
    pending.codeVerifier = verifier;
    pending.state = state;
    this.byState.set(state, id);
    const client = await this.options.clients.forTenant(pending.tenantId);
    return client.getAuthCodeUrl({
      scopes: [this.scope],
      redirectUri: this.options.redirectUri,
      state,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      ...(pending.loginHint ? { loginHint: pending.loginHint } : {}),
      ...(pending.claims ? { claims: pending.claims } : {}),
    });
  }

  /** `/auth/end`: redeems the code, validates the token, and returns the one-time code for Teams. */
  async complete(input: { state: string; code: string }): Promise<string> {
    const id = this.byState.get(input.state);
    this.byState.delete(input.state);
    const pending = id ? this.pending.get(id) : undefined;
    if (id) this.pending.delete(id);
    if (!pending?.codeVerifier || pending.expiresAt <= this.now())
      throw new AppError('invalidInput', 'unknown or expired sign-in state');
    let token: string;
    try {
      const client = await this.options.clients.forTenant(pending.tenantId);
      const result = await client.acquireTokenByCode({
        code: input.code,
        scopes: [this.scope],
        redirectUri: this.options.redirectUri,
        codeVerifier: pending.codeVerifier,
      });
      token = result.accessToken;
    } catch (err) {
      throw toAppError(err, {
        flow: 'onBehalfOf',
        clientId: this.options.botAppId,
        authorityHost: this.options.clients.authorityHost,
        tenantId: pending.tenantId,
      });
    }
    const assertion = await this.options.validator.validate(token, { tenantId: pending.tenantId });
    const magicCode = randomBytes(18).toString('base64url');
    this.codes.set(magicCode, { assertion, expiresAt: this.now() + MAGIC_CODE_TTL_MS });
    this.options.logger.info({ tenantId: pending.tenantId }, 'interactive sign-in completed');
    return magicCode;
  }

  /**
   * The assertion behind a one-time code from `signin/verifyState` or an Action.Execute `state`, only for the
   * person it was issued to (a code seen by someone else is useless to them); single use.
   */
  redeem(magicCode: string, expected: { tenantId: string; aadObjectId: string }): UserAssertion | undefined {
    const entry = this.codes.get(magicCode);
    this.codes.delete(magicCode);
    if (!entry || entry.expiresAt <= this.now()) return undefined;
    const user = entry.assertion.user;
    if (
      user.tenantId.toLowerCase() !== expected.tenantId.toLowerCase() ||
      user.aadObjectId.toLowerCase() !== expected.aadObjectId.toLowerCase()
    ) {
      this.options.logger.warn({ tenantId: expected.tenantId }, 'sign-in code presented by another user');
      return undefined;
    }
    return entry.assertion;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, p] of this.pending) if (p.expiresAt <= now) this.pending.delete(id);
    for (const [code, c] of this.codes) if (c.expiresAt <= now) this.codes.delete(code);
    for (const [state, id] of this.byState) if (!this.pending.has(id)) this.byState.delete(state);
  }
}
