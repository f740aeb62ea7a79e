import { createLocalJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { z } from 'zod';

/** The public keys of the Entra ID emulator (the issuer of the bot's outbound tokens). */
export interface EntraKeySource {
  getKeySet(): JSONWebKeySet;
}

/** Who issued an accepted bot token (`iss`, `tid`): which tenant's authority the bot asked. */
export interface BotTokenIssuer {
  issuer: string | undefined;
  tenantId: string | undefined;
}

/** Outcome of checking a bot's `Authorization` header: accepted (with its issuer), or why not (never the token). */
export type BotTokenCheck = ({ ok: true } & BotTokenIssuer) | { ok: false; reason: string };

/** Options for `createBotTokenVerifier`. */
export interface BotTokenVerifierOptions {
  keys: EntraKeySource;
  botAppId: string;
  audience: string;
  now: () => Date;
}

/** Microsoft.IdentityModel's default clock skew, which the Bot Connector service allows too. */
const CLOCK_SKEW_SECONDS = 300;

const appClaimsSchema = z.object({
  appid: z.string().optional(),
  azp: z.string().optional(),
  iss: z.string().optional(),
  tid: z.string().optional(),
});

/**
 * Checks the bot's bearer token as the Bot Connector does: RS256 signed by an Entra key, `aud` = the Bot Framework
 * audience, not expired, and issued to the bot (`appid` for v1 tokens, `azp` for v2). The signature by the
 * emulator's key stands in for the issuer check.
 */
export function createBotTokenVerifier(
  options: BotTokenVerifierOptions,
): (header: string | undefined) => Promise<BotTokenCheck> {
  let cachedSet: JSONWebKeySet | undefined;
  let cachedKeys: JWTVerifyGetKey | undefined;
  const keys = (): JWTVerifyGetKey => {
    const set = options.keys.getKeySet();
    // Re-import only when the emulator hands out a different key set, not on every request.
    if (cachedKeys === undefined || cachedSet !== set) {
      cachedSet = set;
      cachedKeys = createLocalJWKSet(set);
    }
    return cachedKeys;
  };
  const botAppId = options.botAppId.toLowerCase();

  return async (header) => {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
    if (token === undefined) return { ok: false, reason: 'missing bearer token' };
    let payload: unknown;
    try {
      payload = (
        await jwtVerify(token, keys(), {
          algorithms: ['RS256'],
          audience: options.audience,
          currentDate: options.now(),
          clockTolerance: CLOCK_SKEW_SECONDS,
          requiredClaims: ['exp'],
        })
      ).payload;
    } catch (err) {
      return { ok: false, reason: describeJoseError(err) };
    }
    const claims = appClaimsSchema.safeParse(payload);
    const appId = claims.success ? (claims.data.appid ?? claims.data.azp) : undefined;
    if (appId?.toLowerCase() !== botAppId) return { ok: false, reason: 'token issued to another app' };
    return { ok: true, issuer: claims.data?.iss, tenantId: claims.data?.tid };
  };
}

function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim ${err.claim} rejected`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'unknown signing key';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  return 'malformed token';
}
