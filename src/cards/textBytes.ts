/*
 * Byte-aware clipping. A card's size limit is in bytes of its JSON (renderCard), but `clip` counts UTF-16 code units:
 * 500 CJK characters weigh 1,500 bytes and 500 quotes 1,000 (each becomes `\"`). A field capped here in bytes keeps
 * its share of the card budget whatever script or punctuation the (attacker-influenced) text is written in.
 */
import { clip, clipLine } from './text';

/** Bytes a string adds to a card's JSON: UTF-8, with JSON's escapes (`\"`, `\n`, `\ud800`), without the quotes. */
export function jsonBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text)) - 2;
}

/** `clip`, then shortened by whole code points until its JSON form fits `maxBytes` (ending with "…"). */
export function clipBytes(value: string | null | undefined, maxChars: number, maxBytes: number, empty = '—'): string {
  return fitBytes(clip(value, maxChars, empty), maxBytes);
}

/** `clipLine` (one line), then shortened by whole code points until its JSON form fits `maxBytes`. */
export function clipLineBytes(
  value: string | null | undefined,
  maxChars: number,
  maxBytes: number,
  empty = '—',
): string {
  return fitBytes(clipLine(value, maxChars, empty), maxBytes);
}

/** The longest prefix of `text` (whole code points) that, with "…", fits `maxBytes`; `text` itself when it fits. */
function fitBytes(text: string, maxBytes: number): string {
  if (jsonBytes(text) <= maxBytes) return text;
  const codePoints = Array.from(text);
  let fits = 0;
  let tooLong = codePoints.length;
  // Binary search on the prefix length: jsonBytes grows with it.
  while (tooLong - fits > 1) {
    const length = Math.floor((fits + tooLong) / 2);
    if (jsonBytes(`${codePoints.slice(0, length).join('')}…`) <= maxBytes) fits = length;
    else tooLong = length;
  }
  return `${codePoints.slice(0, fits).join('').trimEnd()}…`;
}
