import type { HuntingRow, HuntingTableName, HuntingTables } from '../seed/huntingSchema';

/*
 * Where a file, IP address, domain or account was seen, read from a tenant's advanced hunting tables: the one
 * source the MDE entity endpoints compute their statistics from, so a card and a hunt over the same tables agree.
 */

/** One row that places an entity on a device at an instant. */
export interface Sighting {
  deviceId: string;
  /** The row's Timestamp as written (ISO-8601 UTC). */
  timestamp: string;
  epochMs: number;
  /** The file name the row gives the file (file sightings only). */
  fileName?: string;
}

/** A file as the tables describe it: its hashes, size and every sighting. */
export interface FileSightings {
  sha1: string | null;
  sha256: string | null;
  size: number | null;
  sightings: Sighting[];
}

/** Which hash names the file: MDE takes SHA1 everywhere and SHA256 on the file entity and its statistics. */
export interface FileKey {
  kind: 'sha1' | 'sha256';
  /** Lower-case hex. */
  value: string;
}

function text(row: HuntingRow, column: string): string | undefined {
  const value = row[column];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function sightingOf(row: HuntingRow, fileName?: string): Sighting | undefined {
  const deviceId = text(row, 'DeviceId');
  const timestamp = text(row, 'Timestamp');
  if (deviceId === undefined || timestamp === undefined) return undefined;
  const epochMs = Date.parse(timestamp);
  if (Number.isNaN(epochMs)) return undefined;
  return fileName === undefined ? { deviceId, timestamp, epochMs } : { deviceId, timestamp, epochMs, fileName };
}

/** The file columns of each table: the file itself and, where the table has one, the process that acted. */
const FILE_COLUMNS: readonly { table: HuntingTableName; prefix: '' | 'InitiatingProcess' }[] = [
  { table: 'DeviceProcessEvents', prefix: '' },
  { table: 'DeviceProcessEvents', prefix: 'InitiatingProcess' },
  { table: 'DeviceFileEvents', prefix: '' },
  { table: 'DeviceFileEvents', prefix: 'InitiatingProcess' },
  { table: 'DeviceNetworkEvents', prefix: 'InitiatingProcess' },
  { table: 'AlertEvidence', prefix: '' },
];

/**
 * Every sighting of a file by SHA1 or SHA256 across the process, file, network and alert evidence tables (as the
 * file itself or as the initiating process), with the other hash and the size when a row carries them.
 */
export function fileSightings(tables: HuntingTables, key: FileKey): FileSightings {
  const result: FileSightings = { sha1: null, sha256: null, size: null, sightings: [] };
  const hashColumn = key.kind === 'sha1' ? 'SHA1' : 'SHA256';
  for (const { table, prefix } of FILE_COLUMNS) {
    for (const row of tables.get(table) ?? []) {
      if (text(row, `${prefix}${hashColumn}`)?.toLowerCase() !== key.value) continue;
      result.sha1 ??= text(row, `${prefix}SHA1`)?.toLowerCase() ?? null;
      result.sha256 ??= text(row, `${prefix}SHA256`)?.toLowerCase() ?? null;
      if (prefix === '' && typeof row.FileSize === 'number') result.size = row.FileSize;
      const sighting = sightingOf(row, text(row, `${prefix}FileName`) ?? '');
      if (sighting !== undefined) result.sightings.push(sighting);
    }
  }
  if (key.kind === 'sha1') result.sha1 = key.value;
  else result.sha256 = key.value;
  return result;
}

/** Connections to a remote IP address (DeviceNetworkEvents.RemoteIP). */
export function ipSightings(tables: HuntingTables, ip: string): Sighting[] {
  const wanted = ip.toLowerCase();
  return (tables.get('DeviceNetworkEvents') ?? []).flatMap((row) => {
    const sighting = text(row, 'RemoteIP')?.toLowerCase() === wanted ? sightingOf(row) : undefined;
    return sighting === undefined ? [] : [sighting];
  });
}

/** The host of a RemoteUrl cell, which advanced hunting fills with a bare host or a whole URL. */
export function hostOf(remoteUrl: string): string {
  const withoutScheme = remoteUrl.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const authority = withoutScheme.split(/[/?#]/, 1)[0] ?? '';
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  return host.replace(/:\d+$/, '').replace(/\.$/, '').toLowerCase();
}

/** Connections whose remote URL is on exactly this host (DeviceNetworkEvents.RemoteUrl). */
export function domainSightings(tables: HuntingTables, domain: string): Sighting[] {
  const wanted = domain.toLowerCase();
  return (tables.get('DeviceNetworkEvents') ?? []).flatMap((row) => {
    const url = text(row, 'RemoteUrl');
    const sighting = url !== undefined && hostOf(url) === wanted ? sightingOf(row) : undefined;
    return sighting === undefined ? [] : [sighting];
  });
}

/** Ids of the alerts whose evidence (AlertEvidence) names the file, IP, host or account. */
export function alertIdsWithEvidence(
  tables: HuntingTables,
  matches: (row: HuntingRow) => boolean,
): ReadonlySet<string> {
  const ids = new Set<string>();
  for (const row of tables.get('AlertEvidence') ?? []) {
    const id = text(row, 'AlertId');
    if (id !== undefined && matches(row)) ids.add(id);
  }
  return ids;
}

/** Evidence rows of a file by SHA1. */
export function isFileEvidence(sha1: string): (row: HuntingRow) => boolean {
  return (row) => text(row, 'SHA1')?.toLowerCase() === sha1;
}

/** Evidence rows of a URL on this host. */
export function isDomainEvidence(domain: string): (row: HuntingRow) => boolean {
  const wanted = domain.toLowerCase();
  return (row) => {
    const url = text(row, 'RemoteUrl');
    return url !== undefined && hostOf(url) === wanted;
  };
}

/** Evidence rows of an account by its name (the user id of /api/users/{id}: the name, not the UPN). */
export function isAccountEvidence(accountName: string): (row: HuntingRow) => boolean {
  const wanted = accountName.toLowerCase();
  return (row) => text(row, 'AccountName')?.toLowerCase() === wanted;
}

/** One account's successful logons on one device, summarised (the logged-on user of get-machine-log-on-users). */
export interface DeviceLogonSummary {
  accountName: string;
  accountDomain: string | null;
  firstSeen: Sighting;
  lastSeen: Sighting;
  /** Distinct logon types in first-seen order. */
  logonTypes: string[];
}

/** Successful logons (ActionType LogonSuccess) of a device grouped by account, most recent first. */
export function deviceLogons(tables: HuntingTables, deviceId: string): DeviceLogonSummary[] {
  const byAccount = new Map<string, DeviceLogonSummary>();
  const rows = [...(tables.get('DeviceLogonEvents') ?? [])]
    .filter((row) => row.DeviceId === deviceId && row.ActionType === 'LogonSuccess')
    .flatMap((row) => {
      const sighting = sightingOf(row);
      const accountName = text(row, 'AccountName');
      return sighting === undefined || accountName === undefined ? [] : [{ row, sighting, accountName }];
    })
    .sort((a, b) => a.sighting.epochMs - b.sighting.epochMs);
  for (const { row, sighting, accountName } of rows) {
    const accountDomain = text(row, 'AccountDomain') ?? null;
    const key = `${accountDomain ?? ''}\\${accountName}`.toLowerCase();
    const summary = byAccount.get(key) ?? {
      accountName,
      accountDomain,
      firstSeen: sighting,
      lastSeen: sighting,
      logonTypes: [],
    };
    summary.lastSeen = sighting;
    const logonType = text(row, 'LogonType');
    if (logonType !== undefined && !summary.logonTypes.includes(logonType)) summary.logonTypes.push(logonType);
    byAccount.set(key, summary);
  }
  return [...byAccount.values()].sort((a, b) => b.lastSeen.epochMs - a.lastSeen.epochMs);
}

/** Devices an account logged on to successfully (DeviceLogonEvents, by account name). */
export function accountLogonDevices(tables: HuntingTables, accountName: string): ReadonlySet<string> {
  const wanted = accountName.toLowerCase();
  const devices = new Set<string>();
  for (const row of tables.get('DeviceLogonEvents') ?? []) {
    if (row.ActionType !== 'LogonSuccess' || text(row, 'AccountName')?.toLowerCase() !== wanted) continue;
    const deviceId = text(row, 'DeviceId');
    if (deviceId !== undefined) devices.add(deviceId);
  }
  return devices;
}

/** Organization figures of sightings: distinct devices, earliest and latest. */
export interface OrgFigures {
  prevalence: number;
  firstSeen: string | null;
  lastSeen: string | null;
}

/** Prevalence (distinct devices) and first/last seen of the sightings at or after `sinceMs`. */
export function orgFigures(sightings: readonly Sighting[], sinceMs = Number.NEGATIVE_INFINITY): OrgFigures {
  let first: Sighting | undefined;
  let last: Sighting | undefined;
  const devices = new Set<string>();
  for (const sighting of sightings) {
    if (sighting.epochMs < sinceMs) continue;
    devices.add(sighting.deviceId);
    if (first === undefined || sighting.epochMs < first.epochMs) first = sighting;
    if (last === undefined || sighting.epochMs > last.epochMs) last = sighting;
  }
  return { prevalence: devices.size, firstSeen: first?.timestamp ?? null, lastSeen: last?.timestamp ?? null };
}
