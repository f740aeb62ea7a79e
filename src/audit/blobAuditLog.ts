import { randomUUID } from 'node:crypto';
import type { AuditEntry, AuditEntryInput } from './auditEntry';
import { parseAuditInput, toAuditLine } from './auditEntryLine';
import { isStorageUnavailable } from '../storage/storageError';
import { AuditError } from './auditError';
import { GENESIS_HASH } from './auditHash';
import { type AuditQuery, parseAuditQuery } from './auditQuery';
import type { AuditSegments } from './auditSegments';
import type { AuditTrail } from './auditTrail';
import { parseAuditLine } from './parseAuditLine';
import { readLinesBackwardAt } from './readLinesBackward';
import { readSegmentLines } from './readSegmentLines';
import { type AuditHead, type AuditVerification, verifyAuditChain } from './verifyAuditChain';

/** Azure allows 50,000 blocks per append blob; the chain moves on well before, leaving room for late racers. */
export const DEFAULT_ENTRIES_PER_SEGMENT = 40_000;

/** Lost races (and lost answers) tolerated per entry before `append` gives up with `storageUnavailable`. */
const DEFAULT_MAX_ATTEMPTS = 64;

/** How far back a segment's tail is read to find its last entry (lines are at most 16 KiB). */
const TAIL_CHUNK_BYTES = 64 * 1024;

/** How to open a BlobAuditLog. */
export interface BlobAuditLogOptions {
  /** The segments (Azure append blobs, src/storage/auditAppendBlob.ts). */
  segments: AuditSegments;
  /** Source of `at`. Defaults to the system clock. */
  clock?: () => Date;
  /** Entries per segment before the chain rolls over to the next one; small only in tests. */
  entriesPerSegment?: number;
  /** Attempts per entry (each lost race costs one). */
  maxAttempts?: number;
  /** Upper bound of the random pause after a lost race, in ms (spreads racing instances apart). Default 20. */
  maxBackoffMs?: number;
}

/** Where the chain ends, as last read or appended by this process. */
interface Tail {
  segment: number;
  length: number;
  blocks: number;
  sealed: boolean;
  head: AuditHead;
}

/** An append whose answer was lost: it may have landed (only at `position`), or may still land. */
interface UnsettledAppend {
  segment: number;
  position: number;
  line: Buffer;
  entry: AuditEntry;
}

/**
 * The audit trail of several instances: ONE hash chain in numbered Azure append blobs
 * (`audit/segment-000001.jsonl`, …), every line the same JSON as the file log's, so a SIEM ingests either.
 *
 * - Linear across instances: each entry is one Append Block at exactly the end this process last saw
 *   (`appendPosition`). If another instance appended first the block is refused (412), the tail is re-read and
 *   the entry re-chained on the new last entry: bounded attempts with a random pause, then `storageUnavailable`.
 * - Never twice: an append whose answer was lost could only have landed at the position it named. Before trying
 *   again the log reads that position: its own line there (same bytes, unique id) means done; another's line, or
 *   a sealed segment, means it can never land; nothing yet means the next try targets that same position, so at
 *   most one of them lands.
 * - Rollover: the writer that finds a segment full seals it (no late append can then land behind the next
 *   segment's first entry), then creates the next create-only; the next segment's first entry chains on the
 *   sealed segment's last. Racing writers do the same idempotently.
 * - Fails closed: a storage outage rejects `append` with AuditError `storageUnavailable` (cause kept); the entry
 *   is then "not audited" for the caller. Tokens are refused exactly as in the file log.
 */
export class BlobAuditLog implements AuditTrail {
  private tail: Tail | undefined;
  /** The newest segment this process has seen (where the next tail read looks first). */
  private lastSegment: number | undefined;
  private known: AuditHead;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly clock: () => Date;
  private readonly entriesPerSegment: number;
  private readonly maxAttempts: number;
  private readonly maxBackoffMs: number;

  private constructor(
    private readonly segments: AuditSegments,
    options: BlobAuditLogOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.entriesPerSegment = options.entriesPerSegment ?? DEFAULT_ENTRIES_PER_SEGMENT;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.maxBackoffMs = options.maxBackoffMs ?? 20;
    this.known = { seq: 0, hash: GENESIS_HASH };
  }

  /** Opens the shared chain (creating its first segment if none) and reads where it ends; fails fast if it cannot. */
  static async open(options: BlobAuditLogOptions): Promise<BlobAuditLog> {
    const log = new BlobAuditLog(options.segments, options);
    const tail = await log.storageStep(() => log.readTail());
    log.tail = tail;
    log.known = tail.head;
    return log;
  }

  /** The last entry this process appended or found at the end of the chain. */
  get lastEntry(): AuditHead {
    return { ...this.known };
  }

