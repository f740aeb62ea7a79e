import assert from 'node:assert/strict';
import { MemoryStorage } from 'botbuilder';
import { ConversationLanguageStore } from '../../src/i18n/conversationLanguage';

describe('a conversation’s language for cards nobody in particular reads (approvals, notifications)', () => {
  const channel = '19:approvers@thread.tacv2;messageid=1';
  const now = new Date('2026-12-07T02:15:00Z');

  it('is English until someone sets it, then what they set, per conversation', async () => {
    const store = new ConversationLanguageStore(new MemoryStorage());
    assert.equal(await store.languageOf(channel), 'en');
    assert.equal(await store.setLanguage(channel, 'pt-BR', 'Adele Vance', now), 'pt-BR');
    assert.equal(await store.languageOf(channel), 'pt-BR');
    assert.equal(await store.languageOf('a:personal-chat'), 'en', 'other conversations are untouched');
    await store.setLanguage(channel, 'en', 'Megan Bowen', now);
    assert.equal(await store.languageOf(channel), 'en');
  });

  it('is shared by every instance on the same storage, and a damaged record reads as English', async () => {
    const storage = new MemoryStorage();
    await new ConversationLanguageStore(storage).setLanguage(channel, 'pt-BR', 'Adele Vance', now);
    assert.equal(await new ConversationLanguageStore(storage).languageOf(channel), 'pt-BR');
    const [key] = Object.keys((storage as unknown as { memory: Record<string, unknown> }).memory);
    await storage.write({ [key!]: { locale: 'klingon', setBy: 'x', setAt: 'y', eTag: '*' } });
    assert.equal(await new ConversationLanguageStore(storage).languageOf(channel), 'en');
  });
});
