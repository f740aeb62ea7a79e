/*
 * Text helpers for cards. Text that comes from Defender (titles, device names, file names, command lines)
 * is attacker-influenced: cards put it only in RichTextBlock TextRuns, which Adaptive Cards never parse as
 * markdown, so it is shown exactly as written (analysts copy hashes and command lines from cards). These
 * helpers only bound its length and drop control characters that could break layout.
 */

import type { Translator } from '../i18n/translator';
import { ENGLISH } from './labels';

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

/** "3 min ago", "5 h ago", "2 d ago" relative to `now` in the viewer's language; a date beyond 30 days. */
export function formatAge(iso: string | null | undefined, now: Date, i18n: Translator = ENGLISH): string {
  if (!iso) return i18n.t('card.time.unknown');
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return i18n.t('card.time.unknown');
  const minutes = Math.max(0, Math.round((now.getTime() - then) / 60_000));
  if (minutes < 1) return i18n.t('card.time.justNow');
  if (minutes < 60) return i18n.t('card.time.minutesAgo', { minutes });
  const hours = Math.round(minutes / 60);
  if (hours < 48) return i18n.t('card.time.hoursAgo', { hours });
  const days = Math.round(hours / 24);
  if (days <= 30) return i18n.t('card.time.daysAgo', { days });
  return formatTimestamp(iso, i18n);
}

/**
 * One unambiguous date and time for every card: "2026-11-22 08:36 UTC" when no viewer is known (background
 * cards, logs), else the viewer's own format and time zone ("22 de nov. de 2026, 05:36").
 */
export function formatTimestamp(iso: string | null | undefined, i18n?: Translator): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  if (i18n && i18n !== ENGLISH) return i18n.dateTime(date);
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "in 25 min", "in 2 h" — how long until `iso`; "now" once it has passed. */
export function formatUntil(iso: string | null | undefined, now: Date, i18n: Translator = ENGLISH): string {
  if (!iso) return i18n.t('card.time.unknown');
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return i18n.t('card.time.unknown');
  const minutes = Math.round((then - now.getTime()) / 60_000);
  if (minutes <= 0) return i18n.t('card.time.now');
  if (minutes < 60) return i18n.t('card.time.inMinutes', { minutes });
  return i18n.t('card.time.inHours', { hours: Math.round(minutes / 60) });
}
