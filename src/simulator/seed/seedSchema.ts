import { z } from 'zod';
import { huntingEventsSchema } from './huntingSchema';
import { defenderSeedSectionSchema } from '../defender/faultConfig';
import { MACHINE_ACTION_TYPES } from './actionTypes';

/** Re-exported: every simulator module reads entity enums from the seed schema. */
export { MACHINE_ACTION_TYPES } from './actionTypes';

/*
 * The simulator's seed format: one simulated tenant. Entities are exactly what the Defender API returns
 * (see ../shared/reference/defender-api.md §2.2, §3.2, §4.3): documented fields are required (null where the
 * API documents null), unknown extra fields are kept and served back as-is, like new fields the real API adds.
 */

/** Entra object ids. Loose on purpose: the Agents Playground personas use 13 hex digits in the last group. */
const objectId = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12,13}$/, 'must be a GUID');
const timestamp = z.iso.datetime({ offset: true });
const nullableTimestamp = timestamp.nullable();

/** Roles of the bot's own app registration (used by approvals and subscriptions in later issues). */
export const APP_ROLES = ['SOC.Analyst', 'SOC.Responder', 'SOC.Approver', 'SOC.Admin', 'SOC.Hunter'] as const;
/** Defender RBAC permissions the simulator enforces (legacy MDE role permission names). */
export const DEFENDER_PERMISSIONS = ['ViewData', 'AlertsInvestigation', 'ActiveRemediation'] as const;

export const ALERT_SEVERITIES = ['UnSpecified', 'Informational', 'Low', 'Medium', 'High'] as const;
export const ALERT_STATUSES = ['Unknown', 'New', 'InProgress', 'Resolved'] as const;
export const ALERT_CLASSIFICATIONS = ['TruePositive', 'InformationalExpectedActivity', 'FalsePositive'] as const;
export const INVESTIGATION_STATES = [
  'Unknown',
  'Terminated',
  'SuccessfullyRemediated',
  'Benign',
  'Failed',
  'PartiallyRemediated',
  'Running',
  'PendingApproval',
  'PendingResource',
  'PartiallyInvestigated',
  'TerminatedByUser',
  'TerminatedBySystem',
  'Queued',
  'InnerFailure',
  'PreexistingAlert',
  'UnsupportedOs',
  'UnsupportedAlertType',
  'SuppressedAlert',
] as const;
export const HEALTH_STATUSES = [
  'Active',
  'Inactive',
  'ImpairedCommunication',
  'NoSensorData',
  'NoSensorDataImpairedCommunication',
  'Unknown',
] as const;
export const RISK_SCORES = ['None', 'Informational', 'Low', 'Medium', 'High'] as const;
export const EXPOSURE_LEVELS = ['None', 'Low', 'Medium', 'High'] as const;
export const DEVICE_VALUES = ['Normal', 'Low', 'High'] as const;
export const MACHINE_ACTION_STATUSES = [
  'Pending',
  'InProgress',
  'Succeeded',
  'Failed',
  'TimeOut',
  'Cancelled',
] as const;

/** One evidence item of an alert (`$expand=evidence`); every documented field, null when not applicable. */
export const evidenceSchema = z.looseObject({
  entityType: z.string().min(1),
  evidenceCreationTime: nullableTimestamp,
  sha1: z.string().nullable(),
  sha256: z.string().nullable(),
  fileName: z.string().nullable(),
  filePath: z.string().nullable(),
  processId: z.number().int().nullable(),
  processCommandLine: z.string().nullable(),
  processCreationTime: nullableTimestamp,
  parentProcessId: z.number().int().nullable(),
  parentProcessCreationTime: nullableTimestamp,
  parentProcessFileName: z.string().nullable(),
  parentProcessFilePath: z.string().nullable(),
  ipAddress: z.string().nullable(),
  url: z.string().nullable(),
  registryKey: z.string().nullable(),
  registryHive: z.string().nullable(),
  registryValueType: z.string().nullable(),
  registryValue: z.string().nullable(),
  accountName: z.string().nullable(),
  domainName: z.string().nullable(),
  userSid: z.string().nullable(),
  aadUserId: z.string().nullable(),
  userPrincipalName: z.string().nullable(),
  detectionStatus: z.string().nullable(),
});

