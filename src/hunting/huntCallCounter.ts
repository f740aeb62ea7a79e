/**
 * Counts the hunting calls this bot instance made per tenant in the last minute and hour, for the result card's
 * "calls this minute / hour" beside the documented 45 and 1,500. Per instance: with several instances each counts
 * its own calls (the service's 429 stays the authority; this is information, not admission control).
 */
export class HuntCallCounter {
  private readonly calls = new Map<string, number[]>();

  /** Records one call made now. */
  record(tenantId: string, now: number): void {
    const key = tenantId.toLowerCase();
    const times = this.prune(key, now);
    times.push(now);
    this.calls.set(key, times);
  }

  /** Calls in the minute and in the hour up to `now`. */
  counts(tenantId: string, now: number): { callsThisMinute: number; callsThisHour: number } {
    const times = this.prune(tenantId.toLowerCase(), now);
    return { callsThisMinute: times.filter((t) => t > now - 60_000).length, callsThisHour: times.length };
  }

  private prune(key: string, now: number): number[] {
    const kept = (this.calls.get(key) ?? []).filter((t) => t > now - 3_600_000);
    if (kept.length === 0) this.calls.delete(key);
    else this.calls.set(key, kept);
    return kept;
  }
}
