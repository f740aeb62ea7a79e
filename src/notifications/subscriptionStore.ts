import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Storage } from '../storage/storage';
import { AppError } from '../errors';
import { readItem, updateItem } from '../storage/updateItem';
import type {
  ConversationTarget,
  Subscription,
  SubscriptionFilter,
  SubscriptionTopic,
  TenantSubscriptions,
} from './subscriptionTypes';
import { followsOf, isFollowing, tenantSubscriptionsSchema } from './subscriptionTypes';

/** At most this many subscriptions per conversation: a filter list, not a rules engine. */
export const MAX_SUBSCRIPTIONS_PER_CONVERSATION = 20;

/** What `add` did. */
export type AddOutcome =
  | { outcome: 'added'; subscription: Subscription }
  | { outcome: 'duplicate'; subscription: Subscription }
  | { outcome: 'tooMany' };

const EMPTY: TenantSubscriptions = { subscriptions: [], conversations: {}, snoozedUntil: {} };

/**
 * Every tenant's subscriptions in one small durable record per tenant (read once per batch of alerts), with
 * where each subscribed conversation is and which are snoozed. Changes are conditional writes.
 */
export class SubscriptionStore {
  constructor(private readonly storage: Storage) {}

  /**
   * Tenants that have had subscriptions, from the durable index every instance shares (a tenant subscribed
   * through one instance is polled by whichever owns it, also after the first one is gone).
   */
  async knownTenants(): Promise<string[]> {
    return (await readItem(this.storage, TENANT_INDEX_KEY, parseIndex))?.tenants ?? [];
  }

  /** Of `tenantIds`, those with at least one subscription now (following `topic` when given; one read each). */
  async withSubscriptions(tenantIds: string[], topic?: SubscriptionTopic): Promise<string[]> {
    const records = await Promise.all(
      tenantIds.map(async (tenantId) => [tenantId, await this.read(tenantId)] as const),
    );
    return records
      .filter(([, record]) => record.subscriptions.some((s) => topic === undefined || isFollowing(s.filter, topic)))
      .map(([tenantId]) => tenantId);
  }

  /** The tenant's whole record (empty when none). */
  async read(tenantId: string): Promise<TenantSubscriptions> {
    return (await readItem(this.storage, key(tenantId), parse)) ?? EMPTY;
  }

  /** Subscriptions of one conversation. */
  async forConversation(tenantId: string, conversationId: string): Promise<Subscription[]> {
    return (await this.read(tenantId)).subscriptions.filter((s) => s.conversationId === conversationId);
  }

  /** Adds a subscription unless the conversation already has the same filter or too many. */
  async add(
    tenantId: string,
    target: ConversationTarget,
    input: Omit<Subscription, 'id' | 'conversationId'>,
  ): Promise<AddOutcome> {
    let outcome: AddOutcome = { outcome: 'tooMany' };
    await updateItem(this.storage, key(tenantId), parse, (current) => {
      const record = current ?? EMPTY;
      const mine = record.subscriptions.filter((s) => s.conversationId === target.conversationId);
      const same = mine.find((s) => sameFilter(s.filter, input.filter));
      if (same) {
        outcome = { outcome: 'duplicate', subscription: same };
        // Still refresh where the conversation is (its service URL may have moved).
        return { ...record, conversations: { ...record.conversations, [target.conversationId]: target } };
      }
      if (mine.length >= MAX_SUBSCRIPTIONS_PER_CONVERSATION) {
        outcome = { outcome: 'tooMany' };
        return record;
      }
      const subscription: Subscription = { ...input, id: newSubscriptionId(), conversationId: target.conversationId };
      outcome = { outcome: 'added', subscription };
      return {
        ...record,
        subscriptions: [...record.subscriptions, subscription],
        conversations: { ...record.conversations, [target.conversationId]: target },
      };
    });
    const done = outcome as AddOutcome; // assigned inside the mutation
    // Also for a duplicate: a retry after the index write failed must still make the tenant known.
    if (done.outcome !== 'tooMany') await this.index(tenantId);
    return done;
  }

  /** Adds the tenant to the durable index unless it is there (a read, and a write only the first time). */
  private async index(tenantId: string): Promise<void> {
    const tenant = tenantId.toLowerCase();
    if ((await this.knownTenants()).includes(tenant)) return;
    await updateItem(this.storage, TENANT_INDEX_KEY, parseIndex, (current) =>
      current?.tenants.includes(tenant) ? current : { tenants: [...(current?.tenants ?? []), tenant] },
    );
  }

