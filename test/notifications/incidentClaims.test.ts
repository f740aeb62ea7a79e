import assert from 'node:assert/strict';
import { MemoryStorage } from 'botbuilder';
import { createLogger } from '../../src/logging/logger';
import { AlertBook } from '../../src/notifications/alertBook';
import type { IncidentView } from '../../src/notifications/conversationOutbox';
import { outboxKey, parseOutbox } from '../../src/notifications/conversationOutbox';
import type { ConversationKey } from '../../src/notifications/deliveryDispatcher';
import { NotificationWorker } from '../../src/notifications/notificationWorker';
import type { SubscriptionStore } from '../../src/notifications/subscriptionStore';
import type { TenantSubscriptions } from '../../src/notifications/subscriptionTypes';
import { readItem, updateItem } from '../../src/storage/updateItem';
import { demoSeed } from '../support/demoTenant';

/*
 * An incident's one card across instances: the post is claimed (a conditional write on the outbox, botbuilder's
 * MemoryStorage with eTags) before the Teams request, exactly as an alert's, so two instances that both believe
 * they deliver (a handover) post it once; a claim left by a lost instance is posted again, marked.
 */

const TENANT = demoSeed.tenant.id;
const CHANNEL = '19:incidents@thread.tacv2';
const NOW = Date.parse('2026-12-06T12:00:00.000Z');
const conversation: ConversationKey = { tenantId: TENANT, conversationId: CHANNEL };
const view: IncidentView = {
  title: 'Multi-stage incident involving Initial access & Lateral movement',
  severity: 'High',
  status: 'active',
  assignedTo: null,
  alertCount: 21,
  createdDateTime: new Date(NOW - 3_600_000).toISOString(),
};
const subscribed: TenantSubscriptions = {
  subscriptions: [
    {
      id: 'S-1',
      conversationId: CHANNEL,
      filter: { severities: ['High'], follows: ['incidents'] },
      createdBy: { aadObjectId: 'a', userPrincipalName: 'adele@contoso.com', displayName: 'Adele' },
      createdAt: new Date(NOW - 7_200_000).toISOString(),
    },
  ],
  conversations: {},
  snoozedUntil: {},
};
const subscriptions = {
  read: () => Promise.resolve(subscribed),
  forConversation: () => Promise.resolve(subscribed.subscriptions),
} as unknown as SubscriptionStore;

/** One outbox holding incident 2301 to post (claimed by `claim`, or not), shared by the workers made from it. */
async function setUp(claim?: { by: string; at: number }) {
  const storage = new MemoryStorage();
  const key = outboxKey(TENANT, CHANNEL);
  await updateItem(storage, key, parseOutbox, () => ({
    tenantId: TENANT,
    conversationId: CHANNEL,
    kind: 'channel' as const,
    address: {},
    alerts: {},
    digests: {},
    incidents: {
      '2301': {
        version: new Date(NOW - 60_000).toISOString(),
        wanted: view,
        subscriptionId: 'S-1',
        queuedAt: new Date(NOW - 60_000).toISOString(),
        ...(claim ? { posting: { by: claim.by, at: new Date(claim.at).toISOString() } } : {}),
      },
    },
    recentPosts: [],
  }));
  const posted: string[] = [];
  const worker = (me: string, alive: string[]) =>
    new NotificationWorker({
      storage,
      book: new AlertBook(storage),
      subscriptions,
      sender: {
        post: async () => {
          // The Teams request takes a while: the other instance runs meanwhile.
          await new Promise((resolve) => setTimeout(resolve, 20));
          posted.push(me);
          return { ok: true, activityId: `m-${me}-${posted.length}` };
        },
        update: () => Promise.resolve({ ok: true, activityId: 'm' }),
      },
      digest: { threshold: 100, windowMs: 60_000 },
      fetchAlert: () => Promise.reject(new Error('no alert is read for an incident card')),
      retire: () => Promise.resolve(),
      ownership: {
        instanceId: me,
        owns: () => true,
        ownsAny: () => true,
        isAlive: (id) => Promise.resolve(alive.includes(id)),
      },
      now: () => new Date(NOW),
      logger: createLogger({ level: 'silent' }),
    });
  const stored = async () => (await readItem(storage, key, parseOutbox))!.incidents!['2301']!;
  return { worker, posted, stored };
}

describe('incident cards across instances', () => {
  it('posts an incident’s card once when two instances deliver the same conversation at the same time', async () => {
    const { worker, posted, stored } = await setUp();
    const a = worker('a', ['a', 'b']);
    const b = worker('b', ['a', 'b']);
    const results = await Promise.all([a.step(conversation), b.step(conversation)]);
    assert.equal(posted.length, 1, 'one post');
    assert.deepEqual(results.map((r) => r.kind).sort(), ['done', 'retry']);
    const entry = await stored();
    assert.equal(entry.activityId, `m-${posted[0]}-1`);
    assert.equal(entry.posting, undefined);
    assert.deepEqual(entry.shown, view);
    // The instance told to retry finds the card posted: nothing more to do.
    assert.deepEqual(await a.step(conversation), { kind: 'idle' });
    assert.deepEqual(await b.step(conversation), { kind: 'idle' });
    assert.equal(posted.length, 1);
  });

  it('leaves a card alone while a live instance holds its claim, and posts it again, marked, once that one is gone', async () => {
    const { worker, posted, stored } = await setUp({ by: 'a', at: NOW - 2_000 });
    assert.equal((await worker('b', ['a', 'b']).step(conversation)).kind, 'retry');
    assert.deepEqual(posted, []);
    await worker('b', ['b']).step(conversation);
    assert.deepEqual(posted, ['b']);
    const entry = await stored();
    assert.equal(entry.reposted, true, 'it may show twice in Teams: marked');
    assert.equal(entry.posting, undefined);
  });
});
