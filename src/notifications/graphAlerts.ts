import type { Alert, Severity } from '../defender/schemas';
import type { GraphAlert } from '../graph/graphSchemas';

/**
 * Alerts of every Defender source other than Defender for Endpoint (Identity, Office 365, Cloud Apps, Entra ID
 * Protection…), read from Graph alerts_v2 and taken in like MDE alerts so an alerts subscription sees them too.
 * The MDE API does not know them, so their cards say their source and open their incident, not an MDE alert.
 */

/** The serviceSource of Defender for Endpoint: its alerts come from the MDE API, with device details. */
export const MDE_SERVICE_SOURCE = 'microsoftDefenderForEndpoint';

/** An alert as the notifications take it in: `serviceSource` set when it came from Graph alerts_v2. */
export type NotifiedAlert = Alert & { serviceSource?: string | undefined };

/** Graph's lower-case severities in Defender's words, which subscriptions and card labels use. */
const SEVERITIES: Record<string, Severity> = {
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  informational: 'Informational',
};

/** Graph's alert statuses in Defender's words (a resolved alert gets no new card). */
const STATUSES: Record<string, string> = { new: 'New', inProgress: 'InProgress', resolved: 'Resolved' };

/** A Graph severity in Defender's words ("high" → "High"; anything else is UnSpecified). */
export function toDefenderSeverity(severity: string): Severity {
  return SEVERITIES[severity] ?? 'UnSpecified';
}

/**
 * A Graph alert in the MDE alert's shape the pipeline uses. No device: device group and tag filters match only
 * Defender for Endpoint alerts, whose device the MDE API names.
 */
export function fromGraphAlert(alert: GraphAlert): NotifiedAlert {
  return {
    id: alert.id,
    title: alert.title,
    description: alert.description,
    severity: toDefenderSeverity(alert.severity),
    status: STATUSES[alert.status] ?? 'Unknown',
    category: alert.category,
    detectionSource: alert.detectionSource,
    assignedTo: alert.assignedTo,
    classification: alert.classification,
    determination: alert.determination,
    incidentId: alert.incidentId !== null && /^\d{1,15}$/.test(alert.incidentId) ? Number(alert.incidentId) : null,
    alertCreationTime: alert.createdDateTime,
    lastUpdateTime: alert.lastUpdateDateTime ?? alert.createdDateTime,
    firstEventTime: alert.firstActivityDateTime,
    lastEventTime: alert.lastActivityDateTime,
    resolvedTime: null,
    machineId: null,
    computerDnsName: null,
    rbacGroupName: null,
    mitreTechniques: alert.mitreTechniques,
    threatFamilyName: null,
    relatedUser: null,
    evidence: [],
    serviceSource: alert.serviceSource,
  };
}
