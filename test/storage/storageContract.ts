import assert from 'node:assert/strict';
import { CREATE_ONLY_ETAG } from '../../src/storage/storage';
import type { Storage, StoreItem, StoreItems } from '../../src/storage/storage';
import { isETagConflict } from '../../src/storage/storageError';

/** What a store does with a write whose eTag names a key that does not exist (stores differ here). */
export type ETagOnMissingKey =
  /** botbuilder's MemoryStorage and our FileStorage: the item is created. */
  | 'creates'
  /** botbuilder-azure-blobs' BlobsStorage (If-Match on a missing blob answers 412). */
  | 'conflicts';

/** Store-specific facts the contract has to be told, instead of guessing them. */
export interface StorageContractOptions {
  eTagOnMissingKey: ETagOnMissingKey;
}

/** Reads one key and fails the test if it is missing (so each case states what it expects to exist). */
async function readOne(store: Storage, key: string): Promise<StoreItem> {
  const items = await store.read([key]);
  const item = items[key];
  assert.ok(item !== undefined, `expected "${key}" to exist`);
  return item as StoreItem;
}

function eTagOf(item: StoreItem): string {
  assert.equal(typeof item.eTag, 'string');
  assert.ok(item.eTag !== '', 'an item read back carries a non-empty eTag');
  return item.eTag!;
}

/**
 * The Storage contract (botbuilder's semantics), run against every store: botbuilder's own MemoryStorage
 * proves the suite describes botbuilder's behaviour rather than ours; FileStorage proves ours matches it.
 * `createStore` gives an empty store per test.
 */
