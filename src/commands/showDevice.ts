import { deriveIsolationState, toDeviceCard } from '../cards/deviceCard';
import { and, anyOf, compare } from '../http/odata';
import type { CommandContext, Reply } from './commandContext';
import { cardReply } from './commandContext';
import { deviceChoiceReply } from './deviceChoices';
import { resolveDevice } from './resolveDevice';
import { withHuntButton } from '../hunting/huntCommands';

/** Isolate/Unisolate history looked at to derive the isolation state. */
const ISOLATION_HISTORY = 20;

/**
 * "device <name>": resolves the name exactly, then reads the isolation history and the open-alert count
 * in parallel (three Defender calls in all).
 */
export async function showDevice(ctx: CommandContext, typed: string): Promise<Reply> {
  const resolution = await resolveDevice(ctx.defender, ctx.auth, typed);
  if (resolution.kind !== 'found') {
    return deviceChoiceReply(resolution, (device) => ({ verb: 'device.show', data: { device } }), ctx.now, ctx.i18n);
  }
  const { machine } = resolution;
  const [actions, openAlerts] = await Promise.all([
    ctx.defender.listMachineActions(ctx.auth, {
      filter: and(compare('machineId', 'eq', machine.id), anyOf('type', ['Isolate', 'Unisolate'])),
      max: ISOLATION_HISTORY,
    }),
    ctx.defender.countMachineAlerts(ctx.auth, machine.id, anyOf('status', ['New', 'InProgress'])),
  ]);
  const card = withHuntButton(
    toDeviceCard({ machine, isolation: deriveIsolationState(actions.items), openAlerts, now: ctx.now }, ctx.i18n),
    ctx,
    { kind: 'device', id: machine.id },
  );
  return cardReply(card, ctx.i18n.t('commands.device.summary', { name: machine.computerDnsName }));
}
