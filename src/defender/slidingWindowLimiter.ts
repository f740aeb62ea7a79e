import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../errors';

/** One limit: at most `limit` admissions in any window of `windowMs`. */
export interface RateWindow {
  limit: number;
  windowMs: number;
}

/** Options of the limiter; `now` is injectable so tests need no real waiting. */
export interface SlidingWindowLimiterOptions {
  windows: RateWindow[];
  /** A call that would wait longer than this fails at once with AppError `rateLimited`. */
  maxWaitMs: number;
  /**
   * Share (0..1] of every window that background work (the application identity: polling, tracking) may use;
   * the rest is kept for people. Default 1: no reserve.
   */
  backgroundShare?: number;
  /** Background work may wait this long for a slot (default 60 s): it has no one waiting on it. */
  backgroundMaxWaitMs?: number;
  now?: () => number;
  wait?: (ms: number) => Promise<void>;
}

/**
 * Client-side admission control per key (a tenant): keeps the bot under Defender's documented quota
 * (100 calls/min, 1500/h) so interactive users are not answered with 429s caused by our own bursts.
 * Each admission is scheduled at the earliest instant every window allows; callers wait for their slot in
 * arrival order, or fail fast when the wait would be longer than `maxWaitMs`.
 */
export class SlidingWindowLimiter {
  private readonly scheduled = new Map<string, number[][]>();
  private readonly now: () => number;
  private readonly wait: (ms: number) => Promise<void>;

  constructor(private readonly options: SlidingWindowLimiterOptions) {
    this.now = options.now ?? Date.now;
    this.wait = options.wait ?? ((ms) => sleep(ms).then(() => undefined));
  }

  /**
   * Resolves when the call may go out; AppError `rateLimited` (with retryAfterSeconds) when it would wait too long.
   * Background calls count like any other but are only admitted within their share of each window.
   */
  async acquire(key: string, priority: 'interactive' | 'background' = 'interactive'): Promise<void> {
    const now = this.now();
    const perWindow = this.timesFor(key);
    const share = priority === 'background' ? (this.options.backgroundShare ?? 1) : 1;
    let at = now;
    this.options.windows.forEach((window, i) => {
      const times = perWindow[i]!;
      while (times.length > 0 && times[0]! <= now - window.windowMs) times.shift();
      const limit = Math.max(1, Math.floor(window.limit * share));
      if (times.length >= limit) at = Math.max(at, times[times.length - limit]! + window.windowMs);
    });
    const delay = at - now;
    const maxWaitMs = priority === 'background' ? (this.options.backgroundMaxWaitMs ?? 60_000) : this.options.maxWaitMs;
    if (delay > maxWaitMs) {
      throw new AppError('rateLimited', 'client-side Defender quota exhausted', {
        retryAfterSeconds: Math.ceil(delay / 1000),
      });
    }
    // Kept sorted: a background call scheduled later must not hide an earlier interactive slot.
    perWindow.forEach((times) => {
      let i = times.length;
      while (i > 0 && times[i - 1]! > at) i--;
      times.splice(i, 0, at);
    });
    if (delay > 0) await this.wait(delay);
  }

  private timesFor(key: string): number[][] {
    let perWindow = this.scheduled.get(key);
    if (!perWindow) {
      perWindow = this.options.windows.map(() => []);
      this.scheduled.set(key, perWindow);
    }
    return perWindow;
  }
}
