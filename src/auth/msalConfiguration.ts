import { ConfidentialClientApplication, LogLevel } from '@azure/msal-node';
import type { Configuration } from '@azure/msal-node';
import { AppError } from '../errors';
import type { HttpClient } from '../http/httpClient';
import { scrubTokens } from '../logging/logger';
import type { Logger } from '../logging/logger';
import { MsalNetworkClient } from './msalNetworkClient';

/** MDE's v2 scope; `.default` = every delegated permission the tenant consented to (defender-api.md §1.3). */
export const DEFAULT_DEFENDER_SCOPE = 'https://api.securitycenter.microsoft.com/.default';

/** The bot's app registration and where its tokens come from; shared by the OBO and the app token providers. */
export interface MsalClientOptions {
  clientId: string;
  /** Exactly one of `clientSecret` / `clientCertificate`. */
  clientSecret?: string;
  /** A certificate credential (msal signs a client assertion with it). */
  clientCertificate?: { thumbprintSha256: string; privateKey: string; x5c?: string };
  /** `https://login.microsoftonline.com` in production, the Entra emulator's origin in demo mode and tests. */
  authorityHost: string;
  /** The tenant of msal's default authority; every request names its own tenant anyway. */
  defaultTenantId?: string;
  /** The authority's OpenID metadata (JSON), already fetched: msal then makes no metadata request of its own. */
  authorityMetadata?: string;
  /** Transport for every msal request (carries the emulator's CA in demo mode). */
  httpClient: HttpClient;
  logger: Logger;
}

/** Microsoft cloud hosts msal-node has built-in metadata for; any other host is listed in `knownAuthorities`. */
const MICROSOFT_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoft.com',
  'login.windows.net',
  'sts.windows.net',
  'login.microsoftonline.us',
  'login.usgovcloudapi.net',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
]);

/** Tenant ids as Entra writes them (the Agents Playground's ids have 13 digits in the last group), and `botframework.com`. */
const TENANT_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12,13}|botframework\.com)$/i;

/** The authority host as an https origin; msal-node refuses anything else (`authority_uri_insecure`). */
export function normaliseAuthorityHost(value: string): string {
  const url = new URL(value);
  if (url.protocol !== 'https:') throw new AppError('internal', 'the authority host must be an https URL');
  return url.origin;
}

/** `<host>/<tenantId>`; a tenant id that is not a GUID never reaches a URL. */
export function tenantAuthority(authorityHost: string, tenantId: string): string {
  if (!TENANT_ID.test(tenantId)) throw new AppError('notSignedIn', 'the tenant id is not a GUID');
  return `${authorityHost}/${tenantId}`;
}

/**
 * msal's warnings that describe how a flow works, not a problem: a client-credentials (or on-behalf-of) answer
 * never has `client_info`, as it is only returned to interactive flows that ask for it.
 */
const EXPECTED_MSAL_WARNINGS = [/No client info in response/];

/**
 * Routes msal's log to pino without PII: its warnings at warn (except the expected ones, at debug), its errors at
 * debug (the token providers map and log each failure themselves, once, with the user-facing code).
 */
export function msalLogRouter(logger: Logger): (level: LogLevel, message: string, containsPii: boolean) => void {
  return (level, message, containsPii) => {
    if (containsPii) return;
    const msal = scrubTokens(message);
    if (level === LogLevel.Error) logger.debug({ msal }, 'msal error');
    else if (level === LogLevel.Warning && !EXPECTED_MSAL_WARNINGS.some((pattern) => pattern.test(message)))
      logger.warn({ msal }, 'msal warning');
    else logger.debug({ msal }, 'msal');
  };
}

/**
 * Builds the process's ConfidentialClientApplication: msal's in-memory token cache, the product's network
 * client, no instance discovery against login.microsoftonline.com for a non-Microsoft host (the emulator is a
 * known authority, its OpenID metadata is fetched from itself), and msal's log routed to pino without PII.
 */
export function createConfidentialClient(options: MsalClientOptions): ConfidentialClientApplication {
  const hasSecret = options.clientSecret !== undefined && options.clientSecret.length > 0;
  const hasCertificate = options.clientCertificate !== undefined;
  if (hasSecret === hasCertificate) {
    throw new AppError('clientCredentialsInvalid', 'configure exactly one of clientSecret or clientCertificate');
  }
  const authorityHost = normaliseAuthorityHost(options.authorityHost);
  const host = new URL(authorityHost).host;
  const logger = options.logger;

  const configuration: Configuration = {
    auth: {
      clientId: options.clientId,
      authority: options.defaultTenantId
        ? tenantAuthority(authorityHost, options.defaultTenantId)
        : `${authorityHost}/organizations`,
      ...(hasSecret ? { clientSecret: options.clientSecret } : { clientCertificate: options.clientCertificate }),
      ...(MICROSOFT_AUTHORITY_HOSTS.has(host.toLowerCase()) ? {} : { knownAuthorities: [host] }),
      ...(options.authorityMetadata ? { authorityMetadata: options.authorityMetadata } : {}),
    },
    system: {
      networkClient: new MsalNetworkClient(options.httpClient),
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: LogLevel.Warning,
        loggerCallback: msalLogRouter(logger),
      },
    },
  };
  return new ConfidentialClientApplication(configuration);
}
