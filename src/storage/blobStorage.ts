import type { TokenCredential } from '@azure/identity';
import { RestError } from '@azure/storage-blob';
import type {
  BlobRequestConditions,
  StoragePipelineOptions,
  StorageSharedKeyCredential,
  ContainerClient,
} from '@azure/storage-blob';
import { z } from 'zod';
import { createContainerClient, blobUnavailable } from './blobContainerClient';
import { BlobLeaseStore } from './blobLeaseStore';
import { CREATE_ONLY_ETAG } from './storage';
import type { Storage, StoreItems } from './storage';
import { StorageError } from './storageError';
import { toStorageFileName } from './storageFileName';
import {
  corruptItem,
  isUnconditional,
  parseChanges,
  parseStoredRecord,
  parseKeys,
  settleInKeyOrder,
  toStoreItems,
} from './storeItems';
import type { ReadRecord } from './storeItems';

/** Where a BlobStorage keeps its items: a connection string (Azurite, shared key) or an account URL + identity. */
export type BlobStorageOptions = (
  { connectionString: string } | { accountUrl: string; credential: TokenCredential | StorageSharedKeyCredential }
) & {
  /** The container (created on first use); one blob per key. */
  container: string;
  /** Per-operation limit (each read, write or delete of one key, retries included). Default 15 s. */
  operationTimeoutMs?: number;
};

/** Version of the stored record, so a future layout can be recognised instead of misread. */
const RECORD_FORMAT = 1;

/** One blob's content: the original key (blob names are hashes) and the item. The eTag is the blob's ETag. */
const storedRecordSchema = z.object({
  format: z.literal(RECORD_FORMAT),
  key: z.string(),
  item: z.record(z.string(), z.unknown()),
});

/** What a write asks of the stored blob. */
type WriteCondition = { kind: 'none' } | { kind: 'createOnly' } | { kind: 'ifMatch'; eTag: string };

interface PreparedChange {
  key: string;
  condition: WriteCondition;
  body: string;
}

/*
 * Retries, decided per kind of request:
 * - Reads and deletes are idempotent: the SDK's policy retries them on network errors, 500 and 503 (its
 *   throttling answer), with short delays so a chat turn is not held for half a minute (the default is 4 tries
 *   from 4 s).
 * - Writes are NOT retried (maxTries 1). A conditional PUT whose answer was lost may have landed; retried, it
 *   meets its own new ETag (If-Match → 412) or its own blob (If-None-Match → 409) and would be reported as a
 *   conflict, i.e. "someone else won", when we won: the caller would then act on a false premise (re-apply a
 *   mutation, treat a request as already created). An unconditional retry could also overwrite a newer write
 *   that landed in between. So a write that fails transiently is reported as `unavailable` (outcome unknown)
 *   and the caller, which knows what the write meant, decides.
 */
const READ_RETRY: StoragePipelineOptions['retryOptions'] = {
  maxTries: 3,
  retryDelayInMs: 200,
  maxRetryDelayInMs: 2_000,
};
const WRITE_RETRY: StoragePipelineOptions['retryOptions'] = { maxTries: 1 };

const DEFAULT_OPERATION_TIMEOUT_MS = 15_000;

/**
 * A Storage on Azure Blob Storage (or Azurite) for several bot instances sharing state.
 *
 * - One block blob per key, named like FileStorage's files (readable prefix + sha256 of the key), holding
 *   `{ format, key, item }`; the key inside is checked on read (fail closed: `corruptItem`).
 * - eTags are the blob's ETag. Writes are conditional on the server: `If-Match` for an eTag, `If-None-Match: *`
 *   for CREATE_ONLY_ETAG, none for absent/empty/`'*'`. A refused condition (412, or 409 BlobAlreadyExists)
 *   is StorageError `eTagConflict`, worded like FileStorage's, so exactly one of N writers wins across
 *   processes. An eTag for a missing key conflicts (412): a stale writer cannot resurrect a deleted record.
 * - Reads of several keys run in parallel; missing keys are absent. Deletes are idempotent.
 * - Every other failure is StorageError `unavailable` with the SDK's RestError as `cause`, never a silent success:
 *   no answer, 5xx (503 ServerBusy is Azure's throttling), 408, 429, and also refusals such as a 403 from a
 *   missing role assignment (its message says "refused" and the HTTP status, for the operator's log).
 */
export class BlobStorage implements Storage {
  private readonly reads: ContainerClient;
  private readonly writes: ContainerClient;
  private readonly timeoutMs: number;
  private creating: Promise<void> | undefined;

  constructor(options: BlobStorageOptions) {
    this.reads = createContainerClient(options, READ_RETRY);
    this.writes = createContainerClient(options, WRITE_RETRY);
    this.timeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
  }

  /** Creates the container if missing; called by every operation, or early to fail fast on bad settings. */
  async ready(): Promise<void> {
    this.creating ??= this.reads
      .createIfNotExists({ abortSignal: AbortSignal.timeout(this.timeoutMs) })
      .then(() => undefined)
      .catch(async (error: unknown) => {
        // A role granted on the container alone (infra/azure.bicep) may not create containers: one that exists
        // is all the bot needs.
        if (error instanceof RestError && error.statusCode === 403) {
          const exists = await this.reads
            .exists({ abortSignal: AbortSignal.timeout(this.timeoutMs) })
            .catch(() => false);
          if (exists) return;
        }
        // Storage may come back, or an operator may fix a role assignment: let the next call try again.
        this.creating = undefined;
        throw toStorageError(error, undefined, 'prepare the container');
      });
    return this.creating;
  }

