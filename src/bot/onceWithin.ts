/**
 * Remembers keys for a while and says whether a key is new: Teams sends `signin/tokenExchange` from every
 * device the user has open, and the exchange (and the command it resumes) must run once. In-process memory:
 * a scaled-out deployment needs the shared store of the approvals issue (eTag writes) instead.
 */
export class OnceWithin {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True the first time `key` is claimed within the time window. */
  claim(key: string): boolean {
    const now = this.now();
    for (const [k, at] of this.seen) {
      if (now - at < this.ttlMs) break;
      this.seen.delete(k);
    }
    if (this.seen.has(key)) return false;
    this.seen.set(key, now);
    return true;
  }
}
