import type { AuditSink } from '../approvals/auditSink';
import type { Containment, ContainmentKind, ContainmentRegister } from '../approvals/containmentRegister';
import { deriveIsolationState, deriveRestrictionState } from '../cards/deviceCard';
import type { DefenderAuth, DefenderClient } from '../defender/defenderClient';
import { and, anyOf, compare } from '../http/odata';

/** What Defender shows about a containment now: in place, being released, released, or not known for sure. */
export type ContainmentNow = 'contained' | 'releasing' | 'released' | 'unknown';

const TYPES = {
  isolate: ['Isolate', 'Unisolate'],
  restrictCodeExecution: ['RestrictCodeExecution', 'UnrestrictCodeExecution'],
} as const;

/**
 * Reads whether a device is still isolated or app-restricted, from its latest actions of that kind in Defender (one
 * call): the register only knows what the bot did, and a device released in the portal must leave the board and stop
 * earning reminders. Read with the bot's own identity (a person's device groups could hide the device and make it
 * look released). `released` only when Defender's own history says so — no action of the kind at all, a truncated
 * list or a failed read is `unknown`.
 */
export async function containmentNow(
  defender: DefenderClient,
  auth: DefenderAuth,
  deviceId: string,
  kind: ContainmentKind,
): Promise<ContainmentNow> {
  try {
    const [type, undo] = TYPES[kind];
    const history = await defender.listMachineActions(auth, {
      filter: and(compare('machineId', 'eq', deviceId), anyOf('type', [type, undo])),
      max: 200,
    });
    if (history.truncated || history.items.length === 0) return 'unknown';
    if (kind === 'isolate') {
      const state = deriveIsolationState(history.items).kind;
      return state === 'notIsolated' ? 'released' : state === 'releasePending' ? 'releasing' : 'contained';
    }
    const state = deriveRestrictionState(history.items);
    if (state === 'unrestricted') return 'released';
    const newest = [...history.items].sort(
      (a, b) => Date.parse(b.creationDateTimeUtc) - Date.parse(a.creationDateTimeUtc),
    )[0];
    return state === 'pending' && newest?.type === undo ? 'releasing' : 'contained';
  } catch {
    return 'unknown';
  }
}

/**
 * Forgets a containment Defender shows released, and records why in the audit trail (the board and the reminders
 * stop; nobody clicked anything). Nothing happens when the register holds a newer containment of the device.
 */
export async function forgetReleased(
  deps: { register: ContainmentRegister; audit: AuditSink },
  tenantId: string,
  containment: Pick<Containment, 'deviceId' | 'kind' | 'approvalId'>,
  how: 'reminderCheck' | 'releaseRefused',
  now: Date,
): Promise<boolean> {
  const forgotten = await deps.register.released(
    tenantId,
    containment.deviceId,
    containment.kind,
    containment.approvalId,
    now,
  );
  if (!forgotten) return false;
  await deps.audit.append({
    type: 'containment.forgotten',
    tenantId,
    actor: { system: 'bot' },
    approvalId: forgotten.approvalId,
    device: { id: forgotten.deviceId, name: forgotten.deviceName },
    action: forgotten.kind,
    detail: { reason: 'releasedInDefender', how },
  });
  return true;
}
