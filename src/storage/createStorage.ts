import * as path from 'node:path';
import { DefaultAzureCredential } from '@azure/identity';
import { BlobStorage } from './blobStorage';
import { FileStorage } from './fileStorage';
import { MemoryLeaseStore } from './leaseStore';
import type { LeaseStore } from './leaseStore';
import type { Storage } from './storage';

/** Which store holds the bot's state (README "Configuration": STORAGE_*; unset = the file store in DATA_DIR). */
export type StorageConfig =
  /** One instance: files in DATA_DIR/state, locked against a second process. */
  | { kind: 'file' }
  /** Several instances: Azure Blob Storage (or Azurite) through a connection string. */
  | { kind: 'blob'; connectionString: string; container: string }
  /** Several instances in Azure: the account URL and the managed identity (DefaultAzureCredential). */
  | { kind: 'blob'; accountUrl: string; container: string };

/** A Storage that can be prepared before the first request and released when the app stops. */
export interface OpenedStorage {
  storage: Storage;
  /** Leases shared by the instances using this store (one process on the file store: in memory). */
  leases: LeaseStore;
  /** True when several instances may share this store (Blob Storage). */
  shared: boolean;
  /** Where the state lives, for the start-up log line (never a connection string). */
  description: string;
  close(): Promise<void>;
}

/** The composition root's one call: builds the configured store and fails fast if it cannot be used. */
export async function createStorage(config: StorageConfig, dataDir: string): Promise<OpenedStorage> {
  switch (config.kind) {
    case 'file': {
      const dir = path.join(dataDir, 'state');
      const storage = new FileStorage({ dir });
      await storage.ready();
      return {
        storage,
        leases: new MemoryLeaseStore(),
        shared: false,
        description: `files in ${dir}`,
        close: () => storage.close(),
      };
    }
    case 'blob': {
      const storage =
        'connectionString' in config
          ? new BlobStorage({ connectionString: config.connectionString, container: config.container })
          : new BlobStorage({
              accountUrl: config.accountUrl,
              credential: new DefaultAzureCredential(),
              container: config.container,
            });
      await storage.ready();
      const where = 'accountUrl' in config ? config.accountUrl : 'the STORAGE_CONNECTION_STRING account';
      return {
        storage,
        leases: storage.leaseStore(),
        shared: true,
        description: `Blob container ${config.container} in ${where}`,
        close: async () => {},
      };
    }
  }
}
