import { DefaultAzureCredential } from '@azure/identity';
import { RestError } from '@azure/storage-blob';
import type { AppendBlobClient, ContainerClient, StoragePipelineOptions } from '@azure/storage-blob';
import type { AppendOutcome, AuditSegments, SegmentState } from '../audit/auditSegments';
import type { StorageConfig } from './createStorage';
import { type BlobContainerAddress, blobUnavailable, createContainerClient } from './blobContainerClient';

/** Where the audit segments live: the bot's state container, reached as BlobStorage reaches it. */
export type AuditAppendBlobsOptions = BlobContainerAddress & {
  /** Per request, retries included. Default 15 s. */
  operationTimeoutMs?: number;
};

/** Blob names `audit/segment-000001.jsonl`…: zero-padded so listing order is chain order. */
const SEGMENT_PREFIX = 'audit/segment-';
const SEGMENT_SUFFIX = '.jsonl';
const SEGMENT_NAME = /^audit\/segment-(\d{6})\.jsonl$/;

const DEFAULT_OPERATION_TIMEOUT_MS = 15_000;

/** Reads are idempotent and retried by the SDK; appends, creates and seals are never retried blindly. */
const READ_RETRY: StoragePipelineOptions['retryOptions'] = {
  maxTries: 3,
  retryDelayInMs: 200,
  maxRetryDelayInMs: 2_000,
};
const WRITE_RETRY: StoragePipelineOptions['retryOptions'] = { maxTries: 1 };

/** The append blobs behind the bot's shared audit chain (for `openAuditLog` and `npm run audit:export`). */
export function createAuditAppendBlobs(config: Extract<StorageConfig, { kind: 'blob' }>): AuditAppendBlobs {
  return 'connectionString' in config
    ? new AuditAppendBlobs({ connectionString: config.connectionString, container: config.container })
    : new AuditAppendBlobs({
        accountUrl: config.accountUrl,
        credential: new DefaultAzureCredential(),
        container: config.container,
      });
}

/**
 * AuditSegments on Azure append blobs (or Azurite). Each entry is one Append Block with the `appendPosition`
 * condition, so of several instances racing for the same position exactly one lands; an append blob holds at
 * most 50,000 blocks, hence numbered segments. Failures are StorageError `unavailable` with the SDK error as cause.
 */
export class AuditAppendBlobs implements AuditSegments {
  readonly description: string;
  private readonly reads: ContainerClient;
  private readonly writes: ContainerClient;
  private readonly timeoutMs: number;
  private creatingContainer: Promise<void> | undefined;

  constructor(options: AuditAppendBlobsOptions) {
    this.reads = createContainerClient(options, READ_RETRY);
    this.writes = createContainerClient(options, WRITE_RETRY);
    this.timeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
    const where = 'accountUrl' in options ? options.accountUrl : 'the STORAGE_CONNECTION_STRING account';
    this.description = `append blobs ${SEGMENT_PREFIX}* in container ${options.container} of ${where}`;
  }

  /** Indices of the existing segments, ascending. */
  async list(): Promise<number[]> {
    return this.attempt('list the audit segments', async () => {
      const segments: number[] = [];
      try {
        for await (const blob of this.reads.listBlobsFlat({ prefix: SEGMENT_PREFIX, abortSignal: this.signal() })) {
          const match = SEGMENT_NAME.exec(blob.name);
          if (match) segments.push(Number(match[1]));
        }
      } catch (error: unknown) {
        if (isCode(error, 404, 'ContainerNotFound')) return [];
        throw error;
      }
      return segments.sort((a, b) => a - b);
    });
  }

  /** Size, block count and seal of a segment, or undefined if it does not exist. */
  async stat(segment: number): Promise<SegmentState | undefined> {
    return this.attempt(`read the state of audit segment ${segment}`, async () => {
      try {
        const properties = await this.blob(this.reads, segment).getProperties({ abortSignal: this.signal() });
        return {
          length: properties.contentLength ?? 0,
          blocks: properties.blobCommittedBlockCount ?? 0,
          sealed: properties.isSealed === true,
        };
      } catch (error: unknown) {
        if (error instanceof RestError && error.statusCode === 404) return undefined;
        throw error;
      }
    });
  }

