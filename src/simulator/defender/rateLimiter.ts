/** Calls admitted per sliding minute and per sliding hour (MDE: 100 and 1,500 per API, defender-api.md §7.1). */
export interface RateLimits {
  perMinute: number;
  perHour: number;
}

/** The outcome of asking for a slot; `retryAfterSeconds` is what the 429's Retry-After header carries. */
export type RateDecision =
  { allowed: true } | { allowed: false; retryAfterSeconds: number; limit: number; window: '1m' | '1h' };

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/**
 * Sliding-window limiter keyed by whatever the caller chooses (the API uses api + tenant + app id, the
 * reading of §7.1 most third-party summaries give; the docs do not say). Sliding rather than fixed windows,
 * so a client cannot burst 200 calls across a minute boundary. Refused calls do not consume a slot: ignoring
 * Retry-After still gets 429 because the window stays full.
 */
export class SlidingWindowRateLimiter {
  private readonly calls = new Map<string, number[]>();

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number,
  ) {}

  /** Takes a slot for `key` if both windows have room. */
  tryAcquire(key: string): RateDecision {
    const now = this.now();
    const kept = (this.calls.get(key) ?? []).filter((t) => t > now - HOUR_MS);
    const inMinute = kept.filter((t) => t > now - MINUTE_MS);
    const waits: { wait: number; limit: number; window: '1m' | '1h' }[] = [];
    if (inMinute.length >= this.limits.perMinute) {
      const oldest = inMinute[inMinute.length - this.limits.perMinute] ?? now;
      waits.push({ wait: oldest + MINUTE_MS - now, limit: this.limits.perMinute, window: '1m' });
    }
    if (kept.length >= this.limits.perHour) {
      const oldest = kept[kept.length - this.limits.perHour] ?? now;
      waits.push({ wait: oldest + HOUR_MS - now, limit: this.limits.perHour, window: '1h' });
    }
    if (waits.length > 0) {
      this.calls.set(key, kept);
      const worst = waits.reduce((a, b) => (b.wait > a.wait ? b : a));
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil(worst.wait / 1000)),
        limit: worst.limit,
        window: worst.window,
      };
    }
    kept.push(now);
    this.calls.set(key, kept);
    return { allowed: true };
  }

  /** Forgets every recorded call, so a rehearsal can start again with full quotas. */
  reset(): void {
    this.calls.clear();
  }
}
