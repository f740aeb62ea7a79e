import enCommon from './locales/en/common.json';
import ptCommon from './locales/pt-BR/common.json';
import enLabels from './locales/en/labels.json';
import ptLabels from './locales/pt-BR/labels.json';
import enCards from './locales/en/cards.json';
import ptCards from './locales/pt-BR/cards.json';
import type { Locale } from './locale';

/*
 * The message catalogues, one JSON file per area and language (ICU MessageFormat). English is the reference: its
 * keys are the MessageKey type, and test/i18n/catalogues.test.ts fails when a key is missing or extra in another
 * language, or a message does not parse. Add an area: a file per language here and in CATALOGUES below.
 */
const en = { ...enCommon, ...enLabels, ...enCards };

/** Every message key (English's). */
export type MessageKey = keyof typeof en;

/** Messages by language; Portuguese may not add keys English lacks (checked by the test). */
export const CATALOGUES: Record<Locale, Partial<Record<MessageKey, string>>> = {
  en,
  'pt-BR': { ...ptCommon, ...ptLabels, ...ptCards },
};
