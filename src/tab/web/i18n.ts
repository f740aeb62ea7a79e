import en from './locales/en.json';
import ptBR from './locales/pt-BR.json';

/** The keys every locale file has (en.json is the reference; pt-BR.json must match it key for key). */
export type MessageKey = keyof typeof en;

/** The languages the tab speaks; anything else falls back to English. */
export type TabLocale = 'en' | 'pt-BR';

const catalogs: Record<TabLocale, Record<MessageKey, string>> = { en, 'pt-BR': ptBR };

/** Teams gives `pt-br`, browsers `pt-BR` or `pt`: every Portuguese variant gets pt-BR, everything else English. */
export function pickLocale(requested: string | undefined): TabLocale {
  return requested?.toLowerCase().startsWith('pt') ? 'pt-BR' : 'en';
}

/** Texts, dates and ages in one language, with `{name}` placeholders (no i18n library in the bundle). */
export class Messages {
  private readonly catalog: Record<MessageKey, string>;
  private readonly dateFormat: Intl.DateTimeFormat;
  private readonly relativeFormat: Intl.RelativeTimeFormat;

  constructor(
    readonly locale: TabLocale,
    private readonly now: () => number = Date.now,
  ) {
    this.catalog = catalogs[locale];
    this.dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
    this.relativeFormat = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  }

  /** The text of `key` with each `{name}` replaced by `params.name` (unknown placeholders stay visible). */
  t(key: MessageKey, params: Record<string, string | number> = {}): string {
    return this.catalog[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
      name in params ? String(params[name]) : whole,
    );
  }

  /** Whether the catalogue has `key` (server codes the page may know words for). */
  has(key: string): key is MessageKey {
    return Object.prototype.hasOwnProperty.call(this.catalog, key);
  }

  /** An ISO instant as a local date and time ("7 Dec 2026, 06:51"); the raw text when it is not a date. */
  date(iso: string | undefined): string {
    if (!iso) return '';
    const at = Date.parse(iso);
    return Number.isNaN(at) ? iso : this.dateFormat.format(at);
  }

  /** How far an instant is from now, in words ("3 hours ago", "in 20 minutes"). */
  relative(iso: string | undefined): string {
    if (!iso) return '';
    const at = Date.parse(iso);
    if (Number.isNaN(at)) return iso;
    const seconds = Math.round((at - this.now()) / 1000);
    const abs = Math.abs(seconds);
    if (abs < 60) return this.relativeFormat.format(seconds, 'second');
    if (abs < 3600) return this.relativeFormat.format(Math.round(seconds / 60), 'minute');
    if (abs < 86_400) return this.relativeFormat.format(Math.round(seconds / 3600), 'hour');
    return this.relativeFormat.format(Math.round(seconds / 86_400), 'day');
  }
}
