import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Storage } from '../storage/storage';
import { CREATE_ONLY_ETAG } from '../storage/storage';
import { StorageError } from '../storage/storageError';
import type { HuntingAnswer, HuntingResultRow, HuntRequest, HuntTiming } from './huntingTypes';
import { csvRowBytes, csvHeaderBytes } from './huntResultCsv';
import { recordHuntResult } from './huntResultIndex';

/*
 * A hunt's answer kept for paging, sorting and the CSV: the rows are streamed from the answer into Storage in chunks
 * (one chunk in memory at a time), under a random id, owned by one person in one tenant, for 24 hours. The header,
 * which is what makes a result readable, is written last: a hunt interrupted by a storage outage leaves nothing
 * anyone can open, never half a result. Every instance reads the same Storage, so page 2 may be served by another.
 * Before any row is written the id goes into the hour's index (huntResultIndex.ts), from which the sweep
 * (huntResultSweeper.ts) removes every result once it has expired, reopened or not.
 */

/** The documented ceiling of a `runHuntingQuery` answer; rows past it are not kept (the card says so). */
export const MAX_STORED_ROWS = 100_000;
/** Rows per stored chunk. */
export const CHUNK_ROWS = 500;
/** A chunk is written early once its JSON reaches this size (rows with large Object cells). */
export const CHUNK_MAX_BYTES = 2 * 1024 * 1024;
/** How long a result can be paged, sorted or downloaded. */
export const RESULT_TTL_MS = 24 * 60 * 60_000;
/** Rows per card page. */
export const ROWS_PER_PAGE = 10;
/**
 * Sorted browsing keeps the top (page + 1) × 10 rows while streaming every chunk: it stops at this many rows so
 * memory stays bounded whatever the page asked for (the CSV has every row).
 */
export const MAX_SORTED_ROWS = 2_000;

/** A result id as cards carry it. */
export const HUNT_RESULT_ID_PATTERN = /^H-[A-Za-z0-9_-]{24}$/;

/** Who may read a result: the person who ran the hunt (their home tenant and object id) and the tenant hunted. */
export interface HuntResultOwner {
  /** The Defender tenant the hunt ran in (a customer's in partner context). */
  tenantId: string;
  /** The person's Entra object id and home tenant, from their validated token. */
  userId: string;
  userTenantId: string;
}

/** A sort order: a column and a direction. */
export interface HuntSort {
  column: string;
  direction: 'asc' | 'desc';
}

const columnSchema = z.object({ name: z.string().max(256), type: z.string().max(64) });

const headerSchema = z.object({
  id: z.string().regex(HUNT_RESULT_ID_PATTERN),
  owner: z.object({ tenantId: z.string(), userId: z.string(), userTenantId: z.string() }),
  title: z.string().max(2000),
  huntName: z.string().max(200).optional(),
  columns: z.array(columnSchema).max(2000),
  /** Columns where at least one kept row has a value (the card skips the others). */
  filledColumns: z.array(z.string().max(256)).max(2000),
  rowCount: z.number().int().min(0),
  /** The answer had more rows than MAX_STORED_ROWS. */
  truncated: z.boolean(),
  chunkRowCounts: z.array(z.number().int().min(1)),
  /** Size of the CSV file of every kept row in answer order (UTF-8, BOM included): announced before uploading. */
  csvBytes: z.number().int().min(0),
  timing: z.object({ elapsedMs: z.number(), callsThisMinute: z.number(), callsThisHour: z.number() }),
  createdAt: z.string(),
  expiresAt: z.string(),
});

/** What is known about a stored result without reading its rows. */
export type HuntResultHeader = z.infer<typeof headerSchema>;

const chunkSchema = z.object({ rows: z.array(z.record(z.string(), z.unknown())) });

