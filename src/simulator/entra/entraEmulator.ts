import type { EntraStats, UserAssertionRequest } from './entraTypes';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JSONWebKeySet } from 'jose';
import type { Logger } from '../../logging/logger';
import type { Seed } from '../seed/seedSchema';
import { isLoopback, sendJson } from '../simHttp';
import type { SimHandler } from '../simHttp';
import { AuthorizationCodeStore } from './authorizationCodes';
import { AuthorizeEndpoint } from './authorizeEndpoint';
import type { AuthorizeRequestRecord } from './authorizeEndpoint';
import { instanceDiscovery, openIdConfigurationV1, openIdConfigurationV2 } from './discoveryDocuments';
import { handleEntraControl } from './entraControlRoutes';
import { EntraDirectory } from './entraDirectory';
import type { EntraClientRegistration } from './entraDirectory';
import { EntraLookupError } from './entraLookupError';
import { EntraTokenError, entraErrors, toEntraErrorBody } from './entraTokenError';
import { loopbackRedirect } from './loopbackRedirect';
import { SigningKey } from './signingKey';
import { TokenEndpoint } from './tokenEndpoint';
import { DEFAULT_ASSERTION_LIFETIME_SECONDS, TokenMinter } from './tokenMinter';
import type { MintedToken } from './tokenMinter';

/** How to build an emulator: the seeded tenants, the public origin it is reached at, a logger and a clock. */
export interface EntraEmulatorOptions {
  seeds: Seed[];
  /** The HTTPS origin the composing server listens on, e.g. `https://127.0.0.1:3979` (no trailing slash). */
  issuerBaseUrl: string;
  logger?: Logger;
  /** The emulator's clock (token times, expiry checks); tests move it to expire assertions. */
  now?: () => Date;
}

/** The Entra ID emulator: HTTP routes for msal-node and the Defender simulator, plus in-process controls. */
export interface EntraEmulator {
  /** Answers the Entra routes and `/_sim/entra/...`; resolves false for any other path. */
  handle: SimHandler;
  /** The public JWKS the Defender simulator verifies access tokens with. */
  getKeySet(): JSONWebKeySet;
  /** Adds or replaces an app registration (consented in its home tenant, if given). */
  registerClient(client: EntraClientRegistration): void;
  /** Registers a certificate credential (public PEM) on an app; throws EntraLookupError for an unknown app. */
  addClientCertificate(clientId: string, certificatePem: string): void;
  /** Records a tenant's admin consent for a client. */
  grantAdminConsent(tenantId: string, clientId: string): void;
  /** Withdraws it: OBO answers 65001, authorize redirects `consent_required`, app tokens lose their roles. */
  revokeAdminConsent(tenantId: string, clientId: string): void;
  /** The tenant's administrator declines the next admin consent request (error redirect, AADSTS65004). */
  declineNextAdminConsent(tenantId: string): void;
  /** True for a seeded tenant id or verified domain. */
  knowsTenant(tenantIdOrDomain: string): boolean;
  /** The most recent authorize request (claims, login_hint, outcome…), for tests of the sign-in fallback. */
  lastAuthorizeRequest(): AuthorizeRequestRecord | undefined;
  /** Every authorize request since start, oldest first. */
  authorizeRequests(): AuthorizeRequestRecord[];
  /** Mints a Teams-SSO-like v2 token for a seeded user; throws EntraLookupError for an unknown tenant or user. */
  mintUserAssertion(input: UserAssertionRequest): MintedToken;
  /** Token endpoint counters since start or the last reset. */
  stats(): EntraStats;
  /** Zeroes the counters. */
  resetStats(): void;
}

