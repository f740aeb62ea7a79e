/**
 * One async lock per key: callbacks for the same key run one after another in call order, different keys run
 * in parallel. No polling: each waiter chains on the previous holder's promise. Entries are dropped when the
 * last holder finishes, so the map only holds keys with work in flight.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `task` once every earlier task for `key` has settled; resolves or rejects with `task`'s outcome. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    try {
      await previous;
      return await task();
    } finally {
      release();
      // Only the last waiter removes the entry; a later caller has already replaced the tail otherwise.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Number of keys with a holder or waiters (for tests: proves entries do not leak). */
  get size(): number {
    return this.tails.size;
  }
}
