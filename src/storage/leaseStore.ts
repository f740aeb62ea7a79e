import { StorageError } from './storageError';

/*
 * Named, expiring leases: who may do a piece of work now. On Blob Storage they are Azure blob leases (the
 * service keeps the time, so a holder that stops renewing loses the lease when it expires, whatever its clock
 * says); with the file store there is one process, and the in-memory store below gives it the same contract.
 */

/** Azure's limits for a finite blob lease, in seconds. */
export const LEASE_SECONDS_MIN = 15;
export const LEASE_SECONDS_MAX = 60;

/** Named leases; `holder` is the lease id a holder proposes (one per instance), so re-acquiring its own lease works. */
export interface LeaseStore {
  /** Takes the lease for `holder` when it is free or expired (or already `holder`'s); false when someone else holds it. */
  acquire(name: string, holder: string, seconds: number): Promise<boolean>;
  /** Extends `holder`'s lease; false when it was lost (expired and taken, or broken). */
  renew(name: string, holder: string): Promise<boolean>;
  /** Gives the lease up at once so another instance can take it without waiting for expiry. */
  release(name: string, holder: string): Promise<void>;
  /** Releases `holder`'s lease and deletes what holds it, for a name that will not be used again (an instance's). */
  remove(name: string, holder: string): Promise<void>;
  /** Whether anyone holds the lease now. */
  isHeld(name: string): Promise<boolean>;
  /** Names under `prefix` whose lease is held now (live instances, for example). */
  listHeld(prefix: string): Promise<string[]>;
  /** Forgets names under `prefix` that nobody holds (what crashed instances left); resolves with how many. */
  prune(prefix: string): Promise<number>;
}

/**
 * The LeaseStore of one process (the file store's single instance, and unit tests that run several "instances"
 * in one process on a fake clock): the same rules as Azure's, with expiry from the given clock.
 */
export class MemoryLeaseStore implements LeaseStore {
  private readonly leases = new Map<string, { holder: string; until: number; seconds: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  acquire(name: string, holder: string, seconds: number): Promise<boolean> {
    checkSeconds(seconds);
    const lease = this.live(name);
    if (lease && lease.holder !== holder) return Promise.resolve(false);
    this.leases.set(name, { holder, seconds, until: this.now() + seconds * 1000 });
    return Promise.resolve(true);
  }

  renew(name: string, holder: string): Promise<boolean> {
    const lease = this.live(name);
    if (!lease || lease.holder !== holder) return Promise.resolve(false);
    lease.until = this.now() + lease.seconds * 1000;
    return Promise.resolve(true);
  }

  release(name: string, holder: string): Promise<void> {
    if (this.live(name)?.holder === holder) this.leases.delete(name);
    return Promise.resolve();
  }

  remove(name: string, holder: string): Promise<void> {
    return this.release(name, holder);
  }

  isHeld(name: string): Promise<boolean> {
    return Promise.resolve(this.live(name) !== undefined);
  }

  listHeld(prefix: string): Promise<string[]> {
    return Promise.resolve([...this.leases.keys()].filter((name) => name.startsWith(prefix) && this.live(name)));
  }

  prune(prefix: string): Promise<number> {
    const names = [...this.leases.keys()].filter((name) => name.startsWith(prefix));
    return Promise.resolve(names.filter((name) => this.live(name) === undefined).length);
  }

  /** Breaks a lease as an operator (or Azure's `breakLease`) would: tests simulate a lost lease with it. */
  breakLease(name: string): void {
    this.leases.delete(name);
  }

  private live(name: string) {
    const lease = this.leases.get(name);
    if (lease && lease.until <= this.now()) {
      this.leases.delete(name);
      return undefined;
    }
    return lease;
  }
}

/** Azure accepts 15–60 s (or infinite, which a crashed holder would keep forever: never used here). */
export function checkSeconds(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < LEASE_SECONDS_MIN || seconds > LEASE_SECONDS_MAX) {
    throw new StorageError(
      'invalidInput',
      undefined,
      `Storage: a lease lasts ${LEASE_SECONDS_MIN}–${LEASE_SECONDS_MAX} s (got ${seconds}).`,
    );
  }
}
