/* What the Entra emulator and its control routes share (kept apart so neither imports the other's module). */

/** Input of `mintUserAssertion`: whose Teams-SSO-like token, for which bot, and how to spoil it for a test. */
export interface UserAssertionRequest {
  tenantId: string;
  aadObjectId: string;
  /** The `aud`: the bot's client id (what Teams sends) or its App ID URI `api://botid-<clientId>`. */
  audience: string;
  /** Defaults to one hour. */
  lifetimeSeconds?: number;
  /** The `scp` claim; defaults to `access_as_user` (a bot must refuse anything else). */
  scope?: string;
  /** Mint a token that expired ten minutes ago (beyond the usual five-minute clock skew). */
  expired?: boolean;
  /** Mark the sign-in as MFA (`amr`), as after a step-up: OBO then passes a user scripted for MFA. */
  mfa?: boolean;
}

/**
 * Token endpoint counters. `byGrant` keys: `client_credentials`, `on_behalf_of`, `authorization_code`,
 * `jwt_bearer` (jwt-bearer without on_behalf_of), another grant_type as sent, or `missing`. Refused requests count
 * too; authorize requests are not token requests and are recorded by `authorizeRequests()` instead.
 */
export interface EntraStats {
  tokenRequests: number;
  byGrant: Record<string, number>;
}
