import { IntlMessageFormat } from 'intl-messageformat';
import type { Locale } from './locale';
import { DEFAULT_LOCALE } from './locale';
import { CATALOGUES } from './catalogues';
import type { MessageKey } from './catalogues';

/** Values an ICU message takes: strings, numbers (plurals, number formats), dates. */
export type MessageValues = Record<string, string | number | Date>;

/**
 * Words for a person in their language, from the message catalogues (src/i18n/locales/<locale>/*.json, ICU
 * MessageFormat through FormatJS's intl-messageformat: plurals, select, numbers and dates by locale). Never string
 * concatenation: a sentence is one message with placeholders, so a translator can reorder it.
 */
export class Translator {
  private readonly compiled = new Map<string, IntlMessageFormat>();

  constructor(
    readonly locale: Locale,
    /** The IANA time zone dates are shown in (the viewer's, from the activity), UTC when unknown. */
    readonly timeZone: string = 'UTC',
  ) {}

  /** The message `key` with `values`; a key missing in this language falls back to English (a test forbids it). */
  t(key: MessageKey, values: MessageValues = {}): string {
    const format = this.format(key);
    const out = format.format(values);
    return typeof out === 'string' ? out : String(out);
  }

  /** A date and time as this person reads them ("7 de dez. de 2026, 02:15"), in their time zone. */
  dateTime(value: Date | string): string {
    const date = typeof value === 'string' ? new Date(value) : value;
    return new Intl.DateTimeFormat(this.locale, {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: this.timeZone,
    }).format(date);
  }

  /** A number as this person reads it ("1.234" in pt-BR). */
  number(value: number): string {
    return new Intl.NumberFormat(this.locale).format(value);
  }

  private format(key: MessageKey): IntlMessageFormat {
    let format = this.compiled.get(key);
    if (!format) {
      const source = CATALOGUES[this.locale][key] ?? CATALOGUES[DEFAULT_LOCALE][key] ?? key;
      format = new IntlMessageFormat(source, this.locale, undefined, { ignoreTag: true });
      this.compiled.set(key, format);
    }
    return format;
  }
}

/** One translator per language and time zone (compiled messages are reused). */
const translators = new Map<string, Translator>();

/** The translator for a language (and time zone), shared. */
export function translatorFor(locale: Locale, timeZone = 'UTC'): Translator {
  const key = `${locale}|${timeZone}`;
  let translator = translators.get(key);
  if (!translator) {
    translator = new Translator(locale, safeTimeZone(timeZone));
    translators.set(key, translator);
  }
  return translator;
}

/** An IANA zone Intl knows, else UTC (the activity's value is untrusted). */
function safeTimeZone(zone: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    return 'UTC';
  }
}
