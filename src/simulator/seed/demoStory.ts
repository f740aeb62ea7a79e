import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { HuntingEvents, HuntingRow, HuntingTableName } from './huntingSchema';
import { parseSeed } from './loadSeed';
import type { AlertEntity, EntityProfiles, EvidenceEntity, FileProfile, MachineEntity, Seed } from './seedSchema';

/*
 * The advanced hunting events of the demo seeds, generated once from each seed's machines and alerts and written
 * into the seed file (`node dist/src/simulator/seed/demoStory.js`); a test checks the files still match. Three layers:
 *
 * 1. Evidence: every process, file, IP, URL and user of every MDE alert becomes the event that alert saw (a
 *    ProcessCreated with the evidence's hashes, command line and parent; a FileCreated; a connection; a logon), so
 *    a hunt finds exactly what the alert cards show. An IP that is another device's address is the source of an
 *    inbound connection and of the alert's user's network logon (lateral movement).
 * 2. The story's spread (LATERAL_SPREAD): what moved from the first device to the next ones (the dropped DLL on
 *    two more devices, the C2 address contacted from one more device).
 * 3. Background: each device's own user logging on, everyday programs and connections over a few days.
 *
 * Deterministic: the same seed always gives the same rows (no clock, a seeded pseudo-random sequence).
 */

/** How much background a seed gets. */
export interface StoryOptions {
  /** Days of everyday activity before the newest alert (the demo tenant 3, the small MSSP seeds 1). */
  backgroundDays: number;
}

/** The events and entity profiles a seed's story adds. */
export interface SeedStory {
  events: HuntingEvents;
  entityProfiles: EntityProfiles;
}

/**
 * What spread from device to device in the demo's phishing incident: the dropped DLL copied to the devices the
 * stolen admin account reached, and one of them calling the same C2 server. Applied where the seed has the hosts.
 */
const LATERAL_SPREAD = {
  from: 'ws-fin-042',
  fileName: 'wvgqzp.dll',
  copiedTo: ['ws-fin-043', 'dc-01'],
  c2: { ip: '198.51.100.77', url: 'https://cdn-update.evil.example/gate.php', from: 'ws-fin-043' },
} as const;

/** Remote addresses of the alert URLs' hosts (documentation ranges; the seed's Ip evidence wins where paired). */
const URL_ADDRESSES: Readonly<Record<string, string>> = {
  'cdn-update.evil.example': '198.51.100.77',
  'updates.evil.example': '198.51.100.130',
  'docs-share.evil.example': '198.51.100.88',
  'login-microsoftonline.evil.example': '198.51.100.99',
  'free-pdf-tools.evil.example': '198.51.100.150',
  'g.api.mega.co.nz': '198.51.100.200',
};

/** Everyday destinations (addresses in the 198.18.0.0/15 benchmarking range). */
const EVERYDAY_SITES: readonly { url: string; ip: string }[] = [
  { url: 'login.microsoftonline.com', ip: '198.18.10.1' },
  { url: 'outlook.office365.com', ip: '198.18.10.2' },
  { url: 'teams.microsoft.com', ip: '198.18.10.3' },
  { url: 'contoso.sharepoint.com', ip: '198.18.10.4' },
  { url: 'www.bing.com', ip: '198.18.10.5' },
  { url: 'settings-win.data.microsoft.com', ip: '198.18.10.6' },
];

const LINUX_SITES: readonly { url: string; ip: string }[] = [
  { url: 'archive.ubuntu.com', ip: '198.18.20.1' },
  { url: 'packages.microsoft.com', ip: '198.18.20.2' },
];

interface Program {
  fileName: string;
  folder: string;
  commandLine: string;
}

const WORKSTATION_PROGRAMS: readonly Program[] = [
  {
    fileName: 'msedge.exe',
    folder: 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application',
    commandLine: '"msedge.exe" --single-argument https://contoso.sharepoint.com/',
  },
  {
    fileName: 'ms-teams.exe',
    folder: 'C:\\Program Files\\WindowsApps\\MSTeams_8wekyb3d8bbwe',
    commandLine: '"ms-teams.exe" msteams:system-initiated',
  },
  {
    fileName: 'OUTLOOK.EXE',
    folder: 'C:\\Program Files\\Microsoft Office\\root\\Office16',
    commandLine: '"OUTLOOK.EXE" ',
  },
  {
    fileName: 'EXCEL.EXE',
    folder: 'C:\\Program Files\\Microsoft Office\\root\\Office16',
    commandLine: '"EXCEL.EXE" /dde',
  },
  {
    fileName: 'WINWORD.EXE',
    folder: 'C:\\Program Files\\Microsoft Office\\root\\Office16',
    commandLine: '"WINWORD.EXE" /n',
  },
  {
    fileName: 'OneDrive.exe',
    folder: 'C:\\Program Files\\Microsoft OneDrive',
    commandLine: '"OneDrive.exe" /background',
  },
  { fileName: 'notepad.exe', folder: 'C:\\Windows\\System32', commandLine: 'notepad.exe' },
];

