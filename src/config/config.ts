import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ApprovalPolicy } from '../approvals/approvalPolicy';
import { DEFAULT_APPROVAL_POLICY } from '../approvals/approvalPolicy';
import { RESPONSE_ACTION_KINDS } from '../approvals/approvalTypes';
import type { ResolutionRule } from '../incidents/resolutionPolicy';
import { DEFAULT_RESOLUTION_RULES, RESOLUTION_RULES } from '../incidents/resolutionPolicy';
import type { ResponseActionKind } from '../approvals/approvalTypes';
import type { StorageConfig } from '../storage/createStorage';

/*
 * The only reader of process.env. Every setting is parsed and validated once, at start-up; a bad or missing
 * setting stops the process with one message listing every problem (names and reasons, never values).
 * Unset and empty mean "use the default" unless a setting says otherwise.
 */

/** Demo mode runs the simulator, the Entra emulator and the Playground; production talks to Microsoft. */
export type RunMode = 'demo' | 'production';

/** The validated configuration every component is built from (see README "Configuration"). */
export interface Config {
  mode: RunMode;
  /** Port of the bot's HTTP endpoint (`/api/messages`). */
  port: number;
  /** Interface the bot listens on; loopback unless HOST says otherwise. */
  host: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Where durable state and the demo's generated certificates live. */
  dataDir: string;
  /** Advanced hunting: the administrator's own saved hunts, beside the shipped hunts/ folder. */
  hunting: {
    /** HUNTS_DIR: a folder of `*.yaml` hunt files (unset or empty: the shipped hunts only; unreadable: startup fails). */
    huntsDir: string | undefined;
  };
  /** Where the bot's state lives: files in DATA_DIR/state (one instance) or Azure Blob Storage (several). */
  storage: StorageConfig;
  /**
   * STATE_ENCRYPTION_KEY (base64, 32 bytes): seals users' SSO assertions and sign-in state in the store
   * (AES-256-GCM). Unset: generated once in DATA_DIR (one instance, file store); required with Blob storage, where
   * every instance must share it. Set but not 32 bytes of base64: a configuration error.
   */
  stateEncryptionKey: Buffer | undefined;
  /** Background work shared among instances (README "Running several instances"). */
  leases: { seconds: number; renewMs: number };
  bot: {
    /** Entra app id of the bot (BOT_ID); unset in demo mode. */
    appId: string | undefined;
    password: string | undefined;
    /** PEM file with the bot credential's private key and certificate (instead of BOT_PASSWORD). */
    certificateFile: string | undefined;
    /** Home tenant of the app registration and of the SingleTenant Azure Bot: the authority of the Teams token. */
    tenantId: string | undefined;
    /** The Azure Bot's type (msaAppType); only SingleTenant is accepted (docs/adr/0002). */
    type: 'SingleTenant';
    /** Public origin of the bot (https://BOT_DOMAIN): sign-in pages and the admin-consent redirect. */
    publicUrl: string | undefined;
    /** Name put in OAuth cards; Teams requires one even though the bot does its own token exchange. */
    ssoConnectionName: string;
  };
  /** Tenants whose activities are served; undefined = any (demo mode only). */
  allowedTenantIds: string[] | undefined;
  /** Where the Bot Framework channel's tokens are checked and the bot's own tokens go (sovereign and private clouds). */
  channel: {
    openIdMetadataUrl: string;
    tokenIssuer: string;
    loginUrl: string;
    oauthScope: string;
    oauthUrl: string;
    callerId: string;
  };
  /** PEM certificates trusted for outbound HTTPS in addition to the system roots (private clouds, proxies). */
  extraCaPem: string[];
  /** Response actions: who may request and approve, how many approvers, expiry (README "Approval policy"). */
  approvals: ApprovalPolicy & {
    /** How often submitted actions are checked in Defender and overdue requests expired. */
    pollIntervalMs: number;
    /** A containment older than this earns its requester a reminder (CONTAINMENT_REMINDER_HOURS). */
    containmentReminderMs: number;
  };
  /** Proactive alert notifications (README "Alert notifications"). */
  notifications: {
    /** Poll Defender for changed alerts (tenants with subscriptions only); off = push only. */
    poll: boolean;
    pollIntervalMs: number;
    /** Each poll re-reads this far behind its watermark (alerts Defender indexes late). */
    overlapMs: number;
    /** More than `digestThreshold` new cards in `digestWindowMs` in one conversation become one digest card. */
    digestThreshold: number;
    digestWindowMs: number;
    /** Teams' per-app-per-tenant request budget the bot stays under (requests per second). */
    teamsTenantRequestsPerSecond: number;
    /** POST /api/notify: callers' app (or managed identity) ids allowed with an Entra token. */
    notifyClientIds: string[];
    /** POST /api/notify: Standard Webhooks secrets (`whsec_…`) accepted for HMAC-signed calls. */
    notifyHmacSecrets: string[];
    notifyMaxBodyBytes: number;
  };
  defender: {
    /** Share of the Defender budget background work (polling, tracking) may use; the rest is kept for people. */
    backgroundShare: number;
    /** Base URL of the Defender for Endpoint API (no trailing slash). */
    apiUrl: string;
    /** Scope requested on-behalf-of the user and for the app (one resource, `.default`). */
    scope: string;
    /** Client-side budget per tenant; Defender allows 100 calls per minute per API. */
    rateLimitPerMinute: number;
    /**
     * A person's call expected to wait longer than this for a slot of the client-side limiter is queued with a
     * notice (a message: the answer is posted when its turn comes) or refused with "try again in N s" (a card click).
     */
    rateLimitMaxWaitMs: number;
    /** Longest a person's call waits in the tenant's fair queue before "Defender is busy" (at least the above). */
    queueMaxWaitMs: number;
    /**
     * Several instances: a starting instance makes no Defender call for this long, until the calls the others made
     * under their larger shares have left Defender's window (README "Running several instances").
     */
    joinWaitMs: number;
    timeoutMs: number;
    maxRetries: number;
    /** Longest Retry-After the client waits for inside an interactive command. */
    maxRetryAfterMs: number;
  };
  /** Microsoft Graph security API (Defender XDR incidents, alerts from every source); timeouts and retries as Defender's. */
  graph: {
    /** Base URL including the version, e.g. https://graph.microsoft.com/v1.0. */
    apiUrl: string;
    /** Graph's `.default` scope, requested on-behalf-of the user and for the app (its own token, never Defender's). */
    scope: string;
    /** Client-side budget per tenant; Graph allows 150 security requests per minute per app and tenant. */
    rateLimitPerMinute: number;
  };
  entra: {
    /** Authority host for every token (msal), e.g. https://login.microsoftonline.com. */
    authorityHost: string;
  };
  /** Present in demo mode only. */
  demo:
    | {
        simulatorPort: number;
        playgroundPort: number;
        playground: boolean;
        /** Start the local Teams host page of the tab (TEAMS_HOST), on this port (TEAMS_HOST_PORT). */
        teamsHost: boolean;
        teamsHostPort: number;
        /** Start the Playground as this persona (name, first name or UPN) instead of its default user. */
        playgroundUser: string | undefined;
        /** Seed file for the simulator; undefined = the shipped demo tenant. */
        seedPath: string | undefined;
        /**
         * `contoso`: one organisation's SOC (the shipped demo tenant). `mssp`: a provider's SOC (Woodgrove Security)
         * serving customer tenants (Contoso, Fabrikam; Tailspin Toys to onboard) — src/simulator/seed/mssp/.
         */
        scenario: 'contoso' | 'mssp';
        /** Action lifecycle and rate-limit knobs of the embedded simulator. */
        simulatorRateLimitPerMinute: number;
        /** How the demo bot authenticates to the Entra emulator: a per-start secret or a certificate (DATA_DIR). */
        credential: 'secret' | 'certificate';
      }
    | undefined;
}

