import type { ContainmentKind } from '../approvals/containmentRegister';
import { deriveIsolationState, deriveRestrictionState } from '../cards/deviceCard';
import type { DefenderAuth, DefenderClient } from '../defender/defenderClient';
import { compare } from '../http/odata';

/** What Defender shows about a containment now: still in place, released (or being released), or unreadable. */
export type ContainmentNow = 'contained' | 'released' | 'unknown';

/**
 * Reads whether a device is still isolated or app-restricted, from its latest actions in Defender (one call, as the
 * device card does): the register only knows what the bot did, and a device released in the portal must leave the
 * board and stop earning reminders. A change still pending in Defender counts as contained (a release may yet fail);
 * anything unreadable is `unknown`.
 */
export async function containmentNow(
  defender: DefenderClient,
  auth: DefenderAuth,
  deviceId: string,
  kind: ContainmentKind,
): Promise<ContainmentNow> {
  try {
    const history = await defender.listMachineActions(auth, { filter: compare('machineId', 'eq', deviceId), max: 50 });
    if (kind === 'isolate') {
      return deriveIsolationState(history.items).kind === 'notIsolated' ? 'released' : 'contained';
    }
    return deriveRestrictionState(history.items) === 'unrestricted' ? 'released' : 'contained';
  } catch {
    return 'unknown';
  }
}
