import assert from 'node:assert/strict';
import type { RateWindow } from '../../src/http/slidingWindowLimiter';
import { createLogger } from '../../src/logging/logger';
import type { Logger } from '../../src/logging/logger';
import { DeliveryDispatcher } from '../../src/notifications/deliveryDispatcher';
import type {
  ConversationKey,
  DeliveryDispatcherOptions,
  DeliveryTimers,
  StepResult,
} from '../../src/notifications/deliveryDispatcher';
import { mulberry32 } from '../support/seededRandom';

/*
 * Teams' limits as documented, written out here rather than imported, so a wrong product constant fails the tests
 * instead of being checked against itself. Per bot per conversation (thread), "send to conversation" and "create
 * conversation" (rate-limit.md; defender-api.md §11.1): 7 in 1 s, 8 in 2 s, 60 in 30 s, 1800 in 3600 s.
 */
const DOCUMENTED_CONVERSATION_LIMITS: readonly RateWindow[] = [
  { limit: 7, windowMs: 1_000 },
  { limit: 8, windowMs: 2_000 },
  { limit: 60, windowMs: 30_000 },
  { limit: 1800, windowMs: 3_600_000 },
];
/** Per app per tenant Teams documents 50 requests/s (30 in an older copy); the README promises a budget of 30/s. */
const TENANT_BUDGET: readonly RateWindow[] = [{ limit: 30, windowMs: 1_000 }];

/** A schedule written as [instant, how many requests at it] runs. */
const schedule = (...runs: [at: number, count: number][]) =>
  runs.flatMap(([at, count]) => Array<number>(count).fill(at));

/** Lets every pending promise callback and queued microtask run (they all drain before an immediate fires). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

interface VirtualTimer {
  at: number;
  seq: number;
  fn: () => void;
  owner: 'dispatcher' | 'test';
}

/**
 * A virtual clock: time only moves when the test runs the next timer, so "30 requests per second" is checked
 * against exact instants and a one-hour window costs no real time. It also counts the dispatcher's live timers
 * (the dispatcher promises to keep at most one).
 */
class VirtualClock {
  now = 0;
  liveDispatcherTimers = 0;
  maxLiveDispatcherTimers = 0;
  private readonly timers: VirtualTimer[] = [];
  private seq = 0;

  readonly dispatcherTimers: DeliveryTimers = {
    set: (fn, ms) => {
      const timer: VirtualTimer = { at: this.now + ms, seq: this.seq++, fn, owner: 'dispatcher' };
      this.timers.push(timer);
      this.liveDispatcherTimers++;
      this.maxLiveDispatcherTimers = Math.max(this.maxLiveDispatcherTimers, this.liveDispatcherTimers);
      return timer;
    },
    clear: (handle) => {
      const i = this.timers.indexOf(handle as VirtualTimer);
      if (i >= 0) {
        this.timers.splice(i, 1);
        this.liveDispatcherTimers--;
      }
    },
  };

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.at(this.now + ms, resolve));
  }

  /** Runs `fn` when virtual time reaches `at`. */
  at(at: number, fn: () => void): void {
    this.timers.push({ at, seq: this.seq++, fn, owner: 'test' });
  }

  /** Fires timers in time order until `done()` holds; fails if nothing is left to fire. */
  async runUntil(done: () => boolean): Promise<void> {
    for (;;) {
      await flush();
      if (done()) return;
      const timer = this.takeNext(Infinity);
      if (!timer) throw new Error(`stalled at ${this.now} ms: condition not met and no timer pending`);
      timer.fn();
    }
  }

  /** Fires timers in time order until `promise` settles; returns the virtual time at that moment. */
  async settle(promise: Promise<unknown>): Promise<number> {
    let settled = false;
    void promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    await this.runUntil(() => settled);
    return this.now;
  }

  /** Fires every timer due up to `t`, then stands at `t`. */
  async advanceTo(t: number): Promise<void> {
    for (;;) {
      await flush();
      const timer = this.takeNext(t);
      if (!timer) break;
      timer.fn();
    }
    this.now = Math.max(this.now, t);
    await flush();
  }

  private takeNext(limit: number): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const timer of this.timers) {
      if (!best || timer.at < best.at || (timer.at === best.at && timer.seq < best.seq)) best = timer;
    }
    if (!best || best.at > limit) return undefined;
    this.timers.splice(this.timers.indexOf(best), 1);
    if (best.owner === 'dispatcher') this.liveDispatcherTimers--;
    this.now = Math.max(this.now, best.at);
    return best;
  }
}

