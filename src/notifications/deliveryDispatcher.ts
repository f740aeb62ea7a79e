import type { TenantOwnership } from '../background/membership';
import { SINGLE_INSTANCE } from '../background/membership';
import type { RateWindow } from '../http/slidingWindowLimiter';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';

/** Teams' documented per-bot, per-conversation limits (7/1 s, 8/2 s, 60/30 s, 1800/3600 s). */
export const TEAMS_CONVERSATION_LIMITS: readonly RateWindow[] = Object.freeze([
  Object.freeze({ limit: 7, windowMs: 1_000 }),
  Object.freeze({ limit: 8, windowMs: 2_000 }),
  Object.freeze({ limit: 60, windowMs: 30_000 }),
  Object.freeze({ limit: 1800, windowMs: 3_600_000 }),
]);

/** Our budget per tenant: Teams allows about 50 requests/s per app and tenant; we keep headroom at 30/s. */
export const TEAMS_TENANT_LIMITS: readonly RateWindow[] = Object.freeze([
  Object.freeze({ limit: 30, windowMs: 1_000 }),
]);

/** Identifies one Teams conversation (thread); the tenant id selects the tenant-wide budget it shares. */
export interface ConversationKey {
  tenantId: string;
  conversationId: string;
}

/** What one step did, so the dispatcher knows whether a request was spent and when to run the conversation again. */
export type StepResult =
  /** Nothing pending; NO Teams request was made. */
  | { kind: 'idle' }
  /** One request made and finished (accepted, or permanently failed and dropped by the worker). */
  | { kind: 'done'; more: boolean }
  /** One request made, failed transiently (429/412/502/504/network/timeout); the work is still pending. */
  | { kind: 'retry'; status?: number; retryAfterMs?: number }
  /** 403/404: the conversation is gone (the worker already retired it); every state about it is dropped. */
  | { kind: 'gone' };

/** Exponential backoff after a 'retry': min(maxMs, baseMs·2^(attempt−1)), randomised by ±jitter (a fraction). */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  jitter: number;
}

/** The timer seam (msal-style: a seam the component owns), so tests drive a virtual clock instead of sleeping. */
export interface DeliveryTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Options of the dispatcher; everything with a default matches Teams' documented limits and retry advice. */
export interface DeliveryDispatcherOptions {
  /** Makes at most ONE Teams request for the conversation and says what happened; never concurrent per conversation. */
  step(conversation: ConversationKey): Promise<StepResult>;
  /** Default TEAMS_CONVERSATION_LIMITS. */
  perConversation?: readonly RateWindow[];
  /** Default TEAMS_TENANT_LIMITS. */
  perTenant?: readonly RateWindow[];
  /**
   * Tenants whose delivery is this instance's (default: every tenant). Teams' tenant budget is one per app and
   * tenant, so only the owner spends it, all of it; another instance makes no request for the tenant at all.
   */
  ownership?: TenantOwnership;
  /** Concurrent steps across all conversations; default 8. */
  maxInFlight?: number;
  /** Default { baseMs: 2000, maxMs: 60000, jitter: 0.2 }. */
  backoff?: BackoffPolicy;
  logger: Logger;
  /** Epoch ms; default a monotonic clock (performance.timeOrigin + performance.now()), immune to wall-clock steps. */
  now?: () => number;
  /** Uniform in [0, 1); used for jitter. Default Math.random. */
  random?: () => number;
  /** Default setTimeout/clearTimeout with unref'd handles, so a waiting dispatcher never keeps the process alive. */
  timers?: DeliveryTimers;
}

/** Counters for benchmarks and health checks; all counts are since construction. */
export interface DeliveryStats {
  /** Calls of `step`. */
  steps: number;
  /** Steps that made a Teams request ('done', 'retry', 'gone' or a thrown step). */
  requests: number;
  /** 'done' results. */
  delivered: number;
  /** 'retry' results, including thrown steps. */
  retries: number;
  /** Steps that threw (also counted in `retries`). */
  errors: number;
  /** 'gone' results. */
  gone: number;
  /** 'idle' results (no request; their reservation was given back). */
  idleSteps: number;
  /** Steps not taken because another instance owns the tenant's delivery (it delivers them). */
  notOwned: number;
  inFlight: number;
  maxInFlightObserved: number;
  /** Conversations runnable now, waiting only for a free slot or their tenant's budget. */
  ready: number;
  /** Conversations waiting for backoff or their own windows. */
  waiting: number;
  /** Conversations and tenants currently remembered (bounded: idle ones are forgotten once their windows empty). */
  conversations: number;
  tenants: number;
  /** Most requests seen in any 1 s sliding window for one conversation (Teams allows 7). */
  maxObservedPerConversation1s: number;
  /** Most requests started in any 1 s sliding window for one tenant (an upper bound when 'idle' steps overlap). */
  maxObservedPerTenant1s: number;
}