  /** Appends one entry to the shared chain; resolves once Blob Storage acknowledged it, rejects if not recorded. */
  async append(input: AuditEntryInput): Promise<AuditEntry> {
    if (this.closed) throw new AuditError('logUnavailable', 'audit log is closed');
    const parsed = parseAuditInput(input);
    const run = this.queue.then(() => this.storageStep(() => this.appendNow(parsed)));
    this.queue = run.catch(() => undefined);
    return await run;
  }

  /** The newest entries first, filtered: reads segments backwards in 64 KiB ranges and stops at `limit`. */
  async recent(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const { limit, matches: isMatch } = parseAuditQuery(query);
    return this.storageStep(async () => {
      const matches: AuditEntry[] = [];
      const segments = await this.segments.list();
      for (const segment of segments.reverse()) {
        const state = await this.segments.stat(segment);
        if (!state) continue;
        const readAt = (position: number, length: number): Promise<Buffer> =>
          this.segments.readRange(segment, position, length);
        for await (const text of readLinesBackwardAt(readAt, state.length)) {
          const parsed = parseAuditLine(text);
          if (!parsed.ok) {
            throw new AuditError('corruptLog', `audit log has a line that is ${parsed.reason}; run verify`);
          }
          if (!isMatch(parsed.entry)) continue;
          matches.push(parsed.entry);
          if (matches.length >= limit) return matches;
        }
      }
      return matches;
    });
  }

  /** The stored lines whose `at` is at or after `since`, oldest first. */
  async *exportSince(since: Date): AsyncGenerator<string> {
    const from = since.getTime();
    for await (const [line, text] of this.lines()) {
      const parsed = parseAuditLine(text);
      if (!parsed.ok) throw new AuditError('corruptLog', `audit log line ${line} is ${parsed.reason}`);
      if (Date.parse(parsed.entry.at) >= from) yield text;
    }
  }

  /**
   * Checks the whole chain as stored now, and that the last entry this process knows is in it unchanged (other
   * instances may have appended after it, so the chain may be longer).
   */
  async verify(): Promise<AuditVerification> {
    const expected = this.lastEntry;
    let seenAtExpected: string | undefined;
    const lines = this.lines();
    async function* watching(): AsyncGenerator<[number, string]> {
      for await (const [line, text] of lines) {
        if (line === expected.seq) seenAtExpected = text;
        yield [line, text];
      }
    }
    const result = await verifyAuditChain(watching());
    if (!result.ok || expected.seq === 0) return result;
    const atExpected = seenAtExpected === undefined ? undefined : parseAuditLine(seenAtExpected);
    if (!atExpected?.ok || atExpected.entry.hash !== expected.hash) {
      return {
        ok: false,
        line: Math.min(expected.seq, result.entries + 1),
        reason: `entry ${expected.seq}, appended or read by this instance, is missing or changed`,
      };
    }
    return result;
  }

  /** Refuses new appends and waits for those queued. Nothing to release: every append is already durable. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
  }

  private lines(): AsyncGenerator<[number, string]> {
    return mapStorageErrors(readSegmentLines(this.segments));
  }

  private async appendNow(input: AuditEntryInput): Promise<AuditEntry> {
    const id = randomUUID();
    let unsettled: UnsettledAppend[] = [];
    let lastFailure: unknown;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const stillOpen: UnsettledAppend[] = [];
      for (const earlier of unsettled) {
        const outcome = await this.settle(earlier);
        if (outcome === 'landed') return this.appended(earlier.entry, undefined);
        if (outcome === 'mayStillLand') stillOpen.push(earlier);
      }
      unsettled = stillOpen;

      const tail = this.tail ?? (await this.readTail(unsettled[0]?.segment ?? this.lastSegment));
      this.tail = tail;
      if (tail.sealed || tail.blocks >= this.entriesPerSegment) {
        await this.rollOver(tail.segment);
        continue;
      }
      const { entry, line } = toAuditLine({
        seq: tail.head.seq + 1,
        at: this.clock().toISOString(),
        id,
        ...input,
        prevHash: tail.head.hash,
      });
      let outcome;
      try {
        outcome = await this.segments.append(tail.segment, line, tail.length);
      } catch (error: unknown) {
        // No answer: it may have landed. Settled (by reading that position) before anything else is tried.
        lastFailure = error;
        unsettled.push({ segment: tail.segment, position: tail.length, line, entry });
        this.tail = undefined;
        continue;
      }
      switch (outcome.kind) {
        case 'appended': {
          const next: Tail = {
            segment: tail.segment,
            length: outcome.length,
            blocks: outcome.blocks,
            sealed: false,
            head: entry,
          };
          return this.appended(entry, next);
        }
        case 'positionTaken':
          this.tail = undefined;
          await this.pauseAfterLostRace();
          break;
        case 'segmentClosed':
          this.tail = { ...tail, sealed: true };
          break;
      }
    }
    throw new AuditError(
      'storageUnavailable',
      `audit entry not recorded: ${this.maxAttempts} attempts were taken by other instances or failed`,
      { cause: lastFailure },
    );
  }

  private appended(entry: AuditEntry, tail: Tail | undefined): AuditEntry {
    this.tail = tail === undefined ? undefined : { ...tail, head: { seq: entry.seq, hash: entry.hash } };
    if (tail !== undefined) this.lastSegment = tail.segment;
    if (entry.seq > this.known.seq) this.known = { seq: entry.seq, hash: entry.hash };
    return structuredClone(entry);
  }

  /** Where an append with a lost answer stands: it can only ever land at the position it named. */
  private async settle(append: UnsettledAppend): Promise<'landed' | 'neverLands' | 'mayStillLand'> {
    const state = await this.segments.stat(append.segment);
    if (!state) throw new AuditError('corruptLog', `audit segment ${append.segment} disappeared`);
    if (state.length > append.position) {
      const there = await this.segments.readRange(
        append.segment,
        append.position,
        Math.min(append.line.length, state.length - append.position),
      );
      return there.equals(append.line) ? 'landed' : 'neverLands';
    }
    return state.sealed ? 'neverLands' : 'mayStillLand';
  }

