import type { MessageKey } from '../i18n/catalogues';
import { DEFAULT_LOCALE } from '../i18n/locale';
import type { Translator } from '../i18n/translator';
import { translatorFor } from '../i18n/translator';
import type { AlertsPageData } from './payloads';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import template from './templates/help.json';

/** How many examples the help catalogue holds (help.example01 … help.exampleNN, command and description). */
const CATALOGUE_EXAMPLES = 31;

/**
 * The help card, also the welcome card on installation: every command with an example, in the person's language
 * (`i18n`, English when omitted). English shows the phrasebook's own examples; other languages show their
 * catalogue's examples, phrased as that language's commands.
 */
export function toHelpCard(
  examples: { command: string; description: string }[],
  options: { welcome: boolean; i18n?: Translator },
): AdaptiveCardJson {
  const i18n = options.i18n ?? translatorFor(DEFAULT_LOCALE);
  const highAlertsQuery: AlertsPageData = {
    query: { severities: ['High'], status: { kind: 'unresolved' }, assignedToMe: false },
    page: 0,
  };
  return renderCard(template, {
    heading: i18n.t(options.welcome ? 'help.welcomeHeading' : 'help.heading'),
    intro: i18n.t('help.intro'),
    commands: i18n.locale === DEFAULT_LOCALE ? examples : catalogueExamples(i18n),
    footer: i18n.t('help.footer'),
    actionTitle: i18n.t('help.showHighAlerts'),
    highAlertsQuery,
  });
}

/** The help examples as the catalogue phrases them in the person's language. */
export function catalogueExamples(i18n: Translator): { command: string; description: string }[] {
  return Array.from({ length: CATALOGUE_EXAMPLES }, (_, index) => {
    const n = String(index + 1).padStart(2, '0');
    return {
      command: i18n.t(`help.example${n}.command` as MessageKey),
      description: i18n.t(`help.example${n}.description` as MessageKey),
    };
  });
}
