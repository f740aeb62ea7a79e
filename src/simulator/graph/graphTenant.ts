import type { Caller } from '../defender/bearerAuth';
import { defenderAccessOf } from '../defender/entraRoleAccess';
import { inScope } from '../defender/rbac';
import type { DeviceScope } from '../defender/rbac';
import { GRAPH_SEVERITIES } from '../seed/seedSchema';
import type { DefenderPermission, GraphAlertEntity, GraphIncidentEntity, Seed, SeedUser } from '../seed/seedSchema';
import { GraphApiError } from './graphError';

/** One tenant's Graph security data: what the API serves and the control plane changes. */
export interface GraphTenant {
  tenantId: string;
  incidents: GraphIncidentEntity[];
  alerts: GraphAlertEntity[];
  /** Seed users by object id (lower case), for Defender RBAC of delegated callers. */
  users: ReadonlyMap<string, SeedUser>;
  /** Device group (`rbacGroupName`) of each seeded machine, by MDE device id (lower case). */
  machineGroups: ReadonlyMap<string, string | null>;
}

/** A tenant's Graph data from its seed (copies: the seed stays untouched). */
export function graphTenantFromSeed(seed: Seed): GraphTenant {
  return {
    tenantId: seed.tenant.id.toLowerCase(),
    incidents: structuredClone(seed.incidents),
    alerts: structuredClone(seed.alertsV2),
    users: new Map(seed.users.map((u) => [u.aadObjectId.toLowerCase(), u])),
    machineGroups: new Map(seed.machines.map((m) => [m.id.toLowerCase(), m.rbacGroupName])),
  };
}

const ROLE_LABELS: Record<DefenderPermission, string> = {
  ViewData: 'View data',
  AlertsInvestigation: 'Alerts investigation',
  ActiveRemediation: 'Active remediation actions',
};

/**
 * Defender XDR's unified RBAC for a Graph caller: apps see everything; a user (or a GDAP partner through the Entra
 * roles in `wids`, see entraRoleAccess) needs a Defender role with
 * `permission` (else 403, Graph's `Forbidden` body) and sees the device groups that role scopes them to.
 */
export function graphDeviceScope(tenant: GraphTenant, caller: Caller, permission: DefenderPermission): DeviceScope {
  if (caller.kind === 'app') return { all: true };
  const access = defenderAccessOf(tenant.users.get(caller.objectId), caller.directoryRoles);
  if (access === undefined) {
    throw new GraphApiError(403, 'Forbidden', 'The user has no Microsoft Defender XDR role in this tenant.');
  }
  if (!access.permissions.includes(permission)) {
    throw new GraphApiError(
      403,
      'Forbidden',
      `The user's Defender role lacks the '${ROLE_LABELS[permission]}' permission this operation needs.`,
    );
  }
  if (access.deviceGroups.includes('*')) return { all: true };
  return { all: false, groups: new Set(access.deviceGroups.map((g) => g.toLowerCase())) };
}

/** MDE device ids an alert's device evidence names. */
function evidenceDevices(alert: GraphAlertEntity): string[] {
  return alert.evidence.flatMap((item) =>
    typeof item.mdeDeviceId === 'string' ? [item.mdeDeviceId.toLowerCase()] : [],
  );
}

/** An alert is visible when it has no device evidence or one of its devices is in the caller's groups. */
export function alertVisible(tenant: GraphTenant, scope: DeviceScope, alert: GraphAlertEntity): boolean {
  if (scope.all) return true;
  const devices = evidenceDevices(alert);
  return devices.length === 0 || devices.some((id) => inScope(scope, tenant.machineGroups.get(id)));
}

/** The alerts of an incident the caller may see. */
export function visibleAlertsOf(tenant: GraphTenant, scope: DeviceScope, incidentId: string): GraphAlertEntity[] {
  return tenant.alerts.filter((a) => a.incidentId === incidentId && alertVisible(tenant, scope, a));
}

/** An incident is visible when the caller sees at least one of its alerts (apps and `*` users see all). */
export function incidentVisible(tenant: GraphTenant, scope: DeviceScope, incident: GraphIncidentEntity): boolean {
  return scope.all || visibleAlertsOf(tenant, scope, incident.id).length > 0;
}

/** Rank of a Graph severity: unknown values lowest, then informational < low < medium < high. */
export function severityRank(severity: GraphIncidentEntity['severity']): number {
  return severity === 'unknownFutureValue' ? 0 : GRAPH_SEVERITIES.indexOf(severity);
}
