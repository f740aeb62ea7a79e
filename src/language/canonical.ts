import { english } from '../commands/phrasebook';
import { DETERMINATIONS_BY_CLASSIFICATION } from '../graph/graphSchemas';
import type { Vocabulary } from './fuzzy';
import { correctTypo, vocabularyOf } from './fuzzy';
import { fold, looksLikeEntity, normaliseMessage } from './normalise';
import { PORTUGUESE, VERBATIM_AFTER } from './portuguese';

/*
 * Rewrites a forgiving message into the bot's canonical English phrasing, which the strict grammar of
 * parseCommand.ts then reads: emoji and punctuation dropped, typos in command words corrected (only when certain,
 * never in names or ids), Portuguese translated word by word with Microsoft's pt-BR terms, politeness ("now",
 * "I'd like to") dropped, and questions ("is ws-fin-042 isolated?") turned into the command they ask for. Names,
 * ids and the reason after "because"/"porque" pass through exactly as typed.
 */

/** What the rewrite produced, and what it had to do to get there. */
export interface CanonicalMessage {
  /** The message in canonical English (names, ids and the reason as typed). */
  text: string;
  /** True when the message was read as Portuguese. */
  portuguese: boolean;
  /** The command words corrected ("isolaet" → "isolate"). */
  corrections: { typed: string; read: string }[];
}

/** Verbs that start a response action or another write, English and Portuguese: typos held to one edit. */
const ACTION_VERBS = [
  'isolate',
  'release',
  'unisolate',
  'restrict',
  'unrestrict',
  'scan',
  'collect',
  'quarantine',
  'cancel',
  'resolve',
  'isolar',
  'liberar',
  'desisolar',
  'restringir',
  'verificar',
  'escanear',
  'coletar',
  'quarentena',
  'resolver',
];

/** English words the grammar knows beyond the phrasebook's lists (verbs of the action patterns, question words). */
const MORE_ENGLISH = `isolate isolated release unisolate restrict unrestrict remove lift scan run antivirus av collect
  investigation package stop quarantine file cancel action actions history response approvals pending use this
  channel chat audit trail user resolve close incident subscribe unsubscribe subscriptions notifications snooze mute
  unmute pause resume unsnooze tagged tag group category is was who working owns handling looking status state health
  risk details how doing online offline healthy language english portuguese yesterday since monday tuesday wednesday
  thursday friday saturday sunday approve reject deny tenants customers customer onboard offboard bind unbind serve
  serving here bindings connect tenant consent admin grant selectively selective fully full quick apps app
  application applications execution code restriction restrictions from isolation to as because reason like want
  need would go ahead lets let's can could you we please thanks thank now asap kindly hi hello hey okay bot it that
  should did does isolou`;

/** Portuguese words that are also English (or too short to tell): they never make a message Portuguese alone. */
const AMBIGUOUS = new Set([
  'a',
  'e',
  'o',
  'as',
  'do',
  'no',
  'de',
  'online',
  'status',
  'menu',
  'pro',
  'ha',
  'pf',
  'for',
]);

/**
 * Words a typo is never corrected into: they carry no meaning, so reading an unknown word as one of them would
 * widen the request ("alerts lately" must not become "alerts latest" = all alerts).
 */
const NEVER_A_CORRECTION = new Set(
  'the a an any me are there recent latest of that were created raised in do we i have got currently right is who what which with or and'.split(
    ' ',
  ),
);

/** Words after which the next word is a name or an id: never corrected. */
const ENTITY_BEFORE = new Set(
  `device machine host computer endpoint on for from of no na em do da de alert alerta incident incidente customer
   cliente group grupo tagged tag category categoria user usuario file arquivo dispositivo maquina computador
   ${ACTION_VERBS.join(' ')} isole isola libere restrinja verifique escaneie colete`
    .split(/\s+/)
    .filter((w) => w.length > 0),
);

/** Words and phrases dropped wherever they stand: they change how a request sounds, not what it asks. */
const DROPPED = [
  'please',
  'right now',
  'now',
  'asap',
  'immediately',
  'urgently',
  'quickly',
  'pls',
  'plz',
  'thanks',
  'thank you',
  'kindly',
];
/** Openings dropped at the start ("hi bot, I'd like to …"). */
const OPENINGS = [
  'hi',
  'hello',
  'hey',
  'ok',
  'okay',
  'bot',
  'i want to',
  'i would like to',
  "i'd like to",
  'i need to',
  'we need to',
  'go ahead and',
  "let's",
  'lets',
  'i want',
  'can we',
];

