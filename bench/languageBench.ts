import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import type { Intent } from '../src/commands/intents';
import { parseCommand } from '../src/commands/parseCommand';
import type { CorpusEntry } from '../src/language/corpus';
import { PHRASE_CORPUS } from '../src/language/corpus';

/*
 * `npm run bench -- language`: intent accuracy on the project's phrase corpus, wrong response actions proposed and
 * parse time per message, for today's parser and for a baseline: the parser as it was before issue 13 (English
 * phrasebook only, exact words), taken from git and compiled on the fly, run on the same corpus.
 */

/** The commit whose parser is the baseline (the last one before the language work); BENCH_LANGUAGE_BASELINE overrides. */
const BASELINE_COMMIT = process.env.BENCH_LANGUAGE_BASELINE ?? 'b3dadf6';
const ROUNDS = 30;

/** What one parser scored on the corpus. */
export interface LanguageFigures {
  name: string;
  accuracy: number;
  accuracyEnglish: number;
  accuracyPortuguese: number;
  wrongActions: number;
  p50Ms: number;
  p99Ms: number;
}

type Parser = (text: string) => Intent;

/** Scores today's parser and the baseline (when git can give it) on the phrase corpus. */
export function languageBench(): LanguageFigures[] {
  // Every parse is relative to one fixed instant and zone, as the corpus test does.
  const options = { now: new Date('2026-12-09T15:00:00Z'), timeZone: 'America/Sao_Paulo' };
  const figures = [score('today (forgiving, English + pt-BR)', (t) => parseCommand(t, undefined, options))];
  const baseline = loadBaseline();
  if (baseline) figures.push(score(`baseline ${BASELINE_COMMIT} (exact English only)`, baseline));
  return figures;
}

function score(name: string, parse: Parser): LanguageFigures {
  const correct = (entries: readonly CorpusEntry[]) =>
    entries.filter((e) => parse(e.text).id === e.expect).length / Math.max(1, entries.length);
  let wrongActions = 0;
  for (const entry of PHRASE_CORPUS) {
    const intent = parse(entry.text);
    if (
      intent.id === 'action.request' &&
      (entry.action === undefined || entry.action.kind !== intent.kind || entry.action.device !== intent.device)
    )
      wrongActions++;
  }
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const entry of PHRASE_CORPUS) {
      const start = process.hrtime.bigint();
      parse(entry.text);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  times.sort((a, b) => a - b);
  return {
    name,
    accuracy: correct(PHRASE_CORPUS),
    accuracyEnglish: correct(PHRASE_CORPUS.filter((e) => e.lang === 'en')),
    accuracyPortuguese: correct(PHRASE_CORPUS.filter((e) => e.lang === 'pt')),
    wrongActions,
    p50Ms: times[Math.floor(times.length * 0.5)]!,
    p99Ms: times[Math.floor(times.length * 0.99)]!,
  };
}

/**
 * The baseline parser: parseCommand.ts and phrasebook.ts at BASELINE_COMMIT, transpiled into a temporary folder,
 * their other imports pointing at today's compiled modules. Undefined (and said so) when git cannot give them.
 */
function loadBaseline(): Parser | undefined {
  const commands = path.resolve(__dirname, '../src/commands');
  const repository = path.resolve(__dirname, '../..');
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-language-baseline-'));
  try {
    for (const file of ['parseCommand', 'phrasebook']) {
      const source = execFileSync('git', ['show', `${BASELINE_COMMIT}:src/commands/${file}.ts`], {
        cwd: repository,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const compiled = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      }).outputText;
      const rewired = compiled.replace(/require\("(\.\.?\/[^"]+)"\)/g, (whole, specifier: string) =>
        specifier === './phrasebook' ? whole : `require(${JSON.stringify(path.join(commands, specifier))})`,
      );
      fs.writeFileSync(path.join(folder, `${file}.js`), rewired);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(path.join(folder, 'parseCommand.js')) as { parseCommand: Parser };
    return (text) => module.parseCommand(text);
  } catch {
    process.stderr.write(`baseline parser at ${BASELINE_COMMIT} unavailable (no git history here); skipped\n`);
    return undefined;
  }
}

/** The bench's table, one line per parser. */
export function languageLines(figures: LanguageFigures[]): string[] {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`.padStart(8);
  return [
    `phrase corpus: ${PHRASE_CORPUS.length} phrasings (${PHRASE_CORPUS.filter((e) => e.lang === 'pt').length} Portuguese, ${PHRASE_CORPUS.filter((e) => e.expect === 'unknown').length} non-commands); goal ≥ 97 %, 0 wrong actions, p99 ≤ 2 ms`,
    `${'parser'.padEnd(44)} accuracy  English  Portuguese  wrong actions  p50 ms  p99 ms`,
    ...figures.map(
      (f) =>
        `${f.name.padEnd(44)} ${pct(f.accuracy)} ${pct(f.accuracyEnglish)} ${pct(f.accuracyPortuguese)}    ${String(f.wrongActions).padStart(13)} ${f.p50Ms.toFixed(3).padStart(7)} ${f.p99Ms.toFixed(3).padStart(7)}`,
    ),
  ];
}
