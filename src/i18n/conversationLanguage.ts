import { createHash } from 'node:crypto';
import type { Storage } from '../storage/storage';
import type { Locale } from './locale';
import { DEFAULT_LOCALE } from './locale';
import { LanguageStore } from './languageStore';

/**
 * The language of a conversation (a channel, group chat or personal chat) for cards that have no viewer: approval
 * cards posted to the approvers' channel and notifications. Someone types `language pt-BR` in the channel and every
 * background card sent there speaks Brazilian Portuguese; unset means English. Who set it is kept with it.
 */
export class ConversationLanguageStore {
  private readonly store: LanguageStore<string>;

  constructor(storage: Storage, clock: () => number = Date.now) {
    this.store = new LanguageStore(storage, keyOf, clock);
  }

  /** The conversation's language, English when never set or unreadable (another instance's change within 30 s). */
  async languageOf(conversationId: string): Promise<Locale> {
    return (await this.store.get(conversationId)) ?? DEFAULT_LOCALE;
  }

  /** Sets the conversation's language (who set it is kept with it); returns what is now stored. */
  setLanguage(conversationId: string, locale: Locale, setBy: string, now: Date): Promise<Locale> {
    return this.store.set(conversationId, { locale, setBy, setAt: now.toISOString() });
  }
}

/** Conversation ids are long and contain ':', '@' and ';': the key is their SHA-256, bounded and collision-free. */
function keyOf(conversationId: string): string {
  return `conversationLanguage/${createHash('sha256').update(conversationId).digest('hex')}`;
}
