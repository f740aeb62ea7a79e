import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { JSONWebKeySet, JWTPayload, KeyLike } from 'jose';
import type { SigningKeySource } from '../../../src/simulator/defender/bearerAuth';

/** The client id the test tokens carry unless a test says otherwise. */
export const TEST_APP_ID = '0f0f0f0f-1111-4222-8333-444444444444';
const KID = 'test-key-1';

/** Signs tokens with exactly the claims of the Entra emulator contract (see the brief / bearerAuth.ts). */
export interface TokenFactory {
  keys: SigningKeySource;
  /** A delegated (OBO) token: `scp`, `upn`, `oid`. */
  user(options: { tenantId: string; oid: string; upn: string; scp: string; overrides?: JWTPayload }): Promise<string>;
  /** An application token: `roles`, `idtyp: app`. */
  app(options: { tenantId: string; roles: string[]; appId?: string; overrides?: JWTPayload }): Promise<string>;
  /** Signs arbitrary claims with the trusted key (or an untrusted one under the same kid). */
  sign(claims: JWTPayload, options?: { untrustedKey?: boolean; alg?: string }): Promise<string>;
}

function baseClaims(tenantId: string, appId: string): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    aud: 'https://api.securitycenter.microsoft.com',
    iss: `https://sts.windows.net/${tenantId}/`,
    tid: tenantId,
    iat: now - 60,
    nbf: now - 60,
    exp: now + 3600,
    appid: appId,
    ver: '1.0',
  };
}

/** Creates a fresh RSA key pair, its JWKS, and token builders. */
export async function createTokenFactory(): Promise<TokenFactory> {
  const trusted = await generateKeyPair('RS256');
  const untrusted = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(trusted.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  const keySet: JSONWebKeySet = { keys: [jwk] };

  const sign = async (claims: JWTPayload, options: { untrustedKey?: boolean; alg?: string } = {}) => {
    const key: KeyLike = options.untrustedKey === true ? untrusted.privateKey : trusted.privateKey;
    return new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? 'RS256', kid: KID, typ: 'JWT' }).sign(key);
  };

  return {
    keys: { getKeySet: () => keySet },
    sign,
    user: ({ tenantId, oid, upn, scp, overrides }) =>
      sign({ ...baseClaims(tenantId, TEST_APP_ID), scp, oid, upn, name: upn, ...overrides }),
    app: ({ tenantId, roles, appId, overrides }) =>
      sign({
        ...baseClaims(tenantId, appId ?? TEST_APP_ID),
        roles,
        oid: '99999999-9999-4999-8999-999999999999',
        idtyp: 'app',
        ...overrides,
      }),
  };
}
