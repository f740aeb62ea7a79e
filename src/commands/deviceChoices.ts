import type { Choice } from '../cards/choiceCard';
import { toChoiceCard } from '../cards/choiceCard';
import { osLabel } from '../cards/labels';
import { formatAge } from '../cards/text';
import type { Machine } from '../defender/schemas';
import { DEFAULT_LOCALE } from '../i18n/locale';
import type { Translator } from '../i18n/translator';
import { translatorFor } from '../i18n/translator';
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
  i18n: Translator = translatorFor(DEFAULT_LOCALE),
): Reply {
  if (resolution.kind === 'ambiguous') {
    const choices = resolution.machines.map((m) => ({
      label: m.computerDnsName,
      detail: describe(m, now, i18n),
      ...target(m.id),
    }));
    return cardReply(
      toChoiceCard(
        {
          heading: i18n.t('commands.device.ambiguousHeading', { count: resolution.machines.length }),
          subject: resolution.name,
          text: i18n.t('commands.device.whichOne'),
          choices,
        },
        i18n,
      ),
      i18n.t('commands.device.ambiguousSummary', { count: resolution.machines.length, name: resolution.name }),
    );
  }
  const choices = resolution.suggestions.map((name) => ({ label: name, detail: '', ...target(name) }));
  return cardReply(
    toChoiceCard(
      {
        heading: i18n.t('commands.device.noneHeading'),
        subject: resolution.name,
        text: i18n.t(choices.length > 0 ? 'commands.device.didYouMean' : 'commands.device.howMatched'),
        choices,
      },
      i18n,
    ),
    i18n.t('commands.device.noneSummary', { name: resolution.name }),
  );
}

function describe(machine: Machine, now: Date, i18n: Translator): string {
  return [
    osLabel(machine.osPlatform, machine.version, null),
    machine.rbacGroupName,
    i18n.t('commands.device.lastSeen', { age: formatAge(machine.lastSeen, now) }),
  ]
    .filter(Boolean)
    .join(' · ');
}