  /** `count` bytes from `offset`. */
  async readRange(segment: number, offset: number, count: number): Promise<Buffer> {
    if (count === 0) return Buffer.alloc(0);
    return this.attempt(`read audit segment ${segment}`, async () => {
      const buffer = await this.blob(this.reads, segment).downloadToBuffer(offset, count, {
        abortSignal: this.signal(),
      });
      if (buffer.length !== count) throw new Error(`short read: ${buffer.length} of ${count} bytes`);
      return buffer;
    });
  }

  /** The whole segment as a stream of chunks. */
  async *readAll(segment: number): AsyncGenerator<Buffer> {
    const what = `read audit segment ${segment}`;
    const response = await this.attempt(what, () =>
      this.blob(this.reads, segment).download(0, undefined, { abortSignal: AbortSignal.timeout(this.timeoutMs * 4) }),
    );
    const body = response.readableStreamBody;
    if (!body) return;
    try {
      for await (const chunk of body) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    } catch (error: unknown) {
      throw blobUnavailable(what, error);
    }
  }

  /** Creates an empty segment with If-None-Match: *, creating the container on first use. */
  async create(segment: number): Promise<'created' | 'exists'> {
    await this.ensureContainer();
    return this.attempt(`create audit segment ${segment}`, async () => {
      try {
        await this.blob(this.writes, segment).create({
          conditions: { ifNoneMatch: '*' },
          blobHTTPHeaders: { blobContentType: 'application/x-ndjson' },
          abortSignal: this.signal(),
        });
        return 'created';
      } catch (error: unknown) {
        if (error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412)) return 'exists';
        throw error;
      }
    });
  }

  /** Seals the segment; sealing a sealed segment is not an error. */
  async seal(segment: number): Promise<void> {
    await this.attempt(`seal audit segment ${segment}`, async () => {
      await this.blob(this.writes, segment).seal({ abortSignal: this.signal() });
    });
  }

  /** One Append Block conditioned on `appendPosition`; not retried (a lost answer is for the caller to settle). */
  async append(segment: number, data: Buffer, position: number): Promise<AppendOutcome> {
    return this.attempt(`append to audit segment ${segment}`, async () => {
      try {
        const response = await this.blob(this.writes, segment).appendBlock(data, data.length, {
          conditions: { appendPosition: position },
          abortSignal: this.signal(),
        });
        return { kind: 'appended', length: position + data.length, blocks: response.blobCommittedBlockCount ?? 0 };
      } catch (error: unknown) {
        if (isCode(error, 412, 'AppendPositionConditionNotMet')) return { kind: 'positionTaken' };
        if (isCode(error, 409, 'BlobIsSealed') || isCode(error, 409, 'BlockCountExceedsLimit')) {
          return { kind: 'segmentClosed' };
        }
        throw error;
      }
    });
  }

  private async ensureContainer(): Promise<void> {
    this.creatingContainer ??= this.attempt('prepare the container', async () => {
      await this.reads.createIfNotExists({ abortSignal: this.signal() });
    }).catch((error: unknown) => {
      this.creatingContainer = undefined;
      throw error;
    });
    return this.creatingContainer;
  }

  private blob(client: ContainerClient, segment: number): AppendBlobClient {
    return client.getAppendBlobClient(`${SEGMENT_PREFIX}${String(segment).padStart(6, '0')}${SEGMENT_SUFFIX}`);
  }

  private signal(): AbortSignal {
    return AbortSignal.timeout(this.timeoutMs);
  }

  private async attempt<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error: unknown) {
      throw blobUnavailable(what, error);
    }
  }
}

function isCode(error: unknown, status: number, code: string): boolean {
  return error instanceof RestError && error.statusCode === status && error.code === code;
}
