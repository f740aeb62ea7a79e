import assert from 'node:assert/strict';
import type { Outbox } from '../../src/notifications/conversationOutbox';
import { OUTBOX_RETENTION_MS, prune } from '../../src/notifications/conversationOutbox';

/* What a conversation's outbox forgets: settled cards, counted from the alert's last change. */

const NOW = new Date('2026-11-22T12:00:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();

function outbox(alerts: Outbox['alerts']): Outbox {
  return {
    tenantId: 't',
    conversationId: '19:soc@thread.tacv2',
    kind: 'channel',
    address: {},
    alerts,
    digests: {},
    recentPosts: [],
  };
}

describe('conversation outbox retention', () => {
  it('keeps a settled card whose alert changed recently, even when it was first queued long ago', () => {
    const kept = prune(
      outbox({
        old: { wanted: daysAgo(1), shown: daysAgo(1), activityId: 'a1', subscriptionId: 's', queuedAt: daysAgo(30) },
      }),
      NOW,
    );
    assert.ok(kept.alerts.old, 'a card updated yesterday keeps being updated');
  });

  it('forgets a settled card once neither its queuing nor its alert’s last change is within the retention', () => {
    const days = OUTBOX_RETENTION_MS / 86_400_000 + 1;
    const pruned = prune(
      outbox({
        stale: {
          wanted: daysAgo(days),
          shown: daysAgo(days),
          activityId: 'a1',
          subscriptionId: 's',
          queuedAt: daysAgo(days),
        },
        pending: { wanted: daysAgo(days), subscriptionId: 's', queuedAt: daysAgo(days) },
      }),
      NOW,
    );
    assert.deepEqual(Object.keys(pruned.alerts), ['pending'], 'a card not yet posted is never forgotten');
  });
});