/** Questions and the command they ask for ($<x> is the name or id, as typed). */
const QUESTIONS: { pattern: RegExp; command: string }[] = [
  {
    pattern:
      /^(?:is|was|are)\s+(?:the\s+)?(?:(?:device|machine|host|computer)\s+)?(?<x>(?=\S*[0-9._-])\S+)\s+(?:still\s+)?(?:isolated|online|offline|healthy|ok|okay|onboarded|active|inactive|at\s+risk|risky|infected|compromised|contained|up)$/i,
    command: 'device $<x>',
  },
  {
    pattern:
      /^(?:the\s+)?(?:(?:device|machine|host|computer)\s+)?(?<x>(?=\S*[0-9._-])\S+)\s+is\s+(?:still\s+)?(?:isolated|online|offline|healthy|ok|active|at\s+risk)$/i,
    command: 'device $<x>',
  },
  {
    pattern:
      /^(?:(?:what|which)(?:'s|\s+is)?\s+)?(?:is\s+)?(?:the\s+)?(?:status|state|health|risk(?:\s+level)?|details?|info)\s+(?:of|for|on)\s+(?:the\s+)?(?:(?:device|machine|host|computer)\s+)?(?<x>(?=\S*[0-9._-])\S+)$/i,
    command: 'device $<x>',
  },
  {
    pattern: /^how\s+is\s+(?:the\s+)?(?:(?:device|machine|host)\s+)?(?<x>(?=\S*[0-9._-])\S+)(?:\s+doing)?$/i,
    command: 'device $<x>',
  },
  {
    pattern:
      /^(?:who(?:'s|\s+is)?\s+(?:working\s+on|assigned\s+to|handling|looking\s+at|investigating|on)|who\s+owns|(?:what|which)(?:'s|\s+is)?\s+(?:about|with|the\s+status\s+of|the\s+status\s+on)|status\s+of|what\s+happened\s+(?:in|with|on)|what(?:'s|\s+is)\s+happening\s+(?:in|with|on))\s+(?:the\s+)?alert\s+(?<x>\S+)$/i,
    command: 'alert $<x>',
  },
  {
    pattern:
      /^(?:who(?:'s|\s+is)?\s+(?:working\s+on|assigned\s+to|handling|looking\s+at|investigating|on)|who\s+owns|(?:what|which)(?:'s|\s+is)?\s+(?:about|with|the\s+status\s+of|the\s+status\s+on)|status\s+of|what\s+happened\s+(?:in|with|on)|what(?:'s|\s+is)\s+happening\s+(?:in|with|on))\s+(?:the\s+)?incident\s+(?<x>#?\d{1,20})$/i,
    command: 'incident $<x>',
  },
];

/** English vocabulary of the phrasebook and the grammar, folded. */
function englishWords(): Set<string> {
  const pb = english;
  const phrases = [
    ...pb.help,
    ...pb.connectTenant,
    ...pb.leadIns,
    ...pb.alertSingular,
    ...pb.alertPlural,
    ...pb.deviceNouns,
    ...pb.deviceQualifiers,
    ...pb.devicePrepositions,
    ...Object.values<string[]>(pb.severities).flat(),
    ...Object.values<string[]>(pb.statuses.only).flat(),
    ...pb.statuses.unresolved,
    ...pb.statuses.all,
    ...pb.assignedToMe,
    ...pb.time.recentWords,
    ...Object.values<string[]>(pb.time.units).flat(),
    ...Object.keys(pb.time.fixed),
    ...pb.fillers,
    ...pb.incidents.singular,
    ...pb.incidents.plural,
    ...pb.incidents.numberWords,
    ...pb.incidents.unassigned,
    ...Object.values<string[]>(pb.incidents.statuses).flat(),
    ...pb.notifications.verbs,
    ...Object.keys(pb.notifications.snoozeUnits),
    ...Object.keys(pb.notifications.severityWords),
    ...Object.keys(pb.notifications.topicWords),
    ...Object.keys(pb.classificationWords),
    ...Object.keys(pb.variants),
    ...Object.values(DETERMINATIONS_BY_CLASSIFICATION)
      .flat()
      .map((d) => d.replace(/([a-z])([A-Z])/g, '$1 $2')),
    ...pb.examples.map((e) => e.command.replace(/NAME|ALERT-ID|NUMBER|SHA1|REASON/g, '')),
    MORE_ENGLISH,
  ];
  return new Set(
    phrases
      .flatMap((p) => p.split(/\s+/))
      .map(fold)
      .filter((w) => w.length > 0 && !/\d/.test(w)),
  );
}

interface Lexicon {
  /** Portuguese phrases (folded, as word arrays) by their first word, longest first. */
  byFirstWord: Map<string, { words: string[]; english: string[]; accented: boolean }[]>;
  english: Set<string>;
  vocabulary: Vocabulary;
  /** Portuguese words that are not English: one of them makes a message Portuguese. */
  portugueseOnly: Set<string>;
}

let built: Lexicon | undefined;

function lexicon(): Lexicon {
  if (built) return built;
  const englishSet = englishWords();
  const byFirstWord: Lexicon['byFirstWord'] = new Map();
  const portugueseWords = new Set<string>();
  const dropped = new Set<string>();
  for (const [portuguese, translation] of PORTUGUESE) {
    const words = portuguese.split(' ');
    const folded = words.map(fold);
    if (words.length === 1 && translation.split(' ').every((w) => w === '' || NEVER_A_CORRECTION.has(w)))
      dropped.add(folded[0]!);
    // "é" (is) and "e" (and) differ only by the accent: such a phrase matches only as typed.
    const accented = folded.some((w, k) => w !== words[k]!.toLowerCase() && w.length === 1);
    const entry = { words: accented ? words : folded, english: translation.split(' ').filter((w) => w), accented };
    const key = entry.words[0]!;
    byFirstWord.set(
      key,
      [...(byFirstWord.get(key) ?? []), entry].sort((a, b) => b.words.length - a.words.length),
    );
    for (const w of folded) portugueseWords.add(w);
  }
  const portugueseOnly = new Set([...portugueseWords].filter((w) => !englishSet.has(w) && !AMBIGUOUS.has(w)));
  built = {
    byFirstWord,
    english: englishSet,
    vocabulary: vocabularyOf(
      [...englishSet, ...portugueseWords],
      ACTION_VERBS,
      new Set([...NEVER_A_CORRECTION, ...dropped]),
    ),
    portugueseOnly,
  };
  return built;
}

/** Rewrites a message into canonical English (see the file comment). */
export function toCanonicalEnglish(text: string): CanonicalMessage {
  const lex = lexicon();
  const { words: typed, reason } = normaliseMessage(text);
  const corrections: CanonicalMessage['corrections'] = [];

  // 1. Typos in command words, never in a name or an id, nor after a customer verb (the rest is a name).
  const words: string[] = [];
  let verbatimFrom = typed.length;
  for (let i = 0; i < typed.length; i++) {
    const word = typed[i]!;
    const previous = fold(words[i - 1] ?? '');
    const protectedWord = looksLikeEntity(word) || ENTITY_BEFORE.has(previous) || i >= verbatimFrom;
    const read = protectedWord ? undefined : correctTypo(fold(word), lex.vocabulary);
    if (read) corrections.push({ typed: word, read });
    words.push(read ?? word);
    if (VERBATIM_AFTER.has(fold(words.slice(0, i + 1).join(' ')))) verbatimFrom = i + 1;
  }

  // 2. Portuguese, when a word only Portuguese has is in the message.
  const portuguese = words.some((w) => lex.portugueseOnly.has(fold(w)));
  const out = portuguese ? translate(words, lex) : words;

  // 3. Politeness and openings.
  const kept = dropPhrases(out, DROPPED, false);
  let sentence = dropPhrases(kept, OPENINGS, true).join(' ');

  // 4. Questions that name the command they ask for.
  for (const { pattern, command } of QUESTIONS) {
    if (pattern.test(sentence)) {
      sentence = sentence.replace(pattern, command);
      break;
    }
  }
  return { text: reason ? `${sentence} because ${reason}` : sentence, portuguese, corrections };
}

/** Words of a Portuguese date ("3 de dezembro", "segunda-feira", "01/12"). */
const DATE_WORD =
  /^(?:\d{1,4}|\d{1,2}\/\d{1,2}(?:\/\d{2,4})?|de|do|janeiro|fevereiro|marco|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro|segunda|terca|quarta|quinta|sexta|sabado|domingo|segunda-feira|terca-feira|quarta-feira|quinta-feira|sexta-feira)$/;

function translate(words: string[], lex: Lexicon): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < words.length) {
    const lower = words.slice(i).map((w) => w.toLowerCase());
    const folded = lower.map(fold);
    // A phrase typed with its accents ("é") is tried before its unaccented twin ("e").
    const entry = (lower[0] === folded[0] ? [] : (lex.byFirstWord.get(lower[0]!) ?? []))
      .concat(lex.byFirstWord.get(folded[0]!) ?? [])
      .find((e) => e.words.every((w, k) => (e.accented ? lower[k] === w : folded[k] === w)));
    if (!entry) {
      out.push(words[i]!);
      i++;
      continue;
    }
    out.push(...entry.english);
    i += entry.words.length;
    // "desde 3 de dezembro": the date after "desde" is chrono's to read, in Portuguese, as typed.
    if (entry.english.join(' ') === 'desde')
      while (i < words.length && DATE_WORD.test(fold(words[i]!))) out.push(words[i++]!);
    // After a customer verb the rest is the customer's name, as typed.
    if (VERBATIM_AFTER.has(entry.english.join(' '))) {
      out.push(...words.slice(i));
      break;
    }
  }
  return out;
}

/** `words` without the phrases of `phrases` (only leading ones when `leadingOnly`), keeping at least one word. */
function dropPhrases(words: string[], phrases: string[], leadingOnly: boolean): string[] {
  const split = phrases.map((p) => p.split(' ')).sort((a, b) => b.length - a.length);
  const out: string[] = [];
  let i = 0;
  while (i < words.length) {
    const match =
      (leadingOnly && out.length > 0) || (words.length - i <= 1 && out.length === 0)
        ? undefined
        : split.find((p) => p.every((w, k) => words[i + k]?.toLowerCase() === w));
    if (match) i += match.length;
    else out.push(words[i++]!);
  }
  return out;
}