  /** Seals the full segment (so nothing lands behind its successor) and creates the next; racers do the same. */
  private async rollOver(segment: number): Promise<void> {
    await this.segments.seal(segment);
    await this.segments.create(segment + 1);
    this.tail = undefined;
  }

  /**
   * Finds the newest segment and the chain's last entry, creating segment 1 for an empty chain. `hint`, the segment
   * last written, saves the listing: an open (unsealed) segment is always the newest, since a successor is created
   * only after its predecessor is sealed.
   */
  private async readTail(hint?: number): Promise<Tail> {
    if (hint !== undefined) {
      const state = await this.segments.stat(hint);
      if (state && !state.sealed) {
        const tail = { segment: hint, ...state, head: await this.lastEntryUpTo(hint, state.length) };
        this.lastSegment = hint;
        return tail;
      }
    }
    const segments = await this.segments.list();
    const segment = segments.at(-1);
    if (segment === undefined) {
      await this.segments.create(1);
      return { segment: 1, length: 0, blocks: 0, sealed: false, head: { seq: 0, hash: GENESIS_HASH } };
    }
    const state = await this.segments.stat(segment);
    if (!state) throw new AuditError('corruptLog', `audit segment ${segment} was listed but does not exist`);
    this.lastSegment = segment;
    return { segment, ...state, head: await this.lastEntryUpTo(segment, state.length) };
  }

  /** The last entry in `segment` (of `length` bytes) or, if it is empty, in the segments before it. */
  private async lastEntryUpTo(segment: number, length: number): Promise<AuditHead> {
    if (length === 0) {
      if (segment <= 1) return { seq: 0, hash: GENESIS_HASH };
      // A successor exists only once this one was sealed; sealing again covers a rollover cut short.
      await this.segments.seal(segment - 1);
      const previous = await this.segments.stat(segment - 1);
      if (!previous) throw new AuditError('corruptLog', `audit segment ${segment - 1} is missing`);
      return this.lastEntryUpTo(segment - 1, previous.length);
    }
    const start = Math.max(0, length - TAIL_CHUNK_BYTES);
    const tail = await this.segments.readRange(segment, start, length - start);
    const body = tail.subarray(0, tail.length - 1);
    const from = body.lastIndexOf(0x0a) + 1;
    const parsed = tail[tail.length - 1] === 0x0a ? parseAuditLine(body.subarray(from).toString('utf8')) : undefined;
    if (!parsed?.ok) {
      throw new AuditError('corruptLog', `audit segment ${segment} does not end in a valid entry; run verify`);
    }
    return { seq: parsed.entry.seq, hash: parsed.entry.hash };
  }

  private async pauseAfterLostRace(): Promise<void> {
    const ms = Math.random() * this.maxBackoffMs;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Runs storage work; any failure that is not already an AuditError becomes `logUnavailable` (cause kept). */
  private async storageStep<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error: unknown) {
      throw toAuditError(error);
    }
  }
}

function toAuditError(error: unknown): AuditError {
  if (error instanceof AuditError) return error;
  const reason = isStorageUnavailable(error) ? 'storageUnavailable' : 'logUnavailable';
  return new AuditError(reason, 'the shared audit log in Blob Storage is unavailable', { cause: error });
}

async function* mapStorageErrors<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error: unknown) {
    throw toAuditError(error);
  }
}
