import { HUNTING_TABLES } from './huntingSchema';
import type { HuntingRow, HuntingTableName, HuntingTables } from './huntingSchema';
import type { AlertEntity, EvidenceEntity, GraphAlertEntity, MachineEntity, Seed } from './seedSchema';

/*
 * Advanced hunting tables of one tenant. The seed's `events` are authoritative for the Device*Events tables;
 * DeviceInfo, AlertInfo and AlertEvidence are also derived from the seed's machines and alerts, so a hunt over
 * alert evidence names exactly the files, IPs and users the alert cards show. A row the seed writes itself wins:
 * a machine (DeviceId) or alert (AlertId) that already has seed rows in a table gets no derived row there.
 */

/** What the derivation reads: the seed's events, machines and alerts (the Defender store passes its live ones). */
export type HuntingSource = Pick<Seed, 'events' | 'machines' | 'alerts' | 'alertsV2'>;

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$/;

/** Seed timestamps may carry an offset; hunting cells are UTC with `Z`. */
function utc(value: string): string {
  return ISO_UTC.test(value) ? value : new Date(value).toISOString();
}

/** Logon types that leave a user logged on at the device (DeviceInfo.LoggedOnUsers). */
const SESSION_LOGON_TYPES = new Set(['Interactive', 'RemoteInteractive', 'CachedInteractive', 'Unlock']);

function loggedOnUsers(
  deviceId: string,
  logons: readonly HuntingRow[],
): { UserName: string; DomainName: string; Sid: string }[] {
  const users = new Map<string, { UserName: string; DomainName: string; Sid: string }>();
  for (const row of logons) {
    if (row.DeviceId !== deviceId || row.ActionType !== 'LogonSuccess') continue;
    if (typeof row.LogonType !== 'string' || !SESSION_LOGON_TYPES.has(row.LogonType)) continue;
    const name = typeof row.AccountName === 'string' ? row.AccountName : '';
    if (name === '') continue;
    const domain = typeof row.AccountDomain === 'string' ? row.AccountDomain : '';
    const key = `${domain}\\${name}`.toLowerCase();
    if (!users.has(key)) {
      users.set(key, {
        UserName: name,
        DomainName: domain,
        Sid: typeof row.AccountSid === 'string' ? row.AccountSid : '',
      });
    }
  }
  return [...users.values()];
}

function deviceInfoRow(machine: MachineEntity, logons: readonly HuntingRow[]): HuntingRow {
  return {
    Timestamp: utc(machine.lastSeen),
    DeviceId: machine.id,
    DeviceName: machine.computerDnsName,
    OSPlatform: machine.osPlatform,
    OSVersion: machine.version,
    PublicIP: machine.lastExternalIpAddress,
    MachineGroup: machine.rbacGroupName,
    LoggedOnUsers: loggedOnUsers(machine.id, logons),
    OnboardingStatus: machine.onboardingStatus,
    ExposureLevel: machine.exposureLevel,
  };
}

/** MDE alert `detectionSource` values as advanced hunting spells them (AlertInfo.DetectionSource). */
const DETECTION_SOURCES: Readonly<Record<string, string>> = {
  WindowsDefenderAtp: 'EDR',
  WindowsDefenderAv: 'Antivirus',
  WindowsDefenderSmartScreen: 'SmartScreen',
  CustomDetection: 'Custom detection',
  CustomerTI: 'Custom TI',
  AutomatedInvestigation: 'Automated investigation',
  customDetection: 'Custom detection',
  antivirus: 'Antivirus',
  microsoftDefenderForEndpoint: 'EDR',
  smartScreen: 'SmartScreen',
  automatedInvestigation: 'Automated investigation',
  microsoftDefenderForIdentity: 'Microsoft Defender for Identity',
  microsoftDefenderForOffice365: 'Microsoft Defender for Office 365',
};

/** Graph `serviceSource` values as advanced hunting spells them (AlertInfo.ServiceSource). */
const SERVICE_SOURCES: Readonly<Record<string, string>> = {
  microsoftDefenderForEndpoint: 'Microsoft Defender for Endpoint',
  microsoftDefenderForIdentity: 'Microsoft Defender for Identity',
  microsoftDefenderForCloudApps: 'Microsoft Defender for Cloud Apps',
  microsoftDefenderForOffice365: 'Microsoft Defender for Office 365',
  microsoft365Defender: 'Microsoft Defender XDR',
  azureAdIdentityProtection: 'Microsoft Entra ID Protection',
  microsoftAppGovernance: 'App Governance',
  dataLossPrevention: 'Microsoft Data Loss Prevention',
};

