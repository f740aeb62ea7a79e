import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ContainerClient } from '@azure/storage-blob';
import type { AuditEntry } from '../../src/audit/auditEntry';
import { isAuditStorageUnavailable } from '../../src/audit/auditError';
import { BlobAuditLog, type BlobAuditLogOptions } from '../../src/audit/blobAuditLog';
import { AuditAppendBlobs } from '../../src/storage/auditAppendBlob';
import { useAzurite } from '../support/azurite';
import { entry } from './support/auditFixtures';
import { isAppendBlock, startDroppingProxy } from './support/droppingProxy';

/** A container no other test uses: every chain starts empty. */
function freshContainer(): string {
  return `audit-${randomBytes(6).toString('hex')}`;
}

describe('BlobAuditLog: one audit chain shared by several instances (Azurite)', () => {
  const azurite = useAzurite();
  const opened: BlobAuditLog[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((log) => log.close()));
  });

  /** One instance's log (its own SDK clients, as a separate process would have) on `container`. */
  async function instance(
    container: string,
    options: Omit<BlobAuditLogOptions, 'segments'> & { connectionString?: string } = {},
  ): Promise<BlobAuditLog> {
    const { connectionString = azurite().connectionString, ...rest } = options;
    const log = await BlobAuditLog.open({ segments: new AuditAppendBlobs({ connectionString, container }), ...rest });
    opened.push(log);
    return log;
  }

  async function allEntries(log: BlobAuditLog): Promise<AuditEntry[]> {
    return (await log.recent({ limit: 1000 })).reverse();
  }

  async function segmentBlobs(container: string): Promise<{ name: string; sealed: boolean; blocks: number }[]> {
    const client = new ContainerClient(azurite().connectionString, container);
    const blobs = [];
    for await (const blob of client.listBlobsFlat({ prefix: 'audit/' })) {
      const properties = await client.getAppendBlobClient(blob.name).getProperties();
      blobs.push({
        name: blob.name,
        sealed: properties.isSealed === true,
        blocks: properties.blobCommittedBlockCount ?? 0,
      });
    }
    return blobs;
  }

  it('keeps one linear chain when 3 instances append 50 entries each at the same time', async function () {
    this.timeout(120_000);
    const container = freshContainer();
    // Small segments: the race also crosses several segment boundaries.
    const writers = await Promise.all([1, 2, 3].map(() => instance(container, { entriesPerSegment: 40 })));
    const results = await Promise.all(
      writers.map((log, w) =>
        Promise.all(Array.from({ length: 50 }, (_, i) => log.append(entry({ approvalId: `w${w}-${i}` })))),
      ),
    );
    const acknowledged = results.flat();
    const stored = await allEntries(writers[0]!);
    assert.equal(stored.length, 150, 'no entry lost, none doubled');
    assert.deepEqual(
      stored.map((e) => e.seq),
      Array.from({ length: 150 }, (_, i) => i + 1),
    );
    assert.deepEqual(new Set(stored.map((e) => e.id)), new Set(acknowledged.map((e) => e.id)));
    assert.deepEqual(stored.map((e) => e.approvalId).sort(), acknowledged.map((e) => e.approvalId).sort());
    // What each writer was told is what is stored at that seq.
    for (const e of acknowledged) assert.equal(stored[e.seq - 1]!.hash, e.hash);
    for (const log of writers) assert.deepEqual(await log.verify(), { ok: true, entries: 150 });
    const segments = await segmentBlobs(container);
    assert.ok(segments.length >= 4, `150 entries at 40 per segment fill at least 4 segments, got ${segments.length}`);
    assert.ok(
      segments.slice(0, -1).every((s) => s.sealed),
      'every segment but the last is sealed',
    );
  });

  it('rolls over to the next segment, its first entry chained on the last of the sealed one', async () => {
    const container = freshContainer();
    const log = await instance(container, { entriesPerSegment: 3 });
    const appended = [];
    for (let i = 0; i < 7; i++) appended.push(await log.append(entry({ approvalId: `a${i}` })));
    assert.deepEqual(await segmentBlobs(container), [
      { name: 'audit/segment-000001.jsonl', sealed: true, blocks: 3 },
      { name: 'audit/segment-000002.jsonl', sealed: true, blocks: 3 },
      { name: 'audit/segment-000003.jsonl', sealed: false, blocks: 1 },
    ]);
    assert.equal(appended[3]!.prevHash, appended[2]!.hash);
    // A second instance, started later, continues the same chain and reads across the boundaries.
    const later = await instance(container, { entriesPerSegment: 3 });
    assert.deepEqual(later.lastEntry, { seq: 7, hash: appended[6]!.hash });
    assert.deepEqual(
      (await later.recent({ limit: 5 })).map((e) => e.seq),
      [7, 6, 5, 4, 3],
    );
    assert.deepEqual(await later.verify(), { ok: true, entries: 7 });
  });

  it('continues in the next segment when an instance with a smaller segment size sealed the current one', async () => {
    const container = freshContainer();
    const large = await instance(container, { entriesPerSegment: 100 });
    const small = await instance(container, { entriesPerSegment: 2 });
    await large.append(entry({ approvalId: 'a1' }));
    await large.append(entry({ approvalId: 'a2' }));
    await small.append(entry({ approvalId: 'a3' })); // seals segment 1, starts segment 2
    // `large` still believes segment 1 is open: its append meets the seal, not a fork.
    const fourth = await large.append(entry({ approvalId: 'a4' }));
    assert.equal(fourth.seq, 4);
    assert.deepEqual(await large.verify(), { ok: true, entries: 4 });
  });

  describe('through a network that loses messages (a real HTTP proxy in front of Azurite)', () => {
    async function withProxy<T>(run: (proxy: Awaited<ReturnType<typeof startDroppingProxy>>) => Promise<T>) {
      const proxy = await startDroppingProxy(azurite().connectionString, isAppendBlock);
      try {
        return await run(proxy);
      } finally {
        await proxy.close();
      }
    }

    it('records an entry once when the answer to its append was lost after it landed', async () => {
      await withProxy(async (proxy) => {
        const container = freshContainer();
        const log = await instance(container, { connectionString: proxy.connectionString });
        await log.append(entry({ approvalId: 'a1' }));
        proxy.drop('answer');
        const sentBefore = proxy.targeted;
        const second = await log.append(entry({ approvalId: 'a2' }));
        assert.equal(proxy.targeted - sentBefore, 1, 'settled by reading the position, not by sending again');
        assert.equal(second.seq, 2);
        const stored = await allEntries(log);
        assert.deepEqual(
          stored.map((e) => e.approvalId),
          ['a1', 'a2'],
        );
        assert.equal(stored[1]!.id, second.id);
        assert.deepEqual(await log.verify(), { ok: true, entries: 2 });
      });
    });

    it('sends again, at the same position, an append that never reached storage', async () => {
      await withProxy(async (proxy) => {
        const container = freshContainer();
        const log = await instance(container, { connectionString: proxy.connectionString });
        proxy.drop('request');
        const sentBefore = proxy.targeted;
        const first = await log.append(entry({ approvalId: 'a1' }));
        assert.equal(proxy.targeted - sentBefore, 2);
        assert.deepEqual(
          (await allEntries(log)).map((e) => e.id),
          [first.id],
        );
      });
    });

    it('rechains when another instance appended between a lost answer and the check', async () => {
      await withProxy(async (proxy) => {
        const container = freshContainer();
        const lossy = await instance(container, { connectionString: proxy.connectionString });
        const direct = await instance(container);
        await direct.append(entry({ approvalId: 'other-1' }));
        // The request is cut before it lands and, before the cut reaches the writer, the other instance takes
        // the position: the check finds another's line there, so the entry is rechained, not assumed written.
        const sentBefore = proxy.targeted;
        proxy.drop('request', () => direct.append(entry({ approvalId: 'other-2' })));
        const mine = await lossy.append(entry({ approvalId: 'mine' }));
        assert.equal(proxy.targeted - sentBefore, 2);
        assert.equal(mine.seq, 3);
        const stored = await allEntries(direct);
        assert.deepEqual(
          stored.map((e) => e.approvalId),
          ['other-1', 'other-2', 'mine'],
        );
        assert.equal(stored[2]!.id, mine.id);
        assert.deepEqual(await direct.verify(), { ok: true, entries: 3 });
      });
    });

    it('rejects with storageUnavailable while storage is unreachable, and records nothing', async () => {
      const proxy = await startDroppingProxy(azurite().connectionString, () => true);
      try {
        const container = freshContainer();
        const log = await instance(container, { connectionString: proxy.connectionString });
        await log.append(entry({ approvalId: 'a1' }));
        proxy.down = true;
        await assert.rejects(log.append(entry({ approvalId: 'a2' })), (error: unknown) => {
          assert.ok(isAuditStorageUnavailable(error), String(error));
          return true;
        });
        proxy.down = false;
        const third = await log.append(entry({ approvalId: 'a3' }));
        assert.equal(third.seq, 2, 'the failed entry left no line');
        assert.deepEqual(await log.verify(), { ok: true, entries: 2 });
      } finally {
        await proxy.close();
      }
    });
  });

  describe('tampering', () => {
    /** Rewrites a segment with edited content, as someone with write access to the account could. */
    async function rewriteSegment(container: string, name: string, edit: (text: string) => string): Promise<void> {
      const blob = new ContainerClient(azurite().connectionString, container).getAppendBlobClient(name);
      const text = edit((await blob.downloadToBuffer()).toString('utf8'));
      await blob.delete();
      await blob.create();
      await blob.appendBlock(text, Buffer.byteLength(text));
    }

    it('reports an edited line as the place the chain breaks', async () => {
      const container = freshContainer();
      const log = await instance(container, { entriesPerSegment: 2 });
      for (const approvalId of ['a1', 'a2', 'a3', 'a4']) await log.append(entry({ approvalId }));
      await rewriteSegment(container, 'audit/segment-000002.jsonl', (text) => text.replace('"a3"', '"a9"'));
      const result = await log.verify();
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.line, 3);
    });

    it('reports entries cut off the end that this instance appended', async () => {
      const container = freshContainer();
      const log = await instance(container);
      for (const approvalId of ['a1', 'a2', 'a3']) await log.append(entry({ approvalId }));
      await rewriteSegment(container, 'audit/segment-000001.jsonl', (text) =>
        text.split('\n').slice(0, 2).join('\n').concat('\n'),
      );
      const result = await log.verify();
      assert.equal(result.ok, false);
    });
  });
});
