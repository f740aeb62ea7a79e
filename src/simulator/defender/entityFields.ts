import {
  ALERT_SEVERITIES,
  ALERT_STATUSES,
  DEVICE_VALUES,
  EXPOSURE_LEVELS,
  HEALTH_STATUSES,
  MACHINE_ACTION_STATUSES,
  MACHINE_ACTION_TYPES,
  RISK_SCORES,
} from '../seed/seedSchema';

/** The Edm types `$filter` distinguishes; comparisons across types are refused like ASP.NET OData does. */
export type FieldType = 'string' | 'enum' | 'dateTimeOffset' | 'int' | 'guid' | 'stringCollection';

/** One filterable property: its wire name, Edm type and, for enums, the documented members. */
export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly members?: readonly string[];
}

/** What `$filter` may reference on one entity set; anything else is a 400, as on the real API. */
export interface EntitySetSpec {
  /** The entity set name error messages use (MDE: Alerts, Machines, MachineActions; Graph: incidents, alerts_v2). */
  readonly entitySet: string;
  readonly fields: readonly FieldSpec[];
}

/** Alerts: the filterable list of get-alerts.md (defender-api.md §2.3), nothing more. */
export const ALERT_FIELDS: EntitySetSpec = {
  entitySet: 'Alerts',
  fields: [
    { name: 'alertCreationTime', type: 'dateTimeOffset' },
    { name: 'lastUpdateTime', type: 'dateTimeOffset' },
    { name: 'lastEventTime', type: 'dateTimeOffset' },
    { name: 'incidentId', type: 'int' },
    { name: 'investigationId', type: 'int' },
    { name: 'id', type: 'string' },
    { name: 'assignedTo', type: 'string' },
    { name: 'detectionSource', type: 'string' },
    { name: 'category', type: 'string' },
    { name: 'status', type: 'enum', members: ALERT_STATUSES },
    { name: 'severity', type: 'enum', members: ALERT_SEVERITIES },
  ],
};

/** Machines: the filterable list of get-machines.md (defender-api.md §3.3). */
export const MACHINE_FIELDS: EntitySetSpec = {
  entitySet: 'Machines',
  fields: [
    { name: 'computerDnsName', type: 'string' },
    { name: 'id', type: 'string' },
    { name: 'version', type: 'string' },
    { name: 'deviceValue', type: 'enum', members: DEVICE_VALUES },
    { name: 'aadDeviceId', type: 'guid' },
    { name: 'machineTags', type: 'stringCollection' },
    { name: 'lastSeen', type: 'dateTimeOffset' },
    { name: 'exposureLevel', type: 'enum', members: EXPOSURE_LEVELS },
    // A string, not an enum: the docs write `onboarded` while real responses say `Onboarded`.
    { name: 'onboardingStatus', type: 'string' },
    { name: 'lastIpAddress', type: 'string' },
    { name: 'healthStatus', type: 'enum', members: HEALTH_STATUSES },
    // A string: the docs give examples, not an enum (Windows11, Linux, macOS, ...).
    { name: 'osPlatform', type: 'string' },
    { name: 'riskScore', type: 'enum', members: RISK_SCORES },
    { name: 'rbacGroupId', type: 'int' },
  ],
};

/** Machine actions: the filterable list of get-machineactions-collection.md (defender-api.md §4.2). */
export const MACHINE_ACTION_FIELDS: EntitySetSpec = {
  entitySet: 'MachineActions',
  fields: [
    { name: 'id', type: 'guid' },
    { name: 'status', type: 'enum', members: MACHINE_ACTION_STATUSES },
    { name: 'machineId', type: 'string' },
    { name: 'type', type: 'enum', members: MACHINE_ACTION_TYPES },
    { name: 'requestor', type: 'string' },
    { name: 'creationDateTimeUtc', type: 'dateTimeOffset' },
  ],
};
