import { X509Certificate, constants, createHash, verify } from 'node:crypto';
import { z } from 'zod';
import { entraErrors } from './entraTokenError';

/** The only `client_assertion_type` Entra accepts (RFC 7523 §2.2). */
export const CLIENT_ASSERTION_TYPE_JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Entra tolerates a few minutes of clock skew on `nbf`/`exp`. */
const CLOCK_SKEW_SECONDS = 300;
/**
 * The longest lifetime (`exp` - `nbf`) accepted. msal-node signs for 10 minutes; Entra's exact bound is not
 * documented (UNCONFIRMED), one hour keeps an assertion from being a long-lived credential.
 */
export const MAX_CLIENT_ASSERTION_LIFETIME_SECONDS = 3600;

const SEGMENT_PATTERN = /^[A-Za-z0-9_-]+$/;

const headerSchema = z.object({
  alg: z.enum(['RS256', 'PS256']),
  'x5t#S256': z.string().min(1).optional(),
  x5t: z.string().min(1).optional(),
});

const claimsSchema = z.object({
  aud: z.string().min(1),
  iss: z.string().min(1),
  sub: z.string().min(1),
  exp: z.number(),
  nbf: z.number().optional(),
  jti: z.string().min(1),
});

/** What a client assertion is checked against: the app, its certificates, the endpoint it was sent to, the clock. */
export interface ClientAssertionContext {
  clientId: string;
  /** The app's registered certificates (PEM). */
  certificates: readonly string[];
  /** Every URL under which this token endpoint is addressed (tenant id, domain, path segment; v1 and v2). */
  tokenEndpointUrls: readonly string[];
  now: Date;
}

/**
 * Verifies a certificate client assertion as Entra does (certificate-credentials doc): an RS256/PS256 JWS whose
 * key is the registered certificate named by `x5t#S256` (or the SHA-1 `x5t`), `aud` = the token endpoint,
 * `iss` = `sub` = the client id, a `jti`, within its time range and of bounded lifetime. Throws the EntraTokenError
 * Entra answers with. `jti` is required but not single-use: msal-node reuses one assertion for ten minutes, and
 * Entra accepts that.
 */
export function verifyClientAssertion(assertion: string, context: ClientAssertionContext): void {
  const parts = assertion.split('.');
  if (parts.length !== 3 || !parts.every((part) => SEGMENT_PATTERN.test(part))) {
    throw entraErrors.clientAssertionMalformed();
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = headerSchema.safeParse(decodeSegment(headerPart));
  const claims = claimsSchema.safeParse(decodeSegment(payloadPart));
  if (!header.success || !claims.success) throw entraErrors.clientAssertionMalformed();

  const certificate = registeredCertificate(header.data, context.certificates);
  if (!certificate) throw entraErrors.certificateNotRegistered('The key was not found.');
  const signingInput = Buffer.from(`${headerPart}.${payloadPart}`);
  const signature = Buffer.from(signaturePart, 'base64url');
  const key =
    header.data.alg === 'PS256'
      ? {
          key: certificate.publicKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_AUTO,
        }
      : certificate.publicKey;
  if (!verify('sha256', signingInput, key, signature)) {
    throw entraErrors.certificateNotRegistered('Key was found, but use of the key to verify the signature failed.');
  }

  const { aud, iss, sub, exp, nbf } = claims.data;
  const clientId = context.clientId.toLowerCase();
  if (iss.toLowerCase() !== clientId || sub.toLowerCase() !== clientId) throw entraErrors.clientAssertionWrongClient();
  const audiences = context.tokenEndpointUrls.map((url) => url.toLowerCase());
  if (!audiences.includes(aud.toLowerCase())) throw entraErrors.clientAssertionWrongAudience(aud);

  const nowSeconds = context.now.getTime() / 1000;
  const notBefore = nbf ?? exp - MAX_CLIENT_ASSERTION_LIFETIME_SECONDS;
  const outOfRange =
    nowSeconds - CLOCK_SKEW_SECONDS >= exp ||
    nowSeconds + CLOCK_SKEW_SECONDS < notBefore ||
    exp - notBefore > MAX_CLIENT_ASSERTION_LIFETIME_SECONDS;
  if (outOfRange) {
    throw entraErrors.clientAssertionOutOfRange(context.now, new Date(notBefore * 1000), new Date(exp * 1000));
  }
}

/** The registered certificate whose SHA-256 (`x5t#S256`) or SHA-1 (`x5t`) thumbprint the header names. */
function registeredCertificate(
  header: { 'x5t#S256'?: string | undefined; x5t?: string | undefined },
  certificates: readonly string[],
): X509Certificate | undefined {
  for (const pem of certificates) {
    const certificate = new X509Certificate(pem);
    if (header['x5t#S256'] !== undefined && header['x5t#S256'] === thumbprint(certificate, 'sha256')) {
      return certificate;
    }
    if (header.x5t !== undefined && header.x5t === thumbprint(certificate, 'sha1')) return certificate;
  }
  return undefined;
}

/** The base64url thumbprint of a certificate's DER, as `x5t` / `x5t#S256` carry it (RFC 7515 §4.1.7-8). */
export function thumbprint(certificate: X509Certificate, algorithm: 'sha1' | 'sha256'): string {
  return createHash(algorithm).update(certificate.raw).digest('base64url');
}

function decodeSegment(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}
