/*
 * Text helpers for cards. Text that comes from Defender (titles, device names, file names, command lines)
 * is attacker-influenced: cards put it only in RichTextBlock TextRuns, which Adaptive Cards never parse as
 * markdown, so it is shown exactly as written (analysts copy hashes and command lines from cards). These
 * helpers only bound its length and drop control characters that could break layout.
 */

/** C0 controls except tab/newline/CR, DEL, zero-width and bidirectional overrides (layout and spoofing). */
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u200B-\u200F\u202A-\u202E\u2066-\u2069]/g;

/** Untrusted text made safe for a TextRun: no control characters, bounded length, never empty. */
export function clip(value: string | null | undefined, maxLength: number, empty = '—'): string {
  if (value === null || value === undefined) return empty;
  const cleaned = value.replace(UNSAFE_CHARACTERS, '');
  const trimmed = cleaned.trim();
  if (trimmed.length === 0) return empty;
  return trimmed.length > maxLength ? `${trimmed.slice(0, maxLength - 1)}…` : trimmed;
}

/** Untrusted text on one line (newlines and tabs become spaces), e.g. a title in a list row. */
export function clipLine(value: string | null | undefined, maxLength: number, empty = '—'): string {
  return clip(value?.replace(/[\r\n\t]+/g, ' ') ?? value, maxLength, empty);
}

/** "3 min ago", "5 h ago", "2 d ago" relative to `now`; absolute ISO date beyond 30 days. */
export function formatAge(iso: string | null | undefined, now: Date): string {
  if (!iso) return 'unknown time';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return 'unknown time';
  const minutes = Math.max(0, Math.round((now.getTime() - then) / 60_000));
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days <= 30) return `${days} d ago`;
  return formatTimestamp(iso);
}

/** "2026-11-22 08:36 UTC" — one unambiguous format for every card. */
export function formatTimestamp(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "in 25 min", "in 2 h" — how long until `iso`; "now" once it has passed. */
export function formatUntil(iso: string | null | undefined, now: Date): string {
  if (!iso) return 'unknown time';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return 'unknown time';
  const minutes = Math.round((then - now.getTime()) / 60_000);
  if (minutes <= 0) return 'now';
  if (minutes < 60) return `in ${minutes} min`;
  return `in ${Math.round(minutes / 60)} h`;
}