const SERVER_PROGRAMS: readonly Program[] = [
  { fileName: 'svchost.exe', folder: 'C:\\Windows\\System32', commandLine: 'svchost.exe -k netsvcs -p -s Schedule' },
  {
    fileName: 'MpCmdRun.exe',
    folder: 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0',
    commandLine: '"MpCmdRun.exe" -SignatureUpdate',
  },
  {
    fileName: 'TiWorker.exe',
    folder: 'C:\\Windows\\WinSxS\\amd64_microsoft-windows-servicingstack',
    commandLine: 'TiWorker.exe -Embedding',
  },
  { fileName: 'wsmprovhost.exe', folder: 'C:\\Windows\\System32', commandLine: 'wsmprovhost.exe -Embedding' },
];

const LINUX_PROGRAMS: readonly Program[] = [
  { fileName: 'apt-get', folder: '/usr/bin', commandLine: 'apt-get -qq update' },
  { fileName: 'python3', folder: '/usr/bin', commandLine: 'python3 /opt/monitoring/collect.py --quiet' },
  { fileName: 'logrotate', folder: '/usr/sbin', commandLine: '/usr/sbin/logrotate /etc/logrotate.conf' },
];

const MAC_PROGRAMS: readonly Program[] = [
  {
    fileName: 'Safari',
    folder: '/Applications/Safari.app/Contents/MacOS',
    commandLine: '/Applications/Safari.app/Contents/MacOS/Safari',
  },
  {
    fileName: 'Microsoft Teams',
    folder: '/Applications/Microsoft Teams.app/Contents/MacOS',
    commandLine: "'/Applications/Microsoft Teams.app/Contents/MacOS/Microsoft Teams'",
  },
  {
    fileName: 'softwareupdated',
    folder: '/System/Library/PrivateFrameworks/SoftwareUpdate.framework/Resources',
    commandLine: '/System/Library/PrivateFrameworks/SoftwareUpdate.framework/Resources/softwareupdated',
  },
];

/** Everyday users of devices whose alerts name nobody (or only administrators and service accounts). */
const FALLBACK_USERS = ['alland', 'nestorw', 'gradya', 'pattif', 'isaiahl', 'debrab', 'joniw', 'raulr'];

const HOUR_MS = 3_600_000;
/** Identities that run processes without a logon of their own. */
const BUILT_IN_ACCOUNTS = new Set(['SYSTEM', 'NETWORK SERVICE', 'LOCAL SERVICE']);
/** How often the implant calls home. */
const BEACON_MINUTES = 15;
const MINUTE_MS = 60_000;
const SID_PREFIX = 'S-1-5-21-2310954718-3528219643-1872364455-';