/** Raised when the environment is invalid; `problems` lists one line per setting, never a value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const emptyAsUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const port = (fallback: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(65535).default(fallback));
const positiveInt = (fallback: number, max: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(max).default(fallback));
const optionalString = z.preprocess(emptyAsUndefined, z.string().trim().optional());
const guid = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a GUID');
/** A comma-separated list setting; unset or empty means the default. */
function list<T extends z.ZodType<string>>(fallback: readonly z.infer<T>[], item: T) {
  return z.preprocess(
    (value) => (typeof value === 'string' && value.trim() !== '' ? value.split(/[\s,]+/).filter(Boolean) : undefined),
    z.array(item).default([...fallback] as never),
  );
}

const actionKind = z.enum(RESPONSE_ACTION_KINDS as [ResponseActionKind, ...ResponseActionKind[]]);

/** https, or http on this machine (a local channel emulator in tests). */
const channelUrl = z
  .url({ error: 'must be a URL' })
  .refine((u) => u.startsWith('https://') || isLoopbackHttpUrl(u), 'must be https (http only on 127.0.0.1/localhost)');
const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https URL' }).transform((u) => u.replace(/\/+$/, ''));

/**
 * The `.default` scopes of the Defender for Endpoint (WindowsDefenderATP) resource in the commercial cloud, so a
 * Graph or Defender XDR scope is refused at start-up rather than answered 401 by the API: its documented
 * identifiers (defender-api.md §1.3: the API host, the `windowsatpservice` URI, the legacy `.windows.com` host, the
 * app id). Entra compares resource identifiers case-insensitively, so these are lower case. The demo's Entra
 * emulator issues exactly these.
 */
