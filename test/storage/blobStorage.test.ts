import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { ContainerClient } from '@azure/storage-blob';
import { BlobStorage } from '../../src/storage/blobStorage';
import { CREATE_ONLY_ETAG } from '../../src/storage/storage';
import type { StoreItem } from '../../src/storage/storage';
import { StorageError, isETagConflict, isStorageUnavailable } from '../../src/storage/storageError';
import { toStorageFileName } from '../../src/storage/storageFileName';
import { startAzurite, useAzurite } from '../support/azurite';
import { describeStorageContract } from './storageContract';

/** A container name no other test uses: every store starts empty. */
function freshContainer(): string {
  return `t-${randomBytes(8).toString('hex')}`;
}

describe('BlobStorage on Azurite', () => {
  const azurite = useAzurite();
  const store = (container = freshContainer()) =>
    new BlobStorage({ connectionString: azurite().connectionString, container });

  // If-Match on a missing blob answers 412: a stale writer cannot resurrect a deleted record.
  describeStorageContract('BlobStorage', () => store(), { eTagOnMissingKey: 'conflicts' });

  describe('several instances on one container (as several bot processes)', () => {
    it('lets exactly one of 50 create-only writers spread over 5 instances win', async () => {
      const container = freshContainer();
      const instances = Array.from({ length: 5 }, () => store(container));
      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          instances[i % 5]!.write({ 'approvals/R1': { by: i, eTag: CREATE_ONLY_ETAG } }),
        ),
      );
      const winners = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [i] : []));
      assert.equal(winners.length, 1, `exactly one winner, got ${winners.length}`);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') assert.ok(isETagConflict(outcome.reason), String(outcome.reason));
      }
      assert.equal(((await store(container).read(['approvals/R1']))['approvals/R1'] as StoreItem).by, winners[0]);
    });

    it('lets exactly one of 50 updaters with the same eTag spread over 5 instances win', async () => {
      const container = freshContainer();
      const instances = Array.from({ length: 5 }, () => store(container));
      await instances[0]!.write({ approval: { state: 'pending' } });
      const read = (await instances[1]!.read(['approval'])).approval as StoreItem;
      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => instances[i % 5]!.write({ approval: { ...read, by: i } })),
      );
      assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') assert.ok(isETagConflict(outcome.reason), String(outcome.reason));
      }
    });

    it('sees another instance’s write at once, with the eTag that instance’s next write needs', async () => {
      const container = freshContainer();
      const [first, second] = [store(container), store(container)];
      await first.write({ k: { n: 1 } });
      const seen = (await second.read(['k'])).k as StoreItem;
      await second.write({ k: { ...seen, n: 2 } });
      await assert.rejects(first.write({ k: { ...seen, n: 3 } }), /eTag conflict/);
      assert.equal(((await first.read(['k'])).k as StoreItem).n, 2);
    });
  });

  it('fails closed on a blob that is not one of its records', async () => {
    const container = freshContainer();
    const writer = store(container);
    await writer.write({ 'approvals/x': { n: 1 } });
    // Another key's record copied over this key's blob: read it back through a second key's name.
    const client = new ContainerClient(azurite().connectionString, container);
    const body = JSON.stringify({ format: 1, key: 'approvals/other', item: { n: 9 } });
    await client.getBlockBlobClient(toStorageFileName('approvals/x')).upload(body, Buffer.byteLength(body));
    await assert.rejects(writer.read(['approvals/x']), (error: unknown) => {
      assert.ok(error instanceof StorageError);
      assert.equal(error.reason, 'corruptItem');
      return true;
    });
  });

  describe('behind a proxy that loses answers', () => {
    /**
     * Forwards to Azurite; the first request matching `lose` is carried out by Azurite but answered 500 (the
     * answer was lost on the way back). Counts what reached Azurite per method.
     */
    async function lossyProxy(lose: (req: http.IncomingMessage) => boolean) {
      const target = new URL(/BlobEndpoint=([^;]+)/.exec(azurite().connectionString)![1]!);
      const reached: Record<string, number> = {};
      let lost = false;
      const server = http.createServer((req, res) => {
        reached[req.method!] = (reached[req.method!] ?? 0) + 1;
        const loseThis = !lost && lose(req);
        if (loseThis) lost = true;
        const upstream = http.request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            if (loseThis) {
              answer.resume();
              res.writeHead(500, { 'content-type': 'application/xml' });
              res.end();
              return;
            }
            res.writeHead(answer.statusCode!, answer.headers);
            answer.pipe(res);
          },
        );
        req.pipe(upstream);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const connectionString = azurite().connectionString.replace(`:${target.port}/`, `:${port}/`);
      return { connectionString, reached, close: () => new Promise((resolve) => server.close(resolve)) };
    }

    it('reports a create whose answer was lost as unavailable, sent once, never as a conflict', async () => {
      const proxy = await lossyProxy((req) => req.method === 'PUT' && req.headers['if-none-match'] === '*');
      try {
        const blob = new BlobStorage({ connectionString: proxy.connectionString, container: freshContainer() });
        await blob.ready();
        const putsBefore = proxy.reached.PUT ?? 0;
        await assert.rejects(blob.write({ k: { n: 1, eTag: CREATE_ONLY_ETAG } }), (error: unknown) => {
          assert.ok(isStorageUnavailable(error), String(error));
          return true;
        });
        // A retry would have met its own blob (409) and been reported as someone else's win.
        assert.equal((proxy.reached.PUT ?? 0) - putsBefore, 1, 'the write was sent once');
        // The outcome really was unknown: the write had landed.
        assert.equal(((await blob.read(['k'])).k as StoreItem).n, 1);
      } finally {
        await proxy.close();
      }
    });

    it('retries a read whose answer was lost', async () => {
      const proxy = await lossyProxy((req) => req.method === 'GET');
      try {
        const blob = new BlobStorage({ connectionString: proxy.connectionString, container: freshContainer() });
        await blob.write({ k: { n: 1 } });
        assert.equal(((await blob.read(['k'])).k as StoreItem).n, 1);
        assert.equal(proxy.reached.GET, 2);
      } finally {
        await proxy.close();
      }
    });
  });

  describe('when Azurite stops', () => {
    it('reads, writes and deletes reject as unavailable, never succeed silently', async function () {
      this.timeout(30_000);
      const own = await startAzurite();
      try {
        const blob = new BlobStorage({
          connectionString: own.connectionString,
          container: freshContainer(),
          operationTimeoutMs: 5_000,
        });
        await blob.write({ k: { n: 1 } });
        const read = (await blob.read(['k'])).k as StoreItem;
        await own.stop();

        const unavailable = (error: unknown) => {
          assert.ok(isStorageUnavailable(error), String(error));
          assert.equal(isETagConflict(error), false);
          return true;
        };
        await assert.rejects(blob.read(['k']), unavailable);
        await assert.rejects(blob.write({ k: { ...read, n: 2 } }), unavailable);
        await assert.rejects(blob.write({ fresh: { n: 1, eTag: CREATE_ONLY_ETAG } }), unavailable);
        await assert.rejects(blob.write({ k: { n: 3 } }), unavailable);
        await assert.rejects(blob.delete(['k']), unavailable);
      } finally {
        await own.stop();
      }
    });

    it('refuses to start (ready) when the service cannot be reached', async function () {
      this.timeout(30_000);
      const own = await startAzurite();
      await own.stop();
      const blob = new BlobStorage({ connectionString: own.connectionString, container: freshContainer() });
      await assert.rejects(blob.ready(), (error: unknown) => isStorageUnavailable(error));
    });
  });
});

