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

/**
 * The bot's language for a browser's `Accept-Language` header (pages opened outside Teams: sign-in, admin consent):
 * the highest-weighted language the bot speaks, English when none. "pt-PT;q=0.9, en;q=0.8" → pt-BR; "fr" → en.
 */
export function negotiateLocale(acceptLanguage: string | undefined | null): Locale {
  if (typeof acceptLanguage !== 'string') return DEFAULT_LOCALE;
  const ranked = acceptLanguage
    .slice(0, 1000)
    .split(',')
    .map((entry, index) => {
      const [tag = '', ...parameters] = entry.trim().split(';');
      const q = parameters.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim().toLowerCase(), weight: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.weight > 0 && /^(?:pt|en)(?:-|$)/.test(entry.tag))
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  return localeOf(ranked[0]?.tag);
}
