/** The languages the bot speaks: English (the default) and Brazilian Portuguese. */
export const LOCALES = ['en', 'pt-BR'] as const;
/** One of LOCALES. */
export type Locale = (typeof LOCALES)[number];

/** The default language, for anything that names none the bot speaks. */
export const DEFAULT_LOCALE: Locale = 'en';

/**
 * The bot's language for a BCP 47 tag as Teams sends it (`activity.locale`, e.g. "pt-BR", "pt-PT", "en-GB"):
 * any Portuguese gets Brazilian Portuguese, everything else English.
 */
export function localeOf(tag: string | undefined | null): Locale {
  if (typeof tag !== 'string') return DEFAULT_LOCALE;
  return /^pt(?:[-_]|$)/i.test(tag.trim()) ? 'pt-BR' : DEFAULT_LOCALE;
}