const COMMERCIAL_MDE_SCOPES = [
  'https://api.securitycenter.microsoft.com',
  'https://securitycenter.onmicrosoft.com/windowsatpservice',
  'https://api.securitycenter.windows.com',
  'fc780465-2017-40d4-a0c5-307022471b92',
].map((resource) => `${resource}/.default`);

/** Every accepted DEFENDER_SCOPE: the commercial ones and the US Government hosts' (GCC, GCC High/DoD, §1.1). */
const MDE_SCOPES = [
  ...COMMERCIAL_MDE_SCOPES,
  ...['https://api-gcc.securitycenter.microsoft.us', 'https://api-gov.securitycenter.microsoft.us'].map(
    (resource) => `${resource}/.default`,
  ),
];

const envSchema = z.object({
  PORT: port(3978),
  HOST: z.preprocess(emptyAsUndefined, z.string().default('127.0.0.1')),
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  ),
  DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default('.data')),
  HUNTS_DIR: optionalString,
  STORAGE_CONNECTION_STRING: optionalString,
  STORAGE_ACCOUNT_URL: z.preprocess(emptyAsUndefined, httpsUrl.optional()),
  STATE_ENCRYPTION_KEY: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .trim()
      .refine(
        (value) => /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === 32,
        'must be 32 bytes in base64 (openssl rand -base64 32)',
      )
      .transform((value) => Buffer.from(value, 'base64'))
      .optional(),
  ),
  STORAGE_CONTAINER: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'must be a container name (3-63 of a-z, 0-9 and single -)')
      .default('soc-bot'),
  ),
  LEASE_DURATION_SECONDS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(15).max(60).default(30)),
  LEASE_RENEW_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(500).max(30_000).optional()),
  BOT_ID: z.preprocess(emptyAsUndefined, guid.optional()),
  BOT_PASSWORD: optionalString,
  BOT_CERTIFICATE_FILE: optionalString,
  BOT_DOMAIN: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[a-z0-9.-]+(:\d{1,5})?$/i, 'must be a host name (optionally with :port), without scheme or path')
      .optional(),
  ),
  SSO_CONNECTION_NAME: z.preprocess(emptyAsUndefined, z.string().max(100).default('defender-sso')),
  ALLOWED_TENANT_IDS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .transform((v) => v.split(/[\s,]+/).filter(Boolean))
      .pipe(z.array(guid).min(1))
      .optional(),
  ),
  BOT_OPENID_METADATA_URL: z.preprocess(
    emptyAsUndefined,
    channelUrl.default('https://login.botframework.com/v1/.well-known/openidconfiguration'),
  ),
  BOT_TOKEN_ISSUER: z.preprocess(emptyAsUndefined, z.string().default('https://api.botframework.com')),
  BOT_LOGIN_URL: z.preprocess(emptyAsUndefined, httpsUrl.optional()),
  BOT_OAUTH_SCOPE: z.preprocess(emptyAsUndefined, z.string().default('https://api.botframework.com')),
  BOT_OAUTH_URL: z.preprocess(emptyAsUndefined, channelUrl.default('https://api.botframework.com')),
  BOT_CALLER_ID: z.preprocess(emptyAsUndefined, z.string().default('urn:botframework:azure')),
  EXTRA_CA_CERTS_FILE: optionalString,
  APPROVAL_EXPIRY_MINUTES: positiveInt(DEFAULT_APPROVAL_POLICY.expiryMinutes, 24 * 60),
  APPROVALS_REQUIRED: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(5).default(DEFAULT_APPROVAL_POLICY.defaultApprovals),
  ),
  APPROVALS_REQUIRED_HIGH_RISK: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(5).default(DEFAULT_APPROVAL_POLICY.highRiskApprovals),
  ),
  HIGH_RISK_DEVICE_TAGS: list(DEFAULT_APPROVAL_POLICY.highRiskTags, z.string().min(1).max(100)),
  HIGH_RISK_ACTIONS: list(DEFAULT_APPROVAL_POLICY.highRiskActions, actionKind),
  AUTO_APPROVED_ACTIONS: list(
    DEFAULT_APPROVAL_POLICY.autoApproved,
    z.string().regex(/^[a-zA-Z]+(:[A-Za-z]+)?$/, 'entries are <action> or <action>:<variant>'),
  ),
  REQUESTER_ROLES: list(DEFAULT_APPROVAL_POLICY.requesterRoles, z.string().min(1).max(100)),
  APPROVER_ROLE: z.preprocess(
    emptyAsUndefined,
    z.string().min(1).max(100).default(DEFAULT_APPROVAL_POLICY.approverRole),
  ),
  /**
   * When resolving an incident needs a second person: comma list of high, medium, low, informational,
   * truePositive, falsePositive, informationalExpectedActivity, all, none. Unset or empty: `high`; an unknown rule
   * fails start-up (a typo must not silently drop four eyes).
   */
  INCIDENT_RESOLVE_APPROVAL: list(
    DEFAULT_RESOLUTION_RULES,
    z.enum(RESOLUTION_RULES as [ResolutionRule, ...ResolutionRule[]], {
      error: `rules are ${RESOLUTION_RULES.join(', ')}`,
    }),
  ),
  APPROVER_ROLES_BY_ACTION: list([], z.string().regex(/^[a-zA-Z]+=[A-Za-z0-9._-]+$/, 'entries are <action>=<role>')),
  ACTION_POLL_INTERVAL_MS: positiveInt(5_000, 600_000),
  /** Hours a device may stay isolated or code-restricted before its requester is reminded (then every as many). */
  CONTAINMENT_REMINDER_HOURS: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number()
      .min(0.01)
      .max(24 * 90)
      .default(24),
  ),
  NOTIFY_POLL: z.preprocess(emptyAsUndefined, z.enum(['on', 'off']).default('on')),
  NOTIFY_POLL_INTERVAL_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1_000).max(3_600_000).default(15_000),
  ),
  NOTIFY_OVERLAP_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(3_600_000).default(120_000)),
  NOTIFY_DIGEST_THRESHOLD: positiveInt(5, 1_000),
  NOTIFY_DIGEST_WINDOW_MS: positiveInt(120_000, 24 * 3_600_000),
  TEAMS_TENANT_REQUESTS_PER_SECOND: positiveInt(30, 50),
  NOTIFY_CLIENT_IDS: list([], guid),
  NOTIFY_HMAC_SECRETS: list([], z.string().regex(/^whsec_[A-Za-z0-9+/=]{24,}$/, 'entries are whsec_<base64 secret>')),
  NOTIFY_MAX_BODY_BYTES: positiveInt(65_536, 1_048_576),
  DEFENDER_BACKGROUND_SHARE: z.preprocess(emptyAsUndefined, z.coerce.number().min(0.05).max(1).default(0.2)),
  BOT_TENANT_ID: z.preprocess(emptyAsUndefined, guid.optional()),
  // Any string here: an unsupported type is refused below with a message saying what to use instead.
  BOT_TYPE: z.preprocess(emptyAsUndefined, z.string().default('SingleTenant')),
  DEFENDER_API_URL: z.preprocess(emptyAsUndefined, httpsUrl.optional()),
  DEFENDER_SCOPE: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine(
        (scope) => MDE_SCOPES.includes(scope.toLowerCase()),
        `must be the Defender for Endpoint API's "<resource>/.default", one of ${MDE_SCOPES.join(', ')}`,
      )
      .default('https://api.securitycenter.microsoft.com/.default'),
  ),
  DEFENDER_RATE_LIMIT_PER_MINUTE: positiveInt(100, 100_000),
  DEFENDER_RATE_LIMIT_MAX_WAIT_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(0).max(60_000).default(5_000),
  ),
  DEFENDER_JOIN_WAIT_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(3_600_000).default(62_000)),
  DEFENDER_QUEUE_MAX_WAIT_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(0).max(3_600_000).default(600_000),
  ),
  DEFENDER_TIMEOUT_MS: positiveInt(10_000, 120_000),
  DEFENDER_MAX_RETRIES: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(10).default(3)),
  DEFENDER_MAX_RETRY_AFTER_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(0).max(120_000).default(10_000),
  ),
  GRAPH_API_URL: z.preprocess(emptyAsUndefined, httpsUrl.optional()),
  GRAPH_SCOPE: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(
        /^https:\/\/(graph\.microsoft\.com|graph\.microsoft\.us|dod-graph\.microsoft\.us|microsoftgraph\.chinacloudapi\.cn)\/\.default$/,
        'must be Microsoft Graph\'s "<graph host>/.default"',
      )
      .default('https://graph.microsoft.com/.default'),
  ),
  GRAPH_RATE_LIMIT_PER_MINUTE: positiveInt(150, 100_000),
  AUTHORITY_HOST: z.preprocess(emptyAsUndefined, httpsUrl.optional()),
  SIMULATOR_PORT: port(3979),
  PLAYGROUND_PORT: port(56150),
  PLAYGROUND: z.preprocess(emptyAsUndefined, z.enum(['on', 'off']).default('on')),
  /** Demo mode: the local Teams host page that opens the SOC console tab (the Playground hosts no tabs). */
  TEAMS_HOST: z.preprocess(emptyAsUndefined, z.enum(['on', 'off']).default('on')),
  TEAMS_HOST_PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65_535).default(3981)),
  PLAYGROUND_USER: optionalString,
  DEMO_SEED: optionalString,
  DEMO_SCENARIO: z.preprocess(emptyAsUndefined, z.enum(['contoso', 'mssp']).default('contoso')),
  DEMO_CREDENTIAL: z.preprocess(emptyAsUndefined, z.enum(['secret', 'certificate']).default('secret')),
  SIMULATOR_RATE_LIMIT_PER_MINUTE: positiveInt(100, 1_000_000),
});

