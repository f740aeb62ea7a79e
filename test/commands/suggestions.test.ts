import assert from 'node:assert/strict';
import { parseCommand, suggestCommand } from '../../src/commands/parseCommand';
import type { Phrasebook } from '../../src/commands/phrasebook';
import { english, portuguese } from '../../src/commands/phrasebook';
import { PHRASE_CORPUS } from '../../src/language/corpus';
import { translatorFor } from '../../src/i18n/translator';

const FILL: Record<string, string> = {
  NAME: 'ws-fin-042',
  'ALERT-ID': 'da637472900382838869_1364969609',
  NUMBER: '2301',
  SHA1: '3395856ce81f2b7382dee72602f798b642f14140',
  REASON: 'suspicious beaconing',
};

function filled(command: string): string {
  return command.replace(/NAME|ALERT-ID|NUMBER|SHA1|REASON/g, (p) => FILL[p]!);
}

/** Near misses of a phrase: a letter dropped, doubled or swapped, a word dropped, a word added. */
function nearMisses(text: string): string[] {
  const out: string[] = [];
  for (let i = 1; i < text.length - 1; i += 3) {
    out.push(text.slice(0, i) + text.slice(i + 1));
    out.push(text.slice(0, i) + text[i] + text.slice(i));
    out.push(text.slice(0, i) + text[i + 1] + text[i] + text.slice(i + 2));
  }
  const words = text.split(' ');
  for (let i = 0; i < words.length; i++) out.push([...words.slice(0, i), ...words.slice(i + 1)].join(' '));
  out.push(`${text} quickly`, `${text} lately`, `the ${text}`, `${text} hmm`, words.at(-1)!, words[0]!);
  return out;
}

describe('"did you mean" suggestions', () => {
  it('every help example of both languages is a command the bot understands', () => {
    for (const pb of [english, portuguese] as Phrasebook[])
      for (const { command } of pb.examples)
        assert.notEqual(parseCommand(filled(command)).id, 'unknown', `${pb.locale}: ${filled(command)}`);
  });

  it('every suggestion made for thousands of near misses in both languages parses to a known command', function () {
    // Thousands of parses on a shared machine: a generous ceiling, not a performance assertion (see the bench).
    this.timeout(120_000);
    const inputs = new Set<string>();
    for (const pb of [english, portuguese])
      for (const { command } of pb.examples) nearMisses(filled(command)).forEach((t) => inputs.add(t));
    for (const { text } of PHRASE_CORPUS) nearMisses(text).forEach((t) => inputs.add(t));
    ['incidents', 'hunt', 'ws-fin-042', 'approve A-1b2c3d4e', 'aprovar A-1b2c3d4e', 'language', 'idioma x'].forEach(
      (t) => inputs.add(t),
    );
    assert.ok(inputs.size > 2500, `${inputs.size} inputs`);
    const suggestions = new Set<string>();
    for (const input of inputs) {
      const intent = parseCommand(input);
      if (intent.id === 'unknown' && intent.suggestion) suggestions.add(intent.suggestion);
      for (const pb of [english, portuguese]) {
        const s = suggestCommand(input, pb);
        if (s) suggestions.add(s);
      }
    }
    assert.ok(suggestions.size > 30, `${suggestions.size} distinct suggestions`);
    const deadEnds = [...suggestions].filter((s) => parseCommand(s).id === 'unknown');
    assert.deepEqual(deadEnds, []);
  });

  it('fixes the dead ends of issue 13', () => {
    assert.equal(parseCommand('incidents').id, 'incidents.list');
    assert.equal(suggestCommand('hunt'), 'hunts', 'the saved hunts, never "actions on hunt"');
    assert.deepEqual(parseCommand('ws-fin-042'), { id: 'device.show', device: 'ws-fin-042' });
    const approve = parseCommand('approve A-1b2c3d4e');
    assert.equal(approve.id, 'unknown');
    assert.equal(approve.id === 'unknown' && approve.suggestion, 'approvals');
    assert.match(
      approve.id === 'unknown' && approve.problem
        ? translatorFor('en').t(approve.problem.key, approve.problem.values)
        : '',
      /on the request card/,
    );
    const aprovar = parseCommand('aprovar A-1b2c3d4e');
    assert.equal(aprovar.id === 'unknown' && aprovar.suggestion, 'aprovações');
  });

  it('suggests in the language the person typed', () => {
    assert.equal(parseCommand('isolat ws-fin-042').id, 'unknown');
    assert.equal(suggestCommand('isolat ws-fin-042'), 'isolate device ws-fin-042');
    const pt = parseCommand('mostar alertas altos hmm');
    assert.equal(pt.id === 'unknown' && pt.suggestion, 'mostrar alertas altos');
  });
});
