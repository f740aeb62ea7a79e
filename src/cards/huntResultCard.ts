import type { HuntingColumn, HuntingResultRow } from '../hunting/huntingTypes';
import type { HuntResultHeader, HuntSort } from '../hunting/huntResultStore';
import { isEmptyCell, ROWS_PER_PAGE } from '../hunting/huntResultStore';
import type { Translator } from '../i18n/translator';
import { ENGLISH } from './labels';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import template from './templates/huntResult.json';
import { formatTimestamp } from './text';
import { clipLineBytes } from './textBytes';
import { words } from './words';

/** Columns a result card shows at most (the CSV has them all). */
export const HUNT_CARD_COLUMNS = 5;

/** Columns people look at first in Defender's hunting results, in this order; count columns come next. */
export const PREFERRED_HUNT_COLUMNS = [
  'Timestamp',
  'DeviceName',
  'FileName',
  'ProcessCommandLine',
  'RemoteIP',
  'RemoteUrl',
  'AccountName',
] as const;

/** Columns offered in the "Sort by" list at most (each twice: ascending and descending). */
const SORTABLE_COLUMNS = 8;

/**
 * Bytes (of the card's JSON) each piece of attacker-influenced text may take. A card with 10 rows × 5 columns at
 * these caps, every sort choice and a customer banner weighs under 26 KB, inside MAX_CARD_BYTES (28 KB), whatever the
 * script or punctuation of the cells (test/hunting/huntResultCard.test.ts fills every cell to the cap).
 */
export const HUNT_CARD_TEXT_BYTES = { cell: 220, header: 80, title: 400, moreColumns: 300 } as const;

/** The hunting quota Microsoft documents per tenant: calls per minute and per hour. */
export const HUNTING_QUOTA = { perMinute: 45, perHour: 1_500 } as const;

/** What a result card shows: the stored result's header, the page's rows, and how they are ordered. */
export interface HuntResultCardInput {
  header: HuntResultHeader;
  page: number;
  rows: readonly HuntingResultRow[];
  sort?: HuntSort | undefined;
  /** The sorted page asked for lies beyond what sorted browsing serves (MAX_SORTED_ROWS). */
  sortedLimit?: number | undefined;
}

/**
 * The hunt result card: title, row count, time taken, quota used, a table of the first columns that matter (10 rows a
 * page), Previous/Next, a "Sort by" list and "Download CSV". Buttons carry only the result id, the page and the sort.
 */
export function toHuntResultCard(input: HuntResultCardInput, i18n: Translator = ENGLISH): AdaptiveCardJson {
  const { header, rows, sort } = input;
  const pageCount = Math.max(1, Math.ceil(header.rowCount / ROWS_PER_PAGE));
  const page = Math.min(Math.max(0, input.page), pageCount - 1);
  const shown = chooseHuntColumns(header);
  const others = header.filledColumns.filter((name) => !shown.some((c) => c.name === name));
  const seconds = Math.round(header.timing.elapsedMs / 100) / 10;
  const first = page * ROWS_PER_PAGE + 1;
  const last = page * ROWS_PER_PAGE + rows.length;
  const showing =
    rows.length === 0
      ? ''
      : sort
        ? i18n.t('huntResults.showingSorted', {
            first,
            last,
            total: header.rowCount,
            column: clipLineBytes(sort.column, 64, HUNT_CARD_TEXT_BYTES.header),
            direction: sort.direction,
          })
        : i18n.t('huntResults.showing', { first, last, total: header.rowCount });
  const notices = [
    ...(input.sortedLimit !== undefined ? [i18n.t('huntResults.sortedLimit', { max: input.sortedLimit })] : []),
    ...(others.length > 0
      ? [
          i18n.t('huntResults.moreColumns', {
            count: others.length,
            names: clipLineBytes(others.join(', '), 300, HUNT_CARD_TEXT_BYTES.moreColumns),
          }),
        ]
      : []),
  ];
  const data = (extra: object) => ({ resultId: header.id, ...(sort ? { sort: sortValue(sort) } : {}), ...extra });
  return renderCard(template, {
    w: words(i18n, 'huntResults', ['sortBy', 'sort', 'previous', 'next', 'downloadCsv']),
    title: clipLineBytes(header.title, 200, HUNT_CARD_TEXT_BYTES.title),
    summary: header.truncated
      ? i18n.t('huntResults.summaryTruncated', { rows: header.rowCount, seconds })
      : i18n.t('huntResults.summary', { rows: header.rowCount, seconds }),
    quota: i18n.t('huntResults.quota', {
      minute: header.timing.callsThisMinute,
      minuteLimit: HUNTING_QUOTA.perMinute,
      hour: header.timing.callsThisHour,
      hourLimit: HUNTING_QUOTA.perHour,
    }),
    notice: notices.join(' '),
    emptyText: i18n.t(rows.length > 0 ? 'huntResults.allEmpty' : 'huntResults.empty'),
    headers: shown.map((c) => ({ name: clipLineBytes(c.name, 64, HUNT_CARD_TEXT_BYTES.header) })),
    // Rows whose every column is empty have nothing to show: the card says so (the CSV still has them).
    rows:
      shown.length === 0
        ? []
        : rows.map((row) => ({ cells: shown.map((c) => ({ text: cellText(row[c.name], c, i18n) })) })),
    showing,
    sortValue: sort ? sortValue(sort) : 'none',
    sortChoices: rows.length > 0 && header.rowCount > 1 ? sortChoices(header, i18n) : [],
    hasPrevious: page > 0,
    previous: data({ page: page - 1 }),
    hasNext: page < pageCount - 1,
    next: data({ page: page + 1 }),
    sortData: { resultId: header.id },
    csvData: { resultId: header.id },
  });
}