  /** Removes one subscription of the conversation (by id) or all of them; resolves with what was removed. */
  /** `id` is a subscription id or `all`. */
  async remove(tenantId: string, conversationId: string, id: string): Promise<Subscription[]> {
    let removed: Subscription[] = [];
    await updateItem(this.storage, key(tenantId), parse, (current) => {
      if (!current) return current ?? EMPTY;
      removed = current.subscriptions.filter(
        (s) => s.conversationId === conversationId && (id === 'all' || s.id.toLowerCase() === id.toLowerCase()),
      );
      if (removed.length === 0) return current;
      return withoutSubscriptions(current, new Set(removed.map((s) => s.id)));
    });
    return removed;
  }

  /**
   * Forgets conversations entirely (the app was uninstalled, the bot removed, the channel deleted, or Teams
   * answered 403/404): their subscriptions and snoozes. `match` selects by conversation id or team.
   */
  async retire(tenantId: string, match: { conversationId?: string; teamId?: string }): Promise<string[]> {
    let retired: string[] = [];
    await updateItem(this.storage, key(tenantId), parse, (current) => {
      if (!current) return EMPTY;
      const matches = (c: { conversationId: string; teamId?: string | undefined }) =>
        (match.conversationId !== undefined && c.conversationId === match.conversationId) ||
        (match.teamId !== undefined && c.teamId === match.teamId);
      retired = Object.values(current.conversations)
        .filter(matches)
        .map((c) => c.conversationId);
      for (const conversationId of Object.keys(current.snoozedUntil))
        if (!retired.includes(conversationId) && matches({ conversationId })) retired.push(conversationId);
      if (retired.length === 0) return current;
      const gone = new Set(retired);
      const ids = new Set(current.subscriptions.filter((s) => gone.has(s.conversationId)).map((s) => s.id));
      const next = withoutSubscriptions(current, ids);
      return {
        ...next,
        snoozedUntil: Object.fromEntries(Object.entries(next.snoozedUntil).filter(([c]) => !gone.has(c))),
      };
    });
    return retired;
  }

  /** Snoozes new notifications in a conversation until `until`. */
  async snooze(tenantId: string, conversationId: string, until: Date): Promise<void> {
    await updateItem(this.storage, key(tenantId), parse, (current) => {
      const record = current ?? EMPTY;
      return { ...record, snoozedUntil: { ...record.snoozedUntil, [conversationId]: until.toISOString() } };
    });
  }

  /** Ends a snooze; resolves with whether one was active. */
  async resume(tenantId: string, conversationId: string, now: Date): Promise<boolean> {
    let was = false;
    await updateItem(this.storage, key(tenantId), parse, (current) => {
      const until = current?.snoozedUntil[conversationId];
      if (!current || until === undefined) return current ?? EMPTY;
      was = Date.parse(until) > now.getTime();
      const { [conversationId]: _gone, ...rest } = current.snoozedUntil;
      return { ...current, snoozedUntil: rest };
    });
    return was;
  }
}

/** True when a conversation is snoozed at `now`. */
export function isSnoozed(record: TenantSubscriptions, conversationId: string, now: Date): boolean {
  const until = record.snoozedUntil[conversationId];
  return until !== undefined && Date.parse(until) > now.getTime();
}

function withoutSubscriptions(record: TenantSubscriptions, ids: Set<string>): TenantSubscriptions {
  const subscriptions = record.subscriptions.filter((s) => !ids.has(s.id));
  const stillSubscribed = new Set(subscriptions.map((s) => s.conversationId));
  return {
    ...record,
    subscriptions,
    conversations: Object.fromEntries(Object.entries(record.conversations).filter(([c]) => stillSubscribed.has(c))),
  };
}

function sameFilter(a: SubscriptionFilter, b: SubscriptionFilter): boolean {
  const norm = (v: string | undefined) => v?.toLowerCase() ?? '';
  return (
    [...a.severities].sort().join() === [...b.severities].sort().join() &&
    [...followsOf(a)].sort().join() === [...followsOf(b)].sort().join() &&
    norm(a.deviceGroup) === norm(b.deviceGroup) &&
    norm(a.tag) === norm(b.tag) &&
    norm(a.category) === norm(b.category)
  );
}

function newSubscriptionId(): string {
  return `S-${randomBytes(4).toString('hex')}`;
}

/** The tenants that have had subscriptions: one small record shared by the instances. */
const TENANT_INDEX_KEY = 'notify/tenants';
const tenantIndexSchema = z.object({ tenants: z.array(z.string()) });

function parseIndex(raw: unknown): z.infer<typeof tenantIndexSchema> {
  const parsed = tenantIndexSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('internal', 'stored tenant index does not parse');
  return parsed.data;
}

function key(tenantId: string): string {
  return `notify/${tenantId.toLowerCase()}/subscriptions`;
}

/** A stored record that does not parse is an error, never silently replaced by an empty one. */
function parse(raw: unknown): TenantSubscriptions {
  const parsed = tenantSubscriptionsSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('internal', 'stored subscriptions do not parse');
  return parsed.data;
}
