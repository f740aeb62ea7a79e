import type { ConnectorActivity } from './connectorSchemas';

/** One activity the connector accepted from the bot, as tests assert on it. */
export interface SentActivity {
  conversationId: string;
  /** The id the connector answered with (send, reply) or was addressed by (update, delete). */
  activityId: string;
  replyToId?: string;
  kind: 'send' | 'reply' | 'update' | 'delete';
  /** The activity as posted (for delete: the last version the connector had). */
  activity: ConnectorActivity;
  at: Date;
}

/** Options of `waitFor`. */
export interface WaitForOptions {
  /** How many matching records to wait for; default 1. */
  count?: number;
  /** Only records from this index on (`sentCount()` before the action under test); default 0. */
  since?: number;
  /** Default 5000 ms. */
  timeoutMs?: number;
}

type Waiter = () => void;

/** The connector's append-only record of accepted activities, with a way to wait for the ones a test expects. */
export class SentActivityLog {
  private readonly records: SentActivity[] = [];
  private readonly waiters = new Set<Waiter>();

  /** Appends a record and wakes every waiter. */
  add(record: SentActivity): void {
    this.records.push(record);
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Copies of every record, oldest first (a test cannot change the log by editing them). */
  all(): SentActivity[] {
    return this.records.map(copy);
  }

  /** How many records exist: pass it as `since` to wait only for what happens next. */
  count(): number {
    return this.records.length;
  }

  /** Resolves with the first `count` matching records from `since` on; rejects after `timeoutMs` (or `options` ms). */
  waitFor(
    predicate: (record: SentActivity) => boolean,
    waitOptions: WaitForOptions | number = {},
  ): Promise<SentActivity[]> {
    const options = typeof waitOptions === 'number' ? { timeoutMs: waitOptions } : waitOptions;
    const count = options.count ?? 1;
    const since = options.since ?? 0;
    const timeoutMs = options.timeoutMs ?? 5000;
    const matches = () => this.records.slice(since).filter(predicate);
    const ready = matches();
    if (ready.length >= count) return Promise.resolve(ready.slice(0, count).map(copy));

    return new Promise((resolve, reject) => {
      const waiter: Waiter = () => {
        const found = matches();
        if (found.length < count) return;
        this.waiters.delete(waiter);
        clearTimeout(timer);
        resolve(found.slice(0, count).map(copy));
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`waitFor: ${matches().length} of ${count} expected activities after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Forgets every record (waiters keep waiting for new ones). */
  clear(): void {
    this.records.length = 0;
  }
}

function copy(record: SentActivity): SentActivity {
  return { ...record, activity: structuredClone(record.activity), at: new Date(record.at) };
}
