import type { Seed } from '../seed/seedSchema';
import type { TeamsPersona } from './teamsHostTypes';

/**
 * The host page's personas for a seeded tenant: every user of the seed, in seed order (the first is signed in
 * when the page opens), SOC admins as team owners and everyone else as members.
 */
export function personasFromSeed(seed: Seed): TeamsPersona[] {
  return seed.users.map((user) => ({
    aadObjectId: user.aadObjectId,
    displayName: user.displayName,
    userPrincipalName: user.userPrincipalName,
    teamRole: user.appRoles.includes('SOC.Admin') ? 'owner' : 'member',
  }));
}