/** What the fake Teams answers to one request. */
type Answer =
  | { kind: 'accept' }
  | { kind: 'transient'; status?: number; retryAfterMs?: number }
  | { kind: 'gone' }
  | { kind: 'throw' };

interface RequestRecord {
  at: number;
  tenantId: string;
  conversationId: string;
  item: string;
  answer: Answer['kind'];
}

const idOf = (key: ConversationKey) => `${key.tenantId}/${key.conversationId}`;

/**
 * A hand-written double of the notification worker: an outbox per conversation, one request per step, answers
 * chosen by the test. `more` is computed from what the step saw when it started, as a real worker reading
 * storage would, so an item queued while a step is in flight relies on the dispatcher not losing the wake.
 */
class RecordingWorker {
  readonly requests: RequestRecord[] = [];
  readonly delivered = new Map<string, string[]>();
  readonly retired = new Set<string>();
  stepCalls = 0;
  inFlight = 0;
  maxInFlight = 0;
  maxConcurrentPerConversation = 0;
  private readonly running = new Map<string, number>();
  private readonly outboxes = new Map<string, string[]>();

  constructor(
    private readonly clock: VirtualClock,
    private readonly answer: (key: ConversationKey, item: string) => Answer = () => ({ kind: 'accept' }),
    private readonly latency: (key: ConversationKey) => number = () => 0,
  ) {}

  /** Queues items for a conversation (ignored once it is retired, as the real outbox would refuse them). */
  enqueue(key: ConversationKey, ...items: string[]): void {
    const id = idOf(key);
    if (this.retired.has(id)) return;
    const box = this.outboxes.get(id) ?? [];
    box.push(...items);
    this.outboxes.set(id, box);
  }

  pending(key: ConversationKey): number {
    return this.outboxes.get(idOf(key))?.length ?? 0;
  }

  readonly step = async (key: ConversationKey): Promise<StepResult> => {
    const id = idOf(key);
    this.stepCalls++;
    const concurrent = (this.running.get(id) ?? 0) + 1;
    this.running.set(id, concurrent);
    this.maxConcurrentPerConversation = Math.max(this.maxConcurrentPerConversation, concurrent);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const box = this.outboxes.get(id);
      const item = box?.[0];
      if (!box || item === undefined) return { kind: 'idle' };
      const sawMore = box.length > 1;
      const answer = this.answer(key, item);
      this.requests.push({ at: this.clock.now, ...key, item, answer: answer.kind });
      const latency = this.latency(key);
      if (latency > 0) await this.clock.sleep(latency);
      switch (answer.kind) {
        case 'accept': {
          box.shift();
          const done = this.delivered.get(id) ?? [];
          done.push(item);
          this.delivered.set(id, done);
          return { kind: 'done', more: sawMore };
        }
        case 'transient':
          return { kind: 'retry', status: answer.status, retryAfterMs: answer.retryAfterMs };
        case 'gone':
          this.retired.add(id);
          this.outboxes.delete(id);
          return { kind: 'gone' };
        case 'throw':
          throw new Error('connector socket hang up');
      }
    } finally {
      this.inFlight--;
      this.running.set(id, (this.running.get(id) ?? 1) - 1);
    }
  };
}

const silentLogger = (): Logger => createLogger({ level: 'silent' });

/** Every clock the current test created; afterEach checks the one-timer promise on each. */
let clocks: VirtualClock[] = [];

