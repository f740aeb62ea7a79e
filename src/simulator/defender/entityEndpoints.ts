import { isIP } from 'node:net';
import type { AlertEntity, FileProfile, MachineEntity } from '../seed/seedSchema';
import { alertCollection, parseAlertQuery, visibleAlerts } from './alertsEndpoints';
import { entityResult } from './apiContext';
import type { ApiContext, ApiResult } from './apiContext';
import { DefenderApiError } from './defenderError';
import {
  accountLogonDevices,
  alertIdsWithEvidence,
  deviceLogons,
  domainSightings,
  fileSightings,
  ipSightings,
  isAccountEvidence,
  isDomainEvidence,
  isFileEvidence,
  orgFigures,
} from './entitySightings';
import type { FileKey, FileSightings, Sighting } from './entitySightings';
import { findVisibleMachine, machineCollection, parseMachineQuery } from './machinesEndpoints';
import { authorize, inScope } from './rbac';
import type { DefenderOperation, DeviceScope } from './rbac';

/*
 * The MDE entity endpoints (files, IPs, domains, users, a device's logged-on users), computed from the tenant's
 * advanced hunting tables (TenantStore.huntingTables) so a hunt and a card agree. Paths, parameters, permissions
 * and answers follow each endpoint's page in defender-endpoint/api/; choices where the pages say nothing are
 * marked UNCONFIRMED and listed in README.md.
 *
 * Device groups: lists of machines and alerts hold only what the caller's groups show (documented on every such
 * page); statistics (prevalence, first/last seen) count the whole organization, as their pages say nothing about
 * device groups [UNCONFIRMED]; a device outside the caller's groups has no logged-on users to show (404, like
 * GET /api/machines/{id}).
 */

const SHA1 = /^[0-9a-f]{40}$/i;
const SHA256 = /^[0-9a-f]{64}$/i;
/** A DNS host name: labels of letters, digits and hyphens (an IDN in its xn-- form). */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
/** Documented maximum of `lookBackHours` (720 hours, 30 days), also its default. */
const MAX_LOOKBACK_HOURS = 720;
/** get-domain-related-machines.md: "Responses are limited to 500 devices". */
const DOMAIN_MACHINES_LIMIT = 500;
/** How many names `topFileNames` lists [UNCONFIRMED: the page shows one]. */
const TOP_FILE_NAMES = 5;
const HOUR_MS = 3_600_000;
/** Extensions of portable executables, for `isPeFile` when the seed's file profile does not say. */
const PE_EXTENSIONS = new Set(['exe', 'dll', 'sys', 'scr', 'cpl', 'ocx', 'drv', 'efi', 'mui']);

function invalidHash(value: string): DefenderApiError {
  return new DefenderApiError(400, 'InvalidHashValue', `Hash value ${value} is invalid.`);
}

/**
 * `{id}` of /api/files: a SHA1, or (file entity and statistics only) a SHA256. The related machines and alerts
 * pages say "Only SHA-1 is supported" [UNCONFIRMED: what the service answers to a SHA256 there; 400 here].
 */
function fileKeyOf(id: string, allowSha256: boolean): FileKey {
  if (SHA1.test(id)) return { kind: 'sha1', value: id.toLowerCase() };
  if (allowSha256 && SHA256.test(id)) return { kind: 'sha256', value: id.toLowerCase() };
  throw invalidHash(id);
}

function fileNotFound(id: string): DefenderApiError {
  return new DefenderApiError(404, 'ResourceNotFound', `File ${id} was not found`);
}

/**
 * `lookBackHours` (Int32, default and maximum 720). The name is matched case-insensitively like ASP.NET binds
 * query parameters; a value that is not a whole number from 1 to 720 is 400 InvalidInput [UNCONFIRMED].
 */
