/**
 * The stop steps of a running app, run once in the reverse order of registration: what started last stops first.
 * Why one object: every part of the composition registers its own stop as it starts, and a failed start stops what
 * had already started.
 */
export class Lifecycle {
  private readonly steps: (() => Promise<void> | void)[] = [];
  private stopping: Promise<void> | undefined;

  /** Registers a stop step (run after every step registered later). */
  onStop(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }

  /** Runs every step once; a second call (a test's, a signal's) waits for the first. */
  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      for (const step of [...this.steps].reverse()) await step();
    })());
  }
}
