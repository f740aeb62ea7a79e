import type { LimiterClock } from '../../src/http/slidingWindowLimiter';

/**
 * Time and timers that move only when a test (or a benchmark replaying a day) moves them: the limiter's clock,
 * and a shared clock for everything else the caller wants on the same time line.
 */
export class FakeLimiterClock implements LimiterClock {
  private readonly timers = new Map<number, { at: number; run: () => void }>();
  private nextId = 0;

  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  setTimer(run: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), run });
    return id;
  }

  clearTimer(timer: unknown): void {
    this.timers.delete(timer as number);
  }

  /** Moves time forward to `at` (never back) without firing timers: the caller fires what is due. */
  moveTo(at: number): void {
    this.time = Math.max(this.time, at);
  }

  /** Runs the earliest timer, moving time to it; false when none is set. */
  fireNext(): boolean {
    const [id, next] = [...this.timers].sort((a, b) => a[1].at - b[1].at)[0] ?? [];
    if (next === undefined) return false;
    this.timers.delete(id!);
    this.moveTo(next.at);
    next.run();
    return true;
  }

  /** Lets time pass up to `ms` from now, firing timers in order and letting settled promises run after each. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    await settle();
    for (;;) {
      const next = [...this.timers.values()].sort((a, b) => a.at - b.at)[0];
      if (next === undefined || next.at > until) break;
      this.fireNext();
      await settle();
    }
    this.time = until;
  }
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
