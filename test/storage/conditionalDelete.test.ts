import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlobStorage } from '../../src/storage/blobStorage';
import { FileStorage } from '../../src/storage/fileStorage';
import type { ConditionalDelete, Storage, StoreItem } from '../../src/storage/storage';
import { useAzurite } from '../support/azurite';

/**
 * deleteIfMatch: a record is deleted only while it holds the version read, so a consumer never erases a newer
 * record written in between (a new sign-in over a consumed one). Both of the product's stores, same rules.
 */
describe('conditional delete (deleteIfMatch) on the file store and on Blob Storage', function () {
  this.timeout(30_000);
  const azurite = useAzurite();
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  const stores: [string, () => Storage & ConditionalDelete][] = [
    [
      'FileStorage',
      () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-cdel-'));
        dirs.push(dir);
        return new FileStorage({ dir: path.join(dir, 'state') });
      },
    ],
    [
      'BlobStorage',
      () =>
        new BlobStorage({
          connectionString: azurite().connectionString,
          container: `cdel-${randomBytes(5).toString('hex')}`,
        }),
    ],
  ];

  for (const [name, create] of stores) {
    it(`${name}: deletes the version read, keeps a newer one, and treats a missing record as deleted`, async () => {
      const storage = create();
      const eTagOf = async () => ((await storage.read(['k']))['k'] as StoreItem | undefined)?.eTag;
      await storage.write({ k: { v: 1 } });
      const first = (await eTagOf())!;
      await storage.write({ k: { v: 2 } });
      assert.equal(await storage.deleteIfMatch('k', first), false, 'written since: kept');
      assert.equal(((await storage.read(['k']))['k'] as StoreItem).v, 2);
      assert.equal(await storage.deleteIfMatch('k', (await eTagOf())!), true);
      assert.deepEqual(await storage.read(['k']), {});
      assert.equal(await storage.deleteIfMatch('k', first), true, 'already gone');
      if (storage instanceof FileStorage) await storage.close();
    });
  }
});
