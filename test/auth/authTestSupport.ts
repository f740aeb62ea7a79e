import { createLogger } from '../../src/logging/logger';
import type { Logger } from '../../src/logging/logger';
import type { UserAssertion } from '../../src/auth/userTokens';
import type { EntraTestServer } from '../simulator/entra/entraTestServer';
import { BOT } from '../simulator/entra/entraTestSeeds';

/** A debug-level logger whose lines the test can read (and scan for secrets). */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return {
    logger: createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } }),
    lines,
  };
}

/** A UserAssertion as the SSO layer would hand it over: the emulator's token plus the user read from it. */
export function userAssertion(
  server: EntraTestServer,
  who: { tenantId: string; aadObjectId: string; upn: string },
  options: { audience?: string; tenantId?: string; expiresAt?: number } = {},
): UserAssertion {
  const minted = server.emulator.mintUserAssertion({
    tenantId: who.tenantId,
    aadObjectId: who.aadObjectId,
    audience: options.audience ?? BOT.clientId,
  });
  return {
    token: minted.token,
    user: {
      tenantId: options.tenantId ?? who.tenantId,
      aadObjectId: who.aadObjectId,
      userPrincipalName: who.upn,
      displayName: who.upn,
      appRoles: [],
    },
    expiresAt: options.expiresAt ?? minted.expiresOn.getTime(),
  };
}

/** The claims of a JWT, without verification (tests verify with jose where it matters). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}
