/*
 * The first step of understanding a chat message: emoji, typographic quotes and stray punctuation removed, words
 * split, and the free text after "because"/"porque" kept exactly as typed (it becomes an audit reason).
 */

/** Words after which the rest of a message is a reason, kept as typed (English and Portuguese). */
const REASON_WORD = /(^|\s)(because|reason:?|porque|pois|motivo:?)\s+/i;
/** Emoji, their modifiers and joiners: decoration, never meaning. */
const EMOJI =
  /\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Regional_Indicator}|\u{FE0F}|\u{FE0E}|\u{200D}|\u{20E3}/gu;
/** Punctuation that may wrap a word ("ws-fin-042?", "(please)", "¿") but is never part of a name or id. */
const WRAPPING_PUNCTUATION = /^[\s"'`«»¿¡()[\]{}:;!?.,…]+|[\s"'`«»¿¡()[\]{}:;!?.,…]+$/gu;

/** A message split into words (case kept) and, when it gives one, the reason as typed. */
export interface NormalisedMessage {
  words: string[];
  reason?: string | undefined;
}

/** Splits a message into words without emoji or wrapping punctuation; the reason tail is kept verbatim. */
export function normaliseMessage(text: string): NormalisedMessage {
  const clean = text
    .normalize('NFKC')
    .replace(EMOJI, ' ')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201C\u201D]/g, '"');
  const reasonAt = REASON_WORD.exec(clean);
  const head = reasonAt ? clean.slice(0, reasonAt.index) : clean;
  const reason = reasonAt ? clean.slice(reasonAt.index + reasonAt[0].length).trim() : undefined;
  const words = head
    .replace(/,/g, ' ')
    .split(/\s+/)
    .map((w) => w.replace(WRAPPING_PUNCTUATION, ''))
    .filter((w) => w.length > 0);
  return reason ? { words, reason } : { words };
}

/** Lower case without accents: how Portuguese words are compared ("Últimas" = "ultimas"). */
export function fold(word: string): string {
  return word.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
}

/** True for a word that looks like a name or id (digits, dots, dashes…): never corrected, never translated. */
export function looksLikeEntity(word: string): boolean {
  return /[0-9._@/#:\\-]/.test(word);
}