const MDE = 'Microsoft Defender for Endpoint';

function severityOf(value: string): string {
  const lower = value.toLowerCase();
  if (lower === 'unspecified' || lower === 'unknown' || lower === 'unknownfuturevalue') return 'Unknown';
  return `${lower.charAt(0).toUpperCase()}${lower.slice(1)}`;
}

interface AlertHeader {
  Timestamp: string;
  AlertId: string;
  Title: string;
  Category: string | null;
  Severity: string;
  ServiceSource: string;
  DetectionSource: string;
  AttackTechniques: string;
}

function mdeHeader(alert: AlertEntity): AlertHeader {
  return {
    Timestamp: utc(alert.alertCreationTime),
    AlertId: alert.id,
    Title: alert.title,
    Category: alert.category,
    Severity: severityOf(alert.severity),
    ServiceSource: MDE,
    DetectionSource: DETECTION_SOURCES[alert.detectionSource] ?? alert.detectionSource,
    AttackTechniques: JSON.stringify(alert.mitreTechniques),
  };
}

function graphHeader(alert: GraphAlertEntity): AlertHeader {
  const techniques = Array.isArray(alert.mitreTechniques) ? (alert.mitreTechniques as unknown[]) : [];
  return {
    Timestamp: utc(alert.createdDateTime),
    AlertId: alert.id,
    Title: alert.title,
    Category: alert.category,
    Severity: severityOf(alert.severity),
    ServiceSource: SERVICE_SOURCES[alert.serviceSource] ?? alert.serviceSource,
    DetectionSource: DETECTION_SOURCES[alert.detectionSource] ?? alert.detectionSource,
    AttackTechniques: JSON.stringify(techniques.filter((t) => typeof t === 'string')),
  };
}

function alertInfoRow(header: AlertHeader): HuntingRow {
  return { ...header };
}

/** The columns every AlertEvidence row of one alert shares. */
function evidenceBase(header: AlertHeader): HuntingRow {
  return {
    Timestamp: header.Timestamp,
    AlertId: header.AlertId,
    Title: header.Title,
    Categories: JSON.stringify(header.Category === null ? [] : [header.Category]),
    AttackTechniques: header.AttackTechniques,
    ServiceSource: header.ServiceSource,
    DetectionSource: header.DetectionSource,
    Severity: header.Severity,
  };
}

/** MDE evidence entity types as AlertEvidence.EntityType spells them. */
const ENTITY_TYPES: Readonly<Record<string, string>> = {
  file: 'File',
  process: 'Process',
  ip: 'Ip',
  url: 'Url',
  user: 'User',
  registry: 'RegistryValue',
  machine: 'Machine',
  mailmessage: 'MailMessage',
};

function mdeEvidenceRow(base: HuntingRow, device: HuntingRow, item: EvidenceEntity): HuntingRow {
  const entityType = ENTITY_TYPES[item.entityType.toLowerCase()] ?? item.entityType;
  const row: Record<string, HuntingRow[string]> = {
    ...base,
    ...device,
    EntityType: entityType,
    EvidenceRole: entityType === 'User' ? 'Impacted' : 'Related',
  };
  switch (entityType) {
    case 'File':
    case 'Process':
      Object.assign(row, { FileName: item.fileName, FolderPath: item.filePath, SHA1: item.sha1, SHA256: item.sha256 });
      break;
    case 'Ip':
      row.RemoteIP = item.ipAddress;
      break;
    case 'Url':
      row.RemoteUrl = item.url;
      break;
    case 'User':
      Object.assign(row, {
        AccountName: item.accountName,
        AccountDomain: item.domainName,
        AccountSid: item.userSid,
        AccountObjectId: item.aadUserId,
        AccountUpn: item.userPrincipalName,
      });
      break;
    default:
      break;
  }
  return row;
}