/** Opening a result for someone: it, or why not. */
export type OpenedHuntResult =
  | { kind: 'found'; header: HuntResultHeader }
  /** Never stored, expired, or removed: the person runs the hunt again. */
  | { kind: 'expired' }
  /** Someone else's result: refused (the caller audits it). */
  | { kind: 'notOwned'; header: HuntResultHeader };

/** A just-stored result and its first rows (what the first card shows, read before they reached Storage). */
export interface SavedHuntResult {
  header: HuntResultHeader;
  firstPage: HuntingResultRow[];
}

/** How a store is built: its Storage, clock and (tests, bench) chunking. */
export interface HuntResultStoreOptions {
  storage: Storage;
  now: () => Date;
  chunkRows?: number;
  maxRows?: number;
}

/** Stores hunt answers in chunks and reads them back a page, a sorted page or a chunk at a time. */
export class HuntResultStore {
  private readonly chunkRows: number;
  private readonly maxRows: number;

  constructor(private readonly options: HuntResultStoreOptions) {
    this.chunkRows = options.chunkRows ?? CHUNK_ROWS;
    this.maxRows = options.maxRows ?? MAX_STORED_ROWS;
  }

  /**
   * Streams `answer` into Storage for `owner` and resolves with the header and the first page. Holds one chunk and
   * the first page at most. A storage failure rejects (StorageError) and leaves no readable result.
   */
  async save(
    owner: HuntResultOwner,
    request: HuntRequest,
    answer: HuntingAnswer,
    timing: () => HuntTiming,
  ): Promise<SavedHuntResult> {
    const id = `H-${randomBytes(18).toString('base64url')}`;
    const firstPage: HuntingResultRow[] = [];
    const filled = new Set<string>();
    const csvBytesByColumn = new Map<string, number>();
    const chunkRowCounts: number[] = [];
    let chunk: HuntingResultRow[] = [];
    let chunkBytes = 0;
    let rowCount = 0;
    let truncated = false;
    await recordHuntResult(this.options.storage, id, this.options.now());
    const flush = async () => {
      if (chunk.length === 0) return;
      await this.options.storage.write({
        [chunkKey(id, chunkRowCounts.length)]: { rows: chunk, eTag: CREATE_ONLY_ETAG },
      });
      chunkRowCounts.push(chunk.length);
      chunk = [];
      chunkBytes = 0;
    };
    try {
      for await (const row of answer.rows) {
        if (rowCount >= this.maxRows) {
          // Read to the end anyway: the answer's schema may come after its rows.
          truncated = true;
          continue;
        }
        rowCount += 1;
        if (firstPage.length < ROWS_PER_PAGE) firstPage.push(row);
        for (const [name, value] of Object.entries(row)) {
          if (!isEmptyCell(value)) filled.add(name);
          csvBytesByColumn.set(name, (csvBytesByColumn.get(name) ?? 0) + csvRowBytes(value));
        }
        chunk.push(row);
        chunkBytes += JSON.stringify(row).length;
        if (chunk.length >= this.chunkRows || chunkBytes >= CHUNK_MAX_BYTES) await flush();
      }
      await flush();
    } catch (err) {
      // The answer or the store failed midway: nothing is readable without a header; the chunks written go too.
      await this.options.storage.delete(chunkRowCounts.map((_, index) => chunkKey(id, index))).catch(() => undefined);
      throw err;
    }
    const columns = (await answer.columns()).map((c) => ({ name: c.name, type: c.type }));
    const now = this.options.now();
    const measured = timing();
    const header: HuntResultHeader = {
      id,
      owner,
      title: request.title,
      ...(request.huntName ? { huntName: request.huntName } : {}),
      columns,
      filledColumns: columns.filter((c) => filled.has(c.name)).map((c) => c.name),
      rowCount,
      truncated,
      chunkRowCounts,
      csvBytes:
        csvHeaderBytes(columns) +
        columns.reduce((sum, c) => sum + (csvBytesByColumn.get(c.name) ?? 0), 0) +
        // Separators and CRLF of every row.
        rowCount * (Math.max(0, columns.length - 1) + 2),
      timing: {
        elapsedMs: measured.elapsedMs,
        callsThisMinute: measured.callsThisMinute,
        callsThisHour: measured.callsThisHour,
      },
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + RESULT_TTL_MS).toISOString(),
    };
    await this.options.storage.write({ [headerKey(id)]: { ...header, eTag: CREATE_ONLY_ETAG } });
    return { header, firstPage };
  }

  /** Opens a result for `reader`: found, expired (or unknown), or someone else's. */
  async open(id: string, reader: HuntResultOwner): Promise<OpenedHuntResult> {
    if (!HUNT_RESULT_ID_PATTERN.test(id)) return { kind: 'expired' };
    const stored = (await this.options.storage.read([headerKey(id)]))[headerKey(id)];
    if (stored === undefined) return { kind: 'expired' };
    const { eTag: _eTag, ...fields } = stored as Record<string, unknown>;
    const parsed = headerSchema.safeParse(fields);
    if (!parsed.success) throw new StorageError('corruptItem', headerKey(id), 'hunt result header is malformed');
    const header = parsed.data;
    if (!isOwner(header.owner, reader)) return { kind: 'notOwned', header };
    if (Date.parse(header.expiresAt) <= this.options.now().getTime()) {
      await this.forget(header);
      return { kind: 'expired' };
    }
    return { kind: 'found', header };
  }

  /** Every kept row in answer order, one chunk in memory at a time. */
  async *rows(header: HuntResultHeader, fromChunk = 0): AsyncGenerator<HuntingResultRow> {
    for (let index = fromChunk; index < header.chunkRowCounts.length; index += 1)
      yield* await this.chunk(header, index);
  }

  /** One page of rows in answer order (reads the one or two chunks it spans). */
  async page(header: HuntResultHeader, page: number): Promise<HuntingResultRow[]> {
    const first = page * ROWS_PER_PAGE;
    let chunkStart = 0;
    let index = 0;
    while (index < header.chunkRowCounts.length && chunkStart + (header.chunkRowCounts[index] ?? 0) <= first) {
      chunkStart += header.chunkRowCounts[index] ?? 0;
      index += 1;
    }
    const out: HuntingResultRow[] = [];
    let position = chunkStart;
    for await (const row of this.rows(header, index)) {
      if (position >= first) out.push(row);
      position += 1;
      if (out.length === ROWS_PER_PAGE) break;
    }
    return out;
  }

  /**
   * One page in `sort` order (ties in answer order), streaming every chunk and keeping only the top
   * (page + 1) × 10 rows. Pages past MAX_SORTED_ROWS are not served (the caller says so).
   */
  async sortedPage(header: HuntResultHeader, page: number, sort: HuntSort): Promise<HuntingResultRow[]> {
    const keep = Math.min((page + 1) * ROWS_PER_PAGE, MAX_SORTED_ROWS);
    const type = header.columns.find((c) => c.name === sort.column)?.type ?? 'String';
    const compare = rowComparator(sort, type);
    const top: { row: HuntingResultRow; index: number }[] = [];
    let index = 0;
    for await (const row of this.rows(header)) {
      const entry = { row, index };
      index += 1;
      const last = top[top.length - 1];
      if (top.length === keep && last && compareEntries(compare, entry, last) >= 0) continue;
      top.splice(insertionPoint(top, entry, compare), 0, entry);
      if (top.length > keep) top.pop();
    }
    return top.slice(page * ROWS_PER_PAGE, (page + 1) * ROWS_PER_PAGE).map((e) => e.row);
  }

  /** Removes a result's items (best effort: an expired result is unreadable whether or not this succeeds). */
  async forget(header: HuntResultHeader): Promise<void> {
    await this.options.storage.delete([
      headerKey(header.id),
      ...header.chunkRowCounts.map((_, index) => chunkKey(header.id, index)),
    ]);
  }

  /**
   * The sweep's part: removes result `id` unless it can still be read (header not yet expired). A result without a
   * header (a save cut short by a crash) loses the chunks it left. True when nothing of it is left.
   */
  async removeUnlessReadable(id: string): Promise<boolean> {
    const stored = (await this.options.storage.read([headerKey(id)]))[headerKey(id)];
    if (stored !== undefined) {
      const { eTag: _eTag, ...fields } = stored as Record<string, unknown>;
      const parsed = headerSchema.safeParse(fields);
      if (parsed.success) {
        if (Date.parse(parsed.data.expiresAt) > this.options.now().getTime()) return false;
        await this.forget(parsed.data);
        return true;
      }
      // Unreadable: nobody can open it; its chunks are found one by one below.
      await this.options.storage.delete([headerKey(id)]);
    }
    for (let index = 0; ; index += 1) {
      const key = chunkKey(id, index);
      if ((await this.options.storage.read([key]))[key] === undefined) return true;
      await this.options.storage.delete([key]);
    }
  }

  private async chunk(header: HuntResultHeader, index: number): Promise<HuntingResultRow[]> {
    const key = chunkKey(header.id, index);
    const stored = (await this.options.storage.read([key]))[key];
    if (stored === undefined) throw new StorageError('corruptItem', key, 'hunt result chunk is missing');
    const parsed = chunkSchema.safeParse(stored);
    if (!parsed.success) throw new StorageError('corruptItem', key, 'hunt result chunk is malformed');
    return parsed.data.rows;
  }
}