/**
 * The columns a card shows: the preferred ones, then counts (`count_`, `dcount_…`, `…Count`), then the rest in the
 * answer's order, skipping columns empty in every row; at most HUNT_CARD_COLUMNS, in that order.
 */
export function chooseHuntColumns(header: Pick<HuntResultHeader, 'columns' | 'filledColumns'>): HuntingColumn[] {
  const filled = new Set(header.filledColumns);
  const candidates = header.columns.filter((c) => filled.has(c.name));
  const rank = (column: HuntingColumn): number => {
    const preferred = (PREFERRED_HUNT_COLUMNS as readonly string[]).indexOf(column.name);
    if (preferred >= 0) return preferred;
    return /count/i.test(column.name) ? PREFERRED_HUNT_COLUMNS.length : PREFERRED_HUNT_COLUMNS.length + 1;
  };
  return candidates
    .map((column, index) => ({ column, index }))
    .sort((a, b) => rank(a.column) - rank(b.column) || a.index - b.index)
    .slice(0, HUNT_CARD_COLUMNS)
    .map((e) => e.column);
}

/**
 * Whether the "Sort by" list offers a column: its name travels whole in the choice's value and the buttons' data, so
 * only plain names (what KQL writes without brackets, plus spaces, dots and dashes) of at most 64 characters.
 */
export function isSortableColumn(name: string): boolean {
  return /^[A-Za-z0-9_ .-]{1,64}$/.test(name);
}

/** A sort as the "Sort by" list and card data spell it: `Column:asc`, `Column:desc`. */
export function sortValue(sort: HuntSort): string {
  return `${sort.column}:${sort.direction}`;
}

function sortChoices(header: HuntResultHeader, i18n: Translator): { title: string; value: string }[] {
  const columns = [
    ...chooseHuntColumns(header),
    ...header.columns.filter((c) => header.filledColumns.includes(c.name)),
  ].filter((c, index, all) => isSortableColumn(c.name) && all.findIndex((o) => o.name === c.name) === index);
  return [
    { title: i18n.t('huntResults.answerOrder'), value: 'none' },
    ...columns.slice(0, SORTABLE_COLUMNS).flatMap((c) => {
      const column = clipLineBytes(c.name, 64, HUNT_CARD_TEXT_BYTES.header);
      return [
        { title: i18n.t('huntResults.ascending', { column }), value: sortValue({ column: c.name, direction: 'asc' }) },
        {
          title: i18n.t('huntResults.descending', { column }),
          value: sortValue({ column: c.name, direction: 'desc' }),
        },
      ];
    }),
  ];
}

/** One cell as the viewer reads it: dates in their zone, numbers in their format, the rest on one clipped line. */
function cellText(value: unknown, column: HuntingColumn, i18n: Translator): string {
  if (isEmptyCell(value)) return '—';
  if (column.type === 'DateTime' && typeof value === 'string' && !Number.isNaN(Date.parse(value)))
    return formatTimestamp(value, i18n);
  if (typeof value === 'number') return i18n.number(value);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return clipLineBytes(text, 120, HUNT_CARD_TEXT_BYTES.cell);
}
