import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SeedUser } from '../seed/seedSchema';
import { entraErrors } from './entraTokenError';
import type { ScopeRequest } from './scopeParameter';

/** How long a code can be redeemed; Entra's codes live about ten minutes. */
export const AUTHORIZATION_CODE_LIFETIME_MS = 10 * 60 * 1000;

/** Redeemed and expired codes are remembered this long so a late or second redemption gets the precise error. */
const FORGET_AFTER_MS = 60 * 60 * 1000;

/** Everything a code is bound to at the authorize endpoint, checked again when it is redeemed. */
export interface AuthorizationGrant {
  clientId: string;
  tenantId: string;
  redirectUri: string;
  /** The S256 PKCE challenge. */
  codeChallenge: string;
  user: SeedUser;
  scope: ScopeRequest;
  /** Delegated permissions of the token to issue (`access_as_user`, or Defender permission names). */
  permissions: string[];
  /** OpenID Connect nonce, echoed in the id_token. */
  nonce: string | undefined;
  /** The sign-in satisfied a claims challenge (MFA step-up). */
  mfa: boolean;
}

interface StoredCode {
  grant: AuthorizationGrant;
  issuedAt: number;
  redeemed: boolean;
}

/**
 * Issued authorization codes: opaque, single-use, ten minutes. A failed redemption (wrong verifier, wrong
 * redirect_uri) leaves the code usable, so a test can show the right retry succeeding.
 */
export class AuthorizationCodeStore {
  private readonly codes = new Map<string, StoredCode>();

  constructor(private readonly now: () => Date) {}

  /** Stores a grant and returns its code. */
  issue(grant: AuthorizationGrant): string {
    this.forgetOld();
    // Entra's codes are long opaque strings starting with a version marker.
    const code = `1.${randomBytes(48).toString('base64url')}`;
    this.codes.set(code, { grant, issuedAt: this.now().getTime(), redeemed: false });
    return code;
  }

  /** The grant behind a live code; AADSTS70000 unknown, 70008 expired, 54005 already redeemed. */
  find(code: string): AuthorizationGrant {
    const stored = this.codes.get(code);
    if (!stored) throw entraErrors.invalidAuthorizationCode();
    if (stored.redeemed) throw entraErrors.authorizationCodeRedeemed();
    if (this.now().getTime() - stored.issuedAt >= AUTHORIZATION_CODE_LIFETIME_MS) {
      throw entraErrors.authorizationCodeExpired();
    }
    return stored.grant;
  }

  /** Marks a code used; from now on it answers AADSTS54005. */
  markRedeemed(code: string): void {
    const stored = this.codes.get(code);
    if (stored) stored.redeemed = true;
  }

  private forgetOld(): void {
    const cutoff = this.now().getTime() - FORGET_AFTER_MS;
    for (const [code, stored] of this.codes) if (stored.issuedAt < cutoff) this.codes.delete(code);
  }
}

/** RFC 7636 S256: BASE64URL(SHA256(verifier)) equals the challenge; compared in constant time. */
export function verifierMatchesChallenge(verifier: string, challenge: string): boolean {
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
