import { z } from 'zod';
import { nullableString, stringList } from '../http/tolerantFields';

/*
 * What the bot reads from Defender responses, parsed once where the response enters (STYLE: parse at every
 * edge). Tolerant on purpose: only the fields the bot uses are checked, unknown enum values are kept as
 * strings (the API adds values over time), and a field the API omits becomes null rather than a crash.
 */

/** Alert severities the bot orders and colours; other values are shown as they come. */
export const SEVERITIES = ['High', 'Medium', 'Low', 'Informational', 'UnSpecified'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** Alert statuses the bot filters on. */
export const STATUSES = ['New', 'InProgress', 'Resolved', 'Unknown'] as const;
export type AlertStatus = (typeof STATUSES)[number];

/** One evidence item, reduced to what the alert card shows. */
export const evidenceSchema = z.object({
  entityType: z.string(),
  fileName: nullableString,
  filePath: nullableString,
  sha1: nullableString,
  sha256: nullableString,
  processCommandLine: nullableString,
  ipAddress: nullableString,
  url: nullableString,
  accountName: nullableString,
  domainName: nullableString,
  userPrincipalName: nullableString,
  registryKey: nullableString,
  registryValue: nullableString,
  detectionStatus: nullableString,
});
export type Evidence = z.infer<typeof evidenceSchema>;

/** A Defender alert as the bot uses it. */
export const alertSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  description: nullableString,
  severity: z.string(),
  status: z.string(),
  category: nullableString,
  detectionSource: nullableString,
  assignedTo: nullableString,
  classification: nullableString,
  determination: nullableString,
  incidentId: z
    .number()
    .nullish()
    .transform((v) => v ?? null),
  alertCreationTime: z.string(),
  lastUpdateTime: nullableString,
  firstEventTime: nullableString,
  lastEventTime: nullableString,
  resolvedTime: nullableString,
  machineId: nullableString,
  computerDnsName: nullableString,
  rbacGroupName: nullableString,
  mitreTechniques: stringList,
  threatFamilyName: nullableString,
  relatedUser: z
    .object({ userName: z.string().nullish(), domainName: z.string().nullish() })
    .nullish()
    .transform((v) => v ?? null),
  evidence: z
    .array(evidenceSchema)
    .nullish()
    .transform((v) => v ?? []),
});
export type Alert = z.infer<typeof alertSchema>;

/** A Defender device as the bot uses it. */
export const machineSchema = z.object({
  id: z.string().min(1),
  computerDnsName: z.string().min(1),
  osPlatform: nullableString,
  version: nullableString,
  osBuild: z
    .number()
    .nullish()
    .transform((v) => v ?? null),
  healthStatus: nullableString,
  riskScore: nullableString,
  exposureLevel: nullableString,
  deviceValue: nullableString,
  lastSeen: nullableString,
  firstSeen: nullableString,
  lastIpAddress: nullableString,
  lastExternalIpAddress: nullableString,
  rbacGroupName: nullableString,
  rbacGroupId: z
    .union([z.number(), z.string()])
    .nullish()
    .transform((v) => (v === null || v === undefined ? null : String(v))),
  machineTags: stringList,
  ipAddresses: z
    .array(z.object({ ipAddress: z.string(), type: z.string().nullish(), operationalStatus: z.string().nullish() }))
    .nullish()
    .transform((v) => v ?? []),
});
export type Machine = z.infer<typeof machineSchema>;

/** Machine action types (defender-api.md §4.3). */
export const MACHINE_ACTION_TYPES = [
  'RunAntiVirusScan',
  'Offboard',
  'LiveResponse',
  'CollectInvestigationPackage',
  'Isolate',
  'Unisolate',
  'StopAndQuarantineFile',
  'RestrictCodeExecution',
  'UnrestrictCodeExecution',
] as const;
export type MachineActionType = (typeof MACHINE_ACTION_TYPES)[number];

/** A response action as the bot tracks it. */
export const machineActionSchema = z.object({
  id: z.string().min(1),
  type: z.string(),
  status: z.string(),
  machineId: z.string(),
  computerDnsName: nullableString,
  requestor: nullableString,
  requestorComment: nullableString,
  scope: nullableString,
  creationDateTimeUtc: z.string(),
  lastUpdateDateTimeUtc: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
});
export type MachineAction = z.infer<typeof machineActionSchema>;