/** An alert exactly as `GET /api/alerts?$expand=evidence` returns it (without `@odata.context`). */
export const alertSchema = z.looseObject({
  id: z.string().min(1),
  incidentId: z.number().int().nullable(),
  investigationId: z.number().int().nullable(),
  assignedTo: z.string().nullable(),
  severity: z.enum(ALERT_SEVERITIES),
  status: z.enum(ALERT_STATUSES),
  classification: z.enum(ALERT_CLASSIFICATIONS).nullable(),
  determination: z.string().nullable(),
  investigationState: z.enum(INVESTIGATION_STATES).nullable(),
  detectionSource: z.string().min(1),
  detectorId: z.string().nullable(),
  category: z.string().min(1),
  threatFamilyName: z.string().nullable(),
  title: z.string().min(1),
  description: z.string(),
  alertCreationTime: timestamp,
  firstEventTime: nullableTimestamp,
  lastEventTime: nullableTimestamp,
  lastUpdateTime: timestamp,
  resolvedTime: nullableTimestamp,
  machineId: z.string().nullable(),
  computerDnsName: z.string().nullable(),
  rbacGroupName: z.string().nullable(),
  aadTenantId: z.string(),
  threatName: z.string().nullable(),
  mitreTechniques: z.array(z.string()),
  relatedUser: z.object({ userName: z.string(), domainName: z.string().nullable() }).nullable(),
  comments: z.array(z.object({ comment: z.string(), createdBy: z.string(), createdTime: timestamp })),
  evidence: z.array(evidenceSchema),
});

/** A device exactly as `GET /api/machines` returns it (without `@odata.context`). */
export const machineSchema = z.looseObject({
  id: z.string().regex(/^[0-9a-f]{40}$/, 'must be 40 lower-case hex digits'),
  computerDnsName: z.string().min(1),
  firstSeen: timestamp,
  lastSeen: timestamp,
  osPlatform: z.string().min(1),
  osProcessor: z.string().nullable(),
  version: z.string().nullable(),
  osBuild: z.number().int().nullable(),
  lastIpAddress: z.string().nullable(),
  lastExternalIpAddress: z.string().nullable(),
  healthStatus: z.enum(HEALTH_STATUSES),
  rbacGroupId: z.number().int().nullable(),
  rbacGroupName: z.string().nullable(),
  riskScore: z.enum(RISK_SCORES).nullable(),
  exposureLevel: z.enum(EXPOSURE_LEVELS).nullable(),
  deviceValue: z.enum(DEVICE_VALUES).nullable(),
  aadDeviceId: z.string().nullable(),
  machineTags: z.array(z.string()),
  onboardingStatus: z.string(),
  osArchitecture: z.string().nullable(),
  ipAddresses: z.array(
    z.object({
      ipAddress: z.string(),
      macAddress: z.string().nullable(),
      type: z.string().nullable(),
      operationalStatus: z.string().nullable(),
    }),
  ),
});

/** A response action exactly as `GET /api/machineactions` returns it. */
export const machineActionSchema = z.looseObject({
  id: z.string().min(1),
  type: z.enum(MACHINE_ACTION_TYPES),
  title: z.string().nullable(),
  requestor: z.string(),
  requestorComment: z.string().nullable(),
  status: z.enum(MACHINE_ACTION_STATUSES),
  machineId: z.string(),
  computerDnsName: z.string().nullable(),
  creationDateTimeUtc: timestamp,
  lastUpdateDateTimeUtc: timestamp,
  cancellationRequestor: z.string().nullable(),
  cancellationComment: z.string().nullable(),
  cancellationDateTimeUtc: nullableTimestamp,
  errorHResult: z.number().int(),
  scope: z.string().nullable(),
  externalId: z.string().nullable(),
  requestSource: z.string().nullable(),
  relatedFileInfo: z
    .object({ fileIdentifier: z.string(), fileIdentifierType: z.enum(['Sha1', 'Sha256', 'Md5']) })
    .nullable(),
  commands: z.array(z.unknown()),
  troubleshootInfo: z.unknown().nullable(),
});

