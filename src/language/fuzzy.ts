import { distance } from 'fastest-levenshtein';

/*
 * Typos in command words, corrected only when the correction is certain: a bounded edit distance (an adjacent
 * swap counts as one edit), one best candidate, and never on a name or id (the caller decides which words are
 * entities). Response-action verbs are held to a stricter rule, because acting on a guess is worse than asking.
 */

/** How many edits a word of this length may carry and still be recognised. */
export function maxEdits(length: number): number {
  if (length <= 3) return 0;
  if (length <= 5) return 1;
  return 2;
}

/** Edit distance where swapping two adjacent letters is one edit ("shwo" → "show" is 1). */
export function editDistance(a: string, b: string): number {
  const plain = distance(a, b);
  if (plain !== 2 || a.length !== b.length) return plain;
  const differ: number[] = [];
  for (let i = 0; i < a.length && differ.length <= 2; i++) if (a[i] !== b[i]) differ.push(i);
  const [i, j] = differ;
  return differ.length === 2 && j === i! + 1 && a[i!] === b[j] && a[j] === b[i!] ? 1 : plain;
}

/** The vocabulary a typo is corrected against, and which of its words are response-action verbs. */
export interface Vocabulary {
  words: ReadonlySet<string>;
  /** Verbs that start a response action: corrected only at one edit. */
  actionVerbs: ReadonlySet<string>;
  /** Words bucketed by length, so a lookup compares only words of a plausible length (never-targets left out). */
  byLength: ReadonlyMap<number, readonly string[]>;
}

/**
 * Builds a Vocabulary from its words (lower case, without accents). `neverTargets` are known words (never
 * corrected) that no typo is ever read as: filler, whose guess would widen a request.
 */
export function vocabularyOf(
  words: Iterable<string>,
  actionVerbs: Iterable<string>,
  neverTargets: ReadonlySet<string> = new Set(),
): Vocabulary {
  const set = new Set(words);
  const byLength = new Map<number, string[]>();
  for (const word of set)
    if (!neverTargets.has(word)) byLength.set(word.length, [...(byLength.get(word.length) ?? []), word]);
  return { words: set, actionVerbs: new Set(actionVerbs), byLength };
}

/** The vocabulary word `word` (folded) is a certain typo of, or undefined when it is a word already or uncertain. */
export function correctTypo(word: string, vocabulary: Vocabulary): string | undefined {
  if (vocabulary.words.has(word)) return undefined;
  const bound = maxEdits(word.length);
  if (bound === 0) return undefined;
  const sorted = [...word].sort().join('');
  let best: string | undefined;
  let bestDistance = Infinity;
  let rivals = 0;
  for (let length = word.length - bound; length <= word.length + bound; length++) {
    for (const candidate of vocabulary.byLength.get(length) ?? []) {
      const d = editDistance(word, candidate);
      if (d > bound || d > bestDistance) continue;
      // At equal distance, the word with the same letters wins ("alerst" is "alerts", not "alert").
      const anagram = [...candidate].sort().join('') === sorted;
      if (d < bestDistance) {
        [best, bestDistance, rivals] = [candidate, d, 0];
      } else if (anagram && [...best!].sort().join('') !== sorted) {
        best = candidate;
      } else if (!(!anagram && [...best!].sort().join('') === sorted)) {
        rivals++;
      }
    }
  }
  if (best === undefined || rivals > 0) return undefined;
  // An action verb is corrected only when one edit away (and, as every word, the only candidate that close).
  if (vocabulary.actionVerbs.has(best) && bestDistance > 1) return undefined;
  return best;
}
