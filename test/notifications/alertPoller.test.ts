import assert from 'node:assert/strict';
import { MemoryStorage } from 'botbuilder';
import type { DefenderClient } from '../../src/defender/defenderClient';
import type { FilterExpression } from '../../src/http/odata';
import type { Alert } from '../../src/defender/schemas';
import { alertSchema } from '../../src/defender/schemas';
import { createLogger } from '../../src/logging/logger';
import type { AlertIntake } from '../../src/notifications/alertIntake';
import { AlertPoller } from '../../src/notifications/alertPoller';
import { demoSeed } from '../support/demoTenant';

/*
 * The poller's window when more alerts changed than one read holds. Defender is a stand-in that applies the
 * poller's `lastUpdateTime ge … [and lastUpdateTime lt …]` filter and lists newest (or oldest) first, capped like
 * the client: Defender documents no order, so the poller must work with either.
 */

const TENANT = demoSeed.tenant.id;
const START = Date.parse('2026-11-22T12:00:00.000Z');
const OVERLAP_MS = 120_000;
const MAX = 20;
const template = alertSchema.parse({ ...demoSeed.alerts[0], evidence: [] });

function alertAt(id: string, at: number): Alert {
  const time = new Date(at).toISOString();
  return { ...template, id, alertCreationTime: time, lastUpdateTime: time };
}

function setUp(order: 'newestFirst' | 'oldestFirst' = 'newestFirst') {
  let now = START;
  const storage = new MemoryStorage();
  const writes: string[] = [];
  const write = storage.write.bind(storage);
  storage.write = (changes) => {
    writes.push(...Object.keys(changes));
    return write(changes);
  };
  const alerts: Alert[] = [];
  const ingested: string[][] = [];
  const defender = {
    listAlerts: (_auth: unknown, query: { filter?: FilterExpression; max: number }) => {
      const text = query.filter?.odata ?? '';
      const ge = /lastUpdateTime ge (\S+?)\)?(?:\s|$)/.exec(text)?.[1];
      const lt = /lastUpdateTime lt (\S+?)\)?(?:\s|$)/.exec(text)?.[1];
      const matching = alerts
        .filter((a) => !ge || Date.parse(a.lastUpdateTime!) >= Date.parse(ge))
        .filter((a) => !lt || Date.parse(a.lastUpdateTime!) < Date.parse(lt))
        .sort((a, b) => Date.parse(b.lastUpdateTime!) - Date.parse(a.lastUpdateTime!));
      if (order === 'oldestFirst') matching.reverse();
      return Promise.resolve({ items: matching.slice(0, query.max), truncated: matching.length > query.max });
    },
  } as unknown as DefenderClient;
  const intake = {
    retryDeferred: () => Promise.resolve(undefined),
    ingest: (_tenant: string, batch: Alert[]) => {
      ingested.push(batch.map((a) => a.id));
      return Promise.resolve({ unchanged: 0, ingested: batch.length, conversations: 0, deferred: 0 });
    },
  } as unknown as AlertIntake;
  const poller = new AlertPoller({
    defender,
    appAuth: () => ({ kind: 'application', tenantId: TENANT }) as never, // the stand-in never asks for a token
    intake,
    storage,
    tenants: () => [TENANT],
    intervalMs: 10_000,
    overlapMs: OVERLAP_MS,
    maxAlerts: MAX,
    logger: createLogger({ level: 'silent' }),
    now: () => new Date(now),
  });
  return {
    poller,
    alerts,
    ingested,
    writes,
    advance: (ms: number) => (now += ms),
    taken: () => new Set(ingested.flat()),
  };
}