/** True when a cell shows nothing: null, absent, an empty or blank string, an empty array or object. */
export function isEmptyCell(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/** Whether two owners are the same person in the same hunted tenant (ids compared case-insensitively). */
function isOwner(owner: HuntResultOwner, reader: HuntResultOwner): boolean {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  return (
    same(owner.tenantId, reader.tenantId) &&
    same(owner.userId, reader.userId) &&
    same(owner.userTenantId, reader.userTenantId)
  );
}

function headerKey(id: string): string {
  return `hunt-results/${id}`;
}

function chunkKey(id: string, index: number): string {
  return `hunt-results/${id}/${index}`;
}

type RowCompare = (a: HuntingResultRow, b: HuntingResultRow) => number;

/** Compares rows by one column, typed as its KQL type says; empty cells last whatever the direction. */
function rowComparator(sort: HuntSort, type: string): RowCompare {
  const sign = sort.direction === 'asc' ? 1 : -1;
  const key = (value: unknown): number | string | undefined => {
    if (isEmptyCell(value)) return undefined;
    if (type === 'DateTime') {
      const time = Date.parse(String(value));
      return Number.isNaN(time) ? String(value) : time;
    }
    if (typeof value === 'number') return value;
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (/^(Int32|Int64|Double|Decimal|Long|Real|Int)$/i.test(type) && !Number.isNaN(Number(value)))
      return Number(value);
    return typeof value === 'string' ? value.toLowerCase() : JSON.stringify(value);
  };
  return (a, b) => {
    const x = key(a[sort.column]);
    const y = key(b[sort.column]);
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
    if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
    const left = String(x);
    const right = String(y);
    return sign * (left < right ? -1 : left > right ? 1 : 0);
  };
}

function compareEntries(
  compare: RowCompare,
  a: { row: HuntingResultRow; index: number },
  b: { row: HuntingResultRow; index: number },
): number {
  return compare(a.row, b.row) || a.index - b.index;
}

/** Where `entry` goes in the sorted `top` (binary search). */
function insertionPoint(
  top: { row: HuntingResultRow; index: number }[],
  entry: { row: HuntingResultRow; index: number },
  compare: RowCompare,
): number {
  let low = 0;
  let high = top.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (compareEntries(compare, top[middle]!, entry) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