describe('BlobStorage settings', () => {
  it('refuses a malformed connection string naming the setting, never its value', () => {
    assert.throws(
      () => new BlobStorage({ connectionString: 'AccountName=x;AccountKey=c2VjcmV0', container: 'soc-bot' }),
      (error: unknown) => {
        assert.ok(error instanceof StorageError && error.reason === 'invalidInput', String(error));
        assert.match(error.message, /STORAGE_CONNECTION_STRING/);
        assert.equal(error.message.includes('c2VjcmV0'), false);
        return true;
      },
    );
  });
});

describe('botbuilder-azure-blobs', () => {
  // Its BlobsStorage has no create-only write (two concurrent creates both succeed, see docs/adr/0003-storage.md):
  // it must not come back as a dependency or an import.
  it('is neither a dependency nor imported anywhere in src/', () => {
    const root = path.join(__dirname, '..', '..', '..');
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    assert.equal('botbuilder-azure-blobs' in (manifest.dependencies ?? {}), false);
    assert.equal('botbuilder-azure-blobs' in (manifest.devDependencies ?? {}), false);
    const sources = fs.readdirSync(path.join(root, 'src'), { recursive: true, encoding: 'utf8' });
    const importers = sources.filter(
      (file) =>
        file.endsWith('.ts') &&
        fs.readFileSync(path.join(root, 'src', file), 'utf8').includes("from 'botbuilder-azure-blobs'"),
    );
    assert.deepEqual(importers, []);
  });
});