describe('AlertPoller: more changes than one read holds', () => {
  it('gives up an overlap that alone holds too many, never a new change', async () => {
    const t = setUp();
    await t.poller.poll(TENANT); // the watermark starts at START − overlap
    // 30 changes inside the overlap window the next poll re-reads, then 5 new ones after the watermark.
    for (let i = 0; i < 30; i++) t.alerts.push(alertAt(`old-${i}`, START - 100_000 - 60_000 + i * 1000));
    t.advance(10_000);
    for (let i = 0; i < 5; i++) t.alerts.push(alertAt(`new-${i}`, START + 1_000 + i * 1000));
    t.advance(10_000);
    for (let round = 0; round < 3; round++) await t.poller.poll(TENANT);
    for (let i = 0; i < 5; i++) assert.ok(t.taken().has(`new-${i}`), `new-${i} taken in`);
  });

  it('re-reads an overlap that fits on its own, and takes the new changes in the same poll', async () => {
    const t = setUp();
    await t.poller.poll(TENANT); // watermark: START − overlap
    // 18 changes in the overlap the next poll re-reads, 5 new ones after the watermark: 23 > 20 in one read.
    for (let i = 0; i < 18; i++) t.alerts.push(alertAt(`old-${i}`, START - 200_000 + i * 1000));
    for (let i = 0; i < 5; i++) t.alerts.push(alertAt(`new-${i}`, START - 100_000 + i * 10_000));
    t.advance(10_000);
    await t.poller.poll(TENANT);
    const taken = t.taken();
    for (let i = 0; i < 5; i++) assert.ok(taken.has(`new-${i}`), `new-${i} taken in`);
    for (let i = 0; i < 18; i++) assert.ok(taken.has(`old-${i}`), `old-${i} re-read in the overlap`);
  });

  it('cuts a crowded new part until it fits and catches up over the next polls, each change once per poll', async () => {
    const t = setUp();
    await t.poller.poll(TENANT);
    for (let i = 0; i < 70; i++) t.alerts.push(alertAt(`burst-${i}`, START - 110_000 + i * 100));
    t.advance(10_000);
    for (let round = 0; round < 6; round++) {
      await t.poller.poll(TENANT);
      t.advance(10_000);
    }
    assert.equal(t.taken().size, 70);
    for (const batch of t.ingested) assert.ok(batch.length <= MAX && new Set(batch).size === batch.length);
  });

  it('gets past a millisecond with more changes than one read holds, whatever order Defender lists in', async () => {
    const t = setUp('oldestFirst');
    await t.poller.poll(TENANT); // watermark: START − overlap
    const crowded = START - 100_000;
    for (let i = 0; i < 30; i++) t.alerts.push(alertAt(`same-ms-${i}`, crowded));
    for (let i = 0; i < 3; i++) t.alerts.push(alertAt(`later-${i}`, crowded + 5_000 + i * 1000));
    for (let round = 0; round < 5; round++) {
      t.advance(10_000);
      await t.poller.poll(TENANT);
    }
    for (let i = 0; i < 3; i++) assert.ok(t.taken().has(`later-${i}`), `later-${i} taken in`);
  });
});

describe('AlertPoller: an idle tenant', () => {
  // Hundreds of customer tenants with nothing new must not cost a storage write and an intake call each, every
  // interval (npm run bench -- tenants).
  it('writes its state once, then nothing while nothing changes, and hands no empty batch on', async () => {
    const t = setUp();
    await t.poller.poll(TENANT); // the first poll records where the watermark starts
    assert.equal(t.writes.length, 1);
    for (let round = 0; round < 5; round++) {
      t.advance(10_000);
      await t.poller.poll(TENANT);
    }
    assert.equal(t.writes.length, 1);
    assert.deepEqual(t.ingested, []);
  });

  it('still moves its watermark past a change, and refreshes lastPollAt after ten idle minutes', async () => {
    const t = setUp();
    await t.poller.poll(TENANT);
    t.alerts.push(alertAt('late', START + 5_000));
    t.advance(10_000);
    await t.poller.poll(TENANT);
    assert.deepEqual(t.ingested, [['late']]);
    assert.equal(t.writes.length, 2);
    t.advance(10 * 60_000);
    await t.poller.poll(TENANT); // re-reads 'late' in its overlap (the intake ignores a version it has)
    assert.equal(t.writes.length, 3);
  });
});