/** A tenant id, a multi-tenant segment, or a domain name (Entra resolves verified domains to their tenant). */
const TENANT_SEGMENT =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12,13}|common|organizations|(?:[a-z0-9-]{1,63}\.)+[a-z]{2,63})$/i;
const MULTI_TENANT_SEGMENTS = new Set(['common', 'organizations']);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12,13}$/i;
const METADATA_HEADERS = { 'cache-control': 'max-age=86400, private' };
const TOKEN_HEADERS = { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' };
/** AADSTS65004's message (Entra error-code reference: "User declined to consent to access the app"). */
const CONSENT_DECLINED = 'User declined to consent to access the app.';
/** How far in the past an `expired` assertion's `exp` lies: beyond the five minutes of skew validators allow. */
const EXPIRED_MARGIN_SECONDS = 600;
/** Authorize requests kept for `authorizeRequests()`; a long demo run must not grow without bound. */
const MAX_AUTHORIZE_RECORDS = 1000;

/**
 * Creates an emulator with a fresh signing key (private half in memory only). Seed clients are registered in,
 * and consented by, their own tenant.
 */
export function createEntraEmulator(options: EntraEmulatorOptions): EntraEmulator {
  const issuerBaseUrl = normaliseBaseUrl(options.issuerBaseUrl);
  const now = options.now ?? (() => new Date());
  const logger = options.logger;
  const key = new SigningKey();
  const directory = new EntraDirectory(options.seeds);
  const minter = new TokenMinter(key, issuerBaseUrl);
  const codes = new AuthorizationCodeStore(now);
  const tokenEndpoint = new TokenEndpoint({ directory, minter, key, codes, issuerBaseUrl, now });
  const authorizeEndpoint = new AuthorizeEndpoint({ directory, codes, issuerBaseUrl, now });
  const authorizeRecords: AuthorizeRequestRecord[] = [];
  let stats: EntraStats = { tokenRequests: 0, byGrant: {} };

  const errorContext = (correlationId: string) => ({ now: now(), traceId: randomUUID(), correlationId, issuerBaseUrl });
  const sendEntraError = (res: ServerResponse, err: EntraTokenError, correlationId: string) =>
    sendJson(res, err.status, toEntraErrorBody(err, errorContext(correlationId)), TOKEN_HEADERS);

  const emulator: EntraEmulator = {
    // Synchronous work behind the SimHandler's Promise; a throw becomes a rejection for the composing server.
    handle: (req, res, url, body) => new Promise<boolean>((resolve) => resolve(route(req, res, url, body))),

    getKeySet: () => ({ keys: [key.publicJwk()] }),

    registerClient: (client) => directory.registerClient(client),

    addClientCertificate: (clientId, certificatePem) => {
      if (!directory.addCertificate(clientId, certificatePem)) {
        throw new EntraLookupError('client_not_found', `client ${clientId} is not registered`);
      }
    },

    grantAdminConsent: (tenantId, clientId) => {
      const { tenant, client } = knownTenantAndClient(tenantId, clientId);
      directory.grantAdminConsent(tenant, client);
    },

    revokeAdminConsent: (tenantId, clientId) => {
      const { tenant, client } = knownTenantAndClient(tenantId, clientId);
      directory.revokeAdminConsent(tenant, client);
    },

    knowsTenant: (tenantId) => directory.tenant(tenantId) !== undefined,

    declineNextAdminConsent: (tenantId) => {
      const tenant = directory.tenant(tenantId);
      if (!tenant) throw new EntraLookupError('tenant_not_found', `tenant ${tenantId} is not seeded`);
      directory.declineNextConsent(tenant.id);
    },

    lastAuthorizeRequest: () => {
      const last = authorizeRecords[authorizeRecords.length - 1];
      return last ? { ...last } : undefined;
    },

    authorizeRequests: () => authorizeRecords.map((record) => ({ ...record })),

    mintUserAssertion: (input) => {
      const tenant = directory.tenant(input.tenantId);
      if (!tenant) throw new EntraLookupError('tenant_not_found', `tenant ${input.tenantId} is not seeded`);
      const user = directory.user(tenant.id, input.aadObjectId);
      if (!user) throw new EntraLookupError('user_not_found', `no such user in tenant ${tenant.id}`);
      const lifetimeSeconds = input.lifetimeSeconds ?? DEFAULT_ASSERTION_LIFETIME_SECONDS;
      const issuedAt = input.expired
        ? new Date(now().getTime() - (lifetimeSeconds + EXPIRED_MARGIN_SECONDS) * 1000)
        : now();
      return minter.userAssertion({
        tenantId: tenant.id,
        user,
        audience: input.audience,
        lifetimeSeconds,
        now: issuedAt,
        ...(input.scope !== undefined ? { scope: input.scope } : {}),
        ...(input.mfa ? { mfa: true } : {}),
      });
    },

    stats: () => ({ tokenRequests: stats.tokenRequests, byGrant: { ...stats.byGrant } }),

    resetStats: () => {
      stats = { tokenRequests: 0, byGrant: {} };
    },
  };

  /**
   * A consent change names a tenant (id or verified domain) and an app; ids the emulator does not know are kept as
   * given (callers may consent before they register; the control route refuses unseeded tenants itself).
   */
  function knownTenantAndClient(tenantId: string, clientId: string): { tenant: string; client: string } {
    return {
      tenant: directory.tenant(tenantId)?.id ?? tenantId,
      client: directory.client(clientId)?.clientId ?? clientId,
    };
  }

  /** Routes one request; true when it was an Entra or control route (answered), false otherwise. */
  function route(req: IncomingMessage, res: ServerResponse, url: URL, body: string): boolean {
    const path = url.pathname;
    if (path === '/_sim/entra' || path.startsWith('/_sim/entra/')) {
      handleEntraControl(emulator, req, res, path, body, logger);
      return true;
    }
    const segments = path.split('/').filter((segment) => segment.length > 0);
    const [tenantSegment, ...rest] = segments;
    if (!tenantSegment || !TENANT_SEGMENT.test(tenantSegment)) return false;
    const entraPath = rest.join('/');
    const method = req.method ?? 'GET';
    const correlationId = correlationIdOf(req);

    try {
      switch (entraPath) {
        case 'oauth2/v2.0/token':
        case 'oauth2/token':
          if (method !== 'POST') return methodNotAllowed(res, 'POST');
          answerTokenRequest(req, res, tenantSegment, entraPath === 'oauth2/token' ? 'v1' : 'v2', body, correlationId);
          return true;
        case 'v2.0/.well-known/openid-configuration':
        case '.well-known/openid-configuration':
          if (method !== 'GET') return methodNotAllowed(res, 'GET');
          {
            const resolved = resolveKnownTenant(tenantSegment);
            sendJson(
              res,
              200,
              entraPath.startsWith('v2.0')
                ? openIdConfigurationV2(issuerBaseUrl, resolved)
                : openIdConfigurationV1(issuerBaseUrl, resolved),
              METADATA_HEADERS,
            );
          }
          return true;
        case 'discovery/v2.0/keys':
        case 'discovery/keys':
          if (method !== 'GET') return methodNotAllowed(res, 'GET');
          sendJson(res, 200, emulator.getKeySet(), METADATA_HEADERS);
          return true;
        case 'discovery/instance':
          if (method !== 'GET') return methodNotAllowed(res, 'GET');
          sendJson(
            res,
            200,
            instanceDiscovery(issuerBaseUrl, url.searchParams.get('authorization_endpoint')),
            METADATA_HEADERS,
          );
          return true;
        case 'adminconsent':
          if (method !== 'GET') return methodNotAllowed(res, 'GET');
          answerAdminConsent(req, res, tenantSegment, url);
          return true;
        case 'oauth2/v2.0/authorize':
          if (method !== 'GET') return methodNotAllowed(res, 'GET');
          answerAuthorize(req, res, tenantSegment, url, correlationId);
          return true;
        default:
          return false;
      }
    } catch (err) {
      if (!(err instanceof EntraTokenError)) throw err;
      sendEntraError(res, err, correlationId);
      return true;
    }
  }

  function answerTokenRequest(
    req: IncomingMessage,
    res: ServerResponse,
    tenantSegment: string,
    version: 'v1' | 'v2',
    body: string,
    correlationId: string,
  ): void {
    const traceId = randomUUID();
    const result = tokenEndpoint.handle({
      pathTenant: tenantSegment,
      version,
      body,
      authorization: req.headers.authorization,
      traceId,
      correlationId,
    });
    stats.tokenRequests += 1;
    stats.byGrant[result.grant] = (stats.byGrant[result.grant] ?? 0) + 1;
    // Grant, client, tenant and outcome only: never the form, the assertion, the secret or the token.
    logger?.info(
      {
        grantType: result.grant,
        clientId: result.clientId,
        tenantId: result.tenantId,
        outcome: result.outcome,
        status: result.status,
      },
      'entra emulator token request',
    );
    sendJson(res, result.status, result.body, {
      ...TOKEN_HEADERS,
      'x-ms-request-id': traceId,
      'client-request-id': correlationId,
    });
  }

  /** `GET /{tenant}/oauth2/v2.0/authorize`: see AuthorizeEndpoint. Loopback callers only, like admin consent. */
  function answerAuthorize(
    req: IncomingMessage,
    res: ServerResponse,
    tenantSegment: string,
    url: URL,
    correlationId: string,
  ): void {
    if (!isLoopback(req)) {
      sendJson(res, 403, { error: 'forbidden', message: 'the emulator signs in loopback callers only' });
      return;
    }
    const { answer, record } = authorizeEndpoint.handle(tenantSegment, url.searchParams);
    authorizeRecords.push(record);
    if (authorizeRecords.length > MAX_AUTHORIZE_RECORDS) authorizeRecords.shift();
    // Client, tenant and outcome only: never the code, the state, the challenge or the claims.
    logger?.info(
      { clientId: record.clientId, tenant: tenantSegment, outcome: record.outcome },
      'entra emulator authorize request',
    );
    if (answer.kind === 'error') {
      sendEntraError(res, answer.error, correlationId);
      return;
    }
    res.writeHead(302, { location: answer.location, 'content-length': 0, 'cache-control': 'no-store' });
    res.end();
  }

  /**
   * The path segment a metadata document is written for: `common` / `organizations` as they are, a tenant id or a
   * verified domain resolved to the tenant id (Entra's documents name the GUID, never the domain); AADSTS90002
   * `invalid_tenant` for a tenant nobody seeded.
   */
  function resolveKnownTenant(tenantSegment: string): string {
    if (MULTI_TENANT_SEGMENTS.has(tenantSegment.toLowerCase())) return tenantSegment;
    const tenant = directory.tenant(tenantSegment);
    if (!tenant) throw entraErrors.tenantNotFound(tenantSegment, 'invalid_tenant');
    return tenant.id;
  }

  /**
   * `GET /{tenant}/adminconsent?client_id=...`: the admin consent URL the bot shows after AADSTS65001 or sends to
   * a new customer. There is no sign-in page to show, so a loopback caller's visit counts as the administrator's
   * answer: consent, or a decline when `/_sim/entra/consent/decline` armed one. A single-tenant app consented from
   * another tenant gets AADSTS700016 as an error redirect. Redirects only to loopback `redirect_uri`s.
   */
  function answerAdminConsent(req: IncomingMessage, res: ServerResponse, tenantSegment: string, url: URL): void {
    if (!isLoopback(req)) {
      sendJson(res, 403, { error: 'forbidden', message: 'the emulator grants consent to loopback callers only' });
      return;
    }
    const tenant = MULTI_TENANT_SEGMENTS.has(tenantSegment.toLowerCase()) ? undefined : directory.tenant(tenantSegment);
    if (!tenant) throw entraErrors.tenantNotFound(tenantSegment, 'invalid_tenant');
    const clientId = url.searchParams.get('client_id');
    if (!clientId) throw entraErrors.missingParameter('client_id');
    const client = directory.client(clientId);
    if (!client) throw entraErrors.applicationNotFound(clientId, tenant.id);
    const state = url.searchParams.get('state');
    const redirect = loopbackRedirect(url.searchParams.get('redirect_uri'));

    const refusal = directory.isKnownIn(client, tenant.id)
      ? directory.takeConsentDecline(tenant.id)
        ? { error: 'access_denied', aadsts: 65004, description: CONSENT_DECLINED }
        : undefined
      : {
          error: 'unauthorized_client',
          aadsts: 700016,
          description:
            `Application with identifier '${client.clientId}' was not found in the directory '${tenant.name}'. ` +
            'This can happen if the application has not been installed by the administrator of the tenant or ' +
            'consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.',
        };
    if (refusal) {
      logger?.info(
        { tenantId: tenant.id, clientId: client.clientId, outcome: `AADSTS${refusal.aadsts}` },
        'entra emulator admin consent',
      );
      const description = toEntraErrorBody(
        new EntraTokenError(400, 'invalid_request', refusal.aadsts, refusal.description),
        errorContext(randomUUID()),
      ).error_description;
      if (redirect) {
        redirect.searchParams.set('error', refusal.error);
        redirect.searchParams.set('error_description', description);
        if (state !== null) redirect.searchParams.set('state', state);
        res.writeHead(302, { location: redirect.toString(), 'content-length': 0 });
        res.end();
        return;
      }
      sendJson(res, 400, { error: refusal.error, error_description: description }, TOKEN_HEADERS);
      return;
    }

    directory.grantAdminConsent(tenant.id, client.clientId);
    logger?.info(
      { tenantId: tenant.id, clientId: client.clientId, outcome: 'consented' },
      'entra emulator admin consent',
    );
    if (redirect) {
      redirect.searchParams.set('tenant', tenant.id);
      redirect.searchParams.set('admin_consent', 'True');
      if (state !== null) redirect.searchParams.set('state', state);
      res.writeHead(302, { location: redirect.toString(), 'content-length': 0 });
      res.end();
      return;
    }
    sendJson(res, 200, { tenant: tenant.id, client_id: client.clientId, admin_consent: 'True' }, TOKEN_HEADERS);
  }

  return emulator;
}

function methodNotAllowed(res: ServerResponse, allow: string): true {
  sendJson(res, 405, { error: 'method_not_allowed' }, { allow });
  return true;
}

/** msal sends `client-request-id`; Entra echoes it as the correlation id. Anything not GUID-shaped is replaced. */
function correlationIdOf(req: IncomingMessage): string {
  const header = req.headers['client-request-id'];
  return typeof header === 'string' && GUID.test(header) ? header : randomUUID();
}

function normaliseBaseUrl(value: string): string {
  const url = new URL(value);
  if (url.protocol !== 'https:') throw new Error('issuerBaseUrl must be https (msal-node refuses http authorities)');
  return url.origin;
}
