import { z } from 'zod';
import { nullableString, stringList } from '../http/tolerantFields';

/*
 * What the bot reads from the Microsoft Graph security API (incidents, alerts_v2), parsed where the answer enters
 * (defender-api.md §6.2–6.3). Tolerant like src/defender/schemas.ts: only the fields the bot uses are checked,
 * enum values are kept as strings (Graph adds values; its docs mix camelCase and PascalCase), a missing field
 * becomes null or [].
 */

/** Incident statuses Graph documents (`awaitingAction` only with `Prefer: include-unknown-enum-members`). */
export const INCIDENT_STATUSES = ['active', 'inProgress', 'resolved', 'redirected', 'awaitingAction'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Graph severities, most severe first. */
export const GRAPH_SEVERITIES = ['high', 'medium', 'low', 'informational', 'unknown'] as const;
export type GraphSeverity = (typeof GRAPH_SEVERITIES)[number];

/** Classifications a person may set (plus `unknown`, the value of an unclassified incident). */
export const CLASSIFICATIONS = ['truePositive', 'informationalExpectedActivity', 'falsePositive', 'unknown'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/**
 * The determinations Graph accepts with each classification (security-alert.md, "classification and
 * determination"); any other pair is refused with 400. The bot offers only these.
 */
export const DETERMINATIONS_BY_CLASSIFICATION: Readonly<Record<Classification, readonly string[]>> = {
  truePositive: [
    'multiStagedAttack',
    'maliciousUserActivity',
    'compromisedAccount',
    'malware',
    'phishing',
    'unwantedSoftware',
    'other',
  ],
  informationalExpectedActivity: ['securityTesting', 'lineOfBusinessApplication', 'confirmedActivity', 'other'],
  falsePositive: ['notMalicious', 'notEnoughDataToValidate', 'other'],
  unknown: ['unknown'],
};

/** True when Graph accepts `determination` with `classification`. */
export function isLegalDetermination(classification: string, determination: string): boolean {
  const allowed = DETERMINATIONS_BY_CLASSIFICATION[classification as Classification] as readonly string[] | undefined;
  return allowed !== undefined && allowed.includes(determination);
}

/** One comment on an incident or alert. */
export const graphCommentSchema = z.object({
  comment: z.string(),
  createdByDisplayName: nullableString,
  createdDateTime: nullableString,
});
export type GraphComment = z.infer<typeof graphCommentSchema>;

const userAccountSchema = z
  .object({
    accountName: nullableString,
    domainName: nullableString,
    userPrincipalName: nullableString,
    displayName: nullableString,
  })
  .nullish()
  .transform((v) => v ?? null);

/**
 * One evidence item of an alert, by its `@odata.type` (deviceEvidence, userEvidence, mailboxEvidence,
 * analyzedMessageEvidence, ipEvidence, urlEvidence, fileEvidence, processEvidence…), reduced to what cards show.
 * `mdeDeviceId` is the Defender for Endpoint machine id: the join to response actions.
 */
export const graphEvidenceSchema = z.object({
  '@odata.type': z.string(),
  verdict: nullableString,
  remediationStatus: nullableString,
  mdeDeviceId: nullableString,
  deviceDnsName: nullableString,
  osPlatform: nullableString,
  userAccount: userAccountSchema,
  primaryAddress: nullableString,
  displayName: nullableString,
  subject: nullableString,
  senderIp: nullableString,
  networkMessageId: nullableString,
  /** The mailbox an analyzed message was delivered to (analyzedMessageEvidence). */
  recipientEmailAddress: nullableString,
  ipAddress: nullableString,
  url: nullableString,
  fileDetails: z
    .object({ fileName: nullableString, filePath: nullableString, sha1: nullableString, sha256: nullableString })
    .nullish()
    .transform((v) => v ?? null),
  processCommandLine: nullableString,
});
export type GraphEvidence = z.infer<typeof graphEvidenceSchema>;

/** A Graph security alert (alerts_v2), from any Defender source. */
export const graphAlertSchema = z.object({
  id: z.string().min(1),
  providerAlertId: nullableString,
  incidentId: nullableString,
  title: z.string(),
  description: nullableString,
  severity: z.string(),
  status: z.string(),
  classification: nullableString,
  determination: nullableString,
  serviceSource: z.string(),
  detectionSource: nullableString,
  category: nullableString,
  assignedTo: nullableString,
  alertWebUrl: nullableString,
  createdDateTime: z.string(),
  lastUpdateDateTime: nullableString,
  firstActivityDateTime: nullableString,
  lastActivityDateTime: nullableString,
  mitreTechniques: stringList,
  evidence: z
    .array(graphEvidenceSchema)
    .nullish()
    .transform((v) => v ?? []),
});
export type GraphAlert = z.infer<typeof graphAlertSchema>;

/** A Defender XDR incident as Graph returns it; `alerts` is present with `$expand=alerts`. */
export const incidentSchema = z.object({
  id: z.string().min(1),
  displayName: z.string(),
  description: nullableString,
  severity: z.string(),
  status: z.string(),
  assignedTo: nullableString,
  classification: nullableString,
  determination: nullableString,
  customTags: stringList,
  systemTags: stringList,
  comments: z
    .array(graphCommentSchema)
    .nullish()
    .transform((v) => v ?? []),
  createdDateTime: z.string(),
  lastUpdateDateTime: z.string(),
  incidentWebUrl: nullableString,
  redirectIncidentId: nullableString,
  tenantId: nullableString,
  alerts: z.array(graphAlertSchema).optional(),
});
export type Incident = z.infer<typeof incidentSchema>;

/** The answer of `POST /incidents/{id}/comments`: the incident's whole comment list. */
export const commentListSchema = z.object({ value: z.array(graphCommentSchema) });