function lookBackStart(ctx: ApiContext): number {
  let hours = MAX_LOOKBACK_HOURS;
  for (const [name, value] of ctx.query) {
    if (name.toLowerCase() !== 'lookbackhours') continue;
    if (!/^\d{1,9}$/.test(value) || Number(value) < 1 || Number(value) > MAX_LOOKBACK_HOURS) {
      throw new DefenderApiError(
        400,
        'InvalidInput',
        `Invalid input lookBackHours: ${value}. Expected whole hours from 1 to ${MAX_LOOKBACK_HOURS}.`,
      );
    }
    hours = Number(value);
  }
  return ctx.now.getTime() - hours * HOUR_MS;
}

function authorized(ctx: ApiContext, operation: DefenderOperation): DeviceScope {
  return authorize(ctx.caller, operation, (oid) => ctx.store.findUser(oid));
}

/** The machines of these device ids the caller may see, in the tenant's machine order. */
function visibleMachines(ctx: ApiContext, scope: DeviceScope, deviceIds: ReadonlySet<string>): MachineEntity[] {
  return ctx.store.machines().filter((m) => deviceIds.has(m.id) && inScope(scope, m.rbacGroupName));
}

/** The alerts of these ids the caller may see, newest first. */
function alertsWithIds(ctx: ApiContext, scope: DeviceScope, ids: ReadonlySet<string>): AlertEntity[] {
  return visibleAlerts(ctx, scope).filter((alert) => ids.has(alert.id));
}

function deviceIdsOf(sightings: readonly Sighting[]): ReadonlySet<string> {
  return new Set(sightings.map((s) => s.deviceId));
}

/** A file's sightings and seeded profile; 404 when neither exists. */
function knownFile(ctx: ApiContext, id: string, allowSha256: boolean): { file: FileSightings; profile?: FileProfile } {
  const key = fileKeyOf(id, allowSha256);
  const file = fileSightings(ctx.store.huntingTables(), key);
  const profile = file.sha1 === null ? undefined : ctx.store.entityProfiles.files[file.sha1];
  if (file.sightings.length === 0 && profile === undefined) throw fileNotFound(id);
  return profile === undefined ? { file } : { file, profile };
}

/** Worldwide figures: the seeded profile's, else the organization's own over all its events. */
function globalFigures(file: FileSightings, profile: FileProfile | undefined) {
  const org = orgFigures(file.sightings);
  return {
    globalPrevalence: profile?.globalPrevalence ?? org.prevalence,
    globalFirstObserved: profile?.globalFirstObserved ?? org.firstSeen,
    globalLastObserved: profile?.globalLastObserved ?? org.lastSeen,
  };
}

function mostSeenName(file: FileSightings): string | undefined {
  return topFileNames(file.sightings, 1)[0];
}

function topFileNames(sightings: readonly Sighting[], limit: number): string[] {
  const counts = new Map<string, number>();
  for (const s of sightings) if (s.fileName) counts.set(s.fileName, (counts.get(s.fileName) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name]) => name);
}

/** `GET /api/files/{sha1 or sha256}` (get-file-information.md): the File entity. */
export function getFile(ctx: ApiContext): ApiResult {
  authorized(ctx, 'files.read');
  const { file, profile } = knownFile(ctx, ctx.params[0] ?? '', true);
  const name = mostSeenName(file);
  const extension = name?.includes('.') === true ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
  return entityResult(ctx, 'Files', {
    sha1: file.sha1,
    sha256: file.sha256,
    ...globalFigures(file, profile),
    size: profile?.size ?? file.size,
    fileType: profile?.fileType ?? null,
    isPeFile: profile?.isPeFile ?? PE_EXTENSIONS.has(extension),
    filePublisher: profile?.filePublisher ?? null,
    fileProductName: profile?.fileProductName ?? null,
    signer: profile?.signer ?? null,
    issuer: profile?.issuer ?? null,
    signerHash: profile?.signerHash ?? null,
    isValidCertificate: profile?.isValidCertificate ?? null,
    determinationType: profile?.determinationType ?? null,
    determinationValue: profile?.determinationValue ?? null,
  });
}

