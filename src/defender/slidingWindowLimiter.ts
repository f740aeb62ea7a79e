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

  /** Resolves when the call may go out; AppError `rateLimited` (with retryAfterSeconds) when it would wait too long. */
  async acquire(key: string): Promise<void> {
    const now = this.now();
    const perWindow = this.timesFor(key);
    let at = now;
    this.options.windows.forEach((window, i) => {
      const times = perWindow[i]!;
      while (times.length > 0 && times[0]! <= now - window.windowMs) times.shift();
      if (times.length >= window.limit) at = Math.max(at, times[times.length - window.limit]! + window.windowMs);
    });
    const delay = at - now;
    if (delay > this.options.maxWaitMs) {
      throw new AppError('rateLimited', 'client-side Defender quota exhausted', {
        retryAfterSeconds: Math.ceil(delay / 1000),
      });
    }
    perWindow.forEach((times) => times.push(at));
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
