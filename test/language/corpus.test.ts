import assert from 'node:assert/strict';
import { parseCommand } from '../../src/commands/parseCommand';
import { PHRASE_CORPUS } from '../../src/language/corpus';

// The corpus is the project's measure of understanding: a regression in any rule of the language layer shows here.
describe('the phrase corpus (English and Brazilian Portuguese)', () => {
  const options = { now: new Date('2026-12-09T15:00:00Z'), timeZone: 'America/Sao_Paulo' };
  const results = PHRASE_CORPUS.map((entry) => ({ entry, intent: parseCommand(entry.text, undefined, options) }));

  it('holds at least 300 phrasings in both languages', () => {
    assert.ok(PHRASE_CORPUS.length >= 300, `${PHRASE_CORPUS.length} phrasings`);
    assert.ok(PHRASE_CORPUS.filter((e) => e.lang === 'pt').length >= 120);
    assert.ok(PHRASE_CORPUS.filter((e) => e.expect === 'unknown').length >= 20, 'non-commands are measured too');
  });

  it('understands at least 97 % of it', () => {
    const misses = results.filter(({ entry, intent }) => intent.id !== entry.expect);
    const accuracy = 1 - misses.length / results.length;
    assert.ok(
      accuracy >= 0.97,
      `accuracy ${(accuracy * 100).toFixed(1)} %:\n${misses.map((m) => `${m.entry.text} → ${m.intent.id}`).join('\n')}`,
    );
  });

  it('proposes no wrong response action: never for a non-action, never the wrong kind or device', () => {
    const wrong = results.filter(
      ({ entry, intent }) =>
        intent.id === 'action.request' &&
        (entry.action === undefined || entry.action.kind !== intent.kind || entry.action.device !== intent.device),
    );
    assert.deepEqual(
      wrong.map((w) => w.entry.text),
      [],
    );
  });
});
