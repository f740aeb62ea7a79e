import { z } from 'zod';
import type { ListResult } from '../http/restApi';
import { AppError, isAppError } from '../errors';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { Storage } from '../storage/storage';
import { readItem, updateItem } from '../storage/updateItem';

/** What one kind of change feed (MDE alerts, Graph incidents, Graph alerts_v2) gives the poller. */
export interface ChangeFeed<T> {
  /** In log lines: "alert", "incident", "alerts_v2". */
  name: string;
  /** Storage key of a tenant's watermark; each feed has its own. */
  stateKey(tenantId: string): string;
  /** Items changed in [since, before) (before absent: up to now), at most `max`, in no promised order. */
  read(tenantId: string, since: Date, before: Date | undefined, max: number): Promise<ListResult<T>>;
  /** An item's change time (ISO): what the watermark follows. */
  versionOf(item: T): string;
  /** Hands a batch on, durably, before the watermark moves past it (never called with an empty one). */
  take(tenantId: string, items: T[]): Promise<unknown>;
  /** Runs first in every poll of a tenant (the alert intake retries what it set aside). */
  beforePoll?(tenantId: string): Promise<unknown>;
}

/** How often and how far back a change poller reads, and for which tenants. */
export interface ChangePollerOptions<T> {
  feed: ChangeFeed<T>;
  storage: Storage;
  /** Tenants to poll now: those with subscriptions whose background work this instance owns. */
  tenants(): string[] | Promise<string[]>;
  /**
   * Fencing: whether this instance still owns the tenant when the watermark is about to move (default yes). A
   * poll whose tenant was lost meanwhile does not commit; the new owner re-reads from the old watermark.
   */
  stillOwns?(tenantId: string): boolean;
  intervalMs: number;
  /** Each poll re-reads this far behind the watermark, for changes indexed late. */
  overlapMs: number;
  /** Items read per request (default 5000); a window with more is cut short until it fits. */
  maxItems?: number;
  logger: Logger;
  now?: () => Date;
}

/** Items read per request; a window with more changes is cut short until it fits. */
const MAX_PER_POLL = 5_000;
/** Cuts of one poll's window at most; beyond that it takes what one read got and moves on, with a warning. */
const MAX_SPLITS = 20;
/** Longest pause after failures (429 honours Retry-After, up to this). */
const MAX_BACKOFF_MS = 5 * 60_000;
/**
 * A poll that found nothing new leaves the tenant's state as it is (no write per idle tenant and interval), except
 * that `lastPollAt` is refreshed when it is older than this.
 */
const IDLE_STATE_REFRESH_MS = 10 * 60_000;

const stateSchema = z.object({ watermark: z.string(), lastPollAt: z.string().optional() });

/**
 * Polls a change feed for items updated since a durable watermark (minus an overlap window), per tenant, and hands
 * every item on; the receiver ignores versions it already has. The watermark only moves after a batch was taken,
 * so a crash re-reads, never skips; it never moves backwards, and not at all when the tenant was lost meanwhile.
 * Failures back off (Retry-After on 429, exponential on 5xx) without stopping other tenants.
 */
