import type { Choice } from '../cards/choiceCard';
import { toChoiceCard } from '../cards/choiceCard';
import { osLabel } from '../cards/labels';
import { formatAge } from '../cards/text';
import type { Machine } from '../defender/schemas';
import type { Reply } from './commandContext';
import { cardReply } from './commandContext';
import type { DeviceResolution } from './resolveDevice';

/** What choosing a device leads to: its card, or the alert list scoped to it. */
export type DeviceChoiceTarget = (deviceIdOrName: string) => Pick<Choice, 'verb' | 'data'>;

/** The reply for a name that did not resolve to exactly one device: a pick-list or "did you mean". */
export function deviceChoiceReply(
  resolution: Exclude<DeviceResolution, { kind: 'found' }>,
  target: DeviceChoiceTarget,
  now: Date,
): Reply {
  if (resolution.kind === 'ambiguous') {
    const choices = resolution.machines.map((m) => ({
      label: m.computerDnsName,
      detail: describe(m, now),
      ...target(m.id),
    }));
    return cardReply(
      toChoiceCard({
        heading: `${resolution.machines.length} devices have this name`,
        subject: resolution.name,
        text: 'Which one do you mean?',
        choices,
      }),
      `${resolution.machines.length} devices match ${resolution.name}`,
    );
  }
  const choices = resolution.suggestions.map((name) => ({ label: name, detail: '', ...target(name) }));
  return cardReply(
    toChoiceCard({
      heading: 'No device with this name',
      subject: resolution.name,
      text:
        choices.length > 0
          ? 'Did you mean one of these? (I match device ids, full names and host names exactly.)'
          : 'I match device ids, full names (ws-fin-042.corp.contoso.com) and host names (ws-fin-042) exactly, among the devices you can see.',
      choices,
    }),
    `No device named ${resolution.name}`,
  );
}

function describe(machine: Machine, now: Date): string {
  return [
    osLabel(machine.osPlatform, machine.version, null),
    machine.rbacGroupName,
    `last seen ${formatAge(machine.lastSeen, now)}`,
  ]
    .filter(Boolean)
    .join(' · ');
}