function setup(
  options: Partial<DeliveryDispatcherOptions> & {
    answer?: (key: ConversationKey, item: string) => Answer;
    latency?: (key: ConversationKey) => number;
  } = {},
) {
  const clock = new VirtualClock();
  clocks.push(clock);
  const worker = new RecordingWorker(clock, options.answer, options.latency);
  const dispatcher = new DeliveryDispatcher({
    step: worker.step,
    logger: silentLogger(),
    random: () => 0.5,
    ...options,
    now: () => clock.now,
    timers: clock.dispatcherTimers,
  });
  const send = (key: ConversationKey, ...items: string[]) => {
    worker.enqueue(key, ...items);
    dispatcher.wake(key);
  };
  return { clock, worker, dispatcher, send };
}

const conv = (conversationId: string, tenantId = 'tenant-a'): ConversationKey => ({ tenantId, conversationId });
const items = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** Fails when any sliding window (x − windowMs, x] over `times` holds more than its limit. */
function assertWindows(times: number[], windows: readonly RateWindow[], label: string): void {
  const sorted = [...times].sort((a, b) => a - b);
  for (const w of windows) {
    let j = 0;
    for (let i = 0; i < sorted.length; i++) {
      while (sorted[j]! <= sorted[i]! - w.windowMs) j++;
      const count = i - j + 1;
      assert.ok(
        count <= w.limit,
        `${label}: ${count} requests in the ${w.windowMs} ms window ending at ${sorted[i]} (limit ${w.limit})`,
      );
    }
  }
}

/** Groups request times by a key. */
function timesBy(requests: RequestRecord[], keyOf: (r: RequestRecord) => string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of requests) {
    const list = out.get(keyOf(r)) ?? [];
    list.push(r.at);
    out.set(keyOf(r), list);
  }
  return out;
}

/** The fastest schedule the windows allow for n back-to-back requests from t = 0 (greedy is optimal here). */
function fastestSchedule(n: number, windows: readonly RateWindow[]): number[] {
  const times: number[] = [];
  for (let k = 0; k < n; k++) {
    let at = times.length > 0 ? times[times.length - 1]! : 0;
    for (const w of windows)
      if (times.length >= w.limit) at = Math.max(at, times[times.length - w.limit]! + w.windowMs);
    times.push(at);
  }
  return times;
}

