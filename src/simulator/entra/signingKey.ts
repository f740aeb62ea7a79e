import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

/** Claims of a JWT as plain JSON. */
export type JwtClaims = Record<string, unknown>;

/** Why a token was not accepted by `SigningKey.verify`; the token endpoint turns each into an AADSTS error. */
export type JwtRejection = 'malformed' | 'unknownKey' | 'badSignature';

/** Outcome of `SigningKey.verify`: the claims of a token signed by this key, or why not. */
export type JwtVerification = { ok: true; claims: JwtClaims } | { ok: false; reason: JwtRejection };

const SEGMENT_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * The emulator's one RS256 signing key: generated at start, private half kept in memory only, public half
 * published as a JWKS. Signing is synchronous (node:crypto) so `mintUserAssertion` can stay synchronous.
 */
export class SigningKey {
  /** RFC 7638 thumbprint of the public key, used as `kid`. */
  readonly kid: string;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly jwk: JWK;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    const { n, e } = publicKey.export({ format: 'jwk' });
    this.kid = createHash('sha256')
      .update(JSON.stringify({ e, kty: 'RSA', n }))
      .digest('base64url');
    this.jwk = { kty: 'RSA', use: 'sig', alg: 'RS256', kid: this.kid, n, e };
  }

  /** The public key as Entra publishes it in `discovery/v2.0/keys`. */
  publicJwk(): JWK {
    return { ...this.jwk };
  }

  /** A compact RS256 JWS over `claims`, header `{typ, alg, kid}` like Entra's. */
  sign(claims: JwtClaims): string {
    const header = { typ: 'JWT', alg: 'RS256', kid: this.kid };
    const signingInput = `${encodeSegment(header)}.${encodeSegment(claims)}`;
    const signature = sign('sha256', Buffer.from(signingInput), this.privateKey);
    return `${signingInput}.${signature.toString('base64url')}`;
  }

  /** Checks structure, `alg`, `kid` and signature; time and audience checks are the caller's (they need context). */
  verify(token: string): JwtVerification {
    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((part) => SEGMENT_PATTERN.test(part)))
      return { ok: false, reason: 'malformed' };
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = decodeSegment(headerPart);
    const claims = decodeSegment(payloadPart);
    if (!header || !claims) return { ok: false, reason: 'malformed' };
    if (header.alg !== 'RS256' || header.kid !== this.kid) return { ok: false, reason: 'unknownKey' };
    const valid = verify(
      'sha256',
      Buffer.from(`${headerPart}.${payloadPart}`),
      this.publicKey,
      Buffer.from(signaturePart, 'base64url'),
    );
    return valid ? { ok: true, claims } : { ok: false, reason: 'badSignature' };
  }
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeSegment(segment: string): JwtClaims | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JwtClaims) : undefined;
  } catch {
    return undefined;
  }
}
