import { createHash, randomBytes } from 'node:crypto';
import type { SeedUser } from '../seed/seedSchema';
import { BOT_FRAMEWORK_RESOURCE } from './botFrameworkTenant';
import type { DefenderResource } from './defenderScopes';
import { servicePrincipalId } from './entraDirectory';
import type { SigningKey } from './signingKey';

/** Teams desktop/mobile client id: the `azp` of Teams SSO tokens (defender-api.md §10.1). */
export const TEAMS_DESKTOP_CLIENT_ID = '1fec8e78-bce4-4aaf-ab1b-5451cc387264';
/** Documented Defender token lifetime: `expires_in: 3599` (defender-api.md §1.3). */
export const ACCESS_TOKEN_LIFETIME_SECONDS = 3599;
/** Default lifetime of a minted Teams-SSO-like assertion. */
export const DEFAULT_ASSERTION_LIFETIME_SECONDS = 3600;

/** `iss` of v1.0 access tokens, which Defender resources receive: `https://sts.windows.net/{tid}/`. */
export function v1Issuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

/**
 * `iss` of the emulator's v2.0 tokens (the Teams-SSO-like assertions): `{issuerBaseUrl}/{tid}/v2.0`. Real Teams SSO
 * tokens carry `https://login.microsoftonline.com/{tid}/v2.0`; the emulator uses its own origin instead so that
 * a validator comparing `iss` with the `issuer` of `{authority}/v2.0/.well-known/openid-configuration` (as the
 * product's, and msal-node's issuer check, do) finds them equal, exactly as against the real service.
 */
export function v2Issuer(issuerBaseUrl: string, tenantId: string): string {
  return `${issuerBaseUrl}/${tenantId}/v2.0`;
}

/** A signed token and when it stops being valid. */
export interface MintedToken {
  token: string;
  expiresOn: Date;
}

/** The person a delegated token names: object id in the token's tenant, display name and UPN. */
export type TokenSubject = Pick<SeedUser, 'aadObjectId' | 'displayName' | 'userPrincipalName'>;

/** What a delegated (on-behalf-of) Defender token is issued for. */
export interface DelegatedTokenInput {
  tenantId: string;
  user: TokenSubject;
  clientId: string;
  resource: DefenderResource;
  permissions: string[];
  now: Date;
  /**
   * A person from another tenant (B2B guest or GDAP partner): `idp` names their home tenant's issuer,
   * `unique_name` their home UPN, no `upn` (guests have none here), and `wids` the Entra roles GDAP grants.
   */
  external?: { homeTenantId: string; homeUpn: string; directoryRoles: string[] };
}

/** What an application (client credentials) Defender token is issued for. */
export interface AppTokenInput {
  tenantId: string;
  clientId: string;
  resource: DefenderResource;
  /** Granted application permissions; the claim is left out when none are granted, as Entra does. */
  roles: string[];
  now: Date;
}

/** What an application (client credentials) token for another registered app's API is issued for. */
export interface ApiAppTokenInput {
  tenantId: string;
  /** The calling app. */
  clientId: string;
  /** The API: its app's client id, the identifier as requested, and the token version that app accepts. */
  api: { clientId: string; uri: string; tokenVersion: 1 | 2 };
  /** App roles assigned to the caller on that API; the claim is left out when none are, as Entra does. */
  roles: string[];
  now: Date;
}

/** What a Teams-SSO-like user assertion (a v2 token for the bot's own API) is issued for. */
export interface UserAssertionInput {
  tenantId: string;
  user: SeedUser;
  audience: string;
  lifetimeSeconds: number;
  now: Date;
  /** The app that asked for it: Teams (the default) for SSO, the bot itself for its sign-in page. */
  authorizedParty?: string;
  /** The `scp` claim; `access_as_user` unless a test needs another. */
  scope?: string;
  /** The user passed multifactor authentication (`amr: ['pwd', 'mfa']`); satisfies a scripted MFA challenge. */
  mfa?: boolean;
}

/** What a Bot Framework (bot → connector) application token is issued for. */
export interface BotFrameworkTokenInput {
  tenantId: string;
  clientId: string;
  now: Date;
}

