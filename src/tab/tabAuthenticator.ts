import { decodeJwt } from 'jose';
import type { Actor } from '../approvals/approvalService';
import type { UserAssertion } from '../auth/userTokens';
import { AppError, isAppError } from '../errors';
import { TabRefusal } from './tabRefusal';

/** Validates a Teams SSO token exactly as the bot's sign-in does (src/auth/ssoTokenValidator.ts). */
export interface TabTokenValidator {
  validate(token: string, expected: { tenantId: string }): Promise<UserAssertion>;
}

/** Options of the tab's authenticator. */
export interface TabAuthenticatorOptions {
  validator: TabTokenValidator;
  /** Tenants this deployment serves (undefined: any tenant whose token validates, e.g. demo mode). */
  allowedTenantIds?: string[] | undefined;
}

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;

/**
 * Who calls the tab's API: the `Authorization: Bearer` header only (no cookie, so no cross-site request can carry
 * an identity), a Teams SSO token for the bot's own API validated like the bot's (signature against the token's
 * tenant's keys, issuer, audience, expiry, `access_as_user`), from a tenant this deployment serves. The tenant is
 * read from the token unverified only to pick whose keys verify it.
 */
export class TabAuthenticator {
  private readonly allowed: Set<string> | undefined;

  constructor(private readonly options: TabAuthenticatorOptions) {
    this.allowed = options.allowedTenantIds ? new Set(options.allowedTenantIds.map((t) => t.toLowerCase())) : undefined;
  }

  /** The caller's assertion (their token, their identity and app roles); TabRefusal 401/403 otherwise. */
  async authenticate(authorization: string | string[] | undefined): Promise<UserAssertion> {
    const header = Array.isArray(authorization) ? undefined : authorization;
    const match = header === undefined ? null : BEARER.exec(header.trim());
    if (!match?.[1]) throw new TabRefusal(401, 'notSignedIn', 'Send the Teams single sign-on token as a bearer token.');
    const token = match[1];
    let tenantId: string;
    try {
      const claimed = decodeJwt(token).tid;
      tenantId = typeof claimed === 'string' ? claimed : '';
    } catch {
      throw new TabRefusal(401, 'notSignedIn', 'The token is not a JSON Web Token.');
    }
    if (this.allowed && !this.allowed.has(tenantId.toLowerCase()))
      throw new TabRefusal(403, 'tenantNotAllowed', 'This deployment does not serve your organisation.');
    try {
      return await this.options.validator.validate(token, { tenantId: tenantId || 'none' });
    } catch (err) {
      if (isAppError(err, 'notSignedIn')) throw new TabRefusal(401, 'notSignedIn', 'The token was not accepted.');
      if (err instanceof AppError) throw new TabRefusal(503, err.code, 'Sign-in could not be checked; try again.');
      throw err;
    }
  }
}

/** The viewer as the approval domain knows a clicking person (for refusals the tab audits itself). */
export function actorOfViewer(assertion: UserAssertion): Actor {
  const user = assertion.user;
  return {
    person: { aadObjectId: user.aadObjectId, userPrincipalName: user.userPrincipalName, displayName: user.displayName },
    tenantId: user.tenantId,
    roles: user.appRoles,
  };
}