export class ChangePoller<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly backoffUntil = new Map<string, { until: number; failures: number }>();
  private readonly now: () => Date;

  constructor(private readonly options: ChangePollerOptions<T>) {
    this.now = options.now ?? (() => new Date());
  }

  /** Polls every `intervalMs` from now on. */
  start(): void {
    this.schedule(0);
  }

  /** Stops polling and waits for the current round. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One round over every tenant (exposed for tests and the demo). */
  async round(): Promise<void> {
    const { feed, logger } = this.options;
    for (const tenantId of await this.options.tenants()) {
      const pause = this.backoffUntil.get(tenantId);
      if (pause && pause.until > Date.now()) continue;
      try {
        await this.poll(tenantId);
        this.backoffUntil.delete(tenantId);
      } catch (err) {
        const failures = (pause?.failures ?? 0) + 1;
        const retryAfterMs =
          isAppError(err, 'rateLimited') && typeof err.details.retryAfterSeconds === 'number'
            ? err.details.retryAfterSeconds * 1000
            : 0;
        const delay = Math.min(MAX_BACKOFF_MS, Math.max(retryAfterMs, this.options.intervalMs * 2 ** failures));
        this.backoffUntil.set(tenantId, { until: Date.now() + delay, failures });
        logger.warn(
          { tenantId, failures, retryInMs: delay, err: serializeError(err) },
          `${feed.name} poll failed; backing off`,
        );
      }
    }
  }

  /** Reads one tenant's changes and moves its watermark; resolves with how many items the last read held. */
  async poll(tenantId: string): Promise<number> {
    const { feed, logger } = this.options;
    const key = feed.stateKey(tenantId);
    const state = await readItem(this.options.storage, key, parseState);
    const now = this.now();
    // First poll of a tenant: start from now (minus the overlap); subscriptions are not retroactive.
    const watermark = state?.watermark ?? new Date(now.getTime() - this.options.overlapMs).toISOString();
    const since = new Date(Date.parse(watermark) - this.options.overlapMs);
    const max = this.options.maxItems ?? MAX_PER_POLL;
    const from = Date.parse(watermark);
    await feed.beforePoll?.(tenantId);
    const take = (items: T[]) => feed.take(tenantId, items);
    let before: Date | undefined;
    let page = await feed.read(tenantId, since, undefined, max);
    if (page.truncated) {
      // No order is promised, so a capped answer may leave out older changes. The overlap (already read once) is
      // re-read on its own — or given up when it alone holds too many — and the new part is cut at the median
      // change time of what came back until it fits: at least half a read's worth is left out each time, whatever
      // the order. The watermark moves only to the cut; the next poll goes on from there.
      if (since.getTime() < from) {
        const overlap = await feed.read(tenantId, since, new Date(from), max);
        if (overlap.truncated)
          logger.warn({ tenantId }, `the ${feed.name} overlap window alone holds more changes than one read; skipped`);
        else if (overlap.items.length > 0) await take(overlap.items);
      }
      page = await feed.read(tenantId, new Date(from), undefined, max);
      for (let splits = 0; page.truncated && splits < MAX_SPLITS; splits++) {
        const times = page.items.map((item) => Date.parse(feed.versionOf(item))).sort((a, b) => a - b);
        const median = times[Math.floor(times.length / 2)] ?? from;
        // More than half of what came back changed in the watermark's own millisecond: cut just after it instead
        // (the next change time returned, or that millisecond alone).
        const cut = median > from ? median : (times.find((t) => t > from) ?? from + 1);
        if (before && cut >= before.getTime()) break;
        before = new Date(cut);
        page = await feed.read(tenantId, new Date(from), before, max);
      }
      if (page.truncated)
        logger.warn(
          { tenantId, read: page.items.length },
          `more ${feed.name} changes in one millisecond than one read holds; the rest of it is skipped`,
        );
    }
    if (page.items.length > 0) await take(page.items);
    const newest = page.items.reduce(
      (latest, item) => Math.max(latest, Date.parse(feed.versionOf(item))),
      Date.parse(watermark),
    );
    // Never beyond now: an item stamped in the future (clock skew) must not make the poller skip real ones. After
    // a cut, exactly to it: everything before it has been read, nothing after it has.
    const next = new Date(before ? before.getTime() : Math.min(newest, now.getTime())).toISOString();
    if (this.options.stillOwns && !this.options.stillOwns(tenantId)) {
      logger.warn({ tenantId }, `tenant lost during the ${feed.name} poll; the watermark stays for its new owner`);
      return page.items.length;
    }
    // Idle: the watermark stays where it is, and the state is written only to refresh a stale lastPollAt.
    const lastPollAt = state?.lastPollAt ? Date.parse(state.lastPollAt) : NaN;
    if (state?.watermark === next && now.getTime() - lastPollAt < IDLE_STATE_REFRESH_MS) return page.items.length;
    // Never backwards: a late commit (an instance that lost the tenant mid-poll) cannot undo its successor's.
    await updateItem(this.options.storage, key, parseState, (current) => ({
      watermark: current && Date.parse(current.watermark) > Date.parse(next) ? current.watermark : next,
      lastPollAt: now.toISOString(),
    }));
    return page.items.length;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.round()
        .catch((err: unknown) =>
          this.options.logger.error({ err: serializeError(err) }, `${this.options.feed.name} poll round failed`),
        )
        .finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
    this.timer.unref();
  }
}

function parseState(raw: unknown): z.infer<typeof stateSchema> {
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('internal', 'stored poller state does not parse');
  return parsed.data;
}