/** What an OpenID Connect id_token of the authorization code flow is issued for. */
export interface IdTokenInput {
  tenantId: string;
  user: SeedUser;
  clientId: string;
  nonce: string | undefined;
  withEmail: boolean;
  now: Date;
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
/** Entra's `uti`: a per-token unique id (base64url, 22 characters). */
const uniqueTokenId = () => randomBytes(16).toString('base64url').slice(0, 22);
/** Entra's `sub` is pairwise: stable for one principal and one audience, different across audiences. */
const pairwiseSubject = (principal: string, audience: string) =>
  createHash('sha256').update(`${principal.toLowerCase()}|${audience.toLowerCase()}`).digest('base64url').slice(0, 43);

/**
 * Builds and signs the emulator's tokens. The Defender simulator relies on the access-token claims exactly as
 * written here (v1.0 shape: `aud` = resource URI, `iss` = sts.windows.net, `scp` or `roles`, `appid`, `oid`).
 */
export class TokenMinter {
  constructor(
    private readonly key: SigningKey,
    private readonly issuerBaseUrl: string,
  ) {}

  /**
   * A user-context Defender token: `scp` = space-separated permission names, user identity claims; for a person
   * from another tenant also `idp` (their home issuer, as Entra writes it for guests) and `wids` (GDAP roles).
   */
  delegated(input: DelegatedTokenInput): MintedToken {
    const external = input.external;
    const iat = seconds(input.now);
    const exp = iat + ACCESS_TOKEN_LIFETIME_SECONDS;
    const token = this.key.sign({
      aud: input.resource,
      iss: v1Issuer(input.tenantId),
      iat,
      nbf: iat,
      exp,
      acr: '1',
      amr: ['pwd'],
      appid: input.clientId,
      appidacr: '1',
      ...(external ? { idp: v1Issuer(external.homeTenantId) } : {}),
      name: input.user.displayName,
      oid: input.user.aadObjectId,
      scp: input.permissions.join(' '),
      sub: pairwiseSubject(input.user.aadObjectId, input.resource),
      tid: input.tenantId,
      unique_name: external ? external.homeUpn : input.user.userPrincipalName,
      ...(external ? {} : { upn: input.user.userPrincipalName }),
      uti: uniqueTokenId(),
      ver: '1.0',
      ...(external && external.directoryRoles.length > 0 ? { wids: external.directoryRoles } : {}),
    });
    return { token, expiresOn: new Date(exp * 1000) };
  }

  /** An application-context Defender token: `roles`, `idtyp: 'app'`, `oid` = the app's service principal. */
  app(input: AppTokenInput): MintedToken {
    return this.appOnly(input, input.resource, 1);
  }

  /**
   * An app-only token for another app's API, in the version that API accepts (Entra's `requestedAccessTokenVersion`
   * decides, not the endpoint). v2: `aud` = the API's client id (whichever identifier was asked for); v1: `aud` =
   * the identifier as requested.
   */
  appForApi(input: ApiAppTokenInput): MintedToken {
    const v2 = input.api.tokenVersion === 2;
    return this.appOnly(input, v2 ? input.api.clientId : input.api.uri, input.api.tokenVersion);
  }

  /**
   * The app-only token shape: v2 has `iss` the v2 issuer and the caller in `azp`, v1 `iss` sts.windows.net and
   * the caller in `appid`. Both: `idtyp: 'app'` (the optional claim the bot's manifest asks for), `oid`/`sub` the
   * caller's service principal, `roles` when assigned, no `scp`.
   */
  private appOnly(
    input: { tenantId: string; clientId: string; roles: string[]; now: Date },
    audience: string,
    version: 1 | 2,
  ): MintedToken {
    const iat = seconds(input.now);
    const exp = iat + ACCESS_TOKEN_LIFETIME_SECONDS;
    const spId = servicePrincipalId(input.tenantId, input.clientId);
    const v2 = version === 2;
    const token = this.key.sign({
      aud: audience,
      iss: v2 ? v2Issuer(this.issuerBaseUrl, input.tenantId) : v1Issuer(input.tenantId),
      iat,
      nbf: iat,
      exp,
      ...(v2 ? { azp: input.clientId, azpacr: '1' } : { appid: input.clientId, appidacr: '1' }),
      idp: v1Issuer(input.tenantId),
      idtyp: 'app',
      oid: spId,
      ...(input.roles.length > 0 ? { roles: input.roles } : {}),
      sub: spId,
      tid: input.tenantId,
      uti: uniqueTokenId(),
      ver: v2 ? '2.0' : '1.0',
    });
    return { token, expiresOn: new Date(exp * 1000) };
  }