function mdeAlertRows(alert: AlertEntity): { info: HuntingRow; evidence: HuntingRow[] } {
  const header = mdeHeader(alert);
  const base = evidenceBase(header);
  const device: HuntingRow =
    alert.machineId === null ? {} : { DeviceId: alert.machineId, DeviceName: alert.computerDnsName };
  const evidence: HuntingRow[] =
    alert.machineId === null ? [] : [{ ...base, ...device, EntityType: 'Machine', EvidenceRole: 'Impacted' }];
  for (const item of alert.evidence) evidence.push(mdeEvidenceRow(base, device, item));
  return { info: alertInfoRow(header), evidence };
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function graphEvidenceRow(base: HuntingRow, item: Record<string, unknown>): HuntingRow {
  const kind = String(item['@odata.type']).replace(/^#microsoft\.graph\.security\./, '');
  switch (kind) {
    case 'deviceEvidence':
      return {
        ...base,
        EntityType: 'Machine',
        EvidenceRole: 'Impacted',
        DeviceId: text(item.mdeDeviceId),
        DeviceName: text(item.deviceDnsName),
      };
    case 'userEvidence': {
      const account = record(item.userAccount);
      return {
        ...base,
        EntityType: 'User',
        EvidenceRole: 'Impacted',
        AccountName: text(account.accountName),
        AccountDomain: text(account.domainName),
        AccountSid: text(account.userSid),
        AccountObjectId: text(account.azureAdUserId),
        AccountUpn: text(account.userPrincipalName),
      };
    }
    case 'ipEvidence':
      return { ...base, EntityType: 'Ip', EvidenceRole: 'Related', RemoteIP: text(item.ipAddress) };
    case 'urlEvidence':
      return { ...base, EntityType: 'Url', EvidenceRole: 'Related', RemoteUrl: text(item.url) };
    case 'fileEvidence': {
      const file = record(item.fileDetails);
      return {
        ...base,
        EntityType: 'File',
        EvidenceRole: 'Related',
        FileName: text(file.fileName),
        FolderPath: text(file.filePath),
        SHA1: text(file.sha1),
        SHA256: text(file.sha256),
      };
    }
    case 'analyzedMessageEvidence':
      return { ...base, EntityType: 'MailMessage', EvidenceRole: 'Related' };
    default:
      return { ...base, EntityType: kind.replace(/Evidence$/, ''), EvidenceRole: 'Related' };
  }
}

function graphAlertRows(alert: GraphAlertEntity): { info: HuntingRow; evidence: HuntingRow[] } {
  const header = graphHeader(alert);
  const base = evidenceBase(header);
  return { info: alertInfoRow(header), evidence: alert.evidence.map((item) => graphEvidenceRow(base, item)) };
}

/** Rows derived for the keys the seed's own rows do not already cover. */
function withDerived(
  seeded: readonly HuntingRow[],
  key: string,
  derived: Iterable<{ key: string; rows: readonly HuntingRow[] }>,
): HuntingRow[] {
  const covered = new Set(seeded.map((row) => row[key]).filter((value) => typeof value === 'string'));
  const rows: HuntingRow[] = [];
  for (const entry of derived) if (!covered.has(entry.key)) rows.push(...entry.rows);
  return [...rows, ...seeded];
}

function* derivedAlerts(source: HuntingSource): Generator<{ key: string; info: HuntingRow; evidence: HuntingRow[] }> {
  const mdeIds = new Set<string>();
  for (const alert of source.alerts) {
    mdeIds.add(alert.id);
    yield { key: alert.id, ...mdeAlertRows(alert) };
  }
  // Endpoint alerts appear in both APIs under the same id; the MDE alert carries the richer evidence.
  for (const alert of source.alertsV2 ?? []) {
    if (!mdeIds.has(alert.id)) yield { key: alert.id, ...graphAlertRows(alert) };
  }
}

/**
 * A tenant's advanced hunting tables from its seed: every known table present (empty when the seed has none); the
 * seed's `events` as written, plus DeviceInfo rows derived from `machines` and AlertInfo / AlertEvidence rows
 * derived from `alerts` and `alertsV2` (see the note at the top). One function for the KQL engine and the entity
 * statistics endpoints, so both read the same rows.
 */
export function huntingTablesFromSeed(seed: HuntingSource): HuntingTables {
  const tables = new Map<HuntingTableName, readonly HuntingRow[]>();
  for (const table of Object.keys(HUNTING_TABLES) as HuntingTableName[]) {
    tables.set(table, structuredClone(seed.events?.[table] ?? []));
  }
  const logons = tables.get('DeviceLogonEvents') ?? [];
  tables.set(
    'DeviceInfo',
    withDerived(
      tables.get('DeviceInfo') ?? [],
      'DeviceId',
      seed.machines.map((machine) => ({ key: machine.id, rows: [deviceInfoRow(machine, logons)] })),
    ),
  );
  const alerts = [...derivedAlerts(seed)];
  tables.set(
    'AlertInfo',
    withDerived(
      tables.get('AlertInfo') ?? [],
      'AlertId',
      alerts.map((a) => ({ key: a.key, rows: [a.info] })),
    ),
  );
  tables.set(
    'AlertEvidence',
    withDerived(
      tables.get('AlertEvidence') ?? [],
      'AlertId',
      alerts.map((a) => ({ key: a.key, rows: a.evidence })),
    ),
  );
  return tables;
}
