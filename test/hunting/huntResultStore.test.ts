import assert from 'node:assert/strict';
import type { HuntingResultRow } from '../../src/hunting/huntingTypes';
import type { HuntResultOwner } from '../../src/hunting/huntResultStore';
import { HuntResultStore, MAX_SORTED_ROWS } from '../../src/hunting/huntResultStore';
import type { Storage, StoreItems } from '../../src/storage/storage';
import { StorageError } from '../../src/storage/storageError';
import { streamedAnswer } from './huntResultHarness';

/** A Map as Storage, counting what was written, failing writes from the `failFrom`-th on (an outage). */
class RecordingStorage implements Storage {
  readonly items = new Map<string, unknown>();
  writes = 0;
  failFrom = Number.POSITIVE_INFINITY;

  read(keys: string[]): Promise<StoreItems> {
    const out: StoreItems = {};
    for (const key of keys) if (this.items.has(key)) out[key] = structuredClone(this.items.get(key));
    return Promise.resolve(out);
  }

  write(changes: StoreItems): Promise<void> {
    this.writes += 1;
    if (this.writes >= this.failFrom)
      return Promise.reject(new StorageError('unavailable', Object.keys(changes)[0], 'store did not answer'));
    for (const [key, value] of Object.entries(changes)) this.items.set(key, structuredClone(value));
    return Promise.resolve();
  }

  delete(keys: string[]): Promise<void> {
    for (const key of keys) this.items.delete(key);
    return Promise.resolve();
  }
}

/** The items of results (headers and chunks), not the index entries the sweep reads. */
function resultItems(storage: RecordingStorage): string[] {
  return [...storage.items.keys()].filter((key) => !key.startsWith('hunt-results/index/'));
}

const OWNER: HuntResultOwner = { tenantId: 'tenant-a', userId: 'user-1', userTenantId: 'tenant-a' };
const COLUMNS = [
  { name: 'N', type: 'Int64' },
  { name: 'Name', type: 'String' },
];

function answer(count: number) {
  return streamedAnswer(COLUMNS, function* (): Generator<HuntingResultRow> {
    for (let i = 1; i <= count; i += 1) yield { N: i, Name: `row ${(i * 37) % count}` };
  });
}

const timing = () => ({ elapsedMs: 1, callsThisMinute: 1, callsThisHour: 1 });
const request = { title: 'T', query: 'Q' };

describe('hunt result store', () => {
  it('leaves nothing readable when the store fails midway (the header is written last)', async () => {
    const storage = new RecordingStorage();
    storage.failFrom = 4;
    const store = new HuntResultStore({ storage, now: () => new Date(), chunkRows: 100 });
    await assert.rejects(
      store.save(OWNER, request, answer(1000), timing),
      (err: unknown) => err instanceof StorageError,
    );
    assert.equal(storage.writes, 4, 'the index entry and two chunks written, the third refused');
    assert.deepEqual(resultItems(storage), [], 'no header, and the chunks written are removed');
  });

  it('removes what it stored when the answer fails midway (the hunt is answered with the error)', async () => {
    const storage = new RecordingStorage();
    const store = new HuntResultStore({ storage, now: () => new Date(), chunkRows: 100 });
    const failing = {
      rows: (async function* () {
        for (let i = 1; i <= 250; i += 1) {
          await Promise.resolve();
          yield { N: i, Name: 'x' };
        }
        throw new Error('connection reset');
      })(),
      columns: () => Promise.resolve(COLUMNS),
    };
    await assert.rejects(store.save(OWNER, request, failing, timing), /connection reset/);
    assert.equal(storage.writes, 3, 'the index entry and two chunks');
    assert.deepEqual(resultItems(storage), []);
  });

  it('keeps at most the documented number of rows and says the answer was cut', async () => {
    const storage = new RecordingStorage();
    const store = new HuntResultStore({ storage, now: () => new Date(), chunkRows: 100, maxRows: 1000 });
    const { header, firstPage } = await store.save(OWNER, request, answer(1500), timing);
    assert.equal(header.rowCount, 1000);
    assert.equal(header.truncated, true);
    assert.equal(firstPage.length, 10);
    assert.equal(storage.writes, 12, 'the index entry, ten chunks of 100 rows, then the header');
    const last = await store.page(header, 99);
    assert.deepEqual(
      last.map((r) => r.N),
      [991, 992, 993, 994, 995, 996, 997, 998, 999, 1000],
    );
  });

  it('pages across chunk boundaries and sorts with ties in answer order', async () => {
    const store = new HuntResultStore({ storage: new RecordingStorage(), now: () => new Date(), chunkRows: 7 });
    const { header } = await store.save(OWNER, request, answer(100), timing);
    assert.deepEqual(
      (await store.page(header, 1)).map((r) => r.N),
      [11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
    );
    const sorted = await store.sortedPage(header, 0, { column: 'N', direction: 'desc' });
    assert.deepEqual(
      sorted.map((r) => r.N),
      [100, 99, 98, 97, 96, 95, 94, 93, 92, 91],
    );
    const all: HuntingResultRow[] = [];
    for (let page = 0; page < 10; page += 1)
      all.push(...(await store.sortedPage(header, page, { column: 'Name', direction: 'asc' })));
    const expected = Array.from({ length: 100 }, (_, i) => ({ N: i + 1, Name: `row ${((i + 1) * 37) % 100}` })).sort(
      (a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : a.N - b.N),
    );
    assert.deepEqual(all, expected);
  });

  it('serves sorted pages only up to the bounded number of rows', async () => {
    const store = new HuntResultStore({ storage: new RecordingStorage(), now: () => new Date() });
    const { header } = await store.save(OWNER, request, answer(MAX_SORTED_ROWS + 500), timing);
    const beyond = await store.sortedPage(header, MAX_SORTED_ROWS / 10 + 5, { column: 'N', direction: 'asc' });
    assert.deepEqual(beyond, []);
  });

  it('refuses another owner and forgets an expired result', async () => {
    let now = new Date('2026-12-07T00:00:00Z');
    const storage = new RecordingStorage();
    const store = new HuntResultStore({ storage, now: () => now });
    const { header } = await store.save(OWNER, request, answer(20), timing);
    assert.equal((await store.open(header.id, { ...OWNER, userId: 'user-2' })).kind, 'notOwned');
    assert.equal((await store.open(header.id, { ...OWNER, tenantId: 'tenant-b' })).kind, 'notOwned');
    assert.equal((await store.open(header.id, { ...OWNER, userId: 'USER-1' })).kind, 'found');
    now = new Date('2026-12-08T00:00:01Z');
    assert.equal((await store.open(header.id, OWNER)).kind, 'expired');
    assert.deepEqual(resultItems(storage), [], 'header and chunks removed');
    assert.equal((await store.open('H-not-a-real-id', OWNER)).kind, 'expired');
  });
});
