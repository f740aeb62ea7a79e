import { z } from 'zod';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { Storage } from '../storage/storage';
import { updateItem, readItem } from '../storage/updateItem';
import { hourOf, indexPartsOf } from './huntResultIndex';
import type { HuntResultStore } from './huntResultStore';
import { RESULT_TTL_MS } from './huntResultStore';

/*
 * Stored hunt results are a customer's data: none may outlive its 24 hours because nobody reopened it. The sweep
 * walks the result index hour by hour, from a shared cursor to the last hour whose every result has expired, and
 * removes each result (header and chunks), then the hour's index items, then moves the cursor past the hour. Every
 * step is idempotent, so two instances sweeping at once only repeat each other's deletes; the cursor only moves
 * forward (eTag-safe), and an hour with a result still readable stops the walk until a later sweep.
 */

const HOUR_MS = 60 * 60_000;
/** How long after its hour ends a save may still be writing (a save past it would be swept early). */
export const SWEEP_GRACE_MS = HOUR_MS;
/** How often an instance sweeps. */
export const SWEEP_INTERVAL_MS = HOUR_MS;
/** Hours walked back from the first sweep ever (no cursor yet): results saved before then are not indexed anyway. */
export const FIRST_SWEEP_HOURS = 48;
/** Hours one sweep walks at most (a bot down for weeks catches up over several sweeps). */
export const MAX_HOURS_PER_SWEEP = 72;

const CURSOR_KEY = 'hunt-results/sweep-cursor';
const cursorSchema = z.object({ nextHour: z.number().int() });
type SweepCursor = z.infer<typeof cursorSchema>;

function parseCursor(raw: unknown): SweepCursor | undefined {
  const parsed = cursorSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** What one sweep did (logged). */
export interface SweepOutcome {
  hoursSwept: number;
  resultsRemoved: number;
}

/** How a sweeper is built: the shared Storage, the store whose results it removes, the clock and a logger. */
export interface HuntResultSweeperOptions {
  storage: Storage;
  store: HuntResultStore;
  now: () => Date;
  logger: Logger;
  intervalMs?: number;
}

/** Removes expired hunt results from the shared Storage, on a timer (start/stop) or on demand (sweep). */
export class HuntResultSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: HuntResultSweeperOptions) {}

  /** One sweep: every hour from the cursor whose results have all expired. Rejects when the store does. */
  async sweep(): Promise<SweepOutcome> {
    const { storage } = this.options;
    // Hour H's saves began before H + 1 h and finished within the grace: all expired by H + 1 h + grace + TTL.
    const lastHour = hourOf(new Date(this.options.now().getTime() - RESULT_TTL_MS - SWEEP_GRACE_MS)) - HOUR_MS;
    const cursor = await readItem(storage, CURSOR_KEY, parseCursor);
    let hour = cursor?.nextHour ?? lastHour - (FIRST_SWEEP_HOURS - 1) * HOUR_MS;
    const outcome: SweepOutcome = { hoursSwept: 0, resultsRemoved: 0 };
    for (; hour <= lastHour && outcome.hoursSwept < MAX_HOURS_PER_SWEEP; hour += HOUR_MS) {
      const removed = await this.sweepHour(hour);
      if (removed === undefined) break;
      outcome.hoursSwept += 1;
      outcome.resultsRemoved += removed;
      const nextHour = hour + HOUR_MS;
      await updateItem(storage, CURSOR_KEY, parseCursor, (current) =>
        current !== undefined && current.nextHour >= nextHour ? current : { nextHour },
      );
    }
    return outcome;
  }

  /** Starts sweeping now and every interval; failures are logged and the next sweep tries again. */
  start(): void {
    this.stopped = false;
    this.runOnce();
    this.timer = setInterval(() => this.runOnce(), this.options.intervalMs ?? SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.running;
  }

  private runOnce(): void {
    if (this.stopped || this.running !== undefined) return;
    this.running = this.sweep()
      .then((outcome) => {
        if (outcome.resultsRemoved > 0) this.options.logger.info({ ...outcome }, 'expired hunt results removed');
      })
      .catch((err: unknown) =>
        this.options.logger.warn({ err: serializeError(err) }, 'hunt result sweep failed; the next one retries'),
      )
      .finally(() => (this.running = undefined));
  }

  /** Removes an hour's results and index; undefined (index kept) while one of its results is still readable. */
  private async sweepHour(hour: number): Promise<number | undefined> {
    const parts = await indexPartsOf(this.options.storage, hour);
    let removed = 0;
    let allGone = true;
    for (const part of parts) {
      for (const id of part.ids) {
        if (await this.options.store.removeUnlessReadable(id)) removed += 1;
        else allGone = false;
      }
    }
    if (!allGone) return undefined;
    if (parts.length > 0) await this.options.storage.delete(parts.map((p) => p.key));
    return removed;
  }
}
