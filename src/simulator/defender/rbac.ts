import type { DefenderPermission, MachineActionEntity, SeedUser } from '../seed/seedSchema';
import type { Caller } from './bearerAuth';
import { DefenderApiError } from './defenderError';
import { defenderAccessOf } from './entraRoleAccess';

/** Operations with distinct permission requirements (defender-api.md §8.1). */
export type DefenderOperation =
  | 'alerts.read'
  | 'alerts.update'
  | 'machines.read'
  | 'machines.isolate'
  | 'machines.restrictExecution'
  | 'machines.scan'
  | 'machines.collectForensics'
  | 'machines.stopAndQuarantine'
  | 'machines.offboard'
  | 'machines.liveResponse'
  | 'files.read'
  | 'ips.read'
  | 'urls.read'
  | 'users.read'
  | 'domains.alerts'
  | 'users.machines';

interface Requirement {
  delegated: readonly string[];
  application: readonly string[];
  role: DefenderPermission;
  /** Readable name of the role permission for 403 messages. */
  roleLabel: string;
}

const VIEW: Pick<Requirement, 'role' | 'roleLabel'> = { role: 'ViewData', roleLabel: 'View data' };
const REMEDIATE: Pick<Requirement, 'role' | 'roleLabel'> = {
  role: 'ActiveRemediation',
  roleLabel: 'Active remediation actions',
};
const INVESTIGATE: Pick<Requirement, 'role' | 'roleLabel'> = {
  role: 'AlertsInvestigation',
  roleLabel: 'Alerts investigation',
};

const REQUIREMENTS: Record<DefenderOperation, Requirement> = {
  'alerts.read': {
    delegated: ['Alert.Read', 'Alert.ReadWrite'],
    application: ['Alert.Read.All', 'Alert.ReadWrite.All'],
    ...VIEW,
  },
  'alerts.update': { delegated: ['Alert.ReadWrite'], application: ['Alert.ReadWrite.All'], ...INVESTIGATE },
  'machines.read': {
    delegated: ['Machine.Read', 'Machine.ReadWrite'],
    application: ['Machine.Read.All', 'Machine.ReadWrite.All'],
    ...VIEW,
  },
  'machines.isolate': { delegated: ['Machine.Isolate'], application: ['Machine.Isolate'], ...REMEDIATE },
  'machines.restrictExecution': {
    delegated: ['Machine.RestrictExecution'],
    application: ['Machine.RestrictExecution'],
    ...REMEDIATE,
  },
  'machines.scan': { delegated: ['Machine.Scan'], application: ['Machine.Scan'], ...REMEDIATE },
  'machines.collectForensics': {
    delegated: ['Machine.CollectForensics'],
    application: ['Machine.CollectForensics'],
    ...INVESTIGATE,
  },
  'machines.stopAndQuarantine': {
    delegated: ['Machine.StopAndQuarantine'],
    application: ['Machine.StopAndQuarantine'],
    ...REMEDIATE,
  },
  // The entity endpoints (get-file-information.md, get-*-statistics.md, get-machine-log-on-users.md): one
  // permission, the same name for applications and users.
  'files.read': { delegated: ['File.Read.All'], application: ['File.Read.All'], ...VIEW },
  'ips.read': { delegated: ['Ip.Read.All'], application: ['Ip.Read.All'], ...VIEW },
  'urls.read': { delegated: ['URL.Read.All'], application: ['URL.Read.All'], ...VIEW },
  'users.read': { delegated: ['User.Read.All'], application: ['User.Read.All'], ...VIEW },
  // get-domain-related-alerts.md and get-user-related-machines.md list only the ReadWrite permissions (unlike
  // their file and IP siblings); the simulator holds the bot to the documented list.
  'domains.alerts': { delegated: ['Alert.ReadWrite'], application: ['Alert.ReadWrite.All'], ...VIEW },
  'users.machines': { delegated: ['Machine.ReadWrite'], application: ['Machine.ReadWrite.All'], ...VIEW },
  // Only reachable through cancel of a seeded action: the simulator does not offer offboard or live response.
  'machines.offboard': { delegated: ['Machine.Offboard'], application: ['Machine.Offboard'], ...REMEDIATE },
  'machines.liveResponse': {
    delegated: ['Machine.LiveResponse'],
    application: ['Machine.LiveResponse'],
    ...REMEDIATE,
  },
};

/** The permission that governs an action type, which is also what cancelling that action needs (§8.1). */
export function operationForActionType(type: MachineActionEntity['type']): DefenderOperation {
  switch (type) {
    case 'Isolate':
    case 'Unisolate':
      return 'machines.isolate';
    case 'RestrictCodeExecution':
    case 'UnrestrictCodeExecution':
      return 'machines.restrictExecution';
    case 'RunAntiVirusScan':
      return 'machines.scan';
    case 'CollectInvestigationPackage':
      return 'machines.collectForensics';
    case 'StopAndQuarantineFile':
      return 'machines.stopAndQuarantine';
    case 'Offboard':
      return 'machines.offboard';
    case 'LiveResponse':
      return 'machines.liveResponse';
  }
}

/** Which device groups a caller may see: apps see everything, users what their Defender role scopes them to. */
export type DeviceScope = { all: true } | { all: false; groups: ReadonlySet<string> };

/** True when an entity in device group `rbacGroupName` is visible. Ungrouped (null) entities need `['*']`. */
export function inScope(scope: DeviceScope, rbacGroupName: string | null | undefined): boolean {
  if (scope.all) return true;
  return typeof rbacGroupName === 'string' && scope.groups.has(rbacGroupName.toLowerCase());
}

/**
 * Checks the token permission and, in user context, the user's Defender role permission (both are needed,
 * §8.2; a GDAP partner's Entra roles count as roles, see entraRoleAccess), and returns the device-group scope lists and lookups must apply. `findUser` resolves tid + oid.
 */
export function authorize(
  caller: Caller,
  operation: DefenderOperation,
  findUser: (objectId: string) => SeedUser | undefined,
): DeviceScope {
  const requirement = REQUIREMENTS[operation];
  if (caller.kind === 'app') {
    if (!requirement.application.some((p) => caller.permissions.has(p))) {
      throw new DefenderApiError(
        403,
        'Forbidden',
        `The application lacks the permission for this operation; it needs one of the application permissions ${requirement.application.join(', ')}.`,
      );
    }
    return { all: true };
  }
  if (!requirement.delegated.some((p) => caller.permissions.has(p))) {
    throw new DefenderApiError(
      403,
      'Forbidden',
      `The token lacks the delegated permission for this operation; it needs one of ${requirement.delegated.join(', ')} in scp.`,
    );
  }
  const access = defenderAccessOf(findUser(caller.objectId), caller.directoryRoles);
  if (access === undefined) {
    throw new DefenderApiError(
      403,
      'Forbidden',
      'The user has no Microsoft Defender for Endpoint role in this tenant.',
    );
  }
  if (!access.permissions.includes(requirement.role)) {
    throw new DefenderApiError(
      403,
      'Forbidden',
      `The user's Defender role lacks the '${requirement.roleLabel}' permission this operation needs.`,
    );
  }
  if (access.deviceGroups.includes('*')) return { all: true };
  return { all: false, groups: new Set(access.deviceGroups.map((g) => g.toLowerCase())) };
}
