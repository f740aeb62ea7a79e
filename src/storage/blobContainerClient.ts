import type { TokenCredential } from '@azure/identity';
import { ContainerClient, RestError } from '@azure/storage-blob';
import type { StoragePipelineOptions, StorageSharedKeyCredential } from '@azure/storage-blob';
import { StorageError } from './storageError';

/** How the bot reaches its container: a connection string (Azurite, shared key) or an account URL + identity. */
export type BlobContainerAddress = (
  { connectionString: string } | { accountUrl: string; credential: TokenCredential | StorageSharedKeyCredential }
) & { container: string };

/**
 * A ContainerClient with the given retry policy, for every Blob Storage user in src/storage (one per retry
 * policy: reads retried, writes never blindly). A malformed connection string is named, never echoed.
 */
export function createContainerClient(
  address: BlobContainerAddress,
  retryOptions: StoragePipelineOptions['retryOptions'],
): ContainerClient {
  const pipelineOptions: StoragePipelineOptions = { retryOptions, keepAliveOptions: { enable: true } };
  if ('connectionString' in address) {
    try {
      return new ContainerClient(address.connectionString, address.container, pipelineOptions);
    } catch (cause: unknown) {
      // The SDK's message names the bad part, never the key; ours names the setting to fix.
      const message = 'Storage: STORAGE_CONNECTION_STRING is not a storage connection string.';
      throw new StorageError('invalidInput', undefined, message, { cause });
    }
  }
  const url = `${address.accountUrl.replace(/\/+$/, '')}/${encodeURIComponent(address.container)}`;
  return new ContainerClient(url, address.credential, pipelineOptions);
}

/**
 * StorageError `unavailable` for a failed Blob operation (`what` says which, e.g. `read "k"`), the SDK error
 * kept as cause: transient (no answer, 5xx, 408, 429) or refused (e.g. 403 without a role assignment).
 */
export function blobUnavailable(what: string, error: unknown, key?: string): StorageError {
  if (error instanceof StorageError) return error;
  const status = error instanceof RestError ? error.statusCode : undefined;
  const transient = status === undefined || status >= 500 || status === 408 || status === 429;
  const why = transient ? 'is unreachable or busy' : `refused the request (HTTP ${status})`;
  return new StorageError('unavailable', key, `Storage: could not ${what}: Blob Storage ${why}.`, { cause: error });
}
