import { GraphApiError } from '../graphError';

/** Advanced hunting reads at most the last 30 days (defender-api.md §5.1–5.3). */
export const HUNTING_RETENTION_MS = 30 * 86_400_000;

/** The time window a query reads: events with start ≤ Timestamp ≤ end (ms since the epoch). */
export interface HuntingWindow {
  start: number;
  end: number;
}

const DURATION =
  /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

function durationMs(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (match === null || text.toUpperCase() === 'P' || /T$/i.test(text)) return undefined;
  const [, y, mo, w, d, h, mi, s] = match.map((part) => (part === undefined ? 0 : Number(part)));
  return (
    (y ?? 0) * 365 * 86_400_000 +
    (mo ?? 0) * 30 * 86_400_000 +
    (w ?? 0) * 7 * 86_400_000 +
    (d ?? 0) * 86_400_000 +
    (h ?? 0) * 3_600_000 +
    (mi ?? 0) * 60_000 +
    (s ?? 0) * 1000
  );
}

function instantMs(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/i.test(text)) return undefined;
  const ms = Date.parse(/T/i.test(text) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? `${text}Z` : text);
  return Number.isNaN(ms) ? undefined : ms;
}

function invalid(timespan: string): GraphApiError {
  return new GraphApiError(
    400,
    'BadRequest',
    `Invalid Timespan '${timespan}': expected an ISO 8601 duration (P30D), start/end, duration/end, start/duration or a start time.`,
  );
}

/**
 * The window of a `runHuntingQuery` body's `Timespan` (ISO 8601: `P30D`, `start/end`, `P30D/end`, `start/P30D`,
 * or a start time; default the last 30 days), never reaching further back than 30 days before `now`.
 */
export function huntingWindowOf(timespan: string | undefined, now: number): HuntingWindow {
  const oldest = now - HUNTING_RETENTION_MS;
  if (timespan === undefined || timespan.trim() === '') return { start: oldest, end: now };
  const parts = timespan.trim().split('/');
  let start: number | undefined;
  let end: number | undefined;
  if (parts.length === 1) {
    const only = parts[0]!;
    const span = durationMs(only);
    if (span !== undefined) [start, end] = [now - span, now];
    else [start, end] = [instantMs(only), now];
  } else if (parts.length === 2) {
    const [a, b] = parts as [string, string];
    const spanA = durationMs(a);
    const spanB = durationMs(b);
    if (spanA !== undefined && spanB === undefined) {
      end = instantMs(b);
      start = end === undefined ? undefined : end - spanA;
    } else if (spanA === undefined && spanB !== undefined) {
      start = instantMs(a);
      end = start === undefined ? undefined : start + spanB;
    } else if (spanA === undefined && spanB === undefined) {
      [start, end] = [instantMs(a), instantMs(b)];
    }
  }
  if (start === undefined || end === undefined || start > end) throw invalid(timespan);
  return { start: Math.max(start, oldest), end };
}