/** Gaps between consecutive request times. */
const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe('DeliveryDispatcher', () => {
  beforeEach(() => {
    clocks = [];
  });

  afterEach(() => {
    // Why: "no busy loops" — one timer for the earliest instant anything becomes eligible, never a timer per wait.
    for (const clock of clocks)
      assert.ok(clock.maxLiveDispatcherTimers <= 1, 'the dispatcher kept more than one timer');
  });

  describe('rate limits', () => {
    it("spends one conversation's requests at the earliest instants Teams' windows allow, and never more", async () => {
      const { clock, worker, dispatcher, send } = setup();
      send(conv('flood'), ...items('m', 2000));
      await clock.settle(dispatcher.idle());

      const times = worker.requests.map((r) => r.at);
      assert.equal(times.length, 2000);
      assertWindows(times, DOCUMENTED_CONVERSATION_LIMITS, 'conversation');
      // Worked out by hand from the documented limits: 7 at once (7/1 s), one more a second later (8/2 s), and so
      // on until the 60th request at 14 s fills the 30 s window; the 61st waits until the first seven leave it.
      // prettier-ignore
      const handWorked = schedule(
        [0, 7], [1000, 1], [2000, 7], [3000, 1], [4000, 7], [5000, 1], [6000, 7], [7000, 1],
        [8000, 7], [9000, 1], [10000, 7], [11000, 1], [12000, 7], [13000, 1], [14000, 4],
        [30000, 7], [31000, 1], [32000, 7],
      );
      assert.deepEqual(times.slice(0, 75), handWorked);
      // Not slower than necessary either: every request at the earliest instant the windows allow,
      // which includes the pause the 1800/3600 s window forces after the 1800th request.
      assert.deepEqual(times, fastestSchedule(2000, DOCUMENTED_CONVERSATION_LIMITS));
      assert.ok(times[1800]! >= 3_600_000);
      assert.equal(dispatcher.stats().maxObservedPerConversation1s, 7);
    });

    it('keeps a tenant under 30 requests in any second across many conversations, at full speed', async () => {
      const { clock, worker, dispatcher, send } = setup();
      for (let c = 0; c < 100; c++) send(conv(`c${c}`), ...items(`c${c}`, 20));
      await clock.settle(dispatcher.idle());

      const times = worker.requests.map((r) => r.at);
      assert.equal(times.length, 2000);
      assertWindows(times, TENANT_BUDGET, 'tenant');
      for (const [id, convTimes] of timesBy(worker.requests, (r) => r.conversationId)) {
        assertWindows(convTimes, DOCUMENTED_CONVERSATION_LIMITS, id);
      }
      // 30 per second from t = 0: the 2000th request cannot start before 66 s, and does not start later.
      assert.equal(Math.max(...times), Math.floor(1999 / 30) * 1000);
      assert.equal(dispatcher.stats().maxObservedPerTenant1s, 30);
    });

    it('limits two tenants independently', async () => {
      const { clock, worker, dispatcher, send } = setup();
      for (let c = 0; c < 90; c++) {
        send(conv(`a${c}`, 'tenant-a'), 'x');
        send(conv(`b${c}`, 'tenant-b'), 'x');
      }
      await clock.settle(dispatcher.idle());

      const byTenant = timesBy(worker.requests, (r) => r.tenantId);
      for (const [tenant, times] of byTenant) {
        assertWindows(times, TENANT_BUDGET, tenant);
        // Each tenant uses its own full budget in the first second, whatever the other does.
        assert.equal(times.filter((t) => t === 0).length, 30, tenant);
        assert.equal(Math.max(...times), 2000, tenant);
      }
      assert.equal(worker.requests.length, 180);
    });

    it('counts 429s against the windows, and gives back the slot of a step that made no request', async () => {
      const { clock, worker, dispatcher, send } = setup({
        // No backoff so the retries come as fast as the windows allow.
        backoff: { baseMs: 0, maxMs: 0, jitter: 0 },
        answer: (_key, item) => (item.startsWith('fail') ? { kind: 'transient', status: 429 } : { kind: 'accept' }),
      });
      const key = conv('c');
      // 20 wakes with nothing queued: 20 steps, no request, so the 7/1 s budget is untouched.
      for (let i = 0; i < 20; i++) {
        dispatcher.wake(key);
        await clock.settle(dispatcher.idle());
      }
      assert.equal(worker.stepCalls, 20);
      assert.equal(clock.now, 0);
      send(key, ...items('ok', 7));
      await clock.settle(dispatcher.idle());
      assert.deepEqual(
        worker.requests.map((r) => r.at),
        [0, 0, 0, 0, 0, 0, 0],
      );

      // A conversation that only gets 429s still spends its budget: 7 in the first second, then 1, then 7...
      const failing = conv('failing');
      send(failing, 'fail');
      await clock.advanceTo(3_000);
      const failTimes = worker.requests.filter((r) => r.conversationId === 'failing').map((r) => r.at);
      assert.deepEqual(failTimes, [0, 0, 0, 0, 0, 0, 0, 1000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 3000]);
      assert.equal(dispatcher.stats().idleSteps, 20);
      await clock.settle(dispatcher.stop());
    });
  });

  describe('fairness', () => {
    it('gives a conversation with one message a turn while another has 500 pending', async () => {
      const { clock, worker, dispatcher, send } = setup({
        perConversation: [],
        perTenant: [{ limit: 4, windowMs: 1_000 }],
        maxInFlight: 1,
        latency: () => 10,
      });
      send(conv('busy'), ...items('busy', 500));
      await clock.advanceTo(1_500);
      send(conv('quiet'), 'only');
      await clock.runUntil(() => worker.delivered.has('tenant-a/quiet'));

      const quiet = worker.requests.find((r) => r.conversationId === 'quiet')!;
      // The budget refills at 2 s; round-robin: the backlog (queued first) takes one slot, then the newcomer,
      // rather than the newcomer waiting behind the 492 messages left.
      assert.equal(quiet.at, 2_010);
      assert.equal(worker.requests.indexOf(quiet), 9);
      await clock.settle(dispatcher.stop());
    });

    it('alternates between conversations with backlogs', async () => {
      const { clock, worker, dispatcher, send } = setup({ maxInFlight: 1, latency: () => 5 });
      send(conv('a'), ...items('a', 5));
      send(conv('b'), ...items('b', 5));
      send(conv('c'), ...items('c', 5));
      await clock.settle(dispatcher.idle());
      assert.deepEqual(
        worker.requests.slice(0, 6).map((r) => r.conversationId),
        ['a', 'b', 'c', 'a', 'b', 'c'],
      );
    });

    it('gives a tenant with one conversation a turn while another tenant floods the shared slots', async () => {
      const { clock, worker, dispatcher, send } = setup({ maxInFlight: 1, latency: () => 100 });
      for (let c = 0; c < 20; c++) send(conv(`c${c}`, 'big'), ...items(`c${c}`, 50));
      await clock.advanceTo(250);
      send(conv('one', 'small'), 'only');
      await clock.runUntil(() => worker.delivered.has('small/one'));

      const small = worker.requests.find((r) => r.tenantId === 'small')!;
      // Tenants take turns: the busy tenant (queued first) takes the slot at 300, the newcomer the next one,
      // instead of waiting behind 1000 messages.
      assert.equal(small.at, 400);
      await clock.settle(dispatcher.stop());
    });
  });

  describe('retries', () => {
    it('honours Retry-After: no request before it', async () => {
      let first = true;
      const { clock, worker, dispatcher, send } = setup({
        answer: () => {
          if (!first) return { kind: 'accept' };
          first = false;
          return { kind: 'transient', status: 429, retryAfterMs: 30_000 };
        },
      });
      send(conv('c'), 'm');
      await clock.advanceTo(29_999);
      assert.equal(worker.requests.length, 1);
      await clock.settle(dispatcher.idle());
      assert.deepEqual(
        worker.requests.map((r) => r.at),
        [0, 30_000],
      );
      assert.deepEqual(worker.delivered.get('tenant-a/c'), ['m']);
    });

    it('waits for the backoff when Retry-After is shorter', async () => {
      let first = true;
      const { clock, worker, dispatcher, send } = setup({
        answer: () => {
          if (!first) return { kind: 'accept' };
          first = false;
          return { kind: 'transient', status: 429, retryAfterMs: 500 };
        },
      });
      send(conv('c'), 'm');
      await clock.settle(dispatcher.idle());
      assert.deepEqual(
        worker.requests.map((r) => r.at),
        [0, 2_000],
      );
    });

    it('backs off exponentially up to the cap, and starts again from the base after a success', async () => {
      let failuresLeft = 9;
      const { clock, worker, dispatcher, send } = setup({
        answer: () => (failuresLeft-- > 0 ? { kind: 'transient', status: 502 } : { kind: 'accept' }),
      });
      send(conv('c'), 'first');
      await clock.settle(dispatcher.idle());
      assert.deepEqual(
        gaps(worker.requests.map((r) => r.at)),
        [2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000],
      );

      failuresLeft = 1;
      const before = worker.requests.length;
      send(conv('c'), 'second');
      await clock.settle(dispatcher.idle());
      assert.deepEqual(gaps(worker.requests.slice(before).map((r) => r.at)), [2_000]);
    });

    it('randomizes each backoff within ±20% of its nominal value', async () => {
      const random = mulberry32(7);
      let failuresLeft = 200;
      const { clock, worker, dispatcher, send } = setup({
        random,
        answer: (key) =>
          failuresLeft-- > 0 && worker.pending(key) > 0 ? { kind: 'transient', status: 429 } : { kind: 'accept' },
      });
      // 20 conversations, about 10 failures each (few enough that no window ever delays a retry).
      for (let c = 0; c < 20; c++) send(conv(`c${c}`), 'm');
      await clock.settle(dispatcher.idle());
      const ratios: number[] = [];
      for (const times of timesBy(worker.requests, (r) => r.conversationId).values()) {
        gaps(times).forEach((gap, i) => ratios.push(gap / Math.min(60_000, 2_000 * 2 ** i)));
      }
      assert.ok(ratios.length >= 150);
      for (const ratio of ratios) assert.ok(ratio >= 0.8 && ratio < 1.2, `backoff ratio ${ratio}`);
      // Jitter is really applied: ratios spread over the band instead of sitting at 1.
      assert.ok(Math.min(...ratios) < 0.85 && Math.max(...ratios) > 1.15);
    });

    it('logs a step that throws and retries it after a backoff', async () => {
      const lines: string[] = [];
      let calls = 0;
      const { clock, dispatcher } = setup({
        logger: createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } }),
        step: (): Promise<StepResult> => {
          calls++;
          if (calls === 1) throw new Error('synchronous failure');
          if (calls === 2) return Promise.reject(new Error('asynchronous failure'));
          return Promise.resolve({ kind: 'done', more: false });
        },
      });
      dispatcher.wake(conv('c'));
      await clock.settle(dispatcher.idle());

      assert.equal(calls, 3);
      // 2 s, then 4 s: the throws count as failed attempts.
      assert.equal(clock.now, 6_000);
      const warnings = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'warn');
      assert.equal(warnings.length, 2);
      assert.deepEqual(
        warnings.map((w) => (w.err as { message: string }).message),
        ['synchronous failure', 'asynchronous failure'],
      );
      assert.equal(warnings[0]!.conversationId, 'c');
      const stats = dispatcher.stats();
      assert.equal(stats.errors, 2);
      assert.equal(stats.retries, 2);
      assert.equal(stats.delivered, 1);
    });
  });

  describe('lifecycle', () => {
    it('does not lose a wake that arrives while a step is in flight', async () => {
      const { clock, worker, dispatcher, send } = setup({ latency: () => 100 });
      const key = conv('c');
      send(key, 'first');
      clock.at(50, () => send(key, 'second'));
      await clock.settle(dispatcher.idle());
      assert.deepEqual(worker.delivered.get('tenant-a/c'), ['first', 'second']);
      assert.deepEqual(
        worker.requests.map((r) => r.at),
        [0, 100],
      );
      assert.equal(worker.maxConcurrentPerConversation, 1);
    });

    it('does not shorten a backoff on wake, and still runs the conversation after it', async () => {
      let first = true;
      const { clock, worker, dispatcher, send } = setup({
        answer: () => {
          if (!first) return { kind: 'accept' };
          first = false;
          return { kind: 'transient', status: 504 };
        },
      });
      const key = conv('c');
      send(key, 'a');
      clock.at(500, () => send(key, 'b'));
      await clock.settle(dispatcher.idle());
      assert.deepEqual(
        worker.requests.map((r) => r.at),
        [0, 2_000, 2_000],
      );
      assert.deepEqual(worker.delivered.get('tenant-a/c'), ['a', 'b']);
    });

    it('forgets a conversation that is gone, and treats a later wake as a new conversation', async () => {
      let answers: Answer[] = [
        { kind: 'transient', status: 429 },
        { kind: 'transient', status: 429 },
        { kind: 'gone' },
      ];
      const { clock, worker, dispatcher, send } = setup({ answer: () => answers.shift() ?? { kind: 'accept' } });
      const key = conv('c');
      send(key, 'm');
      await clock.settle(dispatcher.idle());
      assert.equal(worker.requests.length, 3);
      assert.equal(dispatcher.stats().gone, 1);
      assert.equal(dispatcher.stats().conversations, 0);
      await clock.advanceTo(clock.now + 3_600_000);
      assert.equal(worker.stepCalls, 3, 'no step for a gone conversation');

      // Re-installed later: a new conversation state, so the backoff starts from the base again.
      worker.retired.clear();
      answers = [{ kind: 'transient', status: 429 }];
      const start = clock.now;
      send(key, 'again');
      await clock.settle(dispatcher.idle());
      assert.deepEqual(
        worker.requests.slice(3).map((r) => r.at - start),
        [0, 2_000],
      );
    });

    it('resolves idle() only when nothing is runnable, in flight or backing off', async () => {
      let failuresLeft = 2;
      const { clock, dispatcher, send } = setup({
        latency: () => 10,
        answer: () => (failuresLeft-- > 0 ? { kind: 'transient', status: 412 } : { kind: 'accept' }),
      });
      await dispatcher.idle();
      send(conv('c'), 'm');
      let idle = false;
      void dispatcher.idle().then(() => (idle = true));
      await clock.advanceTo(5_000);
      assert.equal(idle, false, 'still backing off');
      const at = await clock.settle(dispatcher.idle());
      // 0 → fails at 10, retry at 2010 → fails at 2020, retry at 6020 → done at 6030.
      assert.equal(at, 6_030);
      assert.equal(idle, true);
    });

    it('stop() waits for steps in flight, then starts nothing and ignores wakes', async () => {
      const { clock, worker, dispatcher, send } = setup({ maxInFlight: 1, latency: () => 500 });
      send(conv('a'), 'a1', 'a2');
      send(conv('b'), 'b1');
      await clock.advanceTo(100);
      const stopped = dispatcher.stop();
      let done = false;
      void stopped.then(() => (done = true));
      await clock.advanceTo(499);
      assert.equal(done, false, 'the step in flight has not finished');
      const at = await clock.settle(stopped);
      assert.equal(at, 500);
      send(conv('c'), 'c1');
      await clock.advanceTo(60_000);
      assert.equal(worker.stepCalls, 1);
      assert.deepEqual([...worker.delivered.keys()], ['tenant-a/a']);
      assert.equal(clock.liveDispatcherTimers, 0);
      await dispatcher.idle();
    });

    it('forgets idle conversations and tenants once their windows are empty (10,000 conversations)', async () => {
      const { clock, worker, dispatcher, send } = setup();
      for (let c = 0; c < 10_000; c++) send(conv(`c${c}`, `tenant-${c % 10}`), 'm');
      assert.equal(dispatcher.stats().conversations, 10_000);
      await clock.settle(dispatcher.idle());
      assert.equal(worker.delivered.size, 10_000);
      // 1000 conversations per tenant at 30/s: 34 s.
      assert.equal(clock.now, Math.floor(999 / 30) * 1000);
      // Remembered while the hour window can still matter...
      assert.equal(dispatcher.stats().conversations, 10_000);
      await clock.advanceTo(3_600_000 + clock.now);
      // ...then forgotten, with no timer left behind.
      assert.equal(dispatcher.stats().conversations, 0);
      assert.equal(dispatcher.stats().tenants, 0);
      assert.equal(clock.liveDispatcherTimers, 0);
    });

    it('keeps no process alive: the default timer is unref’d', async () => {
      const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      await flush(); // mocha arms its own test timeout once the test is pending
      const baseline = timeouts();
      let steps = 0;
      const dispatcher = new DeliveryDispatcher({
        logger: silentLogger(),
        step: () => {
          steps++;
          return Promise.resolve({ kind: 'retry', status: 429, retryAfterMs: 600_000 });
        },
      });
      dispatcher.wake(conv('c'));
      while (steps === 0 || dispatcher.stats().waiting === 0) await flush();
      assert.equal(dispatcher.stats().waiting, 1, 'backing off on a real timer');
      assert.equal(timeouts(), baseline, 'the backoff timer is not counted as keeping the process alive');
      await dispatcher.stop();
    });

    it('rejects options that cannot be honoured', () => {
      const base = { step: () => Promise.resolve<StepResult>({ kind: 'idle' }), logger: silentLogger() };
      assert.throws(() => new DeliveryDispatcher({ ...base, maxInFlight: 0 }), RangeError);
      assert.throws(() => new DeliveryDispatcher({ ...base, perTenant: [{ limit: 0, windowMs: 1000 }] }), RangeError);
      assert.throws(
        () => new DeliveryDispatcher({ ...base, backoff: { baseMs: 10, maxMs: 5, jitter: 0 } }),
        RangeError,
      );
    });
  });

  describe('throughput', () => {
    it('delivers 200 conversations × 1 message in the minimum the tenant budget allows (200/30 s)', async () => {
      const { clock, worker, dispatcher, send } = setup({ latency: () => 20 });
      for (let c = 0; c < 200; c++) send(conv(`c${c}`), 'm');
      const finished = await clock.settle(dispatcher.idle());
      const starts = worker.requests.map((r) => r.at);
      assert.equal(worker.delivered.size, 200);
      assert.equal(starts.filter((t) => t < 1_000).length, 30);
      // The 200th request cannot start before 6 s (30/s). With 8 steps in flight of 20 ms each, the last
      // seventh-second batch starts a few latencies later.
      assert.ok(Math.max(...starts) >= 6_000);
      assert.ok(finished <= 6_000 + 4 * 20, `finished at ${finished} ms`);
      assertWindows(starts, TENANT_BUDGET, 'tenant');
    });
  });

  describe('randomized', () => {
    for (const seed of [1, 42, 2026]) {
      it(`never exceeds a window and delivers every queued item in order (seed ${seed})`, async () => {
        const random = mulberry32(seed);
        const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!;
        const tenants = ['t1', 't2', 't3'];
        const keys = tenants.flatMap((t) => Array.from({ length: 30 }, (_, i) => conv(`c${i}`, t)));
        const goneFor = new Set<string>();
        const { clock, worker, dispatcher, send } = setup({
          random,
          maxInFlight: 6,
          latency: () => Math.floor(random() * 300),
          answer: (key) => {
            const r = random();
            if (r < 0.7) return { kind: 'accept' };
            if (r < 0.8)
              return { kind: 'transient', status: 429, retryAfterMs: random() < 0.5 ? random() * 5_000 : undefined };
            if (r < 0.86) return { kind: 'transient', status: pick([412, 502, 504]) };
            if (r < 0.9) return { kind: 'transient' };
            if (r < 0.94) return { kind: 'throw' };
            if (r < 0.945 && goneFor.size < 5) {
              goneFor.add(idOf(key));
              return { kind: 'gone' };
            }
            return { kind: 'accept' };
          },
        });
        const queued = new Map<string, string[]>();
        let n = 0;
        for (let i = 0; i < 3_000; i++) {
          const key = pick(keys);
          const at = Math.floor(random() * 120_000);
          const burst = random() < 0.1 ? 20 : 1;
          clock.at(at, () => {
            const batch = Array.from({ length: burst }, () => `i${n++}`);
            if (!worker.retired.has(idOf(key))) {
              const list = queued.get(idOf(key)) ?? [];
              list.push(...batch);
              queued.set(idOf(key), list);
            }
            send(key, ...batch);
          });
          // Spurious wakes for conversations that may have nothing queued.
          if (random() < 0.2) clock.at(Math.floor(random() * 120_000), () => dispatcher.wake(pick(keys)));
        }
        await clock.advanceTo(120_000);
        await clock.settle(dispatcher.idle());

        assert.ok(worker.requests.length > 5_000, `only ${worker.requests.length} requests`);
        assert.ok(worker.requests.filter((r) => r.answer !== 'accept').length > 1_000, 'the run exercised failures');
        for (const [id, times] of timesBy(worker.requests, (r) => `${r.tenantId}/${r.conversationId}`)) {
          assertWindows(times, DOCUMENTED_CONVERSATION_LIMITS, id);
        }
        for (const [tenant, times] of timesBy(worker.requests, (r) => r.tenantId)) {
          assertWindows(times, TENANT_BUDGET, tenant);
        }
        assert.equal(worker.maxConcurrentPerConversation, 1);
        assert.ok(worker.maxInFlight <= 6);
        for (const [id, expected] of queued) {
          if (goneFor.has(id)) continue;
          assert.deepEqual(worker.delivered.get(id), expected, `${id} got every item, in order`);
        }
        assert.ok(dispatcher.stats().maxObservedPerConversation1s <= 7);
        assert.ok(dispatcher.stats().maxObservedPerTenant1s <= 30);

        await clock.advanceTo(clock.now + 3_600_000);
        assert.equal(dispatcher.stats().conversations, 0);
        assert.equal(dispatcher.stats().tenants, 0);
        assert.equal(clock.liveDispatcherTimers, 0);
      });
    }
  });
});
