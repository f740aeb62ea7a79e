/**
 * Remembers keys for a while and says whether a key is new: Teams sends `signin/tokenExchange` from every
 * device the user has open, and the exchange should run once. In-process memory on purpose: it only saves work.
 * With several instances a duplicate reaching another instance stores the same user's assertion again, which is
 * harmless, and the command the exchange resumes is taken exactly once from the shared store (PendingCommands).
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
