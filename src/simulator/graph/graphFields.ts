import { z } from 'zod';
import type { EntitySetSpec, FieldSpec } from '../defender/entityFields';
import {
  GRAPH_ALERT_STATUSES,
  GRAPH_CLASSIFICATIONS,
  GRAPH_DETERMINATIONS,
  GRAPH_SERVICE_SOURCES,
  GRAPH_SEVERITIES,
  INCIDENT_STATUSES,
} from '../seed/seedSchema';

/** What incidents and alerts_v2 both filter on (security-list-incidents.md, security-list-alerts_v2.md). */
const TRIAGE_FIELDS: readonly FieldSpec[] = [
  { name: 'assignedTo', type: 'string' },
  { name: 'classification', type: 'string' },
  { name: 'determination', type: 'string' },
  { name: 'createdDateTime', type: 'dateTimeOffset' },
  { name: 'lastUpdateDateTime', type: 'dateTimeOffset' },
  { name: 'severity', type: 'enum', members: GRAPH_SEVERITIES },
];

/** `$filter` properties of `GET /security/incidents`. */
export const INCIDENT_FIELDS: EntitySetSpec = {
  entitySet: 'incidents',
  fields: [...TRIAGE_FIELDS, { name: 'status', type: 'enum', members: INCIDENT_STATUSES }],
};

/** `$filter` properties of `GET /security/alerts_v2`, plus incidentId to find an incident's alerts. */
export const GRAPH_ALERT_FIELDS: EntitySetSpec = {
  entitySet: 'alerts_v2',
  fields: [
    ...TRIAGE_FIELDS,
    { name: 'status', type: 'enum', members: GRAPH_ALERT_STATUSES },
    { name: 'serviceSource', type: 'enum', members: GRAPH_SERVICE_SOURCES },
    { name: 'incidentId', type: 'string' },
  ],
};

/** Determinations allowed with each classification (security-alert.md, "classification and determination"). */
export const LEGAL_DETERMINATIONS: Readonly<Record<string, readonly string[]>> = {
  truePositive: [
    'multiStagedAttack',
    'maliciousUserActivity',
    'compromisedAccount',
    'malware',
    'phishing',
    'unwantedSoftware',
    'other',
    'unknown',
  ],
  informationalExpectedActivity: [
    'securityTesting',
    'lineOfBusinessApplication',
    'confirmedActivity',
    'other',
    'unknown',
  ],
  falsePositive: ['notMalicious', 'notEnoughDataToValidate', 'other', 'unknown'],
  unknown: ['unknown'],
};

/** Why a classification/determination pair is refused, or undefined when Graph accepts it. */
export function determinationProblem(classification: string, determination: string): string | undefined {
  const legal = LEGAL_DETERMINATIONS[classification] ?? [];
  if (legal.includes(determination)) return undefined;
  return `Determination '${determination}' is not valid for classification '${classification}'; valid: ${legal.join(', ')}.`;
}

/** The body of `PATCH /security/incidents/{id}` (security-incident-update.md): the fields a caller may change. */
export const incidentPatchSchema = z.strictObject({
  status: z.enum(INCIDENT_STATUSES).optional(),
  assignedTo: z.string().nullable().optional(),
  classification: z.enum(GRAPH_CLASSIFICATIONS).optional(),
  determination: z.enum(GRAPH_DETERMINATIONS).optional(),
  customTags: z.array(z.string()).optional(),
  description: z.string().nullable().optional(),
});
