import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';

/**
 * Work that continues after a Teams invoke has been answered (executing an approved action, updating cards):
 * each task is tracked so shutdown — and tests — can wait for it, and a failure is logged, never lost.
 */
export class BackgroundTasks {
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly logger: Logger) {}

  /** Starts `task` now without waiting for it. */
  run(name: string, task: () => Promise<unknown>): void {
    const promise = Promise.resolve()
      .then(task)
      .catch((err: unknown) => this.logger.error({ task: name, err: serializeError(err) }, 'background task failed'))
      .finally(() => this.running.delete(promise));
    this.running.add(promise);
  }

  /** Resolves when every task started so far (and any they started) has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
