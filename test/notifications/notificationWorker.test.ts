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

  describe('post claims: several instances, one post', () => {
    const subscribed: TenantSubscriptions = {
      subscriptions: [
        {
          id: 'S-1',
          conversationId: CHANNEL,
          filter: { severities: ['High'] },
          createdBy: { aadObjectId: 'a', userPrincipalName: 'adele@contoso.com', displayName: 'Adele' },
          createdAt: new Date(NOW).toISOString(),
        },
      ],
      conversations: {},
      snoozedUntil: {},
    };
    const subscriptions = {
      read: () => Promise.resolve(subscribed),
      forConversation: () => Promise.resolve(subscribed.subscriptions),
    } as unknown as SubscriptionStore;

    /** An outbox with one alert to post, claimed by `claim` (or not), and a worker of instance `me`. */
    async function setUp(
      claim: { by: string; at: number } | undefined,
      alive: string[],
      me = 'b',
      ownedChecks = Number.POSITIVE_INFINITY,
    ) {
      const storage = new MemoryStorage();
      const key = outboxKey(TENANT, CHANNEL);
      await updateItem(storage, key, parseOutbox, () => ({
        tenantId: TENANT,
        conversationId: CHANNEL,
        kind: 'channel' as const,
        address: {},
        alerts: {
          'da-1': {
            wanted: new Date(NOW - 60_000).toISOString(),
            subscriptionId: 'S-1',
            queuedAt: new Date(NOW - 60_000).toISOString(),
            ...(claim ? { posting: { by: claim.by, at: new Date(claim.at).toISOString() } } : {}),
          },
        },
        digests: {},
        recentPosts: [],
      }));
      const posted: string[] = [];
      let owned = true;
      let checks = 0;
      const worker = new NotificationWorker({
        storage,
        book: new AlertBook(storage),
        subscriptions,
        sender: {
          post: async () => {
            // While the post is on its way, the claim is already stored: another instance would see it.
            posted.push(JSON.stringify((await readItem(storage, key, parseOutbox))!.alerts['da-1']!.posting));
            return { ok: true, activityId: `m${posted.length}` };
          },
          update: () => Promise.resolve({ ok: true, activityId: 'm' }),
        },
        digest: { threshold: 100, windowMs: 60_000 },
        fetchAlert: (_tenant, id) => Promise.resolve(alert(id)),
        retire: () => Promise.resolve(),
        ownership: {
          instanceId: me,
          owns: () => owned && ++checks <= ownedChecks,
          ownsAny: () => owned,
          isAlive: (id) => Promise.resolve(alive.includes(id)),
        },
        now: () => new Date(NOW),
        logger: createLogger({ level: 'silent' }),
      });
      const stored = async () => (await readItem(storage, key, parseOutbox))!.alerts['da-1']!;
      return { worker, posted, stored, lose: () => (owned = false) };
    }
    const conversation = { tenantId: TENANT, conversationId: CHANNEL };

    it('claims a card before posting it, and clears the claim with the card’s id', async () => {
      const { worker, posted, stored } = await setUp(undefined, ['b']);
      assert.deepEqual(await worker.step(conversation), { kind: 'done', more: false });
      assert.deepEqual(posted, [JSON.stringify({ by: 'b', at: new Date(NOW).toISOString() })]);
      const entry = await stored();
      assert.equal(entry.activityId, 'm1');
      assert.equal(entry.posting, undefined);
      assert.equal(entry.reposted, undefined);
    });

    it('leaves a card alone while a live instance holds a fresh claim on it', async () => {
      const { worker, posted, stored } = await setUp({ by: 'a', at: NOW - 2_000 }, ['a', 'b']);
      const result = await worker.step(conversation);
      assert.equal(result.kind, 'retry');
      assert.deepEqual(posted, []);
      assert.equal((await stored()).posting?.by, 'a');
    });

    it('posts again, marked, a card whose claimant is gone: its post was interrupted', async () => {
      const { worker, posted, stored } = await setUp({ by: 'a', at: NOW - 2_000 }, ['b']);
      await worker.step(conversation);
      assert.equal(posted.length, 1);
      const entry = await stored();
      assert.equal(entry.activityId, 'm1');
      assert.equal(entry.reposted, true, 'it may show twice: said so in the record');
    });

    it('posts nothing for a tenant this instance no longer owns (fencing)', async () => {
      const { worker, posted, lose, stored } = await setUp(undefined, ['b']);
      lose();
      assert.deepEqual(await worker.step(conversation), { kind: 'idle' });
      assert.deepEqual(posted, []);
      assert.equal((await stored()).activityId, undefined);
    });

    it('takes its claim back when the tenant is lost between the claim and the post', async () => {
      // Owned at the step's start, lost by the time the claim is written.
      const { worker, posted, stored } = await setUp(undefined, ['b'], 'b', 1);
      assert.deepEqual(await worker.step(conversation), { kind: 'idle' });
      assert.deepEqual(posted, []);
      const entry = await stored();
      assert.equal(entry.posting, undefined, 'no claim left for the new owner to wait on');
      assert.equal(entry.activityId, undefined);
    });
  });
});
