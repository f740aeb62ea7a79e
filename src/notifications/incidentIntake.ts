import type { Incident } from '../graph/graphSchemas';
import type { Logger } from '../logging/logger';
import { KeyedMutex } from '../storage/keyedMutex';
import type { Storage } from '../storage/storage';
import { updateItem } from '../storage/updateItem';
import type { IncidentView, Outbox } from './conversationOutbox';
import { hasWork, isNewer, newOutbox, outboxKey, parseOutbox, prune, readdressed } from './conversationOutbox';
import type { ConversationKey } from './deliveryDispatcher';
import { toDefenderSeverity } from './graphAlerts';
import type { SubscriptionStore } from './subscriptionStore';
import { isSnoozed } from './subscriptionStore';
import type { Subscription } from './subscriptionTypes';
import { isFollowing } from './subscriptionTypes';

/** What the incident intake needs around it. */
export interface IncidentIntakeOptions {
  subscriptions: SubscriptionStore;
  storage: Storage;
  /** Tells delivery that a conversation has cards to post or update. */
  wake(conversation: ConversationKey): void;
  now: () => Date;
  logger: Logger;
}

/** What one ingest did. */
export interface IncidentIntakeResult {
  /** Incidents of the batch (latest version of each, well-formed ids). */
  incidents: number;
  /** Conversations that got a card to post or update. */
  conversations: number;
}

/** Graph incident ids: digits (the cards' buttons carry them, so nothing else gets in). */
const INCIDENT_ID = /^\d{1,20}$/;
/** Outbox writes run this many at a time. */
const WRITE_CONCURRENCY = 16;

/**
 * Turns incident versions (from the incident poller) into per-conversation work: each conversation that follows
 * incidents holds one entry per incident — the view its card should show and the view it shows — so an incident
 * that grows updates its one card instead of posting another. A new card is queued only for an open incident that
 * a subscription's severities match (one made before the change) and only when the conversation is not snoozed (held back, it is recorded as
 * shown, so the next poll's overlap does not post it after `resume`; a later change is news). An incident already
 * carded here is followed whatever its severity becomes. Re-reading a version changes nothing.
 */
export class IncidentIntake {
  private readonly perTenant = new KeyedMutex();

  constructor(private readonly options: IncidentIntakeOptions) {}

  /** Takes in a batch of incidents of one tenant (read with `$expand=alerts`, for the alert count). */
  ingest(tenantId: string, incidents: Incident[]): Promise<IncidentIntakeResult> {
    return this.perTenant.run(tenantId.toLowerCase(), () => this.ingestBatch(tenantId, incidents));
  }

  private async ingestBatch(tenantId: string, batch: Incident[]): Promise<IncidentIntakeResult> {
    const { subscriptions, now, logger } = this.options;
    const latest = new Map<string, Incident>();
    for (const incident of batch) {
      if (!INCIDENT_ID.test(incident.id)) {
        logger.warn({ idLength: incident.id.length }, 'incident with an unexpected id format skipped');
        continue;
      }
      const seen = latest.get(incident.id);
      if (!seen || isNewer(incident.lastUpdateDateTime, seen.lastUpdateDateTime)) latest.set(incident.id, incident);
    }
    const result: IncidentIntakeResult = { incidents: latest.size, conversations: 0 };
    if (latest.size === 0) return result;
    const record = await subscriptions.read(tenantId);
    const following = new Map<string, Subscription[]>();
    for (const subscription of record.subscriptions)
      if (isFollowing(subscription.filter, 'incidents'))
        following.set(subscription.conversationId, [
          ...(following.get(subscription.conversationId) ?? []),
          subscription,
        ]);
    const time = now();
    const queue = [...following.entries()];
    const woken: string[] = [];
    await Promise.all(
      Array.from({ length: Math.min(WRITE_CONCURRENCY, queue.length) }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const [conversationId, mine] = next;
          const target = record.conversations[conversationId];
          const outbox = await updateItem(
            this.options.storage,
            outboxKey(tenantId, conversationId),
            parseOutbox,
            (current) =>
              enqueueIncidents({
                current:
                  current ??
                  (target
                    ? newOutbox({
                        tenantId,
                        conversationId,
                        target,
                        subscriber: mine.find((s) => s.teamsUserId)?.teamsUserId,
                      })
                    : undefined),
                created: current === undefined,
                target,
                incidents: [...latest.values()],
                subscriptions: mine,
                snoozed: isSnoozed(record, conversationId, time),
                now: time,
              }),
          );
          if (outbox && hasWork(outbox)) woken.push(conversationId);
        }
      }),
    );
    result.conversations = woken.length;
    for (const conversationId of woken) this.options.wake({ tenantId, conversationId });
    return result;
  }
}

/** What an incident's card shows, from the incident as Graph returned it. */
export function toIncidentView(incident: Incident): IncidentView {
  return {
    title: incident.displayName,
    severity: toDefenderSeverity(incident.severity),
    status: incident.status,
    assignedTo: incident.assignedTo,
    alertCount: incident.alerts?.length ?? 0,
    createdDateTime: incident.createdDateTime,
  };
}

/** Adds incident versions to one conversation's outbox; undefined when nothing changes. */
function enqueueIncidents(input: {
  current: Outbox | undefined;
  created: boolean;
  target: { kind: Outbox['kind']; address: unknown } | undefined;
  incidents: Incident[];
  subscriptions: Subscription[];
  snoozed: boolean;
  now: Date;
}): Outbox | undefined {
  const { current, target, now } = input;
  if (!current) return undefined; // no outbox and no longer subscribed: nothing to show there
  let outbox = target ? readdressed(current, target) : current;
  let changed = input.created || outbox !== current;
  const incidents = { ...(outbox.incidents ?? {}) };
  for (const incident of input.incidents) {
    const view = toIncidentView(incident);
    const existing = incidents[incident.id];
    if (existing) {
      if (!isNewer(incident.lastUpdateDateTime, existing.version)) continue;
      incidents[incident.id] = { ...existing, version: incident.lastUpdateDateTime, wanted: view };
      changed = true;
      continue;
    }
    // A closed incident gets no new card; an open one gets one from the first subscription its severity matches
    // that existed when it changed (subscriptions are not retroactive: the overlap re-reads older changes).
    if (incident.status === 'resolved' || incident.status === 'redirected') continue;
    const changedAt = Date.parse(incident.lastUpdateDateTime);
    const subscription = input.subscriptions.find(
      (s) => (s.filter.severities as string[]).includes(view.severity) && Date.parse(s.createdAt) <= changedAt,
    );
    if (!subscription) continue;
    incidents[incident.id] = {
      version: incident.lastUpdateDateTime,
      wanted: view,
      ...(input.snoozed ? { shown: view } : {}),
      subscriptionId: subscription.id,
      queuedAt: now.toISOString(),
    };
    changed = true;
  }
  if (!changed) return undefined;
  outbox = { ...outbox, incidents };
  return prune(outbox, now);
}