/** Where the demo's Defender API and Entra ID emulator answer (one HTTPS port, loopback only). */
export function simulatorUrl(simulatorPort: number): string {
  return `https://127.0.0.1:${simulatorPort}`;
}

/** DATA_DIR alone, resolved as loadConfig resolves it: for tools that need no other setting (`npm run audit:export`). */
export function loadDataDir(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): string {
  return path.resolve(cwd, envSchema.shape.DATA_DIR.parse(env.DATA_DIR));
}

/**
 * STORAGE_* alone, read as loadConfig reads them: for tools that need no other setting (`npm run audit:export`).
 * Throws ConfigError when a value is invalid or both STORAGE_CONNECTION_STRING and STORAGE_ACCOUNT_URL are set.
 */
export function loadStorageConfig(env: NodeJS.ProcessEnv): StorageConfig {
  const parsed = storageEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const problem = storageProblem(parsed.data);
  if (problem) throw new ConfigError([problem]);
  return toStorageConfig(parsed.data);
}

const storageEnvSchema = envSchema.pick({
  STORAGE_CONNECTION_STRING: true,
  STORAGE_ACCOUNT_URL: true,
  STORAGE_CONTAINER: true,
});
type StorageEnv = z.infer<typeof storageEnvSchema>;

function storageProblem(e: StorageEnv): string | undefined {
  return e.STORAGE_CONNECTION_STRING && e.STORAGE_ACCOUNT_URL
    ? 'STORAGE_ACCOUNT_URL: set either STORAGE_CONNECTION_STRING or STORAGE_ACCOUNT_URL, not both'
    : undefined;
}

