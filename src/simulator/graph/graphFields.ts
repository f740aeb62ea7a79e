import type { EntitySetSpec, FieldSpec } from '../defender/entityFields';
import { GRAPH_ALERT_STATUSES, GRAPH_SERVICE_SOURCES, GRAPH_SEVERITIES, INCIDENT_STATUSES } from '../seed/seedSchema';

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
