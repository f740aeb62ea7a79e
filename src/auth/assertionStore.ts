import type { UserAssertion, UserAssertionSource, UserReference } from './userTokens';
import { AppError } from '../errors';

/**
 * The users' validated SSO tokens, in this process's memory only (never written to disk, never sent back to
 * a client), keyed by tenant and Entra object id. An assertion is handed out only while it has more than
 * `reuseMarginMs` to live, so an on-behalf-of request never races its expiry; after that, SSO runs again.
 */
export class AssertionStore implements UserAssertionSource {
  private readonly assertions = new Map<string, UserAssertion>();
  private readonly maxUsers: number;
  private readonly reuseMarginMs: number;
  private readonly now: () => number;

  constructor(options: { maxUsers?: number; reuseMarginMs?: number; now?: () => number } = {}) {
    this.maxUsers = options.maxUsers ?? 10_000;
    this.reuseMarginMs = options.reuseMarginMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Keeps a validated assertion for its user (replacing an older one). */
  put(assertion: UserAssertion): void {
    const key = keyOf(assertion.user);
    this.assertions.delete(key);
    if (this.assertions.size >= this.maxUsers) {
      const oldest = this.assertions.keys().next().value;
      if (oldest !== undefined) this.assertions.delete(oldest);
    }
    this.assertions.set(key, assertion);
  }

  /** The user's assertion if one is held and fresh; AppError `signInRequired` otherwise. */
  getAssertion(user: UserReference): Promise<UserAssertion> {
    const key = keyOf(user);
    const assertion = this.assertions.get(key);
    if (assertion && assertion.expiresAt - this.reuseMarginMs > this.now()) return Promise.resolve(assertion);
    if (assertion) this.assertions.delete(key);
    return Promise.reject(new AppError('signInRequired', 'no single sign-on token held for this user'));
  }

  /** Forgets a user's assertion (e.g. after Defender refused the token). */
  forget(user: UserReference): void {
    this.assertions.delete(keyOf(user));
  }
}

function keyOf(user: UserReference): string {
  return `${user.tenantId.toLowerCase()}|${user.aadObjectId.toLowerCase()}`;
}