/** `GET /api/files/{id}/stats?lookBackHours=` (get-file-statistics.md). */
export function getFileStatistics(ctx: ApiContext): ApiResult {
  authorized(ctx, 'files.read');
  const since = lookBackStart(ctx);
  const { file, profile } = knownFile(ctx, ctx.params[0] ?? '', true);
  const org = orgFigures(file.sightings, since);
  const global = globalFigures(file, profile);
  return {
    status: 200,
    body: {
      '@odata.context': `${ctx.apiBase}/$metadata#microsoft.windowsDefenderATP.api.InOrgFileStats`,
      sha1: file.sha1,
      organizationPrevalence: org.prevalence,
      orgFirstSeen: org.firstSeen,
      orgLastSeen: org.lastSeen,
      // The page's example spells these three so (the File entity says globalPrevalence / global*Observed).
      globallyPrevalence: global.globalPrevalence,
      globalFirstObserved: global.globalFirstObserved,
      globalLastObserved: global.globalLastObserved,
      topFileNames: topFileNames(
        file.sightings.filter((s) => s.epochMs >= since),
        TOP_FILE_NAMES,
      ),
    },
  };
}

/** `GET /api/files/{sha1}/machines` (get-file-related-machines.md): 200 with an empty set for an unknown file. */
export function listFileMachines(ctx: ApiContext): ApiResult {
  const scope = authorized(ctx, 'machines.read');
  const query = parseMachineQuery(ctx);
  const key = fileKeyOf(ctx.params[0] ?? '', false);
  const file = fileSightings(ctx.store.huntingTables(), key);
  return machineCollection(ctx, visibleMachines(ctx, scope, deviceIdsOf(file.sightings)), query);
}

/** `GET /api/files/{sha1}/alerts` (get-file-related-alerts.md): alerts whose evidence names the file. */
export function listFileAlerts(ctx: ApiContext): ApiResult {
  const scope = authorized(ctx, 'alerts.read');
  const query = parseAlertQuery(ctx);
  const key = fileKeyOf(ctx.params[0] ?? '', false);
  const ids = alertIdsWithEvidence(ctx.store.huntingTables(), isFileEvidence(key.value));
  return alertCollection(ctx, alertsWithIds(ctx, scope, ids), query);
}

/** `GET /api/ips/{ip}/stats` (get-ip-statistics.md): a valid IP never seen has prevalence 0; an invalid one 400. */
export function getIpStatistics(ctx: ApiContext): ApiResult {
  authorized(ctx, 'ips.read');
  const since = lookBackStart(ctx);
  const ip = ctx.params[0] ?? '';
  if (isIP(ip) === 0) throw new DefenderApiError(400, 'InvalidIpAddress', `IP address ${ip} is invalid.`);
  const org = orgFigures(ipSightings(ctx.store.huntingTables(), ip), since);
  return {
    status: 200,
    body: {
      '@odata.context': `${ctx.apiBase}/$metadata#microsoft.windowsDefenderATP.api.InOrgIPStats`,
      ipAddress: ip,
      organizationPrevalence: org.prevalence,
      orgFirstSeen: org.firstSeen,
      orgLastSeen: org.lastSeen,
    },
  };
}

/** A domain parameter; a string that cannot be a host name is 400 InvalidDomainName [UNCONFIRMED]. */
function domainOf(ctx: ApiContext): string {
  const domain = ctx.params[0] ?? '';
  if (!HOST_NAME.test(domain)) {
    throw new DefenderApiError(400, 'InvalidDomainName', `Domain name ${domain} is invalid.`);
  }
  return domain.toLowerCase();
}

/** `GET /api/domains/{domain}/stats` (get-domain-statistics.md): 200 with prevalence 0 for an unseen domain. */
export function getDomainStatistics(ctx: ApiContext): ApiResult {
  authorized(ctx, 'urls.read');
  const since = lookBackStart(ctx);
  const domain = domainOf(ctx);
  const org = orgFigures(domainSightings(ctx.store.huntingTables(), domain), since);
  return {
    status: 200,
    body: {
      '@odata.context': `${ctx.apiBase}/$metadata#microsoft.windowsDefenderATP.api.InOrgDomainStats`,
      host: domain,
      organizationPrevalence: org.prevalence,
      orgFirstSeen: org.firstSeen,
      orgLastSeen: org.lastSeen,
    },
  };
}

