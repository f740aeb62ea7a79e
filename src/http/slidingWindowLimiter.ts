import type { InstanceMembership, TenantOwnership } from '../background/membership';
import { SINGLE_INSTANCE } from '../background/membership';
import { AppError } from '../errors';

/** One limit: at most `limit` admissions in any window of `windowMs`. */
export interface RateWindow {
  limit: number;
  windowMs: number;
}

/** How one call asks for a slot; DefenderAuth carries these fields, so a call's auth is its ticket. */
export interface QueueTicket {
  /** Whose turn it is in the tenant's fair queue (a person's object id); calls without one share one place. */
  queueKey?: string | undefined;
  /** Longest wait this call accepts (a card click must be answered within Teams' invoke time); default `maxWaitMs`. */
  maxWaitMs?: number | undefined;
  /** Told once, when the call is queued for longer than `noticeAfterMs`: about how long, and how many calls go first. */
  onQueued?: ((estimateMs: number, ahead: number) => void) | undefined;
}

/** Time and timers, injectable so tests drive the limiter on a fake clock. */
export interface LimiterClock {
  now(): number;
  setTimer(run: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
}

/** Options of the limiter. */
export interface SlidingWindowLimiterOptions {
  windows: RateWindow[];
  /** A person's call expected to wait longer than this fails at once with AppError `rateLimited`; a queued one too. */
  maxWaitMs: number;
  /** A person's call expected to wait longer than this is reported through its ticket's `onQueued` (default 5 s). */
  noticeAfterMs?: number;
  /**
   * Share (0..1] of every window that background work (the application identity: polling, tracking) may use.
   * Background work gets its share first when it waits and never more; people may use whatever it leaves.
   * Default 1: no reserve.
   */
  backgroundShare?: number;
  /** Background work may wait this long for a slot (default 60 s): it has no one waiting on it. */
  backgroundMaxWaitMs?: number;
  /**
   * Added to every window (default 2 s): Defender counts a call when it arrives, which is after its admission here
   * (a token to fetch, a connection to open), so a slot is reused only once Defender has surely let go of it.
   */
  marginMs?: number;
  clock?: LimiterClock;
  /**
   * The live instances sharing Defender's quota (default SINGLE_INSTANCE: this one alone has all of it). With N live
   * instances each keeps people's calls within (1 − backgroundShare)·limit / N of every window; see `shareOf`. With a
   * backgroundShare of 1 the tenant's owner holds the whole quota and the other instances none.
   */
  membership?: InstanceMembership;
  /** Which tenants' background work is this instance's (default: every tenant): their owner also holds the reserve. */
  ownership?: TenantOwnership;
  /**
   * A started instance admits nothing for this long (default: shortest window + margin with a membership, 0 without):
   * the instances already running may have spent their whole shares, and those calls are still in Defender's window.
   */
  joinWaitMs?: number;
}

/** One instance's part of one window for one tenant: every admission, and background admissions among them. */
export interface WindowShare {
  total: number;
  background: number;
}

/**
 * Why instances never need to talk to share a window: the tenant's owner keeps the background reserve (it alone polls
 * and tracks), every instance gets an equal slice of the rest, the owner also the remainder of the division, so the
 * shares of any one membership add up to at most `limit`. A non-owner's rare background call spends its own slice.
 * One instance that owns the tenant gets the limiter's single-process shares unchanged.
 */
export function shareOf(window: RateWindow, backgroundShare: number, liveCount: number, owner: boolean): WindowShare {
  const slice = Math.floor(((1 - backgroundShare) * window.limit) / liveCount);
  if (!owner) return { total: slice, background: slice };
  const total = window.limit - (liveCount - 1) * slice;
  return { total, background: Math.min(total, Math.max(1, Math.floor(window.limit * backgroundShare))) };
}

interface Waiter {
  deadline: number;
  resolve(): void;
  reject(error: AppError): void;
}

interface Admission {
  at: number;
  background: boolean;
}

/** One tenant: what went out recently, and who waits (people by person, in rotation; background in order). */
interface TenantState {
  key: string;
  admitted: Admission[];
  people: Map<string, Waiter[]>;
  background: Waiter[];
  timer: unknown;
}

/** A window's limit over the admissions it counts, and when the limit may change (Infinity: not by itself). */
interface Budget {
  times: number[];
  limit: number;
  windowMs: number;
  reviseAt: number;
}

/** A value and the instant from which it held; a history lists them oldest first. */
interface Held<T> {
  since: number;
  value: T;
}

const realClock: LimiterClock = {
  now: () => Date.now(),
  setTimer: (run, ms) => setTimeout(run, ms).unref(),
  clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/**
 * Client-side admission control per key (a tenant): keeps the bot within Defender's documented quota (100 calls/min
 * and 1,500/h, sliding) so nobody is answered with a 429 caused by our own bursts. When people alone want more than
 * the quota, their calls wait in a fair queue: one person's oldest call at a time, round robin between people (fifty
 * commands from one person do not hold back another's one). A call expected to wait longer than its bound is refused
 * at once with AppError `rateLimited`; one that waits longer than `noticeAfterMs` is reported through `onQueued`.
 */
export class SlidingWindowLimiter {
  private readonly tenants = new Map<string, TenantState>();
  private readonly clock: LimiterClock;
  private readonly marginMs: number;
  private readonly share: number;
  private readonly horizonMs: number;
  private readonly ownership: TenantOwnership;
  /** Several instances may share the quota: a tenant's ownership first seen is taken as just gained. */
  private readonly shared: boolean;
  private readonly admitsFrom: number;
  /** Live instance counts as this instance learnt them. */
  private readonly liveCounts: Held<number>[];
  /** Per tenant, whether this instance owned it, as seen on each admission decision. */
  private readonly owners = new Map<string, Held<boolean>[]>();
  private readonly unsubscribe: () => void;

  constructor(private readonly options: SlidingWindowLimiterOptions) {
    this.clock = options.clock ?? realClock;
    this.marginMs = options.marginMs ?? 2_000;
    this.share = options.backgroundShare ?? 1;
    this.horizonMs = Math.max(0, ...options.windows.map((w) => w.windowMs)) + this.marginMs;
    const membership = options.membership ?? SINGLE_INSTANCE;
    this.ownership = options.ownership ?? SINGLE_INSTANCE;
    this.shared = membership !== SINGLE_INSTANCE;
    const shortestMs = Math.min(...options.windows.map((w) => w.windowMs)) + this.marginMs;
    this.admitsFrom = this.clock.now() + (options.joinWaitMs ?? (this.shared ? shortestMs : 0));
    this.liveCounts = [{ since: -Infinity, value: Math.max(1, membership.liveCount()) }];
    this.unsubscribe = membership.onChange((count) => this.onLiveCount(count));
  }

  /** Stops following the membership (the app's shutdown); waiting calls still resolve or are refused as before. */
  close(): void {
    this.unsubscribe();
  }

  /**
   * Resolves when the call may go out; AppError `rateLimited` (with retryAfterSeconds) when it would wait too long.
   * Background calls are admitted only within their share of each window.
   */
  acquire(
    key: string,
    priority: 'interactive' | 'background' = 'interactive',
    ticket: QueueTicket = {},
  ): Promise<void> {
    const state = this.stateOf(key);
    const now = this.clock.now();
    this.forgetOld(state, now);
    const background = priority === 'background';
    const person = ticket.queueKey ?? '';
    const ahead = background ? state.background.length : this.placeOf(state, person);
    const estimateMs = this.estimate(state, ahead, background, now) - now;
    const maxWaitMs = background
      ? (this.options.backgroundMaxWaitMs ?? 60_000)
      : (ticket.maxWaitMs ?? this.options.maxWaitMs);
    if (estimateMs > maxWaitMs) {
      if (state.admitted.length === 0 && this.isIdle(state)) this.tenants.delete(key);
      return Promise.reject(rateLimited(estimateMs));
    }
    const admitted = new Promise<void>((resolve, reject) => {
      const waiter = { deadline: now + maxWaitMs, resolve, reject };
      const queue = background ? state.background : state.people.get(person);
      if (queue) queue.push(waiter);
      else state.people.set(person, [waiter]);
    });
    this.pump(key, state);
    if (!background && estimateMs > (this.options.noticeAfterMs ?? 5_000)) ticket.onQueued?.(estimateMs, ahead);
    return admitted;
  }

  /** Admits every waiter a window has room for now, refuses those past their bound, and sleeps until the next slot. */
  private pump(key: string, state: TenantState): void {
    if (state.timer !== undefined) this.clock.clearTimer(state.timer);
    state.timer = undefined;
    const now = this.clock.now();
    this.forgetOld(state, now);
    for (;;) {
      if (state.background.length > 0 && this.nextSlot(this.budgets(state, true), now) <= now) {
        this.admit(state, state.background.shift()!, true, now);
      } else if (state.people.size > 0 && this.nextSlot(this.budgets(state, false), now) <= now) {
        // Round robin: the first person in the rotation sends their oldest call and goes to the back.
        const [person, queue] = state.people.entries().next().value!;
        state.people.delete(person);
        if (queue.length > 1) state.people.set(person, queue.slice(1));
        this.admit(state, queue[0]!, false, now);
      } else break;
    }
    this.refuseOverdue(state, now);
    if (this.isIdle(state)) {
      if (state.admitted.length === 0) this.tenants.delete(key);
      return;
    }
    const wakes = [...state.people.values(), state.background].flat().map((w) => w.deadline);
    if (state.background.length > 0) wakes.push(this.nextSlot(this.budgets(state, true), now));
    if (state.people.size > 0) wakes.push(this.nextSlot(this.budgets(state, false), now));
    state.timer = this.clock.setTimer(() => this.pump(key, state), Math.max(0, Math.min(...wakes) - now));
  }

  private admit(state: TenantState, waiter: Waiter, background: boolean, now: number): void {
    state.admitted.push({ at: now, background });
    waiter.resolve();
  }

  /** Calls that outwaited their bound (others went first meanwhile) are refused rather than kept indefinitely. */
  private refuseOverdue(state: TenantState, now: number): void {
    const overdue = (w: Waiter) => w.deadline <= now;
    const refuse = (w: Waiter, background: boolean) =>
      w.reject(rateLimited(this.nextSlot(this.budgets(state, background), now) - now));
    state.background.filter(overdue).forEach((w) => refuse(w, true));
    state.background = state.background.filter((w) => !overdue(w));
    for (const [person, queue] of [...state.people]) {
      queue.filter(overdue).forEach((w) => refuse(w, false));
      const kept = queue.filter((w) => !overdue(w));
      if (kept.length === 0) state.people.delete(person);
      else state.people.set(person, kept);
    }
  }

  /** How many people's calls go before a new call of `person`: full rounds of the rotation, then those before them. */
  private placeOf(state: TenantState, person: string): number {
    const depth = state.people.get(person)?.length ?? 0;
    let ahead = 0;
    let before = true;
    for (const [other, queue] of state.people) {
      if (other === person) before = false;
      ahead += Math.min(queue.length, depth) + (before && queue.length > depth ? 1 : 0);
    }
    return ahead;
  }

  /** When the call with `ahead` calls before it would go out if nothing else arrived. */
  private estimate(state: TenantState, ahead: number, background: boolean, now: number): number {
    const budgets = this.budgets(state, background).map((b) => ({ ...b, times: [...b.times] }));
    let at = now;
    for (let i = 0; i <= ahead; i++) {
      at = this.nextSlot(budgets, at);
      budgets.forEach((b) => b.times.push(at));
    }
    return at;
  }

  /**
   * The earliest instant from `from` on at which every budget has room (times sorted, none later than `from`), or at
   * which a budget's limit is revised (the caller looks again then). A zero share is looked at again a window later.
   */
  private nextSlot(budgets: Budget[], from: number): number {
    let at = from;
    for (const { times, limit, windowMs, reviseAt } of budgets) {
      if (times.length < limit) continue;
      const freed =
        limit > 0 ? times[times.length - limit]! + windowMs + this.marginMs : from + windowMs + this.marginMs;
      at = Math.max(at, Math.min(freed, reviseAt));
    }
    return at;
  }

  /** People count every admission against this instance's share of each window; background work also its own part. */
  private budgets(state: TenantState, background: boolean): Budget[] {
    const now = this.clock.now();
    const shares = this.options.windows.map((w) => ({ w, ...this.effectiveShare(state.key, w, now) }));
    const all = state.admitted.map((a) => a.at);
    const budgets = shares.map(({ w, share, reviseAt }) => ({
      times: all,
      limit: share.total,
      windowMs: w.windowMs,
      reviseAt,
    }));
    if (!background) return budgets;
    const own = state.admitted.filter((a) => a.background).map((a) => a.at);
    return [
      ...budgets,
      ...shares.map(({ w, share, reviseAt }) => ({
        times: own,
        limit: share.background,
        windowMs: w.windowMs,
        reviseAt,
      })),
    ];
  }

  /**
   * This instance's share of a window now: the smallest it held during the window (and margin). A share that shrank
   * applies at once to the admissions already counted; one that grew (an instance left, a tenant's ownership arrived)
   * waits until the window no longer holds calls that others made under their larger shares. So at any instant the
   * instances' counts add up to at most the sum of shares of ONE membership, which is at most the limit.
   */
  private effectiveShare(key: string, window: RateWindow, now: number): { share: WindowShare; reviseAt: number } {
    if (now < this.admitsFrom) return { share: { total: 0, background: 0 }, reviseAt: this.admitsFrom };
    const spanMs = window.windowMs + this.marginMs;
    const counts = heldWithin(this.liveCounts, now - spanMs, spanMs);
    const owned = heldWithin(this.ownerHistory(key, now), now - spanMs, spanMs);
    const share = { total: Infinity, background: Infinity };
    for (const count of counts.values) {
      for (const owner of owned.values) {
        const held = shareOf(window, this.share, count, owner);
        share.total = Math.min(share.total, held.total);
        share.background = Math.min(share.background, held.background);
      }
    }
    return { share, reviseAt: Math.min(counts.changesAt, owned.changesAt) };
  }

  /** Records whether this instance owns the tenant now; ownership first seen by a shared instance counts as new. */
  private ownerHistory(key: string, now: number): Held<boolean>[] {
    const owner = this.ownership.owns(key);
    let history = this.owners.get(key);
    if (!history) {
      history = [{ since: -Infinity, value: this.shared ? false : owner }];
      this.owners.set(key, history);
    }
    if (history.at(-1)!.value !== owner) history.push({ since: now, value: owner });
    forgetBefore(history, now - this.horizonMs);
    return history;
  }

  /** A membership change: shares are recomputed by every waiting tenant at once (a shrink holds from now on). */
  private onLiveCount(count: number): void {
    const now = this.clock.now();
    this.liveCounts.push({ since: now, value: Math.max(1, count) });
    forgetBefore(this.liveCounts, now - this.horizonMs);
    for (const [key, state] of [...this.tenants]) if (!this.isIdle(state)) this.pump(key, state);
  }

  private forgetOld(state: TenantState, now: number): void {
    const from = state.admitted.findIndex((a) => a.at > now - this.horizonMs);
    state.admitted.splice(0, from === -1 ? state.admitted.length : from);
  }

  private isIdle(state: TenantState): boolean {
    return state.people.size === 0 && state.background.length === 0;
  }

  private stateOf(key: string): TenantState {
    let state = this.tenants.get(key);
    if (!state) {
      state = { key, admitted: [], people: new Map(), background: [], timer: undefined };
      this.tenants.set(key, state);
    }
    return state;
  }
}

/** The values a history held at some instant after `from`, and when the oldest of them stops counting (span later). */
function heldWithin<T>(history: Held<T>[], from: number, spanMs: number): { values: T[]; changesAt: number } {
  const values: T[] = [];
  let changesAt = Infinity;
  history.forEach((held, i) => {
    const next = history[i + 1];
    if (next !== undefined && next.since <= from) return;
    values.push(held.value);
    if (next !== undefined) changesAt = Math.min(changesAt, next.since + spanMs);
  });
  return { values, changesAt };
}

/** Drops the entries that stopped holding before `from` (the last one always holds). */
function forgetBefore<T>(history: Held<T>[], from: number): void {
  while (history.length > 1 && history[1]!.since <= from) history.shift();
}

/** The configured Defender limits a limiter is built from (the `defender` section of the app's config). */
export interface DefenderQuotaSettings {
  rateLimitPerMinute: number;
  queueMaxWaitMs: number;
  rateLimitMaxWaitMs: number;
  backgroundShare: number;
  /** Calls per hour; Defender documents 15 minutes' worth (the default), Graph no hourly limit (60 minutes' worth). */
  rateLimitPerHour?: number;
}

/**
 * Why one factory: the app and the benchmarks build the same limiter from the configured quota (per minute, and
 * ×15 per hour as Defender documents), shared with the other live instances given by `sharing`.
 */
export function createDefenderLimiter(
  settings: DefenderQuotaSettings,
  sharing: Pick<SlidingWindowLimiterOptions, 'membership' | 'ownership' | 'joinWaitMs' | 'clock'> = {},
): SlidingWindowLimiter {
  return new SlidingWindowLimiter({
    windows: [
      { limit: settings.rateLimitPerMinute, windowMs: 60_000 },
      { limit: settings.rateLimitPerHour ?? settings.rateLimitPerMinute * 15, windowMs: 3_600_000 },
    ],
    maxWaitMs: settings.queueMaxWaitMs,
    noticeAfterMs: settings.rateLimitMaxWaitMs,
    backgroundShare: settings.backgroundShare,
    ...sharing,
  });
}

function rateLimited(waitMs: number): AppError {
  return new AppError('rateLimited', 'client-side Defender quota exhausted', {
    retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
  });
}
