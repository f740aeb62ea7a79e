import { RestError } from '@azure/storage-blob';
import type { ContainerClient } from '@azure/storage-blob';
import { checkSeconds } from './leaseStore';
import type { LeaseStore } from './leaseStore';
import { StorageError } from './storageError';

/** Where lease blobs live in the container, apart from the records (whose names are hashes). */
const LEASE_PREFIX = 'leases/';

/**
 * Leases as Azure blob leases on empty blobs `leases/<name>`: Azure keeps the time, so a crashed or paused
 * holder loses its lease when the lease period ends, and exactly one holder has it at any moment. Every lease
 * operation is idempotent for the same lease id (re-acquiring or renewing one's own lease), so the SDK's retries
 * are safe here, unlike for record writes.
 */
export class BlobLeaseStore implements LeaseStore {
  private readonly created = new Set<string>();

  constructor(
    private readonly container: ContainerClient,
    private readonly timeoutMs: number,
  ) {}

  async acquire(name: string, holder: string, seconds: number): Promise<boolean> {
    checkSeconds(seconds);
    for (let attempt = 1; ; attempt++) {
      await this.ensureBlob(name);
      try {
        await this.blob(name)
          .getBlobLeaseClient(holder)
          .acquireLease(seconds, { abortSignal: AbortSignal.timeout(this.timeoutMs) });
        return true;
      } catch (error: unknown) {
        if (error instanceof RestError && error.statusCode === 409) return false; // LeaseAlreadyPresent
        // Pruned while nobody held it (another instance's `prune`): create it again, once.
        if (error instanceof RestError && error.statusCode === 404 && attempt === 1) {
          this.created.delete(name);
          continue;
        }
        throw unavailable(error, name, 'acquire');
      }
    }
  }

  async renew(name: string, holder: string): Promise<boolean> {
    try {
      await this.blob(name)
        .getBlobLeaseClient(holder)
        .renewLease({ abortSignal: AbortSignal.timeout(this.timeoutMs) });
      return true;
    } catch (error: unknown) {
      // 409: another lease id holds it, or it was broken or released; 404: the blob itself is gone.
      if (error instanceof RestError && (error.statusCode === 409 || error.statusCode === 404)) return false;
      throw unavailable(error, name, 'renew');
    }
  }

  async release(name: string, holder: string): Promise<void> {
    try {
      await this.blob(name)
        .getBlobLeaseClient(holder)
        .releaseLease({ abortSignal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error: unknown) {
      // Not ours any more: nothing to give up.
      if (error instanceof RestError && (error.statusCode === 409 || error.statusCode === 404)) return;
      throw unavailable(error, name, 'release');
    }
  }

  async remove(name: string, holder: string): Promise<void> {
    await this.release(name, holder);
    try {
      await this.blob(name).deleteIfExists({ abortSignal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error: unknown) {
      // Leased again by someone else (409) is not ours to delete.
      if (!(error instanceof RestError && error.statusCode === 409)) throw unavailable(error, name, 'delete');
    }
    this.created.delete(name);
  }

  async isHeld(name: string): Promise<boolean> {
    try {
      const properties = await this.blob(name).getProperties({ abortSignal: AbortSignal.timeout(this.timeoutMs) });
      return properties.leaseState === 'leased';
    } catch (error: unknown) {
      if (error instanceof RestError && error.statusCode === 404) return false;
      throw unavailable(error, name, 'read');
    }
  }

  async listHeld(prefix: string): Promise<string[]> {
    const held: string[] = [];
    try {
      for await (const item of this.container.listBlobsFlat({
        prefix: LEASE_PREFIX + prefix,
        abortSignal: AbortSignal.timeout(this.timeoutMs),
      })) {
        if (item.properties.leaseState === 'leased') held.push(item.name.slice(LEASE_PREFIX.length));
      }
    } catch (error: unknown) {
      throw unavailable(error, prefix, 'list');
    }
    return held;
  }

  async prune(prefix: string): Promise<number> {
    let pruned = 0;
    try {
      for await (const item of this.container.listBlobsFlat({
        prefix: LEASE_PREFIX + prefix,
        abortSignal: AbortSignal.timeout(this.timeoutMs),
      })) {
        if (item.properties.leaseState === 'leased') continue;
        try {
          // A blob leased since the listing refuses the delete (412/409 without its lease id): left alone.
          await this.container.getBlockBlobClient(item.name).deleteIfExists({
            conditions: { ifMatch: item.properties.etag },
            abortSignal: AbortSignal.timeout(this.timeoutMs),
          });
          pruned++;
        } catch (error: unknown) {
          if (!(error instanceof RestError && (error.statusCode === 412 || error.statusCode === 409))) throw error;
        }
      }
    } catch (error: unknown) {
      throw unavailable(error, prefix, 'prune');
    }
    return pruned;
  }

  private blob(name: string) {
    return this.container.getBlockBlobClient(LEASE_PREFIX + name);
  }

  /** A lease needs a blob: created empty once (create-only, so a leased one is never overwritten). */
  private async ensureBlob(name: string): Promise<void> {
    if (this.created.has(name)) return;
    try {
      await this.blob(name).upload('', 0, {
        conditions: { ifNoneMatch: '*' },
        abortSignal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error: unknown) {
      const exists = error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412);
      if (!exists) throw unavailable(error, name, 'create');
    }
    this.created.add(name);
  }
}

function unavailable(error: unknown, name: string, operation: string): StorageError {
  if (error instanceof StorageError) return error;
  const status = error instanceof RestError ? error.statusCode : undefined;
  return new StorageError(
    'unavailable',
    `lease ${name}`,
    `Storage: could not ${operation} the lease "${name}" (${status === undefined ? 'no answer' : `HTTP ${status}`}).`,
    { cause: error },
  );
}
