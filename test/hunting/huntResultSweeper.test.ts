import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HuntingResultRow } from '../../src/hunting/huntingTypes';
import { indexPartKey, hourOf } from '../../src/hunting/huntResultIndex';
import type { HuntResultHeader, HuntResultOwner } from '../../src/hunting/huntResultStore';
import { HuntResultStore } from '../../src/hunting/huntResultStore';
import { HuntResultSweeper } from '../../src/hunting/huntResultSweeper';
import { installHuntResultSweep } from '../../src/hunting/huntResultsFeature';
import { Lifecycle } from '../../src/composition/lifecycle';
import { createLogger } from '../../src/logging/logger';
import { BlobStorage } from '../../src/storage/blobStorage';
import { FileStorage } from '../../src/storage/fileStorage';
import type { Storage } from '../../src/storage/storage';
import { useAzurite } from '../support/azurite';
import { captureStream } from '../support/testApp';
import { streamedAnswer } from './huntResultHarness';

const OWNER: HuntResultOwner = { tenantId: 'tenant-a', userId: 'user-1', userTenantId: 'tenant-a' };
const COLUMNS = [{ name: 'N', type: 'Int64' }];
const timing = () => ({ elapsedMs: 1, callsThisMinute: 1, callsThisHour: 1 });

function answer(count: number) {
  return streamedAnswer(COLUMNS, function* (): Generator<HuntingResultRow> {
    for (let i = 1; i <= count; i += 1) yield { N: i };
  });
}

/** Every item a result was stored in: its header and its chunks. */
function keysOf(header: HuntResultHeader): string[] {
  return [`hunt-results/${header.id}`, ...header.chunkRowCounts.map((_, i) => `hunt-results/${header.id}/${i}`)];
}

/** One instance of the bot: its own Storage object over the shared store, a store and a sweeper on one clock. */
function instanceOn(storage: Storage, now: () => Date) {
  const store = new HuntResultStore({ storage, now, chunkRows: 10 });
  const logger = createLogger({ level: 'error', destination: captureStream() });
  return { store, sweeper: new HuntResultSweeper({ storage, store, now, logger }) };
}

/*
 * The sweep of expired hunt results, against each shared store the bot runs on: a result nobody reopened is gone
 * (header, chunks, then its index) once expired, a fresh one stays, and two instances sweeping at once agree.
 */
function sweepSuite(storageOf: () => Promise<{ open: () => Storage; close: () => Promise<void> }>): void {
  let shared: { open: () => Storage; close: () => Promise<void> };
  let now: Date;
  const clock = () => now;

  beforeEach(async () => {
    shared = await storageOf();
    now = new Date('2026-12-07T10:15:00Z');
  });
  afterEach(async () => {
    await shared.close();
  });

  async function stored(storage: Storage, keys: string[]): Promise<string[]> {
    return Object.keys(await storage.read(keys)).sort();
  }

  it('removes a result nobody reopened once it expired, and keeps a fresh one', async () => {
    const storage = shared.open();
    const { store, sweeper } = instanceOn(storage, clock);
    const old = (await store.save(OWNER, { title: 'Old', query: 'Q' }, answer(25), timing)).header;
    const oldIndex = indexPartKey(hourOf(now), 0);
    assert.deepEqual(await stored(storage, [...keysOf(old), oldIndex]), [...keysOf(old), oldIndex].sort());

    // Still readable a day minus a minute later: the sweep leaves it alone.
    now = new Date('2026-12-08T10:14:00Z');
    await sweeper.sweep();
    assert.equal((await store.open(old.id, OWNER)).kind, 'found');

    now = new Date('2026-12-08T12:30:00Z');
    const fresh = (await store.save(OWNER, { title: 'Fresh', query: 'Q' }, answer(15), timing)).header;
    const outcome = await sweeper.sweep();
    assert.equal(outcome.resultsRemoved, 1);
    assert.deepEqual(await stored(storage, [...keysOf(old), oldIndex]), [], 'header, chunks and index removed');
    assert.deepEqual(await stored(storage, keysOf(fresh)), keysOf(fresh).sort());
    assert.equal((await store.open(fresh.id, OWNER)).kind, 'found');

    // The fresh one goes too once its day has passed, and a sweep with nothing to do does nothing.
    now = new Date('2026-12-09T14:00:00Z');
    assert.equal((await sweeper.sweep()).resultsRemoved, 1);
    assert.deepEqual(await stored(storage, keysOf(fresh)), []);
    assert.deepEqual(await sweeper.sweep(), { hoursSwept: 0, resultsRemoved: 0 });
  });

  it('sweeps as soon as the feature is installed, and the app waits for it when it stops', async () => {
    const storage = shared.open();
    const { store } = instanceOn(storage, clock);
    const old = (await store.save(OWNER, { title: 'Old', query: 'Q' }, answer(25), timing)).header;
    now = new Date('2026-12-08T12:30:00Z');
    const lifecycle = new Lifecycle();
    const logger = createLogger({ level: 'error', destination: captureStream() });
    installHuntResultSweep({ storage, logger, now: clock }, lifecycle);
    await lifecycle.stop();
    assert.deepEqual(await stored(storage, keysOf(old)), []);
  });

  it('two instances sweeping at once remove every expired result and both succeed', async () => {
    const first = instanceOn(shared.open(), clock);
    const second = instanceOn(shared.open(), clock);
    const headers: HuntResultHeader[] = [];
    for (let i = 0; i < 3; i += 1) {
      headers.push((await first.store.save(OWNER, { title: `R${i}`, query: 'Q' }, answer(12), timing)).header);
      headers.push((await second.store.save(OWNER, { title: `S${i}`, query: 'Q' }, answer(12), timing)).header);
    }
    now = new Date('2026-12-08T12:30:00Z');
    await Promise.all([first.sweeper.sweep(), second.sweeper.sweep()]);
    assert.deepEqual(await stored(shared.open(), headers.flatMap(keysOf)), []);
    assert.deepEqual(await stored(shared.open(), [indexPartKey(hourOf(new Date('2026-12-07T10:15:00Z')), 0)]), []);
  });
}

describe('hunt result sweep', function () {
  this.timeout(60_000);

  describe('on the file store', () => {
    sweepSuite(() => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-sweep-'));
      const opened: FileStorage[] = [];
      return Promise.resolve({
        open: () => {
          const storage = new FileStorage({ dir });
          opened.push(storage);
          return storage;
        },
        close: async () => {
          for (const storage of opened) await storage.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      });
    });
  });

  describe('on Azure Blob storage (Azurite)', () => {
    const azurite = useAzurite();
    sweepSuite(() => {
      const container = `sweep-${randomBytes(6).toString('hex')}`;
      return Promise.resolve({
        open: () => new BlobStorage({ connectionString: azurite().connectionString, container }),
        close: () => Promise.resolve(),
      });
    });
  });
});
