import assert from 'node:assert/strict';
import { MemoryStorage } from 'botbuilder';
import type { Alert } from '../../src/defender/schemas';
import { alertSchema } from '../../src/defender/schemas';
import { AppError } from '../../src/errors';
import { createLogger } from '../../src/logging/logger';
import { ALERT_BOOK_SIZE, AlertBook } from '../../src/notifications/alertBook';
import { AlertIntake } from '../../src/notifications/alertIntake';
import { outboxKey, parseOutbox } from '../../src/notifications/conversationOutbox';
import { SubscriptionStore } from '../../src/notifications/subscriptionStore';
import type { ConversationKind, SubscriptionFilter } from '../../src/notifications/subscriptionTypes';
import { readItem } from '../../src/storage/updateItem';
import { demoSeed } from '../support/demoTenant';

/*
 * The intake with its real stores over botbuilder's MemoryStorage: which conversations an alert reaches, what
 * the book of shown alerts keeps, and what waits for a later poll.
 */

const TENANT = demoSeed.tenant.id;
const NOW = new Date('2026-11-22T12:00:00.000Z');
const template = alertSchema.parse({ ...demoSeed.alerts[0], evidence: [] });

function alert(n: number, change: Partial<Alert> = {}): Alert {
  const at = new Date(NOW.getTime() - 3_600_000 + n * 1000).toISOString();
  return {
    ...template,
    id: `da${String(n).padStart(18, '0')}_1`,
    severity: 'High',
    status: 'New',
    alertCreationTime: at,
    lastUpdateTime: at,
    ...change,
  };
}

function setUp(machineTags: (machineId: string) => Promise<string[]> = () => Promise.resolve([])) {
  const storage = new MemoryStorage();
  const subscriptions = new SubscriptionStore(storage);
  const book = new AlertBook(storage);
  const woken: string[] = [];
  const clock = { now: NOW };
  const intake = new AlertIntake({
    subscriptions,
    book,
    storage,
    machineTags: (_tenant, machineId) => machineTags(machineId),
    wake: (c) => woken.push(c.conversationId),
    now: () => clock.now,
    logger: createLogger({ level: 'silent' }),
  });
  const subscribe = (conversationId: string, kind: ConversationKind, filter: Partial<SubscriptionFilter> = {}) =>
    subscriptions.add(
      TENANT,
      { conversationId, kind, address: { conversation: { id: conversationId } } },
      {
        filter: { severities: ['High', 'Medium'], ...filter },
        createdBy: { aadObjectId: 'a', userPrincipalName: 'adele@contoso.com', displayName: 'Adele' },
        createdAt: NOW.toISOString(),
      },
    );
  const queued = async (conversationId: string) =>
    Object.keys((await readItem(storage, outboxKey(TENANT, conversationId), parseOutbox))?.alerts ?? {});
  return { intake, book, subscribe, queued, woken, clock };
}

describe('AlertIntake', () => {
  it('keeps taking in new alerts once the book is full of alerts that have cards', async () => {
    const { intake, book, subscribe } = setUp();
    await subscribe('19:soc@thread.tacv2', 'channel');
    const shown = Array.from({ length: ALERT_BOOK_SIZE }, (_, i) => alert(i));
    await intake.ingest(TENANT, shown);
    const newer = alert(ALERT_BOOK_SIZE + 1);
    const result = await intake.ingest(TENANT, [newer]);
    assert.equal(result.ingested, 1);
    const entry = await book.get(TENANT, newer.id);
    assert.ok(entry, 'the new alert is in the book');
    assert.equal(entry.ingested, newer.lastUpdateTime, 'and marked taken in, so the next poll skips it');
    assert.deepEqual(entry.conversations, ['19:soc@thread.tacv2']);
    assert.equal((await intake.ingest(TENANT, [newer])).unchanged, 1);
  });

  it('matches a personal subscription stored with a narrow filter to nothing', async () => {
    const { intake, subscribe, queued } = setUp(() => Promise.resolve(['VIP']));
    await subscribe('a:personal', 'personal', { tag: 'VIP' });
    await intake.ingest(TENANT, [alert(1)]);
    assert.deepEqual(await queued('a:personal'), []);
  });

  it('matches without tags when the device is gone; sets an alert aside on a passing failure and retries it', async () => {
    let failure: Error | undefined = new AppError('notFound', 'machine not found');
    const { intake, subscribe, queued } = setUp(() => (failure ? Promise.reject(failure) : Promise.resolve(['VIP'])));
    await subscribe('19:vip@thread.tacv2', 'channel', { tag: 'VIP' });
    await subscribe('19:all@thread.tacv2', 'channel');

    const gone = await intake.ingest(TENANT, [alert(1)]);
    assert.equal(gone.deferred, 0, 'a device that is gone has no tags: nothing to wait for');
    assert.deepEqual(await queued('19:all@thread.tacv2'), [alert(1).id]);

    failure = new AppError('rateLimited', 'Defender answered 429');
    const waiting = await intake.ingest(TENANT, [alert(2)]);
    assert.equal(waiting.deferred, 1);
    assert.deepEqual(await queued('19:all@thread.tacv2'), [alert(1).id], 'not matched for anyone yet');
    assert.equal((await intake.retryDeferred(TENANT))?.deferred, 1, 'still failing: still set aside');

    failure = undefined; // Defender answers again
    await intake.retryDeferred(TENANT);
    assert.ok((await queued('19:vip@thread.tacv2')).includes(alert(2).id), 'matched with its tags');
    assert.ok((await queued('19:all@thread.tacv2')).includes(alert(2).id));
    assert.equal(await intake.retryDeferred(TENANT), undefined, 'nothing left aside');
  });

  it('matches an alert without its tags once it has waited 30 minutes from the first try', async () => {
    const { intake, subscribe, queued, clock } = setUp(() =>
      Promise.reject(new AppError('upstreamUnavailable', 'Defender answered 503')),
    );
    await subscribe('19:vip@thread.tacv2', 'channel', { tag: 'VIP' });
    await subscribe('19:all@thread.tacv2', 'channel');
    const old = alert(-7200); // changed three hours ago, reached only now (a poller catching up)
    assert.equal((await intake.ingest(TENANT, [old])).deferred, 1, 'its age does not count, the wait does');
    clock.now = new Date(NOW.getTime() + 29 * 60_000);
    assert.equal((await intake.retryDeferred(TENANT))?.deferred, 1);
    clock.now = new Date(NOW.getTime() + 31 * 60_000);
    assert.equal((await intake.retryDeferred(TENANT))?.deferred, 0);
    assert.deepEqual(await queued('19:all@thread.tacv2'), [old.id]);
    assert.deepEqual(await queued('19:vip@thread.tacv2'), []);
  });

  it('asks for device tags only when a tag subscription could match the alert', async () => {
    let asked = 0;
    const { intake, subscribe } = setUp(() => {
      asked++;
      return Promise.resolve([]);
    });
    await subscribe('19:vip@thread.tacv2', 'channel', { tag: 'VIP', severities: ['High'] });
    await intake.ingest(TENANT, [alert(1, { severity: 'Low' })]);
    assert.equal(asked, 0);
    await intake.ingest(TENANT, [alert(2)]);
    assert.equal(asked, 1);
  });
});