  /** The leases of this container (`leases/<name>` blobs): who does which background work among the instances. */
  leaseStore(): BlobLeaseStore {
    return new BlobLeaseStore(this.reads, this.timeoutMs);
  }

  /** Reads the items that exist (missing keys are absent from the result); each carries its blob's ETag. */
  async read(keys: string[]): Promise<StoreItems> {
    const validKeys = parseKeys(keys, 'read');
    await this.ready();
    return toStoreItems(await Promise.all(validKeys.map((key) => this.readOne(key))));
  }

  /** Writes each item, conditionally as its eTag says; keys succeed or fail independently (first failure thrown). */
  async write(changes: StoreItems): Promise<void> {
    // Validated and serialised before the first await: the caller may mutate its objects as soon as we return.
    const prepared = prepareChanges(changes);
    if (prepared.length === 0) return;
    await this.ready();
    await settleInKeyOrder(prepared.map((change) => this.writeOne(change)));
  }

  /** Deletes the keys; a missing key is not an error. */
  async delete(keys: string[]): Promise<void> {
    const validKeys = parseKeys(keys, 'delete');
    if (validKeys.length === 0) return;
    await this.ready();
    await Promise.all(
      validKeys.map(async (key) => {
        try {
          await this.reads
            .getBlockBlobClient(toStorageFileName(key))
            .deleteIfExists({ abortSignal: AbortSignal.timeout(this.timeoutMs) });
        } catch (error: unknown) {
          throw toStorageError(error, key, 'delete');
        }
      }),
    );
  }

  /** Deletes `key` only while its blob has the ETag `eTag` (If-Match on the server); a missing blob counts as deleted. */
  async deleteIfMatch(key: string, eTag: string): Promise<boolean> {
    const [validKey] = parseKeys([key], 'delete');
    await this.ready();
    const blob = this.reads.getBlockBlobClient(toStorageFileName(validKey!));
    try {
      await blob.deleteIfExists({ conditions: { ifMatch: eTag }, abortSignal: AbortSignal.timeout(this.timeoutMs) });
      return true;
    } catch (error: unknown) {
      // 412 for another version, and (Azure answers either) for a blob that is gone: only the first keeps it.
      if (error instanceof RestError && error.statusCode === 412) {
        try {
          return !(await blob.exists({ abortSignal: AbortSignal.timeout(this.timeoutMs) }));
        } catch (cause: unknown) {
          throw toStorageError(cause, validKey, 'delete');
        }
      }
      throw toStorageError(error, validKey, 'delete');
    }
  }

  private async readOne(key: string): Promise<ReadRecord | undefined> {
    const blobName = toStorageFileName(key);
    let text: string;
    let eTag: string | undefined;
    try {
      const response = await this.reads
        .getBlockBlobClient(blobName)
        .download(0, undefined, { abortSignal: AbortSignal.timeout(this.timeoutMs) });
      eTag = response.etag;
      text = await readBody(response.readableStreamBody);
    } catch (error: unknown) {
      if (error instanceof RestError && error.statusCode === 404 && error.code === 'BlobNotFound') return undefined;
      throw toStorageError(error, key, 'read');
    }
    if (!eTag) throw corruptItem(key, blobName, 'has no ETag');
    return { key, eTag, item: parseStoredRecord(text, key, blobName, storedRecordSchema).item };
  }

  private async writeOne(change: PreparedChange): Promise<void> {
    const conditions: BlobRequestConditions =
      change.condition.kind === 'createOnly'
        ? { ifNoneMatch: '*' }
        : change.condition.kind === 'ifMatch'
          ? { ifMatch: change.condition.eTag }
          : {};
    try {
      await this.writes
        .getBlockBlobClient(toStorageFileName(change.key))
        .upload(change.body, Buffer.byteLength(change.body), {
          conditions,
          blobHTTPHeaders: { blobContentType: 'application/json' },
          abortSignal: AbortSignal.timeout(this.timeoutMs),
        });
    } catch (error: unknown) {
      if (change.condition.kind !== 'none' && isConditionRefused(error)) throw StorageError.eTagConflict(change.key);
      throw toStorageError(error, change.key, 'write');
    }
  }
}

/**
 * 412 ConditionNotMet (If-Match with another ETag, or on a missing blob), 409 BlobAlreadyExists (If-None-Match:
 * * on an existing blob; Azure answers either depending on the race, so both count).
 */
function isConditionRefused(error: unknown): boolean {
  if (!(error instanceof RestError)) return false;
  if (error.statusCode === 412) return true;
  if (error.statusCode === 409 && error.code === 'BlobAlreadyExists') return true;
  // If-Match on a blob that does not exist may also come back as 404 BlobNotFound.
  return error.statusCode === 404 && error.code === 'BlobNotFound';
}

/** Every other failure is `unavailable` with the SDK error as cause: the operation did not (knowingly) happen. */
function toStorageError(error: unknown, key: string | undefined, operation: string): StorageError {
  return blobUnavailable(key === undefined ? operation : `${operation} "${key}"`, error, key);
}

async function readBody(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function prepareChanges(changes: StoreItems): PreparedChange[] {
  return parseChanges(changes).map(({ key, eTag, item }) => {
    const condition: WriteCondition = isUnconditional(eTag)
      ? { kind: 'none' }
      : eTag === CREATE_ONLY_ETAG
        ? { kind: 'createOnly' }
        : { kind: 'ifMatch', eTag };
    return { key, condition, body: `${JSON.stringify({ format: RECORD_FORMAT, key, item })}\n` };
  });
}
