import type { UserAssertion, UserAssertionSource, UserReference } from './userTokens';
import { AppError } from '../errors';
import type { Logger } from '../logging/logger';
import type { Storage, StoreItem } from '../storage/storage';
import { openAssertion, sealAssertion, sealedAssertionRecordSchema } from './sealedAssertion';
import type { StateCipher } from './stateCipher';
import { deleteIfUnchanged, isTombstone } from './takeStoredOnce';

/**
 * The users' validated SSO tokens, in the shared store so that every instance serves every signed-in user, keyed
 * by tenant and Entra object id and encrypted at rest (AES-256-GCM, never logged, never sent back to a client).
 * An assertion is handed out only while it has more than `reuseMarginMs` to live, so an on-behalf-of request never
 * races its expiry; after that it is deleted and SSO runs again. A record that does not decrypt (another key) or
 * parse counts as no assertion. A store that cannot be read fails the command as "temporarily unavailable".
 */
export class AssertionStore implements UserAssertionSource {
  private readonly storage: Storage;
  private readonly cipher: StateCipher;
  private readonly logger: Logger;
  private readonly reuseMarginMs: number;
  private readonly now: () => number;

  constructor(options: {
    storage: Storage;
    cipher: StateCipher;
    logger: Logger;
    reuseMarginMs?: number;
    now?: () => number;
  }) {
    this.storage = options.storage;
    this.cipher = options.cipher;
    this.logger = options.logger;
    this.reuseMarginMs = options.reuseMarginMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Keeps a validated assertion for its user, replacing an older one (last sign-in wins). */
  async put(assertion: UserAssertion): Promise<void> {
    const key = assertionKey(assertion.user);
    await this.storage.write({ [key]: { ...sealAssertion(this.cipher, assertion, key), eTag: '*' } });
  }

  /** The user's assertion if one is held and fresh; AppError `signInRequired` otherwise. */
  async getAssertion(user: UserReference): Promise<UserAssertion> {
    const key = assertionKey(user);
    const raw = (await this.storage.read([key]))[key] as StoreItem | undefined;
    const record = raw && !isTombstone(raw) ? sealedAssertionRecordSchema.safeParse(raw) : undefined;
    if (record && !record.success) this.logger.warn({ key }, 'stored assertion record has the wrong shape');
    if (raw && record?.success) {
      if (record.data.expiresAt - this.reuseMarginMs <= this.now()) {
        // Only this version: an assertion another instance stored meanwhile survives.
        await deleteIfUnchanged(this.storage, key, raw.eTag);
      } else {
        const assertion = openAssertion(this.cipher, record.data, key);
        if (assertion) return assertion;
        this.logger.warn({ key }, 'stored assertion does not open with this key (another STATE_ENCRYPTION_KEY?)');
      }
    }
    throw new AppError('signInRequired', 'no single sign-on token held for this user');
  }

  /** Forgets a user's assertion (e.g. after Defender refused the token). */
  async forget(user: UserReference): Promise<void> {
    await this.storage.delete([assertionKey(user)]);
  }
}

/** The storage key of a user's assertion (ids are case-insensitive GUIDs). */
export function assertionKey(user: UserReference): string {
  return `signIn_assertion_${user.tenantId.toLowerCase()}_${user.aadObjectId.toLowerCase()}`;
}