const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 2_000, maxMs: 60_000, jitter: 0.2 };
const DEFAULT_MAX_IN_FLIGHT = 8;
/** setTimeout fires at once for delays above 2^31−1 ms; longer waits re-arm when they fire early. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Beyond this the exponential is far above any sane maxMs; clamping avoids Infinity·0. */
const MAX_BACKOFF_EXPONENT = 40;

const defaultTimers: DeliveryTimers = {
  set(fn, ms) {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return handle;
  },
  clear(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

const monotonicNow = (): number => performance.timeOrigin + performance.now();

/** First-in first-out queue with O(1) amortised shift (Array#shift is O(n) on large arrays). */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  drain(): T[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }
}

/** Ascending request start times; the front is pruned as windows slide. */
class TimeLog {
  private items: number[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  /** The i-th oldest time (0 ≤ i < size). */
  at(i: number): number {
    return this.items[this.head + i]!;
  }

  last(): number | undefined {
    return this.size > 0 ? this.items[this.items.length - 1] : undefined;
  }

  /** Appends `t`, clamped so the log stays sorted if the clock steps back (conservative); returns what was stored. */
  push(t: number): number {
    const last = this.last();
    const stored = last !== undefined && t < last ? last : t;
    this.items.push(stored);
    return stored;
  }

  /** Drops every time ≤ cutoff. */
  dropThrough(cutoff: number): void {
    while (this.head < this.items.length && this.items[this.head]! <= cutoff) this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Removes the most recent occurrence of `t` (a reservation given back); usually the last element. */
  removeLatest(t: number): void {
    for (let i = this.items.length - 1; i >= this.head; i--) {
      const value = this.items[i]!;
      if (value === t) {
        this.items.splice(i, 1);
        return;
      }
      if (value < t) return;
    }
  }

  /** How many times lie in (from, to]. */
  countIn(from: number, to: number): number {
    return this.upperBound(to) - this.upperBound(from);
  }

  /** Index (absolute) of the first time > t. */
  private upperBound(t: number): number {
    let lo = this.head;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

type Phase = 'idle' | 'ready' | 'running' | 'waiting';

interface TenantState {
  readonly type: 'tenant';
  readonly tenantId: string;
  readonly conversations: Map<string, ConversationState>;
  readonly times: TimeLog;
  /** Conversations of this tenant that may start now, in round-robin order. */
  readonly ready: Fifo<ConversationState>;
  inRing: boolean;
  /** Out of budget: off the ring until `blockedUntil` (a heap entry). */
  blocked: boolean;
  blockedUntil: number | undefined;
  expiryAt: number | undefined;
}

interface ConversationState {
  readonly type: 'conversation';
  readonly key: ConversationKey;
  readonly tenant: TenantState;
  readonly times: TimeLog;
  phase: Phase;
  /** A wake() arrived while a step was in flight: run again afterwards even if the step said there is no more. */
  rewoken: boolean;
  /** Consecutive 'retry' results since the last 'done'. */
  attempt: number;
  backoffUntil: number;
  waitingUntil: number | undefined;
  expiryAt: number | undefined;
}

/** One heap entry; it is stale (ignored) once the target's matching field no longer equals `at`. */
interface TimerEntry {
  at: number;
  seq: number;
  purpose: 'run' | 'expire';
  target: ConversationState | TenantState;
}

/** Binary min-heap on (at, seq): one timer serves every waiting conversation and tenant. */
class TimerHeap {
  private readonly items: TimerEntry[] = [];

  peek(): TimerEntry | undefined {
    return this.items[0];
  }

  push(entry: TimerEntry): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): TimerEntry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && before(items[left]!, items[smallest]!)) smallest = left;
      if (right < items.length && before(items[right]!, items[smallest]!)) smallest = right;
      if (smallest === i) break;
      [items[i], items[smallest]] = [items[smallest]!, items[i]!];
      i = smallest;
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}

function before(a: TimerEntry, b: TimerEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

function isLive(entry: TimerEntry): boolean {
  const t = entry.target;
  if (entry.purpose === 'expire') return t.expiryAt === entry.at;
  return t.type === 'tenant' ? t.blocked && t.blockedUntil === entry.at : t.waitingUntil === entry.at;
}

function validateWindows(name: string, windows: readonly RateWindow[]): readonly RateWindow[] {
  for (const w of windows) {
    if (!Number.isInteger(w.limit) || w.limit < 1 || !Number.isFinite(w.windowMs) || w.windowMs <= 0) {
      throw new RangeError(`${name}: every window needs an integer limit ≥ 1 and a positive windowMs`);
    }
  }
  return windows.map((w) => ({ limit: w.limit, windowMs: w.windowMs }));
}

function longestWindow(windows: readonly RateWindow[]): number {
  return windows.reduce((max, w) => Math.max(max, w.windowMs), 0);
}

/** Earliest instant ≥ now at which one more request fits every window; prunes times no window can see. */
function earliestSlot(times: TimeLog, windows: readonly RateWindow[], longest: number, now: number): number {
  times.dropThrough(now - longest);
  let at = now;
  const n = times.size;
  for (const w of windows) {
    // A request at x is allowed when fewer than `limit` requests lie in (x − windowMs, x].
    if (n >= w.limit) at = Math.max(at, times.at(n - w.limit) + w.windowMs);
  }
  return at;
}

/**
 * Sends proactive notifications into Teams conversations as fast as Teams' bot rate limits allow, and no faster.
 * It does no I/O: `step(conversation)` makes at most one Teams request; the dispatcher decides when each
 * conversation may take its next step — one step in flight per conversation (order preserved), every window of
 * the conversation and of its tenant respected (a request counts at its start, 429s included), round-robin
 * between conversations and between tenants, exponential backoff with jitter and Retry-After on transient
 * failures, one timer for the earliest instant anything becomes eligible.
 */
export class DeliveryDispatcher {
  private readonly step: (conversation: ConversationKey) => Promise<StepResult>;
  private readonly perConversation: readonly RateWindow[];
  private readonly perTenant: readonly RateWindow[];
  private readonly ownership: TenantOwnership;
  private readonly longestConversationWindow: number;
  private readonly longestTenantWindow: number;
  private readonly maxInFlight: number;
  private readonly backoff: BackoffPolicy;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly timers: DeliveryTimers;

  private readonly tenants = new Map<string, TenantState>();
  /** Tenants with ready conversations and budget left, in round-robin order. */
  private readonly ring = new Fifo<TenantState>();
  private readonly heap = new TimerHeap();
  private seq = 0;
  private timerHandle: unknown;
  private timerDueAt: number | undefined;
  private pumpQueued = false;
  private stopped = false;
  private inFlight = 0;
  private readyCount = 0;
  private waitingCount = 0;
  private conversationCount = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly counters = {
    steps: 0,
    requests: 0,
    delivered: 0,
    retries: 0,
    errors: 0,
    gone: 0,
    idleSteps: 0,
    notOwned: 0,
    maxInFlightObserved: 0,
    maxObservedPerConversation1s: 0,
    maxObservedPerTenant1s: 0,
  };

  constructor(options: DeliveryDispatcherOptions) {
    this.step = (conversation) => options.step(conversation);
    this.perConversation = validateWindows('perConversation', options.perConversation ?? TEAMS_CONVERSATION_LIMITS);
    this.perTenant = validateWindows('perTenant', options.perTenant ?? TEAMS_TENANT_LIMITS);
    this.ownership = options.ownership ?? SINGLE_INSTANCE;
    this.longestConversationWindow = longestWindow(this.perConversation);
    this.longestTenantWindow = longestWindow(this.perTenant);
    this.maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1) {
      throw new RangeError('maxInFlight must be an integer ≥ 1');
    }
    const backoff = options.backoff ?? DEFAULT_BACKOFF;
    if (
      !(backoff.baseMs >= 0) ||
      !(backoff.maxMs >= backoff.baseMs) ||
      !Number.isFinite(backoff.maxMs) ||
      !(backoff.jitter >= 0 && backoff.jitter < 1)
    ) {
      throw new RangeError('backoff needs 0 ≤ baseMs ≤ maxMs (finite) and 0 ≤ jitter < 1');
    }
    this.backoff = { ...backoff };
    this.logger = options.logger;
    this.now = options.now ?? monotonicNow;
    this.random = options.random ?? Math.random;
    this.timers = options.timers ?? defaultTimers;
  }

  /**
   * Says there may be work for `conversation`: it runs as limits allow until its step reports no more. Never lost:
   * on an instance that does not own the tenant it is passed over, and the owner delivers it from the outbox.
   */
  wake(conversation: ConversationKey): void {
    if (this.stopped) return;
    const conv = this.conversationFor(conversation);
    switch (conv.phase) {
      case 'idle':
        this.schedule(conv, this.now());
        this.requestPump();
        break;
      case 'running':
        conv.rewoken = true;
        break;
      case 'ready':
      case 'waiting':
        // Already going to run; a wake never shortens a backoff.
        break;
    }
  }

  /** Resolves when nothing is runnable, in flight or waiting in backoff (after stop(): when nothing is in flight). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Starts nothing new, ignores later wake() calls, and resolves once the steps in flight have finished. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.disarmTimer();
      this.heap.clear();
      this.ring.drain();
      for (const tenant of this.tenants.values()) {
        tenant.inRing = false;
        tenant.blocked = false;
        tenant.ready.drain();
        for (const conv of tenant.conversations.values()) {
          if (conv.phase === 'ready' || conv.phase === 'waiting') conv.phase = 'idle';
        }
      }
      this.readyCount = 0;
      this.waitingCount = 0;
    }
    this.settleIdle();
    await this.idle();
  }

  /** A snapshot of counters and current sizes, for benchmarks and health endpoints. */
  stats(): DeliveryStats {
    return {
      ...this.counters,
      inFlight: this.inFlight,
      ready: this.readyCount,
      waiting: this.waitingCount,
      conversations: this.conversationCount,
      tenants: this.tenants.size,
    };
  }

  private conversationFor(key: ConversationKey): ConversationState {
    let tenant = this.tenants.get(key.tenantId);
    if (!tenant) {
      tenant = {
        type: 'tenant',
        tenantId: key.tenantId,
        conversations: new Map(),
        times: new TimeLog(),
        ready: new Fifo(),
        inRing: false,
        blocked: false,
        blockedUntil: undefined,
        expiryAt: undefined,
      };
      this.tenants.set(key.tenantId, tenant);
    }
    let conv = tenant.conversations.get(key.conversationId);
    if (!conv) {
      conv = {
        type: 'conversation',
        key: Object.freeze({ tenantId: key.tenantId, conversationId: key.conversationId }),
        tenant,
        times: new TimeLog(),
        phase: 'idle',
        rewoken: false,
        attempt: 0,
        backoffUntil: 0,
        waitingUntil: undefined,
        expiryAt: undefined,
      };
      tenant.conversations.set(key.conversationId, conv);
      this.conversationCount++;
    }
    return conv;
  }

  /** Makes a conversation that has (possible) work ready now, or waiting until its backoff and windows allow. */
  private schedule(conv: ConversationState, now: number): void {
    const at = Math.max(
      conv.backoffUntil,
      earliestSlot(conv.times, this.perConversation, this.longestConversationWindow, now),
    );
    if (at <= now) {
      conv.phase = 'ready';
      this.readyCount++;
      const tenant = conv.tenant;
      tenant.ready.push(conv);
      if (!tenant.blocked && !tenant.inRing) {
        tenant.inRing = true;
        this.ring.push(tenant);
      }
    } else {
      conv.phase = 'waiting';
      conv.waitingUntil = at;
      this.waitingCount++;
      this.pushTimer(at, 'run', conv);
    }
  }

  private requestPump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** Starts as many steps as slots and budgets allow, one conversation per tenant per turn of the ring. */
  private pump(): void {
    if (!this.stopped) {
      const now = this.now();
      while (this.inFlight < this.maxInFlight) {
        const tenant = this.ring.peek();
        if (!tenant) break;
        const at = earliestSlot(tenant.times, this.perTenant, this.longestTenantWindow, now);
        this.ring.shift();
        if (at > now) {
          tenant.inRing = false;
          tenant.blocked = true;
          tenant.blockedUntil = at;
          this.pushTimer(at, 'run', tenant);
          continue;
        }
        const conv = tenant.ready.shift()!;
        this.readyCount--;
        if (tenant.ready.size > 0) this.ring.push(tenant);
        else tenant.inRing = false;
        if (this.ownership.owns(tenant.tenantId)) this.start(conv, now);
        else {
          // Ownership moved while it waited: its new owner delivers what the outbox holds.
          this.counters.notOwned++;
          this.retire(conv, now);
        }
      }
      this.armTimer();
    }
    this.settleIdle();
  }

  private start(conv: ConversationState, now: number): void {
    conv.phase = 'running';
    conv.rewoken = false;
    this.inFlight++;
    this.counters.steps++;
    this.counters.maxInFlightObserved = Math.max(this.counters.maxInFlightObserved, this.inFlight);
    // Reserve the request at its start; an 'idle' result gives the reservation back.
    const conversationAt = conv.times.push(now);
    const tenantAt = conv.tenant.times.push(now);
    let result: Promise<StepResult>;
    try {
      result = Promise.resolve(this.step(conv.key));
    } catch (err) {
      result = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    void result.then(
      (r) => this.finish(conv, conversationAt, tenantAt, r, undefined),
      (err: unknown) => this.finish(conv, conversationAt, tenantAt, undefined, err),
    );
  }

  private finish(
    conv: ConversationState,
    conversationAt: number,
    tenantAt: number,
    stepResult: StepResult | undefined,
    error: unknown,
  ): void {
    this.inFlight--;
    const now = this.now();
    const tenant = conv.tenant;
    let result: StepResult;
    if (stepResult === undefined) {
      this.counters.errors++;
      this.logger.warn(
        { err: serializeError(error), tenantId: conv.key.tenantId, conversationId: conv.key.conversationId },
        'notification delivery step failed; retrying with backoff',
      );
      result = { kind: 'retry' };
    } else {
      result = stepResult;
    }

    if (result.kind === 'idle') {
      this.counters.idleSteps++;
      conv.times.removeLatest(conversationAt);
      tenant.times.removeLatest(tenantAt);
      if (tenant.blocked) {
        // The budget it was waiting for may exist now; the ring re-checks it.
        tenant.blocked = false;
        tenant.blockedUntil = undefined;
        tenant.inRing = true;
        this.ring.push(tenant);
      }
    } else {
      this.counters.requests++;
      this.counters.maxObservedPerConversation1s = Math.max(
        this.counters.maxObservedPerConversation1s,
        conv.times.countIn(conversationAt - 1_000, conversationAt),
      );
      this.counters.maxObservedPerTenant1s = Math.max(
        this.counters.maxObservedPerTenant1s,
        tenant.times.countIn(tenantAt - 1_000, tenantAt),
      );
    }

    if (this.stopped) {
      conv.phase = 'idle';
      this.settleIdle();
      return;
    }

    const rewoken = conv.rewoken;
    conv.rewoken = false;
    switch (result.kind) {
      case 'idle':
        conv.attempt = 0;
        if (rewoken) this.schedule(conv, now);
        else this.retire(conv, now);
        break;
      case 'done':
        this.counters.delivered++;
        conv.attempt = 0;
        if (result.more || rewoken) this.schedule(conv, now);
        else this.retire(conv, now);
        break;
      case 'retry': {
        this.counters.retries++;
        conv.attempt++;
        const delay = this.backoffDelay(conv.attempt, result.retryAfterMs);
        conv.backoffUntil = now + delay;
        this.logger.debug(
          { tenantId: conv.key.tenantId, conversationId: conv.key.conversationId, status: result.status, delay },
          'notification delivery backing off',
        );
        this.schedule(conv, now);
        break;
      }
      case 'gone':
        this.counters.gone++;
        this.forget(conv, now);
        // A wake that raced with the step may concern new work; a fresh state lets the worker answer it.
        if (rewoken) this.wake(conv.key);
        break;
    }
    this.pump();
  }

  /** max(Retry-After, min(maxMs, baseMs·2^(attempt−1)) · (1 ± jitter)). */
  private backoffDelay(attempt: number, retryAfterMs: number | undefined): number {
    const { baseMs, maxMs, jitter } = this.backoff;
    const nominal = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, MAX_BACKOFF_EXPONENT));
    const jittered = nominal * (1 + jitter * (2 * this.random() - 1));
    const floor = typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) ? retryAfterMs : 0;
    return Math.max(floor, jittered, 0);
  }

  /** No work known: keep the windows while they can still matter, then forget the conversation. */
  private retire(conv: ConversationState, now: number): void {
    conv.phase = 'idle';
    conv.times.dropThrough(now - this.longestConversationWindow);
    const last = conv.times.last();
    if (last === undefined) this.forget(conv, now);
    else if (conv.expiryAt === undefined) this.pushTimer(last + this.longestConversationWindow, 'expire', conv);
  }

  private forget(conv: ConversationState, now: number): void {
    const tenant = conv.tenant;
    conv.phase = 'idle';
    conv.waitingUntil = undefined;
    conv.expiryAt = undefined;
    if (tenant.conversations.get(conv.key.conversationId) === conv) {
      tenant.conversations.delete(conv.key.conversationId);
      this.conversationCount--;
    }
    this.retireTenant(tenant, now);
  }

  private retireTenant(tenant: TenantState, now: number): void {
    if (tenant.conversations.size > 0 || tenant.ready.size > 0 || tenant.blocked) return;
    tenant.times.dropThrough(now - this.longestTenantWindow);
    const last = tenant.times.last();
    if (last === undefined) {
      tenant.expiryAt = undefined;
      if (this.tenants.get(tenant.tenantId) === tenant) this.tenants.delete(tenant.tenantId);
    } else if (tenant.expiryAt === undefined) {
      this.pushTimer(last + this.longestTenantWindow, 'expire', tenant);
    }
  }

  private pushTimer(at: number, purpose: TimerEntry['purpose'], target: ConversationState | TenantState): void {
    if (purpose === 'expire') target.expiryAt = at;
    this.heap.push({ at, seq: this.seq++, purpose, target });
  }

  private onTimer(): void {
    this.timerHandle = undefined;
    this.timerDueAt = undefined;
    if (this.stopped) return;
    const now = this.now();
    for (let entry = this.heap.peek(); entry && entry.at <= now; entry = this.heap.peek()) {
      this.heap.pop();
      if (!isLive(entry)) continue;
      const target = entry.target;
      if (entry.purpose === 'expire') {
        target.expiryAt = undefined;
        if (target.type === 'tenant') this.retireTenant(target, now);
        else if (target.phase === 'idle') this.retire(target, now);
      } else if (target.type === 'tenant') {
        target.blocked = false;
        target.blockedUntil = undefined;
        if (target.ready.size > 0 && !target.inRing) {
          target.inRing = true;
          this.ring.push(target);
        }
      } else {
        target.waitingUntil = undefined;
        this.waitingCount--;
        this.schedule(target, now);
      }
    }
    this.pump();
  }

  /** Keeps exactly one timer, set for the earliest live heap entry. */
  private armTimer(): void {
    let top = this.heap.peek();
    while (top && !isLive(top)) {
      this.heap.pop();
      top = this.heap.peek();
    }
    if (!top || this.stopped) {
      this.disarmTimer();
      return;
    }
    if (this.timerHandle !== undefined && this.timerDueAt === top.at) return;
    this.disarmTimer();
    this.timerDueAt = top.at;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, top.at - this.now()));
    this.timerHandle = this.timers.set(() => this.onTimer(), delay);
  }

  private disarmTimer(): void {
    if (this.timerHandle !== undefined) this.timers.clear(this.timerHandle);
    this.timerHandle = undefined;
    this.timerDueAt = undefined;
  }

  private isIdle(): boolean {
    return this.inFlight === 0 && (this.stopped || (this.readyCount === 0 && this.waitingCount === 0));
  }

  private settleIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
