import assert from 'node:assert/strict';
import { MemoryStorage } from 'botbuilder';
import { ConversationLanguageStore } from '../../src/i18n/conversationLanguage';
import { UserLanguages } from '../../src/i18n/userLanguage';

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

describe('a person’s own language and the cache both stores share', () => {
  const person = { tenantId: 'T1', aadObjectId: 'A1' };
  const now = new Date('2026-12-07T02:15:00Z');

  it('keeps a person’s choice across instances, per person, and reads a damaged record as never chosen', async () => {
    const storage = new MemoryStorage();
    assert.equal(await new UserLanguages(storage).get(person), undefined);
    await new UserLanguages(storage).set(person, 'pt-BR', now);
    assert.equal(
      await new UserLanguages(storage).get({ tenantId: 't1', aadObjectId: 'a1' }),
      'pt-BR',
      'ids ignore case',
    );
    assert.equal(await new UserLanguages(storage).get({ tenantId: 'T1', aadObjectId: 'A2' }), undefined);
    const [key] = Object.keys((storage as unknown as { memory: Record<string, unknown> }).memory);
    await storage.write({ [key!]: { locale: 'klingon', setAt: 'y', eTag: '*' } });
    assert.equal(await new UserLanguages(storage).get(person), undefined);
  });

  it('sees another instance’s change once its 30 s answer has aged, never before', async () => {
    const storage = new MemoryStorage();
    let clock = 0;
    const mine = new ConversationLanguageStore(storage, () => clock);
    const other = new ConversationLanguageStore(storage, () => clock);
    assert.equal(await mine.languageOf('19:c'), 'en');
    await other.setLanguage('19:c', 'pt-BR', 'Adele', now);
    clock = 29_999;
    assert.equal(await mine.languageOf('19:c'), 'en', 'reused within 30 s');
    clock = 30_000;
    assert.equal(await mine.languageOf('19:c'), 'pt-BR');
  });
});