/** mulberry32: a small seeded generator, so the same seed always gives the same background. */
function randomSequence(seedText: string): () => number {
  let state = createHash('sha1').update(seedText).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function hashOf(kind: 'sha1' | 'sha256', text: string): string {
  return createHash(kind).update(`contoso-demo:${text}`).digest('hex');
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function shortName(machine: MachineEntity): string {
  return machine.computerDnsName.split('.')[0] ?? machine.computerDnsName;
}

function isWindows(machine: MachineEntity): boolean {
  return machine.osPlatform.startsWith('Windows');
}

function isServer(machine: MachineEntity): boolean {
  return machine.osPlatform.startsWith('WindowsServer') || machine.osPlatform === 'Linux';
}

function joinPath(folder: string | null, fileName: string | null): string | null {
  if (folder === null) return fileName;
  if (fileName === null || folder.endsWith(fileName)) return folder;
  const separator = folder.includes('\\') ? '\\' : '/';
  return `${folder}${folder.endsWith(separator) ? '' : separator}${fileName}`;
}

function hostOf(url: string): string {
  return (url.replace(/^[a-z]+:\/\//i, '').split(/[/?#:]/, 1)[0] ?? '').toLowerCase();
}

/** The account a row names, with what the rows need of it. */
interface Account {
  name: string;
  domain: string;
  sid: string | null;
  upn: string | null;
}

/** Builds the rows of one seed, table by table. */
class StoryWriter {
  private readonly rows = new Map<HuntingTableName, HuntingRow[]>();
  private readonly seen = new Set<string>();
  readonly domain: string;
  private readonly emailDomain: string;
  private readonly sids = new Map<string, string>();

  constructor(readonly seed: Seed) {
    const domains = seed.alerts.flatMap((a) => (a.relatedUser?.domainName ? [a.relatedUser.domainName] : []));
    this.domain = domains[0] ?? seed.tenant.name.split(/\s+/)[0]?.toUpperCase() ?? 'CORP';
    this.emailDomain =
      seed.tenant.domains?.find((d) => !d.endsWith('.onmicrosoft.com')) ?? `${this.domain.toLowerCase()}.com`;
    for (const alert of seed.alerts) {
      for (const item of alert.evidence) {
        if (item.accountName !== null && item.userSid !== null)
          this.sids.set(item.accountName.toLowerCase(), item.userSid);
      }
    }
  }

  /** Adds a row once (the same event seen by two alerts is one event). */
  add(table: HuntingTableName, row: HuntingRow, key?: string): void {
    if (key !== undefined) {
      const full = `${table}|${key}`;
      if (this.seen.has(full)) return;
      this.seen.add(full);
    }
    const list = this.rows.get(table) ?? [];
    list.push(row);
    this.rows.set(table, list);
  }

  /** A domain account (local accounts on Linux and macOS devices carry the device name as their domain). */
  account(name: string, machine?: MachineEntity, domain?: string | null): Account {
    const local = machine !== undefined && !isWindows(machine);
    const accountDomain = domain ?? (local ? shortName(machine) : this.domain);
    const sid = local
      ? null
      : (this.sids.get(name.toLowerCase()) ??
        `${SID_PREFIX}${1100 + (parseInt(hashOf('sha1', name).slice(0, 6), 16) % 900)}`);
    return { name, domain: accountDomain, sid, upn: local ? null : `${name}@${this.emailDomain}` };
  }

  /** Every table's rows sorted by time, with ReportIds in that order. */
  events(): HuntingEvents {
    const events: HuntingEvents = {};
    const order: HuntingTableName[] = [
      'DeviceProcessEvents',
      'DeviceNetworkEvents',
      'DeviceLogonEvents',
      'DeviceFileEvents',
    ];
    for (const table of order) {
      const rows = [...(this.rows.get(table) ?? [])].sort((a, b) => timeOf(a).localeCompare(timeOf(b)));
      events[table] = rows.map((row, index) => ({ ...row, ReportId: index + 1 }));
    }
    return events;
  }
}

function timeOf(row: HuntingRow): string {
  return typeof row.Timestamp === 'string' ? row.Timestamp : '';
}

function deviceColumns(machine: MachineEntity): HuntingRow {
  return { DeviceId: machine.id, DeviceName: machine.computerDnsName };
}

function accountColumns(prefix: '' | 'InitiatingProcess', account: Account): HuntingRow {
  return {
    [`${prefix}AccountDomain`]: account.domain,
    [`${prefix}AccountName`]: account.name,
    [`${prefix}AccountUpn`]: account.upn,
  };
}

/** The initiating-process columns of a row a process of the alert caused. */
function initiatingColumns(process: EvidenceEntity | undefined, account: Account | undefined): HuntingRow {
  if (process === undefined) return {};
  return {
    InitiatingProcessFileName: process.fileName,
    InitiatingProcessFolderPath: joinPath(process.filePath, process.fileName),
    InitiatingProcessCommandLine: process.processCommandLine,
    InitiatingProcessId: process.processId,
    InitiatingProcessSHA1: process.sha1,
    InitiatingProcessSHA256: process.sha256,
    ...(account === undefined ? {} : accountColumns('InitiatingProcess', account)),
    InitiatingProcessParentFileName: process.parentProcessFileName,
    InitiatingProcessParentId: process.parentProcessId,
  };
}

function alertStart(alert: AlertEntity): number {
  return Date.parse(alert.firstEventTime ?? alert.alertCreationTime);
}

function processAccount(story: StoryWriter, item: EvidenceEntity, machine: MachineEntity): Account | undefined {
  return item.accountName === null ? undefined : story.account(item.accountName, machine, item.domainName);
}

/** Layer 1: the events each MDE alert's evidence saw. */
function writeEvidence(
  story: StoryWriter,
  alert: AlertEntity,
  machine: MachineEntity,
  byIp: ReadonlyMap<string, MachineEntity>,
): void {
  const start = alertStart(alert);
  const processes = alert.evidence.filter((e) => e.entityType === 'Process');
  const firstProcess = processes[0];
  const firstAccount = firstProcess === undefined ? undefined : processAccount(story, firstProcess, machine);
  const parentHashes = new Map(processes.map((p) => [p.processId, p]));
  for (const item of processes) {
    const account = processAccount(story, item, machine);
    const parent = item.parentProcessId === null ? undefined : parentHashes.get(item.parentProcessId);
    const created = item.processCreationTime ?? item.evidenceCreationTime ?? alert.alertCreationTime;
    story.add(
      'DeviceProcessEvents',
      {
        Timestamp: iso(Date.parse(created)),
        ...deviceColumns(machine),
        ActionType: 'ProcessCreated',
        FileName: item.fileName,
        FolderPath: joinPath(item.filePath, item.fileName),
        SHA1: item.sha1,
        SHA256: item.sha256,
        ProcessId: item.processId,
        ProcessCommandLine: item.processCommandLine,
        ProcessCreationTime: iso(Date.parse(created)),
        ...(account === undefined ? {} : accountColumns('', account)),
        InitiatingProcessFileName: item.parentProcessFileName,
        InitiatingProcessFolderPath: joinPath(item.parentProcessFilePath, item.parentProcessFileName),
        InitiatingProcessId: item.parentProcessId,
        InitiatingProcessSHA1: parent?.sha1 ?? null,
        InitiatingProcessSHA256: parent?.sha256 ?? null,
        ...(account === undefined ? {} : accountColumns('InitiatingProcess', account)),
      },
      `${machine.id}|${item.processId ?? item.processCommandLine}|${item.sha1}`,
    );
  }
  alert.evidence.forEach((item, index) => {
    if (item.entityType !== 'File' || item.sha1 === null) return;
    const folderPath = joinPath(item.filePath, item.fileName);
    story.add(
      'DeviceFileEvents',
      {
        Timestamp: iso(start - (alert.evidence.length - index) * 1000),
        ...deviceColumns(machine),
        ActionType: 'FileCreated',
        FileName: item.fileName,
        FolderPath: folderPath,
        SHA1: item.sha1,
        SHA256: item.sha256,
        FileSize: 4096 + (parseInt(item.sha1.slice(0, 5), 16) % 900_000),
        ...initiatingColumns(firstProcess, firstAccount),
      },
      `${machine.id}|${item.sha1}|${folderPath}`,
    );
  });
  const urls = alert.evidence.flatMap((e) => (e.entityType === 'Url' && e.url !== null ? [e.url] : []));
  const ips = alert.evidence.flatMap((e) => (e.entityType === 'Ip' && e.ipAddress !== null ? [e.ipAddress] : []));
  const outbound = ips.filter((ip) => !byIp.has(ip));
  const blocked = /blocked|prevented/i.test(alert.title);
  const port = (ip: string) =>
    Number(
      /\/(\d{2,5})\b/.exec(processes.map((p) => p.processCommandLine ?? '').find((c) => c.includes(ip)) ?? '')?.[1] ??
        443,
    );
  const connections: { ip: string | null; url: string | null }[] = [
    ...urls.map((url, i) => ({ url, ip: outbound[i] ?? URL_ADDRESSES[hostOf(url)] ?? null })),
    ...outbound.slice(urls.length).map((ip) => ({ ip, url: null })),
  ];
  for (const { ip, url } of connections) {
    story.add(
      'DeviceNetworkEvents',
      {
        Timestamp: iso(start),
        ...deviceColumns(machine),
        ActionType: blocked ? 'ConnectionAttempt' : 'ConnectionSuccess',
        RemoteIP: ip,
        RemotePort: ip === null ? 443 : port(ip),
        RemoteUrl: url,
        LocalIP: machine.lastIpAddress,
        LocalPort: 49_152 + (parseInt(hashOf('sha1', `${alert.id}${ip}${url}`).slice(0, 4), 16) % 16_000),
        Protocol: 'Tcp',
        ...initiatingColumns(firstProcess, firstAccount),
      },
      `${machine.id}|${alert.id}|${ip}|${url}`,
    );
  }
  const users = alert.evidence.filter((e) => e.entityType === 'User' && e.accountName !== null);
  const related = alert.relatedUser;
  // Whoever the alert names or whose process it saw had logged on (built-in service identities never log on).
  const named = [
    ...users.map((u) => ({ name: u.accountName ?? '', domain: u.domainName })),
    ...(related === null ? [] : [{ name: related.userName, domain: related.domainName }]),
    ...processes.map((p) => ({ name: p.accountName ?? '', domain: p.domainName })),
  ].filter((a) => a.name !== '' && !BUILT_IN_ACCOUNTS.has(a.name.toUpperCase()));
  const accounts = [...new Map(named.map((a) => [a.name.toLowerCase(), a])).values()].map((a) =>
    story.account(a.name, machine, a.domain),
  );
  const sources = ips.flatMap((ip) => {
    const source = byIp.get(ip);
    return source === undefined || source.id === machine.id ? [] : [source];
  });
  for (const source of sources) {
    story.add(
      'DeviceNetworkEvents',
      {
        Timestamp: iso(start - 2000),
        ...deviceColumns(machine),
        ActionType: 'InboundConnectionAccepted',
        RemoteIP: source.lastIpAddress,
        RemotePort: 49_152 + (parseInt(source.id.slice(0, 4), 16) % 16_000),
        LocalIP: machine.lastIpAddress,
        LocalPort: 445,
        Protocol: 'Tcp',
        InitiatingProcessFileName: 'System',
      },
      `${machine.id}|inbound|${source.id}|${alert.id}`,
    );
  }
  const failed = /failed logon|brute-force/i.test(alert.title);
  accounts.forEach((account, index) => {
    const source = sources[0];
    const logonType = source !== undefined ? 'Network' : logonTypeFor(machine, account.name);
    story.add(
      'DeviceLogonEvents',
      {
        Timestamp: iso(start - (source !== undefined ? 1000 : 30 * MINUTE_MS) - index * 1000),
        ...deviceColumns(machine),
        ActionType: failed ? 'LogonFailed' : 'LogonSuccess',
        ...(failed ? { FailureReason: 'InvalidUserNameOrPassword' } : {}),
        LogonType: logonType,
        AccountDomain: account.domain,
        AccountName: account.name,
        AccountSid: account.sid,
        AccountUpn: account.upn,
        RemoteIP: source?.lastIpAddress ?? null,
        RemoteDeviceName: source?.computerDnsName ?? null,
        IsLocalAdmin: /^adm-|^root$/.test(account.name),
      },
      // One logon per account, device, type and source: the earliest alert's (alerts are written oldest first).
      `${machine.id}|${account.name.toLowerCase()}|${logonType}|${source?.id ?? ''}|${failed}`,
    );
  });
}

function logonTypeFor(machine: MachineEntity, accountName: string): string {
  if (/^(svc-|www-data$|pgbackup$)/.test(accountName)) return 'Service';
  if (isServer(machine)) return /^adm-/.test(accountName) ? 'RemoteInteractive' : 'Network';
  return 'Interactive';
}

/** Layer 2: LATERAL_SPREAD, where the seed has its hosts. */
function writeSpread(story: StoryWriter, byName: ReadonlyMap<string, MachineEntity>): void {
  const source = byName.get(LATERAL_SPREAD.from);
  if (source === undefined) return;
  const sourceAlerts = story.seed.alerts.filter((a) => a.machineId === source.id);
  const dropped = sourceAlerts
    .flatMap((a) => a.evidence)
    .find((e) => e.entityType === 'File' && e.fileName === LATERAL_SPREAD.fileName);
  if (dropped === undefined || dropped.sha1 === null) return;
  const admin = story.account('adm-allan');
  const landed = new Map<string, number>();
  for (const name of LATERAL_SPREAD.copiedTo) {
    const target = byName.get(name);
    if (target === undefined) continue;
    const inbound = story.seed.alerts.filter(
      (a) => a.machineId === target.id && a.evidence.some((e) => e.ipAddress === source.lastIpAddress),
    );
    // The payload lands with the last inbound step (the remote service that runs it).
    const at =
      inbound.length > 0
        ? Math.max(...inbound.map(alertStart))
        : Date.parse(dropped.evidenceCreationTime ?? '') + 90 * MINUTE_MS;
    landed.set(target.id, at);
    story.add('DeviceFileEvents', {
      Timestamp: iso(at + 5000),
      ...deviceColumns(target),
      ActionType: 'FileCreated',
      FileName: dropped.fileName,
      FolderPath: `C:\\Windows\\Temp\\${dropped.fileName ?? ''}`,
      SHA1: dropped.sha1,
      SHA256: dropped.sha256,
      FileSize: 4096 + (parseInt(dropped.sha1.slice(0, 5), 16) % 900_000),
      InitiatingProcessFileName: 'System',
      InitiatingProcessId: 4,
      ...accountColumns('InitiatingProcess', admin),
    });
  }
  writeBeacons(story, source, sourceAlerts);
  const caller = byName.get(LATERAL_SPREAD.c2.from);
  const callerAt = caller === undefined ? undefined : landed.get(caller.id);
  if (caller === undefined || callerAt === undefined) return;
  const rundll32 = sourceAlerts
    .flatMap((a) => a.evidence)
    .find((e) => e.entityType === 'Process' && e.fileName === 'rundll32.exe');
  story.add('DeviceNetworkEvents', {
    Timestamp: iso(callerAt + 5 * MINUTE_MS),
    ...deviceColumns(caller),
    ActionType: 'ConnectionSuccess',
    RemoteIP: LATERAL_SPREAD.c2.ip,
    RemotePort: 443,
    RemoteUrl: LATERAL_SPREAD.c2.url,
    LocalIP: caller.lastIpAddress,
    LocalPort: 51_544,
    Protocol: 'Tcp',
    InitiatingProcessFileName: 'rundll32.exe',
    InitiatingProcessFolderPath: 'C:\\Windows\\System32\\rundll32.exe',
    InitiatingProcessCommandLine: `rundll32.exe "C:\\Windows\\Temp\\${LATERAL_SPREAD.fileName}",#1`,
    InitiatingProcessSHA1: rundll32?.sha1 ?? null,
    InitiatingProcessSHA256: rundll32?.sha256 ?? null,
    ...accountColumns('InitiatingProcess', admin),
  });
}

/**
 * The implant's beacons: the first device calls its C2 URL every BEACON_MINUTES from its first connection there
 * until its last alert (the automated investigation that removed the DLL).
 */
function writeBeacons(story: StoryWriter, source: MachineEntity, sourceAlerts: readonly AlertEntity[]): void {
  const first = sourceAlerts
    .filter((a) => a.evidence.some((e) => e.url === LATERAL_SPREAD.c2.url))
    .map(alertStart)
    .sort((a, b) => a - b)[0];
  if (first === undefined) return;
  const rundll32 = sourceAlerts
    .flatMap((a) => a.evidence)
    .find((e) => e.entityType === 'Process' && e.fileName === 'rundll32.exe');
  const until = Math.max(...sourceAlerts.map(alertStart));
  const account = rundll32 === undefined ? undefined : processAccount(story, rundll32, source);
  for (let at = first + BEACON_MINUTES * MINUTE_MS; at < until; at += BEACON_MINUTES * MINUTE_MS) {
    story.add('DeviceNetworkEvents', {
      Timestamp: iso(at),
      ...deviceColumns(source),
      ActionType: 'ConnectionSuccess',
      RemoteIP: LATERAL_SPREAD.c2.ip,
      RemotePort: 443,
      RemoteUrl: LATERAL_SPREAD.c2.url,
      LocalIP: source.lastIpAddress,
      LocalPort: 49_152 + Math.floor((at / MINUTE_MS) % 16_000),
      Protocol: 'Tcp',
      ...initiatingColumns(rundll32, account),
    });
  }
}

/** The device's everyday user: the person its alerts name most, else a stable pick. */
function everydayUser(story: StoryWriter, machine: MachineEntity, random: () => number): Account {
  const named = story.seed.alerts
    .filter((a) => a.machineId === machine.id && a.relatedUser !== null)
    .map((a) => a.relatedUser?.userName ?? '')
    .filter((n) => n !== '' && !/^(adm-|svc-)/.test(n));
  const counts = new Map<string, number>();
  for (const name of named) counts.set(name, (counts.get(name) ?? 0) + 1);
  const best = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return story.account(best ?? pick(random, FALLBACK_USERS), machine);
}

/** Layer 3: everyday activity of one device over `days` days ending at `end`. */
function writeBackground(
  story: StoryWriter,
  machine: MachineEntity,
  end: number,
  days: number,
  jump: MachineEntity | undefined,
): void {
  const random = randomSequence(machine.id);
  const last = Math.min(end, Date.parse(machine.lastSeen));
  const user = everydayUser(story, machine, random);
  const windows = isWindows(machine);
  const server = isServer(machine);
  const programs =
    machine.osPlatform === 'macOS'
      ? MAC_PROGRAMS
      : !windows
        ? LINUX_PROGRAMS
        : server
          ? SERVER_PROGRAMS
          : WORKSTATION_PROGRAMS;
  const sites = windows || machine.osPlatform === 'macOS' ? EVERYDAY_SITES : LINUX_SITES;
  const dayStart = Math.floor(end / (24 * HOUR_MS)) * 24 * HOUR_MS;
  for (let day = days - 1; day >= 0; day -= 1) {
    const morning = dayStart - day * 24 * HOUR_MS + 8 * HOUR_MS;
    const logonAt = morning + Math.floor(random() * 50) * MINUTE_MS + Math.floor(random() * 60_000);
    if (logonAt > last) continue;
    const admin = server
      ? story.account(
          windows ? 'adm-megan' : 'ansible',
          machine,
          windows ? undefined : machine.computerDnsName.split('.')[0],
        )
      : user;
    const fromJump = server && jump !== undefined && jump.id !== machine.id;
    story.add('DeviceLogonEvents', {
      Timestamp: iso(logonAt),
      ...deviceColumns(machine),
      ActionType: 'LogonSuccess',
      LogonType: server ? (windows ? (fromJump ? 'RemoteInteractive' : 'Interactive') : 'Network') : 'Interactive',
      AccountDomain: admin.domain,
      AccountName: admin.name,
      AccountSid: admin.sid,
      AccountUpn: admin.upn,
      RemoteIP: fromJump ? jump.lastIpAddress : null,
      RemoteDeviceName: fromJump ? jump.computerDnsName : null,
      IsLocalAdmin: server,
    });
    const runAs = server
      ? story.account(windows ? 'system' : 'root', machine, windows ? 'nt authority' : undefined)
      : user;
    for (let i = 0; i < 3; i += 1) {
      const program = pick(random, programs);
      const at = logonAt + (10 + Math.floor(random() * 420)) * MINUTE_MS;
      if (at > last) continue;
      story.add('DeviceProcessEvents', {
        Timestamp: iso(at),
        ...deviceColumns(machine),
        ActionType: 'ProcessCreated',
        FileName: program.fileName,
        FolderPath: joinPath(program.folder, program.fileName),
        SHA1: hashOf('sha1', program.fileName),
        SHA256: hashOf('sha256', program.fileName),
        ProcessId: 1000 + Math.floor(random() * 20_000),
        ProcessCommandLine: program.commandLine,
        ProcessCreationTime: iso(at),
        ...accountColumns('', runAs),
        InitiatingProcessFileName: server ? (windows ? 'services.exe' : 'cron') : windows ? 'explorer.exe' : 'launchd',
        ...accountColumns('InitiatingProcess', runAs),
      });
    }
    for (let i = 0; i < 2; i += 1) {
      const site = pick(random, sites);
      const at = logonAt + (5 + Math.floor(random() * 450)) * MINUTE_MS;
      if (at > last) continue;
      story.add('DeviceNetworkEvents', {
        Timestamp: iso(at),
        ...deviceColumns(machine),
        ActionType: 'ConnectionSuccess',
        RemoteIP: site.ip,
        RemotePort: 443,
        RemoteUrl: site.url,
        LocalIP: machine.lastIpAddress,
        LocalPort: 49_152 + Math.floor(random() * 16_000),
        Protocol: 'Tcp',
        InitiatingProcessFileName: windows
          ? server
            ? 'svchost.exe'
            : 'msedge.exe'
          : machine.osPlatform === 'macOS'
            ? 'Safari'
            : 'apt-get',
        ...accountColumns('InitiatingProcess', runAs),
      });
    }
  }
}

/** MDE's knowledge of the alert files beyond the tenant: Windows binaries are everywhere, the malware is rare. */
function fileProfiles(seed: Seed, end: number): Record<string, FileProfile> {
  const profiles: Record<string, FileProfile> = {};
  for (const alert of seed.alerts) {
    for (const item of alert.evidence) {
      if (item.sha1 === null || (item.entityType !== 'File' && item.entityType !== 'Process')) continue;
      const random = randomSequence(item.sha1);
      const system = /^C:\\(Windows|Program Files)/i.test(item.filePath ?? '');
      profiles[item.sha1] = system
        ? {
            globalPrevalence: 1_000_000 + Math.floor(random() * 90_000_000),
            globalFirstObserved: '2019-10-08T03:11:51Z',
            globalLastObserved: iso(end - 60_000),
            fileType: 'PortableExecutable',
            filePublisher: 'Microsoft Corporation',
            fileProductName: 'Microsoft Windows Operating System',
            signer: 'Microsoft Windows',
            issuer: 'Microsoft Windows Production PCA 2011',
            isValidCertificate: true,
          }
        : {
            globalPrevalence: 2 + Math.floor(random() * 300),
            globalFirstObserved: iso(end - (2 + Math.floor(random() * 20)) * 24 * HOUR_MS),
            globalLastObserved: iso(end - Math.floor(random() * 6) * HOUR_MS),
            isValidCertificate: false,
            ...(alert.threatName === null
              ? {}
              : { determinationType: 'Malware', determinationValue: alert.threatName }),
          };
    }
  }
  return profiles;
}

/** The story of one seed: its events and entity profiles (see the top of this file). */
export function seedStory(seed: Seed, options: StoryOptions): SeedStory {
  const story = new StoryWriter(seed);
  const byIp = new Map(seed.machines.flatMap((m) => (m.lastIpAddress === null ? [] : [[m.lastIpAddress, m] as const])));
  const byName = new Map(seed.machines.map((m) => [shortName(m), m]));
  const machines = new Map(seed.machines.map((m) => [m.id, m]));
  const end = Math.max(...seed.alerts.map((a) => Date.parse(a.lastUpdateTime)));
  for (const alert of [...seed.alerts].sort((a, b) => alertStart(a) - alertStart(b))) {
    const machine = alert.machineId === null ? undefined : machines.get(alert.machineId);
    if (machine !== undefined) writeEvidence(story, alert, machine, byIp);
  }
  writeSpread(story, byName);
  const jump = seed.machines.find((m) => shortName(m).startsWith('srv-jump'));
  for (const machine of seed.machines) writeBackground(story, machine, end, options.backgroundDays, jump);
  const admins = new Set<string>();
  for (const alert of seed.alerts) {
    for (const name of [alert.relatedUser?.userName, ...alert.evidence.map((e) => e.accountName)]) {
      if (name !== undefined && name !== null && /^adm-/.test(name)) admins.add(`${story.domain}\\${name}`);
    }
  }
  return {
    events: story.events(),
    entityProfiles: { files: fileProfiles(seed, end), domainAdmins: [...admins].sort() },
  };
}

/** Each row on one line, so a few hundred events stay readable in the seed file. */
function eventsJson(events: HuntingEvents, indent: string): string {
  const tables = Object.entries(events).map(([table, rows]) => {
    const lines = (rows ?? []).map((row) => `${indent}    ${JSON.stringify(row)}`);
    return `${indent}  ${JSON.stringify(table)}: [\n${lines.join(',\n')}\n${indent}  ]`;
  });
  return `{\n${tables.join(',\n')}\n${indent}}`;
}

/**
 * The seed file's text with its `events` and `entityProfiles` replaced by the story's; the rest of the file is
 * written back as `JSON.stringify(…, null, 2)` writes it (the demo tenant's own style; prettier formats the MSSP
 * seeds afterwards).
 */
export function withStory(text: string, story: SeedStory): string {
  const json = JSON.parse(text) as Record<string, unknown>;
  delete json.events;
  delete json.entityProfiles;
  const body = JSON.stringify({ ...json, entityProfiles: story.entityProfiles }, null, 2);
  return `${body.slice(0, body.lastIndexOf('\n}'))},\n  "events": ${eventsJson(story.events, '  ')}\n}\n`;
}

/** Seeds with a story, and how much background each gets. */
export const STORY_SEEDS: readonly { file: string; options: StoryOptions }[] = [
  { file: 'demoTenant.json', options: { backgroundDays: 3 } },
  { file: 'mssp/contoso.json', options: { backgroundDays: 1 } },
  { file: 'mssp/fabrikam.json', options: { backgroundDays: 1 } },
  { file: 'mssp/tailspin.json', options: { backgroundDays: 1 } },
  { file: 'mssp/provider.json', options: { backgroundDays: 1 } },
];

/** Rewrites the story seeds in `seedDirectory` (the source folder src/simulator/seed). */
export function writeStories(seedDirectory: string): void {
  for (const { file, options } of STORY_SEEDS) {
    const target = path.join(seedDirectory, file);
    const text = fs.readFileSync(target, 'utf8');
    const seed = parseSeed(JSON.parse(text), target);
    fs.writeFileSync(target, withStory(text, seedStory(seed, options)));
  }
}

// `node dist/src/simulator/seed/demoStory.js` rewrites the seeds in the source tree (then run prettier on mssp/).
if (require.main === module) writeStories(path.resolve(__dirname, '../../../../src/simulator/seed'));
