import assert from 'node:assert/strict';
import { correctTypo, editDistance, vocabularyOf } from '../../src/language/fuzzy';
import { toCanonicalEnglish } from '../../src/language/canonical';
import { parseCommand } from '../../src/commands/parseCommand';

describe('typos in command words', () => {
  const vocabulary = vocabularyOf(
    ['show', 'high', 'alerts', 'alert', 'isolate', 'isolated', 'release', 'latest'],
    ['isolate', 'release'],
    new Set(['latest']),
  );

  it('counts an adjacent swap as one edit', () => {
    assert.equal(editDistance('shwo', 'show'), 1);
    assert.equal(editDistance('hihg', 'high'), 1);
    assert.ok(editDistance('abcd', 'badc') > 1, 'two swaps are more than one edit');
  });

  it('corrects only to a single best word, preferring the one with the same letters', () => {
    assert.equal(correctTypo('shwo', vocabulary), 'show');
    assert.equal(correctTypo('alerst', vocabulary), 'alerts');
    assert.equal(correctTypo('show', vocabulary), undefined, 'a known word stays');
    assert.equal(correctTypo('xyz', vocabulary), undefined, 'short words are never guessed');
  });

  it('holds response-action verbs to one edit', () => {
    assert.equal(correctTypo('isolaet', vocabulary), 'isolate');
    assert.equal(correctTypo('islaet', vocabulary), undefined);
    assert.equal(correctTypo('relase', vocabulary), 'release');
  });

  it('never corrects into a filler word, which would widen the request', () => {
    assert.equal(correctTypo('lately', vocabulary), undefined);
    assert.equal(parseCommand('alerts on ws-fin-042 lately').id, 'unknown');
  });

  it('never touches a name or an id, nor the word after a device noun or an action verb', () => {
    assert.equal(toCanonicalEnglish('isolate ws-fin-042').text, 'isolate ws-fin-042');
    assert.equal(toCanonicalEnglish('device shwo').text, 'device shwo');
    assert.equal(toCanonicalEnglish('bind Contsoo Hgih').text, 'bind Contsoo Hgih');
    const intent = parseCommand('isolaet finance-pc because Analyst sees BEACONING.');
    assert.deepEqual(intent, {
      id: 'action.request',
      kind: 'isolate',
      device: 'finance-pc',
      parameters: { isolationType: 'Full' },
      reason: 'Analyst sees BEACONING.',
    });
  });

  it('does not turn a question about isolation into an isolation', () => {
    for (const text of [
      'is ws-fin-042 isolated?',
      'who isolated ws-fin-042?',
      'isolated devices',
      'o ws-fin-042 está isolado?',
    ])
      assert.notEqual(parseCommand(text).id, 'action.request', text);
  });
});