/** Graph security incident statuses (security-incident.md; lower camelCase on the wire). */
export const INCIDENT_STATUSES = [
  'active',
  'resolved',
  'inProgress',
  'redirected',
  'awaitingAction',
  'unknownFutureValue',
] as const;
/** Graph security alert statuses (security-alert.md). */
export const GRAPH_ALERT_STATUSES = ['unknown', 'new', 'inProgress', 'resolved', 'unknownFutureValue'] as const;
/** Graph security severities, shared by incidents and alerts_v2. */
export const GRAPH_SEVERITIES = ['unknown', 'informational', 'low', 'medium', 'high', 'unknownFutureValue'] as const;
/** Graph security classifications. */
export const GRAPH_CLASSIFICATIONS = [
  'unknown',
  'falsePositive',
  'truePositive',
  'informationalExpectedActivity',
  'unknownFutureValue',
] as const;
/** Graph security determinations (the per-value table of security-alert.md). */
export const GRAPH_DETERMINATIONS = [
  'unknown',
  'apt',
  'malware',
  'securityPersonnel',
  'securityTesting',
  'unwantedSoftware',
  'other',
  'multiStagedAttack',
  'compromisedAccount',
  'phishing',
  'maliciousUserActivity',
  'notMalicious',
  'notEnoughDataToValidate',
  'confirmedActivity',
  'lineOfBusinessApplication',
  'unknownFutureValue',
] as const;
/** The alert sources the simulator seeds on alerts_v2 (serviceSource enum, security-alert.md). */
export const GRAPH_SERVICE_SOURCES = [
  'unknown',
  'microsoftDefenderForEndpoint',
  'microsoftDefenderForIdentity',
  'microsoftDefenderForCloudApps',
  'microsoftDefenderForOffice365',
  'microsoft365Defender',
  'azureAdIdentityProtection',
  'microsoftAppGovernance',
  'dataLossPrevention',
  'unknownFutureValue',
] as const;

/** An analyst comment on a Graph incident or alert (security-alertcomment.md). */
export const graphCommentSchema = z.strictObject({
  comment: z.string(),
  createdByDisplayName: z.string(),
  createdDateTime: timestamp,
});

/** A Graph security incident exactly as `GET /v1.0/security/incidents/{id}` returns it (without alerts). */
export const graphIncidentSchema = z.looseObject({
  id: z.string().min(1),
  displayName: z.string(),
  description: z.string().nullable().default(null),
  severity: z.enum(GRAPH_SEVERITIES),
  status: z.enum(INCIDENT_STATUSES),
  assignedTo: z.string().nullable().default(null),
  classification: z.enum(GRAPH_CLASSIFICATIONS).default('unknown'),
  determination: z.enum(GRAPH_DETERMINATIONS).default('unknown'),
  customTags: z.array(z.string()).default([]),
  systemTags: z.array(z.string()).default([]),
  comments: z.array(graphCommentSchema).default([]),
  createdDateTime: timestamp,
  lastUpdateDateTime: timestamp,
  redirectIncidentId: z.string().nullable().default(null),
});

/**
 * A Graph alert (alerts_v2) as the API returns it. `incidentId` links it to an incident of the seed; endpoint
 * alerts carry `#microsoft.graph.security.deviceEvidence` items whose `mdeDeviceId` names a seeded machine.
 */
export const graphAlertSchema = z.looseObject({
  id: z.string().min(1),
  providerAlertId: z.string().nullable().default(null),
  incidentId: z.string().nullable().default(null),
  status: z.enum(GRAPH_ALERT_STATUSES),
  severity: z.enum(GRAPH_SEVERITIES),
  classification: z.enum(GRAPH_CLASSIFICATIONS).default('unknown'),
  determination: z.enum(GRAPH_DETERMINATIONS).default('unknown'),
  serviceSource: z.enum(GRAPH_SERVICE_SOURCES),
  detectionSource: z.string(),
  title: z.string(),
  description: z.string().nullable().default(null),
  category: z.string().nullable().default(null),
  assignedTo: z.string().nullable().default(null),
  createdDateTime: timestamp,
  lastUpdateDateTime: timestamp,
  firstActivityDateTime: nullableTimestamp.default(null),
  lastActivityDateTime: nullableTimestamp.default(null),
  resolvedDateTime: nullableTimestamp.default(null),
  comments: z.array(graphCommentSchema).default([]),
  evidence: z.array(z.looseObject({ '@odata.type': z.string(), mdeDeviceId: z.string().optional() })).default([]),
});

/** A person of the simulated tenant: Entra identity, the bot's app roles, and Defender RBAC. */
export const seedUserSchema = z.strictObject({
  aadObjectId: objectId,
  userPrincipalName: z.string().min(3),
  displayName: z.string().min(1),
  appRoles: z.array(z.enum(APP_ROLES)),
  defenderPermissions: z.array(z.enum(DEFENDER_PERMISSIONS)),
  /** `["*"]` for every device group, otherwise rbacGroupName values. */
  deviceGroups: z.array(z.string().min(1)),
  /** Scripted Entra ID failure for this user's on-behalf-of requests (rehearse consent / MFA paths). */
  signInError: z.enum(['consent_required', 'interaction_required']).optional(),
  /**
   * A Microsoft Entra B2B guest account: the person's home tenant and home object id. The guest has its own
   * `aadObjectId` in this tenant, and its own Defender roles here; an on-behalf-of request against this tenant
   * with that person's home token is issued for the guest account.
   */
  guestOf: z.strictObject({ tenantId: objectId, objectId }).optional(),
});

