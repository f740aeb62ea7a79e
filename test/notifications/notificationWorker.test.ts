import assert from 'node:assert/strict';
import { MemoryStorage } from 'botbuilder';
import { alertSchema } from '../../src/defender/schemas';
import { createLogger } from '../../src/logging/logger';
import { AlertBook } from '../../src/notifications/alertBook';
import type { Outbox } from '../../src/notifications/conversationOutbox';
import { outboxKey, parseOutbox } from '../../src/notifications/conversationOutbox';
import type { NotificationSender } from '../../src/notifications/notificationSender';
import { NotificationWorker } from '../../src/notifications/notificationWorker';
import type { SubscriptionStore } from '../../src/notifications/subscriptionStore';
import type { TenantSubscriptions } from '../../src/notifications/subscriptionTypes';
import { readItem, updateItem } from '../../src/storage/updateItem';
import { demoSeed } from '../support/demoTenant';

/*
 * One delivery step against a real outbox (botbuilder MemoryStorage), with the subscriptions read and the Teams
 * connector as stand-ins, to place an unsubscribe and a new subscription exactly where a race would put them.
 */

const TENANT = demoSeed.tenant.id;
const CHANNEL = '19:soc@thread.tacv2';
const NOW = Date.parse('2026-11-22T12:00:00.000Z');
const alert = (id: string) => alertSchema.parse({ ...demoSeed.alerts[0], id, evidence: [] });

describe('NotificationWorker', () => {
  it('withdraws only what was queued before it learnt the channel had unsubscribed', async () => {
    const storage = new MemoryStorage();
    const key = outboxKey(TENANT, CHANNEL);
    const queued = (at: number) => ({
      wanted: new Date(at).toISOString(),
      subscriptionId: 'S-1',
      queuedAt: new Date(at).toISOString(),
    });
    const outbox: Outbox = {
      tenantId: TENANT,
      conversationId: CHANNEL,
      kind: 'channel',
      address: {},
      alerts: { 'da-before': queued(NOW - 60_000) },
      digests: {},
      recentPosts: [],
    };
    await updateItem(storage, key, parseOutbox, () => outbox);

    let clock = NOW;
    const subscribed: TenantSubscriptions = {
      subscriptions: [
        {
          id: 'S-2',
          conversationId: CHANNEL,
          filter: { severities: ['High'] },
          createdBy: { aadObjectId: 'a', userPrincipalName: 'adele@contoso.com', displayName: 'Adele' },
          createdAt: new Date(NOW).toISOString(),
        },
      ],
      conversations: {},
      snoozedUntil: {},
    };
    let reads = 0;
    const subscriptions = {
      // The first read sees "unsubscribe all"; while it is in flight the channel subscribes again and the intake
      // queues a new alert for it. Every later read sees the new subscription.
      read: async () => {
        reads++;
        if (reads > 1) return subscribed;
        clock += 1000;
        await updateItem(storage, key, parseOutbox, (o) => ({
          ...o!,
          alerts: { ...o!.alerts, 'da-after': queued(clock) },
        }));
        return { subscriptions: [], conversations: {}, snoozedUntil: {} };
      },
      forConversation: () => Promise.resolve(subscribed.subscriptions),
    } as unknown as SubscriptionStore;
    const posted: string[] = [];
    const sender: NotificationSender = {
      post: (_address, card) => {
        posted.push(JSON.stringify(card).includes('da-after') ? 'da-after' : 'other');
        return Promise.resolve({ ok: true, activityId: `m${posted.length}` });
      },
      update: () => Promise.resolve({ ok: true, activityId: 'm' }),
    };
    const worker = new NotificationWorker({
      storage,
      book: new AlertBook(storage),
      subscriptions,
      sender,
      digest: { threshold: 100, windowMs: 60_000 },
      fetchAlert: (_tenant, id) => Promise.resolve(alert(id)),
      retire: () => Promise.resolve(),
      now: () => new Date(clock),
      logger: createLogger({ level: 'silent' }),
    });

    await worker.step({ tenantId: TENANT, conversationId: CHANNEL });
    const after = (await readItem(storage, key, parseOutbox))!;
    assert.equal(after.alerts['da-before']?.dropped, true, 'queued before the unsubscribe: withdrawn');
    assert.notEqual(after.alerts['da-after']?.dropped, true, 'queued for the new subscription: kept');
    assert.deepEqual(posted, ['da-after']);
  });
});