function toStorageConfig(e: StorageEnv): StorageConfig {
  return e.STORAGE_CONNECTION_STRING
    ? { kind: 'blob', connectionString: e.STORAGE_CONNECTION_STRING, container: e.STORAGE_CONTAINER }
    : e.STORAGE_ACCOUNT_URL
      ? { kind: 'blob', accountUrl: e.STORAGE_ACCOUNT_URL, container: e.STORAGE_CONTAINER }
      : { kind: 'file' };
}

/**
 * Why BOT_TYPE is refused, or undefined for SingleTenant: the Teams token must come from where the Azure Bot's
 * type says, and this project only creates (and Azure only still creates) SingleTenant bots (docs/adr/0002).
 */
function unsupportedBotType(botType: string): string | undefined {
  if (botType === 'SingleTenant') return undefined;
  if (botType === 'MultiTenant') {
    return (
      'BOT_TYPE: MultiTenant is not supported: the Azure Bot is SingleTenant (Azure creates no new multi-tenant ' +
      "bots since 31 July 2025), so the bot's Teams token must come from BOT_TENANT_ID, not botframework.com. " +
      'For an MSSP set BOT_TYPE=SingleTenant and BOT_SIGN_IN_AUDIENCE=AzureADMultipleOrgs, and onboard customers ' +
      'from Teams with "onboard customer" (docs/deploy.md)'
    );
  }
  if (botType === 'UserAssignedMSI') {
    return (
      'BOT_TYPE: UserAssignedMSI is not supported: the app registration is also the Teams SSO resource and the ' +
      'OBO client, which needs BOT_PASSWORD or BOT_CERTIFICATE_FILE; use SingleTenant'
    );
  }
  return 'BOT_TYPE: must be SingleTenant';
}