/** Microsoft Entra built-in roles a GDAP relationship can grant that Defender reads (permissions-reference.md). */
export const GDAP_ROLES = [
  'Security Reader',
  'Security Operator',
  'Security Administrator',
  'Global Reader',
  'Global Administrator',
] as const;

/**
 * A granular delegated admin (GDAP) relationship, Partner Center's: people of the partner tenant (home object
 * ids) hold these Entra roles in this (customer) tenant without an account here.
 */
export const delegatedAdminSchema = z.strictObject({
  partnerTenantId: objectId,
  principals: z.array(objectId).min(1),
  roles: z.array(z.enum(GDAP_ROLES)).min(1),
});

/** An app registration known to the Entra emulator (standalone simulator use; demo mode registers its own). */
export const seedClientSchema = z.strictObject({
  clientId: objectId,
  displayName: z.string().min(1),
  clientSecret: z.string().min(16),
  /** Delegated Defender permissions granted to the client, e.g. `Alert.Read`, `Machine.Isolate`. */
  delegatedPermissions: z.array(z.string()).default([]),
  /** Application permissions (the `roles` claim of app tokens), e.g. `Alert.Read.All`. */
  applicationPermissions: z.array(z.string()).default([]),
  /** A client the emulator answers with `invalid_client` (rehearse a broken deployment). */
  disabled: z.boolean().default(false),
  /**
   * App roles assigned to this client on another client's API (the `roles` of its client-credentials tokens for
   * `api://botid-<resource>/.default`), e.g. `[{ "resource": "<bot client id>", "roles": ["SOC.Notify"] }]`.
   */
  apiAppRoles: z.array(z.strictObject({ resource: objectId, roles: z.array(z.string().min(1)).min(1) })).optional(),
  /** Token version of this client's own API as Entra's `api.requestedAccessTokenVersion` sets it (default 2). */
  requestedAccessTokenVersion: z.union([z.literal(1), z.literal(2)]).optional(),
});

/**
 * What MDE knows of a file beyond one tenant's events (the File entity and the `global*` statistics): worldwide
 * prevalence, signer, determination. Every field optional: absent figures default to the organization's own.
 */
export const fileProfileSchema = z.strictObject({
  globalPrevalence: z.number().int().nonnegative().optional(),
  globalFirstObserved: timestamp.optional(),
  globalLastObserved: timestamp.optional(),
  size: z.number().int().nonnegative().nullable().optional(),
  fileType: z.string().nullable().optional(),
  isPeFile: z.boolean().optional(),
  filePublisher: z.string().nullable().optional(),
  fileProductName: z.string().nullable().optional(),
  signer: z.string().nullable().optional(),
  issuer: z.string().nullable().optional(),
  signerHash: z.string().nullable().optional(),
  isValidCertificate: z.boolean().nullable().optional(),
  determinationType: z.string().nullable().optional(),
  determinationValue: z.string().nullable().optional(),
});

/** Facts the MDE entity endpoints serve that a tenant's advanced hunting events do not carry. */
export const entityProfilesSchema = z.strictObject({
  /** Keyed by SHA1 (40 lower-case hex digits). */
  files: z
    .record(z.string().regex(/^[0-9a-f]{40}$/, 'must be a SHA1 in lower-case hex'), fileProfileSchema)
    .default({}),
  /** `DOMAIN\name` of accounts that are domain administrators (`isDomainAdmin` of a device's logged-on users). */
  domainAdmins: z.array(z.string().min(1)).default([]),
});

