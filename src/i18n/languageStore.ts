import { z } from 'zod';
import type { Storage } from '../storage/storage';
import { readItem, updateItem } from '../storage/updateItem';
import type { Locale } from './locale';
import { LOCALES } from './locale';

/** A language setting as stored: the language, when it was set and (for a shared conversation) by whom. */
const storedLanguage = z.object({
  locale: z.enum(LOCALES),
  setAt: z.string().max(40),
  setBy: z.string().max(200).optional(),
});

/** One language setting as stored. */
export type LanguageSetting = z.infer<typeof storedLanguage>;

/** How long a setting is reused before it is read again (another instance may have changed it). */
const CACHE_MS = 30_000;

/**
 * A language chosen for something (a person, a conversation), kept in the project's Storage (file or Blob,
 * eTag-safe across instances) under the key `keyOf` gives it. It is read on every turn and every card sent, so an
 * answer is reused for 30 s; a damaged record reads as never set. UserLanguages and ConversationLanguageStore are
 * this store with their own keys.
 */
export class LanguageStore<Subject> {
  private readonly cache = new Map<string, { at: number; locale: Locale | undefined }>();

  constructor(
    private readonly storage: Storage,
    private readonly keyOf: (subject: Subject) => string,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The language set for `subject`, undefined when never set (or unreadable). */
  async get(subject: Subject): Promise<Locale | undefined> {
    const key = this.keyOf(subject);
    const cached = this.cache.get(key);
    if (cached && this.clock() - cached.at < CACHE_MS) return cached.locale;
    const stored = await readItem(this.storage, key, parse);
    this.cache.set(key, { at: this.clock(), locale: stored?.locale });
    return stored?.locale;
  }

  /** Sets the language of `subject` (the latest choice wins); returns what is now stored. */
  async set(subject: Subject, setting: LanguageSetting): Promise<Locale> {
    const key = this.keyOf(subject);
    const next: LanguageSetting = { ...setting, ...(setting.setBy ? { setBy: setting.setBy.slice(0, 200) } : {}) };
    const stored = await updateItem(this.storage, key, parse, () => next);
    const locale = stored?.locale ?? setting.locale;
    this.cache.set(key, { at: this.clock(), locale });
    return locale;
  }
}

function parse(raw: unknown): LanguageSetting | undefined {
  const parsed = storedLanguage.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}
