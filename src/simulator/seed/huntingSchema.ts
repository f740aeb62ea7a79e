import { z } from 'zod';

/**
 * The advanced hunting tables the simulator serves and their columns, a documented subset of Defender XDR's
 * advanced hunting schema (learn.microsoft.com/defender-xdr/advanced-hunting-schema-tables). One source for the
 * seed format (rows are validated against it), the KQL engine (semantic errors for unknown tables and columns,
 * the `schema` of an answer) and the entity statistics endpoints (which read the same rows, so a hunt and a card
 * agree).
 */

/** KQL scalar types as advanced hunting reports them in an answer's `schema` (`{ name, type }`). */
export const HUNTING_TYPES = ['DateTime', 'String', 'Int32', 'Int64', 'Boolean', 'Double', 'Object'] as const;
/** One of HUNTING_TYPES. */
export type HuntingType = (typeof HUNTING_TYPES)[number];

const common = {
  Timestamp: 'DateTime',
  DeviceId: 'String',
  DeviceName: 'String',
  ActionType: 'String',
} as const satisfies Record<string, HuntingType>;

const initiatingProcess = {
  InitiatingProcessFileName: 'String',
  InitiatingProcessFolderPath: 'String',
  InitiatingProcessCommandLine: 'String',
  InitiatingProcessId: 'Int64',
  InitiatingProcessSHA1: 'String',
  InitiatingProcessSHA256: 'String',
  InitiatingProcessAccountDomain: 'String',
  InitiatingProcessAccountName: 'String',
  InitiatingProcessAccountUpn: 'String',
  InitiatingProcessParentFileName: 'String',
  InitiatingProcessParentId: 'Int64',
} as const satisfies Record<string, HuntingType>;

/** Every table the simulator knows, with its columns in the documented order. */
export const HUNTING_TABLES = {
  DeviceInfo: {
    Timestamp: 'DateTime',
    DeviceId: 'String',
    DeviceName: 'String',
    OSPlatform: 'String',
    OSVersion: 'String',
    PublicIP: 'String',
    MachineGroup: 'String',
    LoggedOnUsers: 'Object',
    OnboardingStatus: 'String',
    ExposureLevel: 'String',
  },
  DeviceProcessEvents: {
    ...common,
    FileName: 'String',
    FolderPath: 'String',
    SHA1: 'String',
    SHA256: 'String',
    MD5: 'String',
    ProcessId: 'Int64',
    ProcessCommandLine: 'String',
    ProcessCreationTime: 'DateTime',
    AccountDomain: 'String',
    AccountName: 'String',
    AccountUpn: 'String',
    ...initiatingProcess,
    ReportId: 'Int64',
  },
  DeviceNetworkEvents: {
    ...common,
    RemoteIP: 'String',
    RemotePort: 'Int32',
    RemoteUrl: 'String',
    LocalIP: 'String',
    LocalPort: 'Int32',
    Protocol: 'String',
    ...initiatingProcess,
    ReportId: 'Int64',
  },
  DeviceLogonEvents: {
    ...common,
    LogonType: 'String',
    AccountDomain: 'String',
    AccountName: 'String',
    AccountSid: 'String',
    AccountUpn: 'String',
    RemoteIP: 'String',
    RemoteDeviceName: 'String',
    IsLocalAdmin: 'Boolean',
    FailureReason: 'String',
    ReportId: 'Int64',
  },
  DeviceFileEvents: {
    ...common,
    FileName: 'String',
    FolderPath: 'String',
    SHA1: 'String',
    SHA256: 'String',
    MD5: 'String',
    FileSize: 'Int64',
    ...initiatingProcess,
    ReportId: 'Int64',
  },
  AlertInfo: {
    Timestamp: 'DateTime',
    AlertId: 'String',
    Title: 'String',
    Category: 'String',
    Severity: 'String',
    ServiceSource: 'String',
    DetectionSource: 'String',
    AttackTechniques: 'String',
  },
  AlertEvidence: {
    Timestamp: 'DateTime',
    AlertId: 'String',
    Title: 'String',
    Categories: 'String',
    AttackTechniques: 'String',
    ServiceSource: 'String',
    DetectionSource: 'String',
    EntityType: 'String',
    EvidenceRole: 'String',
    EvidenceDirection: 'String',
    FileName: 'String',
    FolderPath: 'String',
    SHA1: 'String',
    SHA256: 'String',
    RemoteIP: 'String',
    RemoteUrl: 'String',
    AccountName: 'String',
    AccountDomain: 'String',
    AccountSid: 'String',
    AccountObjectId: 'String',
    AccountUpn: 'String',
    DeviceId: 'String',
    DeviceName: 'String',
    Severity: 'String',
  },
} as const satisfies Record<string, Record<string, HuntingType>>;

/** A table name of HUNTING_TABLES. */
export type HuntingTableName = keyof typeof HUNTING_TABLES;
/** One cell: DateTime cells are ISO-8601 strings (UTC, `Z`), Object cells any JSON value, absent = null. */
export type HuntingCell = string | number | boolean | null | readonly unknown[] | { readonly [key: string]: unknown };
/** One event row, keyed by column name; columns a row leaves out read as null (empty for strings). */
export type HuntingRow = Readonly<Record<string, HuntingCell | undefined>>;
/** A tenant's event tables, as the KQL engine and the entity statistics endpoints read them. */
export type HuntingTables = ReadonlyMap<HuntingTableName, readonly HuntingRow[]>;

const TABLE_NAMES = Object.keys(HUNTING_TABLES) as HuntingTableName[];

/** True when `name` is a table the simulator serves (case-sensitive, as KQL is). */
export function isHuntingTable(name: string): name is HuntingTableName {
  return (TABLE_NAMES as string[]).includes(name);
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$/;

function cellSchema(type: HuntingType): z.ZodType<HuntingCell> {
  switch (type) {
    case 'DateTime':
      return z.string().regex(ISO_UTC, 'must be an ISO-8601 UTC timestamp (…Z)').nullable();
    case 'String':
      return z.string().nullable();
    case 'Int32':
    case 'Int64':
      return z.number().int().nullable();
    case 'Double':
      return z.number().nullable();
    case 'Boolean':
      return z.boolean().nullable();
    case 'Object':
      return z.unknown().transform((v) => (v === undefined ? null : (v as HuntingCell)));
  }
}

function rowSchema(table: HuntingTableName) {
  const columns = HUNTING_TABLES[table] as Record<string, HuntingType>;
  return z.strictObject(Object.fromEntries(Object.entries(columns).map(([c, t]) => [c, cellSchema(t).optional()])));
}

/**
 * The seed's `events` section: rows per table, each checked against the table's columns (an unknown column or a
 * wrong type fails the seed with its path). Tables a seed leaves out are empty.
 */
export const huntingEventsSchema = z.strictObject(
  Object.fromEntries(TABLE_NAMES.map((t) => [t, z.array(rowSchema(t)).optional()])) as Record<
    HuntingTableName,
    z.ZodOptional<z.ZodArray<ReturnType<typeof rowSchema>>>
  >,
);

/** The seed's `events` section after validation. */
export type HuntingEvents = Partial<Record<HuntingTableName, HuntingRow[]>>;
