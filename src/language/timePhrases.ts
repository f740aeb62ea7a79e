import * as chrono from 'chrono-node';

/*
 * Time phrases of an alert list ("yesterday", "since Monday", "this week", "ontem", "desde segunda", "hoje"), in
 * the viewer's time zone. chrono-node reads the dates in English and Portuguese; this file decides what window a
 * phrase means: a day named alone is that whole day, "since …" runs until now, "this week" starts on Monday.
 */

/** When "now" is and where the viewer is (an IANA zone such as America/Sao_Paulo). */
export interface Clock {
  now: Date;
  timeZone: string;
}

/** A window of creation times: from `since` (inclusive), until `until` (exclusive) when given. */
export interface TimeWindow {
  since: Date;
  until?: Date | undefined;
}

/** Words a time phrase may start with; any other word is never handed to chrono (cheap, and no surprises). */
const STARTS = new Set([
  'yesterday',
  'today',
  'since',
  'from',
  'this',
  'on',
  'of',
  'ontem',
  'hoje',
  'desde',
  'de',
  'do',
  'em',
  'a',
  'esta',
  'nesta',
  'essa',
  'nessa',
  'semana',
  'this',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
]);
const SINCE_ONLY = ['since', 'desde', 'a partir de'];
const THIS_WEEK = new Set(['this week', 'esta semana', 'nesta semana', 'essa semana', 'nessa semana']);
const LAST_WEEK = new Set(['from last week', 'of last week', 'semana passada']);
const THIS_MONTH = new Set(['this month', 'since the start of the month']);
/** Spans chrono reads as one day although they name a week, a month or a year: only the sets above are taken. */
const PERIOD_WORDS = /\b(?:week|weeks|month|months|year|years|semana|semanas|mes|mês|meses|ano|anos|weekend)\b/;
const TODAY = new Set(['today', 'hoje', 'since today', 'desde hoje']);
const MAX_PHRASE_WORDS = 5;
const DAY_MS = 86_400_000;

/** The longest time phrase starting at `words[i]` and its window, or undefined. */
export function matchTimePhrase(
  words: readonly string[],
  i: number,
  clock: Clock,
): { window: TimeWindow; length: number } | undefined {
  if (!STARTS.has(words[i] ?? '')) return undefined;
  // "on ws-fin-042": a name with letters and digits is no date; chrono is not asked.
  if (/\p{L}/u.test(words[i + 1] ?? '') && /\d/.test(words[i + 1] ?? '')) return undefined;
  for (let length = Math.min(MAX_PHRASE_WORDS, words.length - i); length >= 1; length--) {
    const window = windowOf(words.slice(i, i + length).join(' '), clock);
    if (window) return { window, length };
  }
  return undefined;
}

/** The window one whole phrase stands for, or undefined when chrono does not read all of it as one date. */
export function windowOf(phrase: string, clock: Clock): TimeWindow | undefined {
  const wall = wallClock(clock.now, clock.timeZone);
  const today = zonedInstant(wall.year, wall.month, wall.day, 0, 0, clock.timeZone);
  if (TODAY.has(phrase)) return { since: today };
  if (THIS_WEEK.has(phrase)) {
    const sinceMonday = (new Date(Date.UTC(wall.year, wall.month - 1, wall.day)).getUTCDay() + 6) % 7;
    const monday = new Date(Date.UTC(wall.year, wall.month - 1, wall.day - sinceMonday));
    return {
      since: zonedInstant(monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate(), 0, 0, clock.timeZone),
    };
  }
  if (LAST_WEEK.has(phrase) || THIS_MONTH.has(phrase)) {
    if (THIS_MONTH.has(phrase)) return { since: zonedInstant(wall.year, wall.month, 1, 0, 0, clock.timeZone) };
    const sinceMonday = (new Date(Date.UTC(wall.year, wall.month - 1, wall.day)).getUTCDay() + 6) % 7;
    const monday = (weeksBack: number) => {
      const day = new Date(Date.UTC(wall.year, wall.month - 1, wall.day - sinceMonday - 7 * weeksBack));
      return zonedInstant(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), 0, 0, clock.timeZone);
    };
    return { since: monday(1), until: monday(0) };
  }
  if (PERIOD_WORDS.test(phrase)) return undefined;
  const lead = SINCE_ONLY.find((w) => phrase.startsWith(`${w} `));
  const dayLead = ['from', 'on', 'of', 'de', 'do', 'em'].find((w) => phrase.startsWith(`${w} `));
  const rest = lead ? phrase.slice(lead.length + 1) : dayLead ? phrase.slice(dayLead.length + 1) : phrase;
  // chrono reads the words against the viewer's wall clock, given to it as if it were UTC.
  const reference = {
    instant: new Date(Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute)),
    timezone: 0,
  };
  const result = [chrono.en, chrono.pt]
    .map((parser) => parser.parse(rest, reference, { forwardDate: false }))
    .find((results) => results.length === 1 && results[0]!.index === 0 && results[0]!.text.length === rest.length)?.[0];
  if (!result) return undefined;
  const start = result.start;
  const hourKnown = start.isCertain('hour');
  let day = Date.UTC(
    start.get('year') ?? wall.year,
    (start.get('month') ?? wall.month) - 1,
    start.get('day') ?? wall.day,
  );
  // "since Friday" on a Tuesday is last Friday, never next one.
  while (day > Date.UTC(wall.year, wall.month - 1, wall.day)) {
    if (!start.isCertain('weekday') || start.isCertain('day')) return undefined;
    day -= 7 * DAY_MS;
  }
  const date = new Date(day);
  const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
  const since = zonedInstant(
    y,
    m,
    d,
    hourKnown ? (start.get('hour') ?? 0) : 0,
    hourKnown ? (start.get('minute') ?? 0) : 0,
    clock.timeZone,
  );
  if (since.getTime() > clock.now.getTime()) return undefined;
  if (lead || hourKnown) return { since };
  const next = new Date(day + DAY_MS);
  return {
    since,
    until: zonedInstant(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), 0, 0, clock.timeZone),
  };
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const FORMATTERS = new Map<string, Intl.DateTimeFormat>();

/** The date and time on the wall of `timeZone` at `instant`. */
function wallClock(instant: Date, timeZone: string): WallClock {
  let formatter = FORMATTERS.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    FORMATTERS.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(instant).map((p) => [p.type, Number(p.value)]));
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute! };
}

/** The instant at which the wall of `timeZone` shows this date and time (the earlier one across a DST change). */
function zonedInstant(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): Date {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  let guess = asUtc;
  for (let k = 0; k < 2; k++) {
    const w = wallClock(new Date(guess), timeZone);
    const offset = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) - guess;
    guess = asUtc - offset;
  }
  return new Date(guess);
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