/**
 * Parses the environment into a Config, or throws ConfigError listing every problem at once.
 * `cwd` resolves relative paths (DATA_DIR, DEMO_SEED).
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const mode: RunMode = e.BOT_ID ? 'production' : 'demo';
  const botTypeProblem = unsupportedBotType(e.BOT_TYPE);
  if (botTypeProblem) problems.push(botTypeProblem);

  if (mode === 'production') {
    if (!e.BOT_PASSWORD && !e.BOT_CERTIFICATE_FILE) {
      problems.push('BOT_PASSWORD: required when BOT_ID is set (or BOT_CERTIFICATE_FILE)');
    }
    if (e.BOT_PASSWORD && e.BOT_CERTIFICATE_FILE)
      problems.push('BOT_CERTIFICATE_FILE: set either BOT_PASSWORD or BOT_CERTIFICATE_FILE, not both');
    if (!e.BOT_DOMAIN) problems.push("BOT_DOMAIN: required when BOT_ID is set (the bot's public host name)");
    if (!e.BOT_TENANT_ID) problems.push("BOT_TENANT_ID: required (the home tenant that issues the bot's Teams token)");
    if (e.DEMO_SEED) problems.push('DEMO_SEED: only valid in demo mode (unset BOT_ID to use the simulator)');
    if (e.DEMO_SCENARIO !== 'contoso')
      problems.push('DEMO_SCENARIO: only valid in demo mode (unset BOT_ID to use the simulator)');
    if (e.DEMO_CREDENTIAL === 'certificate') {
      problems.push('DEMO_CREDENTIAL: only valid in demo mode (in production set BOT_CERTIFICATE_FILE)');
    }
  } else {
    if (e.DEMO_SEED && e.DEMO_SCENARIO === 'mssp')
      problems.push('DEMO_SEED: the mssp scenario has its own seeds (src/simulator/seed/mssp/); unset one of the two');
    // Demo mode always talks to the embedded simulator; pointing it at Microsoft would mix a demo identity
    // source (tokens minted for any user) with a real authority, which must be impossible.
    if (e.AUTHORITY_HOST && !isLoopbackUrl(e.AUTHORITY_HOST)) {
      problems.push(
        'AUTHORITY_HOST: demo mode uses the built-in Entra ID emulator; set BOT_ID to use a real authority',
      );
    }
    if (e.DEFENDER_API_URL && !isLoopbackUrl(e.DEFENDER_API_URL)) {
      problems.push('DEFENDER_API_URL: demo mode uses the built-in Defender simulator; set BOT_ID to use the real API');
    }
    if (!COMMERCIAL_MDE_SCOPES.includes(e.DEFENDER_SCOPE.toLowerCase())) {
      problems.push(
        `DEFENDER_SCOPE: demo mode's Entra ID emulator is the commercial cloud; use one of ${COMMERCIAL_MDE_SCOPES.join(', ')}`,
      );
    }
    if (e.SIMULATOR_PORT === e.PORT) problems.push('SIMULATOR_PORT: must differ from PORT');
    if (e.PLAYGROUND === 'on' && (e.PLAYGROUND_PORT === e.PORT || e.PLAYGROUND_PORT === e.SIMULATOR_PORT)) {
      problems.push('PLAYGROUND_PORT: must differ from PORT and SIMULATOR_PORT');
    }
    if (e.TEAMS_HOST === 'on' && e.TEAMS_HOST_PORT !== 0 && [e.PORT, e.SIMULATOR_PORT].includes(e.TEAMS_HOST_PORT)) {
      problems.push('TEAMS_HOST_PORT: must differ from PORT and SIMULATOR_PORT');
    }
  }
  const extraCaPem: string[] = [];
  if (e.EXTRA_CA_CERTS_FILE) {
    try {
      const pem = fs.readFileSync(path.resolve(cwd, e.EXTRA_CA_CERTS_FILE), 'utf8');
      if (!pem.includes('BEGIN CERTIFICATE')) problems.push('EXTRA_CA_CERTS_FILE: holds no PEM certificate');
      else extraCaPem.push(pem);
    } catch {
      problems.push('EXTRA_CA_CERTS_FILE: cannot be read');
    }
  }
  if (e.BOT_CERTIFICATE_FILE && !fs.existsSync(path.resolve(cwd, e.BOT_CERTIFICATE_FILE))) {
    problems.push('BOT_CERTIFICATE_FILE: cannot be read');
  }
  const approverRoleByAction: Partial<Record<ResponseActionKind, string>> = {};
  for (const entry of e.APPROVER_ROLES_BY_ACTION) {
    const [kind, role] = entry.split('=') as [string, string];
    if ((RESPONSE_ACTION_KINDS as readonly string[]).includes(kind))
      approverRoleByAction[kind as ResponseActionKind] = role;
    else problems.push(`APPROVER_ROLES_BY_ACTION: unknown action ${kind}`);
  }
  for (const entry of e.AUTO_APPROVED_ACTIONS) {
    const kind = entry.split(':')[0]!;
    if (!(RESPONSE_ACTION_KINDS as readonly string[]).includes(kind))
      problems.push(`AUTO_APPROVED_ACTIONS: unknown action ${kind}`);
  }
  if (e.APPROVALS_REQUIRED_HIGH_RISK < e.APPROVALS_REQUIRED) {
    problems.push('APPROVALS_REQUIRED_HIGH_RISK: must not be lower than APPROVALS_REQUIRED');
  }
  if (e.LEASE_RENEW_MS !== undefined && e.LEASE_RENEW_MS * 2 > e.LEASE_DURATION_SECONDS * 1000) {
    problems.push(
      'LEASE_RENEW_MS: renew at least twice per LEASE_DURATION_SECONDS, or leases run out between renewals',
    );
  }
  const storageConflict = storageProblem(e);
  if (storageConflict) problems.push(storageConflict);
  if (mode === 'production' && !e.STATE_ENCRYPTION_KEY && (e.STORAGE_CONNECTION_STRING || e.STORAGE_ACCOUNT_URL)) {
    problems.push(
      'STATE_ENCRYPTION_KEY: required with Blob storage (every instance must seal and open the same sign-in state; openssl rand -base64 32)',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const demoUrl = simulatorUrl(e.SIMULATOR_PORT);
  return {
    mode,
    port: e.PORT,
    host: e.HOST,
    // Demo mode keeps the console readable for a newcomer; production logs every turn.
    logLevel: e.LOG_LEVEL ?? (mode === 'demo' ? 'warn' : 'info'),
    dataDir: path.resolve(cwd, e.DATA_DIR),
    hunting: { huntsDir: e.HUNTS_DIR ? path.resolve(cwd, e.HUNTS_DIR) : undefined },
    storage: toStorageConfig(e),
    stateEncryptionKey: e.STATE_ENCRYPTION_KEY,
    leases: {
      seconds: e.LEASE_DURATION_SECONDS,
      renewMs: e.LEASE_RENEW_MS ?? Math.floor((e.LEASE_DURATION_SECONDS * 1000) / 3),
    },
    bot: {
      appId: e.BOT_ID,
      password: e.BOT_PASSWORD,
      certificateFile: e.BOT_CERTIFICATE_FILE ? path.resolve(cwd, e.BOT_CERTIFICATE_FILE) : undefined,
      tenantId: e.BOT_TENANT_ID,
      type: 'SingleTenant',
      publicUrl: e.BOT_DOMAIN ? `${isLoopbackHost(e.BOT_DOMAIN) ? 'http' : 'https'}://${e.BOT_DOMAIN}` : undefined,
      ssoConnectionName: e.SSO_CONNECTION_NAME,
    },
    // The home tenant only unless ALLOWED_TENANT_IDS lists more (MSSP customers); demo mode any.
    allowedTenantIds:
      e.ALLOWED_TENANT_IDS ?? (mode === 'production' && e.BOT_TENANT_ID ? [e.BOT_TENANT_ID] : undefined),
    channel: {
      openIdMetadataUrl: e.BOT_OPENID_METADATA_URL,
      tokenIssuer: e.BOT_TOKEN_ISSUER,
      // The Teams token always comes from the home tenant (SingleTenant Azure Bot); demo mode sends no token.
      loginUrl:
        e.BOT_LOGIN_URL ??
        `${(e.AUTHORITY_HOST ?? 'https://login.microsoftonline.com').replace(/\/+$/, '')}/${e.BOT_TENANT_ID ?? 'organizations'}`,
      oauthScope: e.BOT_OAUTH_SCOPE,
      oauthUrl: e.BOT_OAUTH_URL,
      callerId: e.BOT_CALLER_ID,
    },
    extraCaPem,
    approvals: {
      expiryMinutes: e.APPROVAL_EXPIRY_MINUTES,
      requesterRoles: e.REQUESTER_ROLES,
      approverRole: e.APPROVER_ROLE,
      approverRoleByAction,
      defaultApprovals: e.APPROVALS_REQUIRED,
      highRiskApprovals: e.APPROVALS_REQUIRED_HIGH_RISK,
      highRiskActions: e.HIGH_RISK_ACTIONS,
      highRiskTags: e.HIGH_RISK_DEVICE_TAGS,
      autoApproved: e.AUTO_APPROVED_ACTIONS,
      incidentResolveApproval: e.INCIDENT_RESOLVE_APPROVAL,
      pollIntervalMs: e.ACTION_POLL_INTERVAL_MS,
      containmentReminderMs: Math.round(e.CONTAINMENT_REMINDER_HOURS * 3_600_000),
    },
    notifications: {
      poll: e.NOTIFY_POLL === 'on',
      pollIntervalMs: e.NOTIFY_POLL_INTERVAL_MS,
      overlapMs: e.NOTIFY_OVERLAP_MS,
      digestThreshold: e.NOTIFY_DIGEST_THRESHOLD,
      digestWindowMs: e.NOTIFY_DIGEST_WINDOW_MS,
      teamsTenantRequestsPerSecond: e.TEAMS_TENANT_REQUESTS_PER_SECOND,
      notifyClientIds: e.NOTIFY_CLIENT_IDS,
      notifyHmacSecrets: e.NOTIFY_HMAC_SECRETS,
      notifyMaxBodyBytes: e.NOTIFY_MAX_BODY_BYTES,
    },
    defender: {
      backgroundShare: e.DEFENDER_BACKGROUND_SHARE,
      apiUrl: mode === 'demo' ? demoUrl : (e.DEFENDER_API_URL ?? 'https://api.security.microsoft.com'),
      scope: e.DEFENDER_SCOPE,
      rateLimitPerMinute: e.DEFENDER_RATE_LIMIT_PER_MINUTE,
      rateLimitMaxWaitMs: e.DEFENDER_RATE_LIMIT_MAX_WAIT_MS,
      queueMaxWaitMs: Math.max(e.DEFENDER_QUEUE_MAX_WAIT_MS, e.DEFENDER_RATE_LIMIT_MAX_WAIT_MS),
      joinWaitMs: e.DEFENDER_JOIN_WAIT_MS,
      timeoutMs: e.DEFENDER_TIMEOUT_MS,
      maxRetries: e.DEFENDER_MAX_RETRIES,
      maxRetryAfterMs: e.DEFENDER_MAX_RETRY_AFTER_MS,
    },
    graph: {
      apiUrl: mode === 'demo' ? `${demoUrl}/v1.0` : (e.GRAPH_API_URL ?? 'https://graph.microsoft.com/v1.0'),
      scope: e.GRAPH_SCOPE,
      rateLimitPerMinute: e.GRAPH_RATE_LIMIT_PER_MINUTE,
    },
    entra: { authorityHost: mode === 'demo' ? demoUrl : (e.AUTHORITY_HOST ?? 'https://login.microsoftonline.com') },
    demo:
      mode === 'demo'
        ? {
            simulatorPort: e.SIMULATOR_PORT,
            playgroundPort: e.PLAYGROUND_PORT,
            playground: e.PLAYGROUND === 'on',
            teamsHost: e.TEAMS_HOST === 'on',
            teamsHostPort: e.TEAMS_HOST_PORT,
            playgroundUser: e.PLAYGROUND_USER,
            seedPath: e.DEMO_SEED ? path.resolve(cwd, e.DEMO_SEED) : undefined,
            scenario: e.DEMO_SCENARIO,
            simulatorRateLimitPerMinute: e.SIMULATOR_RATE_LIMIT_PER_MINUTE,
            credential: e.DEMO_CREDENTIAL,
          }
        : undefined,
  };
}

/** True for a host (with optional port) on this machine. */
function isLoopbackHost(hostAndPort: string): boolean {
  const host = hostAndPort.replace(/:\d+$/, '').toLowerCase();
  return host === '127.0.0.1' || host === 'localhost';
}

/** http URLs are accepted for channel endpoints only on this machine (tests run a local channel emulator). */
function isLoopbackHttpUrl(url: string): boolean {
  return url.startsWith('http://') && isLoopbackUrl(url);
}

/** True for https URLs whose host is this machine. */
export function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
  } catch {
    return false;
  }
}