export function describeStorageContract(
  name: string,
  createStore: () => Storage | Promise<Storage>,
  options: StorageContractOptions,
): void {
  describe(`Storage contract: ${name}`, () => {
    let store: Storage;

    beforeEach(async () => {
      store = await createStore();
    });

    it('reads nothing for missing keys', async () => {
      assert.deepEqual(await store.read(['missing', 'also/missing']), {});
      assert.deepEqual(await store.read([]), {});
    });

    it('accepts a write with no items', async () => {
      await store.write({});
      // botbuilder's own storage base tests write an empty array (its `any`-typed StoreItems allows it).
      await store.write([] as unknown as StoreItems);
      assert.deepEqual(await store.read(['0']), {});
    });

    it('returns only the keys that exist', async () => {
      await store.write({ present: { n: 1 } });
      const items = await store.read(['present', 'absent']);
      assert.deepEqual(Object.keys(items), ['present']);
      assert.equal('absent' in items, false);
    });

    it('reads back what was written, with an eTag', async () => {
      const value = { state: 'pending', nested: { list: [1, 'two', null, true], deep: { x: 1.5 } } };
      await store.write({ 'approvals/3f2c': value });
      const item = await readOne(store, 'approvals/3f2c');
      eTagOf(item);
      const { eTag: _eTag, ...fields } = item;
      assert.deepEqual(fields, value);
    });

    it('writes several keys in one call', async () => {
      await store.write({ a: { n: 1 }, b: { n: 2 }, c: { n: 3 } });
      const items = await store.read(['a', 'b', 'c']);
      assert.deepEqual(
        Object.keys(items)
          .sort()
          .map((key) => (items[key] as StoreItem).n),
        [1, 2, 3],
      );
    });

    it('overwrites unconditionally with eTag "*", whatever is stored', async () => {
      await store.write({ k: { n: 1 } });
      const before = eTagOf(await readOne(store, 'k'));
      await store.write({ k: { n: 2, eTag: '*' } });
      const after = await readOne(store, 'k');
      assert.equal(after.n, 2);
      assert.notEqual(eTagOf(after), before);
    });

    it('overwrites unconditionally without an eTag or with an empty one', async () => {
      await store.write({ k: { n: 1 } });
      await store.write({ k: { n: 2 } });
      assert.equal((await readOne(store, 'k')).n, 2);
      await store.write({ k: { n: 3, eTag: '' } });
      assert.equal((await readOne(store, 'k')).n, 3);
    });

    it('accepts a conditional write with the current eTag and assigns a new one', async () => {
      await store.write({ k: { n: 1 } });
      const read = await readOne(store, 'k');
      const first = eTagOf(read);
      await store.write({ k: { ...read, n: 2 } });
      const after = await readOne(store, 'k');
      assert.equal(after.n, 2);
      assert.notEqual(eTagOf(after), first);
    });

    it('assigns a distinct eTag on every successful write', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 10; i++) {
        await store.write({ k: { n: i } });
        seen.add(eTagOf(await readOne(store, 'k')));
      }
      assert.equal(seen.size, 10);
    });

    it('refuses a stale eTag with an "eTag conflict" error and keeps the stored value', async () => {
      await store.write({ k: { n: 1 } });
      const stale = await readOne(store, 'k');
      await store.write({ k: { ...stale, n: 2 } });
      const current = await readOne(store, 'k');

      await assert.rejects(store.write({ k: { ...stale, n: 3 } }), (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, /eTag conflict/);
        assert.ok(isETagConflict(error));
        return true;
      });
      assert.deepEqual(await readOne(store, 'k'), current);
    });

    it('does not change the eTag on a refused write', async () => {
      await store.write({ k: { n: 1 } });
      const current = eTagOf(await readOne(store, 'k'));
      await assert.rejects(store.write({ k: { n: 9, eTag: 'not-the-etag' } }), /eTag conflict/);
      assert.equal(eTagOf(await readOne(store, 'k')), current);
    });

    it('lets exactly one of 50 concurrent writers with the same eTag win', async () => {
      await store.write({ approval: { state: 'pending' } });
      const read = await readOne(store, 'approval');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => store.write({ approval: { ...read, state: 'approved', by: i } })),
      );
      const winners = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [i] : []));
      assert.equal(winners.length, 1, `exactly one winner, got ${winners.length}`);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') assert.ok(isETagConflict(outcome.reason), String(outcome.reason));
      }
      const stored = await readOne(store, 'approval');
      assert.equal(stored.by, winners[0]);
      assert.notEqual(stored.eTag, read.eTag);
    });

    it('applies each key of one write independently: a conflict on one does not stop the others', async () => {
      await store.write({ a: { n: 1 }, b: { n: 1 } });
      await assert.rejects(store.write({ a: { n: 2, eTag: 'stale' }, b: { n: 2 } }), /eTag conflict/);
      const items = await store.read(['a', 'b']);
      assert.equal((items.a as StoreItem).n, 1);
      assert.equal((items.b as StoreItem).n, 2);
    });

    it('creates a missing key with CREATE_ONLY_ETAG and refuses it, unchanged, once the key exists', async () => {
      await store.write({ k: { n: 1, eTag: CREATE_ONLY_ETAG } });
      const created = await readOne(store, 'k');
      assert.equal(created.n, 1);
      await assert.rejects(store.write({ k: { n: 2, eTag: CREATE_ONLY_ETAG } }), (error: unknown) => {
        assert.ok(isETagConflict(error), String(error));
        return true;
      });
      assert.deepEqual(await readOne(store, 'k'), created);
    });

    it('lets exactly one of 50 concurrent create-only writers of one key win', async () => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => store.write({ record: { by: i, eTag: CREATE_ONLY_ETAG } })),
      );
      const winners = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [i] : []));
      assert.equal(winners.length, 1, `exactly one winner, got ${winners.length}`);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') assert.ok(isETagConflict(outcome.reason), String(outcome.reason));
      }
      assert.equal((await readOne(store, 'record')).by, winners[0]);
    });

    if (options.eTagOnMissingKey === 'creates') {
      it('creates the item when a write carries an eTag for a key that does not exist', async () => {
        await store.write({ fresh: { n: 1, eTag: 'made-up' } });
        assert.equal((await readOne(store, 'fresh')).n, 1);
      });
    } else {
      it('conflicts when a write carries an eTag for a key that does not exist', async () => {
        await assert.rejects(store.write({ fresh: { n: 1, eTag: 'made-up' } }), /eTag conflict/);
        assert.deepEqual(await store.read(['fresh']), {});
      });

      it('conflicts when a stale writer writes after the key was deleted: nothing is resurrected', async () => {
        await store.write({ k: { n: 1 } });
        const stale = await readOne(store, 'k');
        await store.delete(['k']);
        await assert.rejects(store.write({ k: { ...stale, n: 2 } }), /eTag conflict/);
        assert.deepEqual(await store.read(['k']), {});
      });
    }

    it('deletes keys, leaves the others, and ignores missing ones', async () => {
      await store.write({ a: { n: 1 }, b: { n: 2 } });
      await store.delete(['a', 'never-written']);
      const items = await store.read(['a', 'b']);
      assert.deepEqual(Object.keys(items), ['b']);
      await store.delete([]);
    });

    it('accepts a new item under a deleted key', async () => {
      await store.write({ k: { n: 1 } });
      await store.delete(['k']);
      await store.write({ k: { n: 2 } });
      assert.equal((await readOne(store, 'k')).n, 2);
    });

    it('copies on write: later mutation of the written object does not reach the store', async () => {
      const value = { n: 1, nested: { list: [1] } };
      const writing = store.write({ k: value });
      // Mutate before the write settles, then after: neither may show up.
      value.n = 99;
      value.nested.list.push(2);
      await writing;
      value.nested.list.push(3);
      const item = await readOne(store, 'k');
      assert.equal(item.n, 1);
      assert.deepEqual(item.nested, { list: [1] });
    });

    it('copies on read: mutating a read item does not reach the store', async () => {
      await store.write({ k: { n: 1, nested: { list: [1] } } });
      const first = await readOne(store, 'k');
      first.n = 99;
      (first.nested as { list: number[] }).list.push(2);
      const second = await readOne(store, 'k');
      assert.equal(second.n, 1);
      assert.deepEqual(second.nested, { list: [1] });
    });

    it('leaves the caller’s object without an eTag', async () => {
      const value: StoreItem = { n: 1 };
      await store.write({ k: value });
      assert.equal('eTag' in value, false);
    });

    it('stores JSON: values without a JSON form are dropped or converted as JSON.stringify does', async () => {
      await store.write({ k: { when: new Date('2024-05-01T00:00:00.000Z'), gone: undefined } });
      const item = await readOne(store, 'k');
      assert.equal(item.when, '2024-05-01T00:00:00.000Z');
      assert.equal('gone' in item, false);
    });
  });
}
