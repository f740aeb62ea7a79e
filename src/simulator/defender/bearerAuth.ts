import { createLocalJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { MDE_AUDIENCES } from '../entra/defenderScopes';
import { DefenderApiError } from './defenderError';

/**
 * Audiences an MDE access token may carry: MDE's own resource only (WindowsDefenderATP's identifiers and app id,
 * §1.3, §14.5; the list lives with the emulator's, which issues nothing else for MDE). Tokens for Microsoft Graph or
 * the Defender XDR API (`https://api.security.microsoft.com`) are other resources and get 401, so a misconfigured
 * scope shows up here as it would on a real tenant.
 */
export const ACCEPTED_AUDIENCES = MDE_AUDIENCES;

/** The signing keys of the Entra emulator (public JWKS). */
export interface SigningKeySource {
  getKeySet(): JSONWebKeySet;
}

/** A user calling through a delegated (OBO) token: permissions from `scp`, Defender RBAC from the seed user. */
export interface UserCaller {
  kind: 'user';
  tenantId: string;
  appId: string;
  objectId: string;
  /** UPN for requestor / comment authorship; falls back to the object id when the token has none. */
  upn: string;
  permissions: ReadonlySet<string>;
  /** Entra role template ids from `wids` (lower case): what a GDAP partner holds in this tenant. */
  directoryRoles: ReadonlySet<string>;
}

/** An application calling with a client-credentials token: permissions from `roles`, no RBAC. */
export interface AppCaller {
  kind: 'app';
  tenantId: string;
  appId: string;
  permissions: ReadonlySet<string>;
}

/** Who is calling, as proven by the bearer token. */
export type Caller = UserCaller | AppCaller;

const claimsSchema = z.object({
  tid: z.string().min(1),
  iss: z.string(),
  appid: z.string().min(1),
  oid: z.string().min(1).optional(),
  scp: z.string().optional(),
  roles: z.array(z.string()).optional(),
  upn: z.string().optional(),
  unique_name: z.string().optional(),
  wids: z.array(z.string()).optional(),
});

/** Clock skew tolerated on exp/nbf, the default of Microsoft.IdentityModel that real Microsoft APIs use. */
const CLOCK_SKEW_SECONDS = 300;

function unauthorized(message: string): DefenderApiError {
  return new DefenderApiError(401, 'Unauthorized', message, { 'www-authenticate': 'Bearer' });
}

/** Options for `createBearerVerifier`. */
export interface BearerVerifierOptions {
  keys: SigningKeySource;
  isKnownTenant: (tenantId: string) => boolean;
  now: () => Date;
  /** The `aud` values this API accepts; default ACCEPTED_AUDIENCES (MDE). The Graph simulator passes Graph's. */
  audiences?: readonly string[];
}

/**
 * Verifies `Authorization: Bearer <jwt>` against the Entra emulator's keys and the contract in the brief:
 * RS256, a documented MDE audience, v1 issuer `https://sts.windows.net/{tid}/`, a tenant the simulator
 * serves, not expired. Any failure is a 401 whose message names the check but never echoes the token.
 */
export function createBearerVerifier(
  options: BearerVerifierOptions,
): (authorization: string | undefined) => Promise<Caller> {
  let cachedSet: JSONWebKeySet | undefined;
  let cachedKeys: JWTVerifyGetKey | undefined;
  const keysFor = (set: JSONWebKeySet): JWTVerifyGetKey => {
    // Re-import only when the emulator hands out a different key set (rotation), not on every call.
    if (cachedKeys === undefined || cachedSet !== set) {
      cachedSet = set;
      cachedKeys = createLocalJWKSet(set);
    }
    return cachedKeys;
  };

  return async (authorization) => {
    if (authorization === undefined || authorization.trim() === '') {
      throw unauthorized('Authorization header is missing.');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const token = match?.[1];
    if (token === undefined) throw unauthorized('Authorization header must be "Bearer <access token>".');

    let payload: unknown;
    try {
      const verified = await jwtVerify(token, keysFor(options.keys.getKeySet()), {
        algorithms: ['RS256'],
        audience: [...(options.audiences ?? ACCEPTED_AUDIENCES)],
        currentDate: options.now(),
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp'],
      });
      payload = verified.payload;
    } catch (err) {
      throw unauthorized(`Access token rejected: ${describeJoseError(err)}.`);
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw unauthorized('Access token rejected: required claims (tid, appid) are missing.');
    const { tid, iss, appid, oid, scp, roles } = claims.data;
    if (!options.isKnownTenant(tid.toLowerCase())) {
      throw unauthorized(`Access token rejected: tenant ${tid} is not served by this Defender simulator.`);
    }
    if (iss !== `https://sts.windows.net/${tid}/`) {
      throw unauthorized('Access token rejected: issuer does not match the token tenant.');
    }
    if (scp !== undefined) {
      if (oid === undefined) throw unauthorized('Access token rejected: a delegated token needs an oid claim.');
      return {
        kind: 'user',
        tenantId: tid.toLowerCase(),
        appId: appid,
        objectId: oid.toLowerCase(),
        upn: claims.data.upn ?? claims.data.unique_name ?? oid,
        permissions: new Set(scp.split(' ').filter((s) => s !== '')),
        directoryRoles: new Set((claims.data.wids ?? []).map((id) => id.toLowerCase())),
      };
    }
    return { kind: 'app', tenantId: tid.toLowerCase(), appId: appid, permissions: new Set(roles ?? []) };
  };
}

function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token is expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim check failed (${err.claim})`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature verification failed';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'no signing key matches the token kid';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'signing algorithm not allowed (RS256 expected)';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'the token is malformed';
  return 'the token could not be validated';
}
