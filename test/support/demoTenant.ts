import { demoSeedPath, loadSeedFile } from '../../src/simulator/seed/loadSeed';
import type { AlertEntity, Seed, SeedUser } from '../../src/simulator/seed/seedSchema';
import type { TeamsConversation, TeamsUser } from './botClient';

/** The shipped demo tenant, as the tests' oracle for who may see what. */
export const demoSeed: Seed = loadSeedFile(demoSeedPath());

/** A persona of the demo tenant by display-name prefix ("Adele", "Patti"…). */
export function persona(firstName: string): SeedUser & TeamsUser {
  const user = demoSeed.users.find((u) => u.displayName.startsWith(firstName));
  if (!user) throw new Error(`no persona ${firstName}`);
  return { ...user, id: `29:${user.aadObjectId}`, name: user.displayName };
}

/** Alerts the Defender RBAC model lets `user` see (all groups, or the alert's device group). */
export function visibleAlerts(user: SeedUser): AlertEntity[] {
  if (!user.defenderPermissions.includes('ViewData')) return [];
  return demoSeed.alerts.filter(
    (a) => user.deviceGroups.includes('*') || (a.rbacGroupName !== null && user.deviceGroups.includes(a.rbacGroupName)),
  );
}

/** The personal chat of a user in the demo tenant. */
export function personalChat(user: TeamsUser): TeamsConversation {
  return { id: `a:personal-${user.aadObjectId}`, conversationType: 'personal', tenantId: demoSeed.tenant.id };
}

/** A group chat of the demo tenant. */
export const groupChat: TeamsConversation = {
  id: '19:soc-triage@thread.v2',
  conversationType: 'groupChat',
  tenantId: demoSeed.tenant.id,
};