  /**
   * A v2.0 token for the bot's own API, shaped like the Teams SSO token (defender-api.md §10.5). `amr` appears only
   * on step-up tokens: the emulator's convention for "this sign-in satisfied the MFA challenge".
   */
  userAssertion(input: UserAssertionInput): MintedToken {
    const iat = seconds(input.now);
    const exp = iat + input.lifetimeSeconds;
    const authorizedParty = input.authorizedParty ?? TEAMS_DESKTOP_CLIENT_ID;
    const token = this.key.sign({
      aud: input.audience,
      iss: v2Issuer(this.issuerBaseUrl, input.tenantId),
      iat,
      nbf: iat,
      exp,
      ...(input.mfa ? { amr: ['pwd', 'mfa'] } : {}),
      azp: authorizedParty,
      // Teams is a public client (0); the bot redeeming its own code authenticates with its secret (1).
      azpacr: authorizedParty === TEAMS_DESKTOP_CLIENT_ID ? '0' : '1',
      name: input.user.displayName,
      oid: input.user.aadObjectId,
      preferred_username: input.user.userPrincipalName,
      ...(input.user.appRoles.length > 0 ? { roles: [...input.user.appRoles] } : {}),
      scp: input.scope ?? 'access_as_user',
      sub: pairwiseSubject(input.user.aadObjectId, input.audience),
      tid: input.tenantId,
      uti: uniqueTokenId(),
      ver: '2.0',
    });
    return { token, expiresOn: new Date(exp * 1000) };
  }

  /**
   * The bot's token for the Bot Connector: v2 app token, `aud` https://api.botframework.com. `appid` rides along
   * with the v2 `azp` because real Bot Framework tokens are v1 today and verifiers read either.
   */
  botFramework(input: BotFrameworkTokenInput): MintedToken {
    const iat = seconds(input.now);
    const exp = iat + ACCESS_TOKEN_LIFETIME_SECONDS;
    const spId = servicePrincipalId(input.tenantId, input.clientId);
    const token = this.key.sign({
      aud: BOT_FRAMEWORK_RESOURCE,
      iss: v2Issuer(this.issuerBaseUrl, input.tenantId),
      iat,
      nbf: iat,
      exp,
      appid: input.clientId,
      azp: input.clientId,
      azpacr: '1',
      idp: v1Issuer(input.tenantId),
      idtyp: 'app',
      oid: spId,
      sub: spId,
      tid: input.tenantId,
      uti: uniqueTokenId(),
      ver: '2.0',
    });
    return { token, expiresOn: new Date(exp * 1000) };
  }

  /** A v2 id_token for the app that redeemed an authorization code (`aud` = its client id). */
  idToken(input: IdTokenInput): MintedToken {
    const iat = seconds(input.now);
    const exp = iat + DEFAULT_ASSERTION_LIFETIME_SECONDS;
    const token = this.key.sign({
      aud: input.clientId,
      iss: v2Issuer(this.issuerBaseUrl, input.tenantId),
      iat,
      nbf: iat,
      exp,
      ...(input.withEmail ? { email: input.user.userPrincipalName } : {}),
      name: input.user.displayName,
      ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
      oid: input.user.aadObjectId,
      preferred_username: input.user.userPrincipalName,
      sub: pairwiseSubject(input.user.aadObjectId, input.clientId),
      tid: input.tenantId,
      uti: uniqueTokenId(),
      ver: '2.0',
    });
    return { token, expiresOn: new Date(exp * 1000) };
  }
}
