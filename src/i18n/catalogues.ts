import enCommon from './locales/en/common.json';
import ptCommon from './locales/pt-BR/common.json';
import enErrors from './locales/en/errors.json';
import ptErrors from './locales/pt-BR/errors.json';
import enNotificationsCommands from './locales/en/notifications-commands.json';
import ptNotificationsCommands from './locales/pt-BR/notifications-commands.json';
import enHelp from './locales/en/help.json';
import ptHelp from './locales/pt-BR/help.json';
import enCommands from './locales/en/commands.json';
import ptCommands from './locales/pt-BR/commands.json';
import enApprovals from './locales/en/approvals.json';
import ptApprovals from './locales/pt-BR/approvals.json';
import enCustomers from './locales/en/customers.json';
import ptCustomers from './locales/pt-BR/customers.json';
import enIncidents from './locales/en/incidents.json';
import ptIncidents from './locales/pt-BR/incidents.json';
import enLabels from './locales/en/labels.json';
import ptLabels from './locales/pt-BR/labels.json';
import enCards from './locales/en/cards.json';
import ptCards from './locales/pt-BR/cards.json';
import enHuntResults from './locales/en/huntResults.json';
import ptHuntResults from './locales/pt-BR/huntResults.json';
import enInvestigation from './locales/en/investigation.json';
import ptInvestigation from './locales/pt-BR/investigation.json';
import enTab from './locales/en/tab.json';
import ptTab from './locales/pt-BR/tab.json';
import enHunting from './locales/en/hunting.json';
import ptHunting from './locales/pt-BR/hunting.json';
import type { Locale } from './locale';

/*
 * The message catalogues, one JSON file per area and language (ICU MessageFormat). English is the reference: its
 * keys are the MessageKey type, and test/i18n/catalogues.test.ts fails when a key is missing or extra in another
 * language, or a message does not parse. Add an area: a file per language here and in CATALOGUES below.
 */
const en = {
  ...enCommon,
  ...enErrors,
  ...enNotificationsCommands,
  ...enHelp,
  ...enCommands,
  ...enApprovals,
  ...enCustomers,
  ...enIncidents,
  ...enLabels,
  ...enCards,
  ...enHuntResults,
  ...enInvestigation,
  ...enTab,
  ...enHunting,
};

/** Every message key (English's). */
export type MessageKey = keyof typeof en;

/** Messages by language; Portuguese may not add keys English lacks (checked by the test). */
export const CATALOGUES: Record<Locale, Partial<Record<MessageKey, string>>> = {
  en,
  'pt-BR': {
    ...ptCommon,
    ...ptErrors,
    ...ptNotificationsCommands,
    ...ptHelp,
    ...ptCommands,
    ...ptApprovals,
    ...ptCustomers,
    ...ptIncidents,
    ...ptLabels,
    ...ptCards,
    ...ptHuntResults,
    ...ptInvestigation,
    ...ptTab,
    ...ptHunting,
  },
};