/** The whole seed file. */
export const seedSchema = z
  .strictObject({
    tenant: z.strictObject({
      id: objectId,
      name: z.string().min(1),
      /** Verified domain names (`contoso.onmicrosoft.com`, `contoso.com`): Entra resolves them to the tenant id. */
      domains: z
        .array(z.string().regex(/^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/i, 'must be a domain name'))
        .optional(),
      /**
       * Whether this tenant's administrator consented to the simulator's default app registration (the one the
       * standalone simulator and demo mode register when the seed lists no `clients`); default true.
       */
      adminConsent: z.boolean().optional(),
    }),
    users: z.array(seedUserSchema),
    clients: z.array(seedClientSchema).default([]),
    machines: z.array(machineSchema),
    alerts: z.array(alertSchema),
    machineActions: z.array(machineActionSchema).default([]),
    /** Microsoft Graph security incidents (optional: seeds without them serve an empty list). */
    incidents: z.array(graphIncidentSchema).default([]),
    /** Microsoft Graph alerts (alerts_v2) from every Defender source. */
    alertsV2: z.array(graphAlertSchema).default([]),
    /** GDAP relationships: partner people who hold Entra roles in this tenant (Partner Center). */
    delegatedAdmin: z.array(delegatedAdminSchema).default([]),
    /** How this tenant's Defender behaves: provisioned or not, behaviour switches, a starting fault profile. */
    defender: defenderSeedSectionSchema.optional(),
    /** Advanced hunting events per table (huntingSchema.ts): what `runHuntingQuery` and the entity statistics read. */
    events: huntingEventsSchema.optional(),
    /** Worldwide file facts and domain administrators for the MDE entity endpoints (files, logged-on users). */
    entityProfiles: entityProfilesSchema.optional(),
  })
  .superRefine((seed, ctx) => {
    const ids = (items: { id: string }[], path: string) => {
      const seen = new Set<string>();
      items.forEach((item, index) => {
        if (seen.has(item.id))
          ctx.addIssue({ code: 'custom', path: [path, index, 'id'], message: `duplicate id ${item.id}` });
        seen.add(item.id);
      });
    };
    ids(seed.machines, 'machines');
    ids(seed.alerts, 'alerts');
    ids(seed.machineActions, 'machineActions');
    ids(seed.incidents, 'incidents');
    ids(seed.alertsV2, 'alertsV2');
    const incidentIds = new Set(seed.incidents.map((i) => i.id));
    const machineIds = new Set(seed.machines.map((m) => m.id));
    seed.alerts.forEach((alert, index) => {
      if (alert.machineId !== null && !machineIds.has(alert.machineId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['alerts', index, 'machineId'],
          message: `no machine with id ${alert.machineId}`,
        });
      }
    });
    seed.machineActions.forEach((action, index) => {
      if (!machineIds.has(action.machineId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['machineActions', index, 'machineId'],
          message: `no machine with id ${action.machineId}`,
        });
      }
    });
    seed.alertsV2.forEach((alert, index) => {
      if (alert.incidentId !== null && !incidentIds.has(alert.incidentId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['alertsV2', index, 'incidentId'],
          message: `no incident with id ${alert.incidentId}`,
        });
      }
      alert.evidence.forEach((item, evidenceIndex) => {
        if (item.mdeDeviceId !== undefined && !machineIds.has(item.mdeDeviceId)) {
          ctx.addIssue({
            code: 'custom',
            path: ['alertsV2', index, 'evidence', evidenceIndex, 'mdeDeviceId'],
            message: `no machine with id ${item.mdeDeviceId}`,
          });
        }
      });
    });
    const users = new Set<string>();
    seed.users.forEach((user, index) => {
      const key = user.aadObjectId.toLowerCase();
      if (users.has(key))
        ctx.addIssue({ code: 'custom', path: ['users', index, 'aadObjectId'], message: 'duplicate user' });
      users.add(key);
      if (user.guestOf && user.guestOf.tenantId.toLowerCase() === seed.tenant.id.toLowerCase()) {
        ctx.addIssue({
          code: 'custom',
          path: ['users', index, 'guestOf', 'tenantId'],
          message: 'a guest account belongs to another tenant',
        });
      }
    });
    seed.delegatedAdmin.forEach((relationship, index) => {
      if (relationship.partnerTenantId.toLowerCase() === seed.tenant.id.toLowerCase()) {
        ctx.addIssue({
          code: 'custom',
          path: ['delegatedAdmin', index, 'partnerTenantId'],
          message: 'a partner is another tenant',
        });
      }
    });
  });

/** A validated seed. */
export type Seed = z.infer<typeof seedSchema>;
export type SeedUser = z.infer<typeof seedUserSchema>;
export type SeedClient = z.infer<typeof seedClientSchema>;
export type DelegatedAdminRelationship = z.infer<typeof delegatedAdminSchema>;
export type GdapRole = (typeof GDAP_ROLES)[number];
export type AlertEntity = z.infer<typeof alertSchema>;
export type MachineEntity = z.infer<typeof machineSchema>;
export type MachineActionEntity = z.infer<typeof machineActionSchema>;
export type GraphIncidentEntity = z.infer<typeof graphIncidentSchema>;
export type GraphAlertEntity = z.infer<typeof graphAlertSchema>;
export type EvidenceEntity = z.infer<typeof evidenceSchema>;
export type FileProfile = z.infer<typeof fileProfileSchema>;
export type EntityProfiles = z.infer<typeof entityProfilesSchema>;
export type AppRole = (typeof APP_ROLES)[number];
export type DefenderPermission = (typeof DEFENDER_PERMISSIONS)[number];
