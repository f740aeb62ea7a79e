import { ENTRA_ROLE_TEMPLATE_IDS } from '../entra/entraRoles';
import type { DefenderPermission, GdapRole, SeedUser } from '../seed/seedSchema';

/*
 * What Microsoft Entra roles give in Defender, for people whose token carries them in `wids` (a GDAP partner has
 * no account, hence no Defender role of its own, in the customer tenant). Source: defender-xdr/compare-rbac-roles.md,
 * "Microsoft Entra Global roles access" (the Defender XDR unified RBAC permissions each Entra role gets by default):
 * - Global / Security Administrator: Security data basics (read), Alerts (manage), Response (manage);
 * - Security Operator: the same three (plus live response and file collection, not simulated);
 * - Security Reader / Global Reader: Security data basics (read) only.
 * Mapped to the legacy MDE permissions the simulator enforces with the same table's first section: View data =
 * Security data basics, Alerts investigation = Alerts (manage), Active remediation actions = Response (manage).
 * defender-endpoint/basic-permissions.md agrees for Security Administrator (full) and Security Reader (read-only).
 * Entra roles are tenant-wide, so they see every device group [UNCONFIRMED for MDE RBAC tenants with device groups
 * scoped to other roles: the docs say Entra global roles "may also have access"; the simulator grants all groups].
 */
const ROLE_PERMISSIONS: Record<GdapRole, readonly DefenderPermission[]> = {
  'Global Administrator': ['ViewData', 'AlertsInvestigation', 'ActiveRemediation'],
  'Security Administrator': ['ViewData', 'AlertsInvestigation', 'ActiveRemediation'],
  'Security Operator': ['ViewData', 'AlertsInvestigation', 'ActiveRemediation'],
  'Security Reader': ['ViewData'],
  'Global Reader': ['ViewData'],
};

const PERMISSIONS_BY_TEMPLATE_ID = new Map<string, readonly DefenderPermission[]>(
  (Object.keys(ENTRA_ROLE_TEMPLATE_IDS) as GdapRole[]).map((role) => [
    ENTRA_ROLE_TEMPLATE_IDS[role],
    ROLE_PERMISSIONS[role],
  ]),
);

/** A caller's effective Defender access in a tenant: permissions and device groups (`['*']` for all). */
export interface DefenderAccess {
  permissions: readonly DefenderPermission[];
  deviceGroups: readonly string[];
}

/**
 * Defender access of a delegated caller: the seed user's Defender role (members and B2B guests alike) joined with
 * what the Entra roles in the token's `wids` give (GDAP). Undefined when neither gives any permission.
 */
export function defenderAccessOf(
  user: SeedUser | undefined,
  directoryRoles: ReadonlySet<string>,
): DefenderAccess | undefined {
  const fromRoles = [...directoryRoles].flatMap((id) => PERMISSIONS_BY_TEMPLATE_ID.get(id.toLowerCase()) ?? []);
  const permissions = [...new Set([...(user?.defenderPermissions ?? []), ...fromRoles])];
  if (permissions.length === 0) return undefined;
  const deviceGroups = fromRoles.length > 0 ? ['*'] : (user?.deviceGroups ?? []);
  return { permissions, deviceGroups };
}
