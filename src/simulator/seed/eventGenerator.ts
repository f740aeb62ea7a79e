import type { HuntingRow, HuntingTableName, HuntingTables } from './huntingSchema';

/*
 * A deterministic generator of advanced hunting events for benchmarks and load rehearsals: the same options
 * always give the same rows (a seeded PRNG, no clock, no Math.random), spread over the 30 days before `now`.
 * Values come from small pools (devices, accounts, files, hashes, addresses), so filters, joins and
 * summaries find realistic fan-outs; rows fill only the columns a hunt usually reads.
 */

/** What to generate. */
export interface EventGeneratorOptions {
  /** Total events across the tables (AlertEvidence and AlertInfo add ~0.5 % on top). */
  events: number;
  /** The newest possible Timestamp; events spread over the 30 days before it. */
  now: Date;
  /** PRNG seed (default 42). */
  seed?: number;
  /** Devices in the fleet (default 500): `ws-0001` … */
  devices?: number;
  /** Accounts (default 300): `user001` … */
  accounts?: number;
  /** Distinct file hashes (default 5,000). */
  hashes?: number;
}

/** One generated device, as the events name it (ids are 40 hex characters, like MDE machine ids). */
export interface GeneratedDevice {
  deviceId: string;
  deviceName: string;
}

/** The generated tables, and the pools a benchmark picks its parameters from. */
export interface GeneratedEvents {
  tables: HuntingTables;
  devices: GeneratedDevice[];
  accounts: string[];
  hashes: string[];
  remoteIps: string[];
}

const THIRTY_DAYS_MS = 30 * 86_400_000;
const FILES = [
  'powershell.exe',
  'cmd.exe',
  'svchost.exe',
  'explorer.exe',
  'chrome.exe',
  'msedge.exe',
  'outlook.exe',
  'winword.exe',
  'excel.exe',
  'rundll32.exe',
  'regsvr32.exe',
  'mshta.exe',
  'certutil.exe',
  'bitsadmin.exe',
  'wmic.exe',
  'schtasks.exe',
  'notepad.exe',
  'teams.exe',
  'onedrive.exe',
  'python.exe',
];
const LOGON_TYPES = ['Interactive', 'RemoteInteractive', 'Network', 'Unlock', 'Batch', 'Service'];
const PROTOCOLS = ['Tcp', 'Udp'];
const PORTS = [443, 80, 445, 3389, 53, 22, 8080, 135];

/** mulberry32: a small, fast, seeded PRNG with a full 32-bit period, good enough for test data. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `length` random hex digits, as one flat string (joined, not concatenated: fast to compare). */
function hex(random: () => number, length: number): string {
  const parts: string[] = [];
  for (let have = 0; have < length; have += 8) {
    parts.push(
      Math.floor(random() * 4_294_967_296)
        .toString(16)
        .padStart(8, '0'),
    );
  }
  return parts.join('').slice(0, length);
}

/** Builds `options.events` events over DeviceProcessEvents (50 %), DeviceNetworkEvents (25 %), DeviceLogonEvents (10 %), DeviceFileEvents (15 %), plus alerts. */
export function generateHuntingEvents(options: EventGeneratorOptions): GeneratedEvents {
  const random = prng(options.seed ?? 42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const nowMs = options.now.getTime();
  const timestamp = () => new Date(nowMs - Math.floor(random() * THIRTY_DAYS_MS)).toISOString();
  const devices: GeneratedDevice[] = Array.from({ length: options.devices ?? 500 }, (_, i) => ({
    deviceId: hex(random, 40),
    deviceName: `ws-${String(i + 1).padStart(4, '0')}`,
  }));
  const accounts = Array.from({ length: options.accounts ?? 300 }, (_, i) => `user${String(i + 1).padStart(3, '0')}`);
  const hashes = Array.from({ length: options.hashes ?? 5000 }, () => hex(random, 40));
  const remoteIps = Array.from(
    { length: 2000 },
    () =>
      `${pick([198, 203, 192])}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 254) + 1}`,
  );
  const processes: HuntingRow[] = [];
  const network: HuntingRow[] = [];
  const logons: HuntingRow[] = [];
  const files: HuntingRow[] = [];
  let reportId = 0;
  for (let i = 0; i < options.events; i++) {
    const device = pick(devices);
    const account = pick(accounts);
    const common = {
      Timestamp: timestamp(),
      DeviceId: device.deviceId,
      DeviceName: device.deviceName,
      ReportId: (reportId += 1),
    };
    const roll = random();
    if (roll < 0.5) {
      const file = pick(FILES);
      processes.push({
        ...common,
        ActionType: 'ProcessCreated',
        FileName: file,
        SHA1: pick(hashes),
        ProcessId: Math.floor(random() * 65_535),
        ProcessCommandLine: `${file} ${hex(random, 8)}`,
        AccountName: account,
        InitiatingProcessFileName: pick(FILES),
      });
    } else if (roll < 0.75) {
      network.push({
        ...common,
        ActionType: 'ConnectionSuccess',
        RemoteIP: pick(remoteIps),
        RemotePort: pick(PORTS),
        Protocol: pick(PROTOCOLS),
        InitiatingProcessFileName: pick(FILES),
        InitiatingProcessAccountName: account,
      });
    } else if (roll < 0.85) {
      logons.push({
        ...common,
        ActionType: random() < 0.9 ? 'LogonSuccess' : 'LogonFailed',
        AccountName: account,
        LogonType: pick(LOGON_TYPES),
        IsLocalAdmin: random() < 0.1,
      });
    } else {
      files.push({
        ...common,
        ActionType: 'FileCreated',
        FileName: `${hex(random, 6)}.${pick(['docx', 'xlsx', 'ps1', 'exe', 'dll', 'zip'])}`,
        SHA1: pick(hashes),
        FileSize: Math.floor(random() * 10_000_000),
        InitiatingProcessFileName: pick(FILES),
      });
    }
  }
  const alertCount = Math.max(1, Math.floor(options.events / 500));
  const alertInfo: HuntingRow[] = [];
  const evidence: HuntingRow[] = [];
  for (let i = 0; i < alertCount; i++) {
    const alertId = `da${hex(random, 16)}`;
    const at = timestamp();
    const device = pick(devices);
    const title = pick(['Suspicious PowerShell', 'Credential theft', 'Ransomware behavior', 'Malicious file']);
    alertInfo.push({ Timestamp: at, AlertId: alertId, Title: title, Severity: pick(['High', 'Medium', 'Low']) });
    evidence.push(
      {
        Timestamp: at,
        AlertId: alertId,
        Title: title,
        EntityType: 'File',
        SHA1: pick(hashes),
        DeviceId: device.deviceId,
        DeviceName: device.deviceName,
      },
      { Timestamp: at, AlertId: alertId, Title: title, EntityType: 'Ip', RemoteIP: pick(remoteIps) },
    );
  }
  const tables = new Map<HuntingTableName, readonly HuntingRow[]>([
    [
      'DeviceInfo',
      devices.map((d) => ({ Timestamp: options.now.toISOString(), DeviceId: d.deviceId, DeviceName: d.deviceName })),
    ],
    ['DeviceProcessEvents', processes],
    ['DeviceNetworkEvents', network],
    ['DeviceLogonEvents', logons],
    ['DeviceFileEvents', files],
    ['AlertInfo', alertInfo],
    ['AlertEvidence', evidence],
  ]);
  return { tables, devices, accounts, hashes, remoteIps };
}
