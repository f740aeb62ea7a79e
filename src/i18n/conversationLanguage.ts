import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Storage } from '../storage/storage';
import { readItem, updateItem } from '../storage/updateItem';
import type { Locale } from './locale';
import { DEFAULT_LOCALE, LOCALES } from './locale';

/** What is stored per conversation: its language, who set it and when (for the audit of a channel's settings). */
const storedLanguage = z.object({
  locale: z.enum(LOCALES),
  setBy: z.string().max(200),
  setAt: z.string().max(40),
});

/** One conversation's language setting as stored. */
export type ConversationLanguageSetting = z.infer<typeof storedLanguage>;

/** How long a conversation's language is reused before it is read again. */
const CACHE_MS = 30_000;

/**
 * The language of a conversation (a channel, group chat or personal chat) for cards that have no viewer: approval
 * cards posted to the approvers' channel and notifications. Someone types `language pt-BR` in the channel and every
 * background card sent there speaks Brazilian Portuguese; unset means English. Kept in the project's Storage
 * (file or Blob, eTag-safe across instances).
 */
export class ConversationLanguageStore {
  /** Read on every card sent to a conversation (a fan-out sends hundreds): answers are reused for 30 s. */
  private readonly cache = new Map<string, { at: number; locale: Locale }>();

  constructor(
    private readonly storage: Storage,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The conversation's language, English when never set or unreadable (another instance's change within 30 s). */
  async languageOf(conversationId: string): Promise<Locale> {
    const cached = this.cache.get(conversationId);
    if (cached && this.clock() - cached.at < CACHE_MS) return cached.locale;
    const stored = await readItem(this.storage, keyOf(conversationId), parse);
    const locale = stored?.locale ?? DEFAULT_LOCALE;
    this.cache.set(conversationId, { at: this.clock(), locale });
    return locale;
  }

  /** Sets the conversation's language (who set it is kept with it); returns what is now stored. */
  async setLanguage(conversationId: string, locale: Locale, setBy: string, now: Date): Promise<Locale> {
    const next: ConversationLanguageSetting = { locale, setBy: setBy.slice(0, 200), setAt: now.toISOString() };
    const stored = await updateItem(this.storage, keyOf(conversationId), parse, () => next);
    this.cache.set(conversationId, { at: this.clock(), locale: stored?.locale ?? locale });
    return stored?.locale ?? locale;
  }
}

function parse(raw: unknown): ConversationLanguageSetting | undefined {
  const parsed = storedLanguage.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** Conversation ids are long and contain ':', '@' and ';': the key is their SHA-256, bounded and collision-free. */
function keyOf(conversationId: string): string {
  return `conversationLanguage/${createHash('sha256').update(conversationId).digest('hex')}`;
}
