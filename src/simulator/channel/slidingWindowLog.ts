/** "At most `max` requests in any `windowMs` milliseconds" (any half-open interval (t − windowMs, t]). */
export interface RateWindow {
  windowMs: number;
  max: number;
}

/**
 * Accepted-request timestamps per key (a conversation, or the whole app), checked against sliding windows.
 * Everything accepted is kept, so tests can ask afterwards what rate a conversation actually saw.
 */
export class SlidingWindowLog {
  private readonly log = new Map<string, number[]>();

  /** Milliseconds until one more request under `key` fits every window (0: it fits now). */
  waitMs(key: string, windows: readonly RateWindow[], nowMs: number): number {
    const timestamps = this.log.get(key) ?? [];
    let wait = 0;
    for (const { windowMs, max } of windows) {
      const first = firstIndexAfter(timestamps, nowMs - windowMs);
      const inWindow = timestamps.length - first;
      if (inWindow < max) continue;
      // The oldest entries must leave the window until only max − 1 remain.
      const leaving = timestamps[first + inWindow - max] ?? nowMs;
      wait = Math.max(wait, leaving + windowMs - nowMs);
    }
    return wait;
  }

  /** Records an accepted request (timestamps arrive in order: the clock only moves forward). */
  record(key: string, nowMs: number): void {
    const timestamps = this.log.get(key) ?? [];
    timestamps.push(nowMs);
    this.log.set(key, timestamps);
  }

  /** Accepted timestamps under `key`, oldest first. */
  timestamps(key: string): number[] {
    return [...(this.log.get(key) ?? [])];
  }

  /** Every key with at least one accepted request. */
  keys(): string[] {
    return [...this.log.keys()];
  }

  clear(): void {
    this.log.clear();
  }
}

/** The most timestamps found in any interval (t − windowMs, t]; timestamps sorted ascending. */
export function maxInAnyWindow(timestamps: readonly number[], windowMs: number): number {
  let best = 0;
  let start = 0;
  for (let end = 0; end < timestamps.length; end += 1) {
    const endAt = timestamps[end] ?? 0;
    while ((timestamps[start] ?? endAt) <= endAt - windowMs) start += 1;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/** Index of the first timestamp strictly after `threshold` (binary search; timestamps sorted ascending). */
function firstIndexAfter(timestamps: readonly number[], threshold: number): number {
  let low = 0;
  let high = timestamps.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((timestamps[middle] ?? 0) <= threshold) low = middle + 1;
    else high = middle;
  }
  return low;
}
