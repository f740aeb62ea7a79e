/**
 * Contracts between the bot and its token sources. The bot never sees how a token was obtained: a user
 * assertion comes from Teams SSO in production and from the Entra emulator in demo mode, and is exchanged
 * on-behalf-of the user for a Defender token. Failures are AppErrors (src/errors.ts).
 */

/** The person behind an assertion, read from its validated claims. */
export interface SignedInUser {
  tenantId: string;
  aadObjectId: string;
  userPrincipalName: string;
  displayName: string;
  /** Roles of the bot's own app registration assigned to the user (`roles` claim), e.g. `SOC.Approver`. */
  appRoles: string[];
}

/** A validated token whose audience is the bot itself: the OBO assertion. */
export interface UserAssertion {
  token: string;
  user: SignedInUser;
  /** Epoch milliseconds after which the assertion must not be used. */
  expiresAt: number;
}

/** Who an activity says the user is (tenant + Entra object id); never trusted as proof of identity alone. */
export interface UserReference {
  tenantId: string;
  aadObjectId: string;
}

/** Supplies the user's assertion; the demo source mints one, the production source holds the Teams SSO token. */
export interface UserAssertionSource {
  /** Resolves an assertion for the user, or fails with AppError `notSignedIn` / `userNotInTenant`. */
  getAssertion(user: UserReference): Promise<UserAssertion>;
}

/** Exchanges a user assertion for a delegated Defender token (msal-node `acquireTokenOnBehalfOf`). */
export interface DefenderTokenProvider {
  /**
   * An access token for the user; AppError `consentRequired`, `interactionRequired`, `notSignedIn`… `tenantId`
   * (partner context) asks a customer's authority instead of the user's own tenant: the person needs an identity
   * there (B2B guest or GDAP), else AppError `noAccessInCustomer`.
   */
  acquireForUser(assertion: UserAssertion, tenantId?: string): Promise<string>;
}

/** Application-context Defender tokens (client credentials) for background work; read-only by construction. */
export interface AppTokenProvider {
  /** A Defender access token for the app in the given tenant. */
  acquireForApp(tenantId: string): Promise<string>;
}