/** `GET /api/domains/{domain}/machines` (get-domain-related-machines.md): at most 500 devices. */
export function listDomainMachines(ctx: ApiContext): ApiResult {
  const scope = authorized(ctx, 'machines.read');
  const query = parseMachineQuery(ctx);
  const domain = domainOf(ctx);
  const machines = visibleMachines(ctx, scope, deviceIdsOf(domainSightings(ctx.store.huntingTables(), domain)));
  return machineCollection(ctx, machines.slice(0, DOMAIN_MACHINES_LIMIT), query);
}

/** `GET /api/domains/{domain}/alerts` (get-domain-related-alerts.md): alerts with a URL on the domain. */
export function listDomainAlerts(ctx: ApiContext): ApiResult {
  const scope = authorized(ctx, 'domains.alerts');
  const query = parseAlertQuery(ctx);
  const domain = domainOf(ctx);
  const ids = alertIdsWithEvidence(ctx.store.huntingTables(), isDomainEvidence(domain));
  return alertCollection(ctx, alertsWithIds(ctx, scope, ids), query);
}

/**
 * `GET /api/machines/{id}/logonusers` (get-machine-log-on-users.md): the accounts with a successful logon on the
 * device, most recent first. `logonTypes` joins the distinct types with ", " and `isDomainAdmin` reads the seed's
 * `entityProfiles.domainAdmins` [UNCONFIRMED: how the service derives either].
 */
export function listMachineLogonUsers(ctx: ApiContext): ApiResult {
  const scope = authorized(ctx, 'users.read');
  const machine = findVisibleMachine(ctx, scope, ctx.params[0] ?? '');
  const admins = new Set(ctx.store.entityProfiles.domainAdmins.map((a) => a.toLowerCase()));
  const users = deviceLogons(ctx.store.huntingTables(), machine.id).map((logon) => {
    const id = logon.accountDomain === null ? logon.accountName : `${logon.accountDomain}\\${logon.accountName}`;
    return {
      id,
      accountName: logon.accountName,
      accountDomain: logon.accountDomain,
      firstSeen: logon.firstSeen.timestamp,
      lastSeen: logon.lastSeen.timestamp,
      logonTypes: logon.logonTypes.join(', '),
      isDomainAdmin: admins.has(id.toLowerCase()),
      isOnlyNetworkUser: logon.logonTypes.every((t) => t === 'Network'),
    };
  });
  return { status: 200, body: { '@odata.context': `${ctx.apiBase}/$metadata#Users`, value: users } };
}

/** `GET /api/users/{name}/alerts` (get-user-related-alerts.md): the id is the account name, not the UPN. */
export function listUserAlerts(ctx: ApiContext): ApiResult {
  const scope = authorized(ctx, 'alerts.read');
  const query = parseAlertQuery(ctx);
  const name = (ctx.params[0] ?? '').toLowerCase();
  const ids = new Set(alertIdsWithEvidence(ctx.store.huntingTables(), isAccountEvidence(name)));
  for (const alert of ctx.store.alerts()) if (alert.relatedUser?.userName.toLowerCase() === name) ids.add(alert.id);
  return alertCollection(ctx, alertsWithIds(ctx, scope, ids), query);
}

/** `GET /api/users/{name}/machines` (get-user-related-machines.md): devices the account logged on to. */
export function listUserMachines(ctx: ApiContext): ApiResult {
  const scope = authorized(ctx, 'users.machines');
  const query = parseMachineQuery(ctx);
  const devices = accountLogonDevices(ctx.store.huntingTables(), ctx.params[0] ?? '');
  return machineCollection(ctx, visibleMachines(ctx, scope, devices), query);
}
