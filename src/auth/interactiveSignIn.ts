import { createHash, randomBytes } from 'node:crypto';
import { CryptoProvider } from '@azure/msal-node';
import { z } from 'zod';
import { AppError } from '../errors';
import type { Logger } from '../logging/logger';
import { CREATE_ONLY_ETAG } from '../storage/storage';
import type { Storage } from '../storage/storage';
import type { MsalClientPool } from './msalClientPool';
import { toAppError } from './msalErrorMapper';
import { openAssertion, sealAssertion, sealedAssertionRecordSchema } from './sealedAssertion';
import type { SsoTokenValidator } from './ssoTokenValidator';
import type { StateCipher } from './stateCipher';
import { takeStoredOnce } from './takeStoredOnce';
import type { UserAssertion } from './userTokens';

/** A sign-in the bot has offered (sealed into the button's URL): which tenant, optionally a claims challenge. */
const offerSchema = z.object({
  tenantId: z.string().min(1),
  loginHint: z.string().optional(),
  claims: z.string().optional(),
  expiresAt: z.number(),
});

/** A sign-in under way between /auth/start and /auth/end (stored, its PKCE verifier sealed). */
const flowRecordSchema = z.object({ expiresAt: z.number(), sealed: z.string() });
const flowSchema = z.object({ tenantId: z.string().min(1), codeVerifier: z.string().min(1) });

/** Authenticated-data context of the sealed offer in a sign-in URL. */
const OFFER_CONTEXT = 'signIn.offer';
const SIGN_IN_TTL_MS = 10 * 60_000;
const MAGIC_CODE_TTL_MS = 5 * 60_000;

/**
 * The sign-in button fallback of Teams SSO (when the silent token exchange cannot be used, or Entra demands an
 * interactive step-up): the button opens `/auth/start?id=…`, which redirects to the authority with PKCE and
 * any claims challenge; `/auth/end` redeems the code with msal-node, validates the resulting token exactly like
 * an SSO token, and shows Teams a one-time code (`microsoftTeams.authentication.notifySuccess`). Teams then
 * sends `signin/verifyState` with that code from the chat, and the bot accepts it only for the same person.
 *
 * Each step may reach a different instance, so nothing is kept in memory: the offer travels sealed in the
 * button's URL, the PKCE verifier waits in the shared store under the `state` (sealed, taken once), and the
 * one-time code's assertion waits there sealed under a hash of the code (taken once).
 */
export class InteractiveSignIn {
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
      /** The shared store (sign-ins under way, one-time codes) and the key that seals what goes into it. */
      storage: Storage;
      cipher: StateCipher;
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

  /** Offers a sign-in for a tenant (and a claims challenge): the URL of its sign-in button, valid 10 minutes. */
  offer(input: { tenantId: string; loginHint?: string | undefined; claims?: string | undefined }): string {
    const offer = {
      tenantId: input.tenantId,
      ...(input.loginHint ? { loginHint: input.loginHint } : {}),
      ...(input.claims ? { claims: input.claims } : {}),
      expiresAt: this.now() + SIGN_IN_TTL_MS,
    };
    const id = this.options.cipher.seal(JSON.stringify(offer), OFFER_CONTEXT);
    return `${this.options.startUri}?id=${encodeURIComponent(id)}`;
  }

  /** `/auth/start`: the authority's authorize URL for an offered sign-in (PKCE, state, claims). */
  async authorizeUrl(id: string): Promise<string> {
    const pending = this.openOffer(id);
    if (!pending || pending.expiresAt <= this.now()) throw new AppError('invalidInput', 'unknown or expired sign-in');
    const { verifier, challenge } = await this.crypto.generatePkceCodes();
    const state = randomBytes(18).toString('base64url');
    const key = flowKey(state);
    const flow = JSON.stringify({ tenantId: pending.tenantId, codeVerifier: verifier });
    await this.options.storage.write({
      [key]: { expiresAt: pending.expiresAt, sealed: this.options.cipher.seal(flow, key), eTag: CREATE_ONLY_ETAG },
    });
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
    const key = flowKey(input.state);
    const record = await takeStoredOnce(this.options.storage, key, (raw) => flowRecordSchema.safeParse(raw).data);
    const pending =
      record && record.expiresAt > this.now()
        ? this.options.cipher.openJson(record.sealed, key, flowSchema)
        : undefined;
    if (!pending) throw new AppError('invalidInput', 'unknown or expired sign-in state');
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
    const codeKey = magicCodeKey(magicCode);
    const sealed = sealAssertion(this.options.cipher, assertion, codeKey);
    await this.options.storage.write({
      [codeKey]: {
        ...sealed,
        expiresAt: Math.min(this.now() + MAGIC_CODE_TTL_MS, assertion.expiresAt),
        eTag: CREATE_ONLY_ETAG,
      },
    });
    this.options.logger.info({ tenantId: pending.tenantId }, 'interactive sign-in completed');
    return magicCode;
  }

  /**
   * The assertion behind a one-time code from `signin/verifyState` or an Action.Execute `state`, only for the
   * person it was issued to (a code seen by someone else is useless to them); single use.
   */
  async redeem(
    magicCode: string,
    expected: { tenantId: string; aadObjectId: string },
  ): Promise<UserAssertion | undefined> {
    const key = magicCodeKey(magicCode);
    const record = await takeStoredOnce(
      this.options.storage,
      key,
      (raw) => sealedAssertionRecordSchema.safeParse(raw).data,
    );
    const assertion =
      record && record.expiresAt > this.now() ? openAssertion(this.options.cipher, record, key) : undefined;
    if (!assertion) return undefined;
    const user = assertion.user;
    if (
      user.tenantId.toLowerCase() !== expected.tenantId.toLowerCase() ||
      user.aadObjectId.toLowerCase() !== expected.aadObjectId.toLowerCase()
    ) {
      this.options.logger.warn({ tenantId: expected.tenantId }, 'sign-in code presented by another user');
      return undefined;
    }
    return assertion;
  }

  private openOffer(id: string): z.infer<typeof offerSchema> | undefined {
    return this.options.cipher.openJson(id, OFFER_CONTEXT, offerSchema);
  }
}

/** Storage keys hold a hash, never the state or code itself: listing the container yields nothing to replay. */
function flowKey(state: string): string {
  return `signIn_flow_${sha256(state)}`;
}

function magicCodeKey(magicCode: string): string {
  return `signIn_code_${sha256(magicCode)}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
