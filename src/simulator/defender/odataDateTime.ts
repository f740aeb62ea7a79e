/*
 * DateTimeOffset handling for $filter. Defender timestamps carry 7 fractional digits (100 ns ticks), more than
 * a JS Date holds, so comparisons use bigint ticks since the Unix epoch to keep `gt` exact at that precision.
 */

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?(Z|[+-]\d{2}:\d{2})?$/i;

const TICKS_PER_MS = 10_000n;

/** Why a text is not a DateTimeOffset, or its value in 100 ns ticks since 1970-01-01T00:00:00Z. */
export type DateTimeParse = { ok: true; ticks: bigint } | { ok: false; reason: string };

/**
 * Parses an OData DateTimeOffset (or Edm.Date, read as UTC midnight) literal. A time of day without a zone is
 * refused, as ASP.NET OData does, because guessing the zone would silently shift the window being asked for.
 */
export function parseDateTimeOffset(text: string): DateTimeParse {
  const m = DATE_TIME.exec(text);
  if (!m) return { ok: false, reason: `'${text}' is not a DateTimeOffset (yyyy-mm-ddThh:mm:ss[.fffffff](Z|±hh:mm))` };
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  if (h !== undefined && zone === undefined) {
    return { ok: false, reason: `the DateTimeOffset '${text}' needs a time zone (Z or ±hh:mm)` };
  }
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h ?? '0');
  const minute = Number(mi ?? '0');
  const second = Number(s ?? '0');
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return { ok: false, reason: `the DateTimeOffset '${text}' has a field out of range` };
  }
  let offsetMinutes = 0;
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 14 || om > 59) return { ok: false, reason: `the offset in '${text}' is out of range` };
    offsetMinutes = sign * (oh * 60 + om);
  }
  const fractionTicks = BigInt((frac ?? '').padEnd(7, '0'));
  const ticks = BigInt(ms - offsetMinutes * 60_000) * TICKS_PER_MS + fractionTicks;
  return { ok: true, ticks };
}

/** Ticks of a stored entity timestamp, or undefined for null/garbage (which then matches no comparison). */
export function ticksOf(value: unknown): bigint | undefined {
  if (typeof value !== 'string') return undefined;
  const parsed = parseDateTimeOffset(value);
  return parsed.ok ? parsed.ticks : undefined;
}

/** Formats a Date the way Defender does: UTC with 7 fractional digits, e.g. 2024-05-04T14:39:38.2262283Z. */
export function toODataTimestamp(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, -1)}0000Z`;
}
