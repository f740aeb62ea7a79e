import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryStorage } from 'botbuilder';
import { BlobStorage } from '../../src/storage/blobStorage';
import { FileStorage } from '../../src/storage/fileStorage';
import type { Storage } from '../../src/storage/storage';
import { useAzurite } from '../support/azurite';

/**
 * One shared store seen by several instances: `instance()` is another client of the same store (another
 * BlobStorage on the same container, another FileStorage on the same directory, the same MemoryStorage).
 */
export interface SharedStore {
  instance(): Storage;
  /** Every item's bytes as the store keeps them at rest (files, blobs, or the items for MemoryStorage). */
  bytesAtRest(): Promise<string>;
}

/** Runs `suite` once per kind of store the bot runs on: botbuilder's MemoryStorage, files, Blob on Azurite. */
export function describeOnEveryStore(title: string, suite: (shared: () => Promise<SharedStore>) => void): void {
  describe(`${title} (botbuilder MemoryStorage)`, () => {
    suite(() => {
      const memory = new MemoryStorage();
      const keys = new Set<string>();
      const tracked: Storage = {
        read: (k) => memory.read(k),
        write: async (changes) => {
          Object.keys(changes).forEach((k) => keys.add(k));
          await memory.write(changes);
        },
        delete: (k) => memory.delete(k),
      };
      return Promise.resolve({
        instance: () => tracked,
        bytesAtRest: async () => JSON.stringify(await memory.read([...keys])),
      });
    });
  });

  describe(`${title} (FileStorage)`, () => {
    const dirs: string[] = [];
    const opened: FileStorage[] = [];
    after(async () => {
      await Promise.all(opened.map((s) => s.close()));
      await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
    });
    suite(async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'soc-bot-signin-'));
      dirs.push(dir);
      return {
        instance: () => {
          const storage = new FileStorage({ dir });
          opened.push(storage);
          return storage;
        },
        bytesAtRest: async () => {
          const names = await fs.readdir(dir);
          const texts = await Promise.all(names.map((n) => fs.readFile(path.join(dir, n), 'utf8').catch(() => '')));
          return texts.join('\n');
        },
      };
    });
  });

  describe(`${title} (BlobStorage on Azurite)`, function () {
    this.timeout(30_000);
    const azurite = useAzurite();
    suite(() => {
      const container = `signin-${randomBytes(6).toString('hex')}`;
      const instance = () => new BlobStorage({ connectionString: azurite().connectionString, container });
      return Promise.resolve({
        instance,
        bytesAtRest: async () => {
          const { ContainerClient } = await import('@azure/storage-blob');
          const client = new ContainerClient(azurite().connectionString, container);
          const texts: string[] = [];
          for await (const blob of client.listBlobsFlat()) {
            texts.push((await client.getBlobClient(blob.name).downloadToBuffer()).toString('utf8'));
          }
          return texts.join('\n');
        },
      });
    });
  });
}
