import { z } from 'zod';
import { SEVERITIES } from '../defender/schemas';
import type { Severity } from '../defender/schemas';

/** What a subscription follows: single alerts (every Defender source), Defender XDR incidents, or both. */
export const SUBSCRIPTION_TOPICS = ['alerts', 'incidents'] as const;
/** One thing a subscription follows. */
export type SubscriptionTopic = (typeof SUBSCRIPTION_TOPICS)[number];

/**
 * What a conversation wants to hear about: severities, what it follows (alerts when absent, as every subscription
 * made before incidents existed), and optionally one device group, tag and category (alerts only).
 */
export interface SubscriptionFilter {
  severities: Severity[];
  follows?: SubscriptionTopic[] | undefined;
  deviceGroup?: string | undefined;
  tag?: string | undefined;
  category?: string | undefined;
}

/** Where notifications go: personal chat, group chat or a channel (its root, so each alert is its own post). */
export type ConversationKind = 'personal' | 'groupChat' | 'channel';

/** A conversation the bot can post into, with the bot layer's address (opaque outside src/bot/). */
export interface ConversationTarget {
  conversationId: string;
  kind: ConversationKind;
  address: unknown;
  /** The team of a channel, so uninstalling the app from the team retires all its channels. */
  teamId?: string | undefined;
}

/** One subscription of one conversation. */
export interface Subscription {
  id: string;
  conversationId: string;
  filter: SubscriptionFilter;
  createdBy: { aadObjectId: string; userPrincipalName: string; displayName: string };
  createdAt: string;
  /** Personal chats only: the subscriber's Teams user id, whom the card's refresh is for. */
  teamsUserId?: string | undefined;
}

const filterValue = z.string().min(1).max(100);

/** Stored form of a filter. */
export const subscriptionFilterSchema = z.object({
  severities: z.array(z.enum(SEVERITIES)).min(1),
  follows: z.array(z.enum(SUBSCRIPTION_TOPICS)).min(1).optional(),
  deviceGroup: filterValue.optional(),
  tag: filterValue.optional(),
  category: filterValue.optional(),
});

const targetSchema = z.object({
  conversationId: z.string().min(1),
  kind: z.enum(['personal', 'groupChat', 'channel']),
  address: z.unknown(),
  teamId: z.string().optional(),
});

/** Stored form of a tenant's subscriptions: one record per tenant, small and read on every alert. */
export const tenantSubscriptionsSchema = z.object({
  subscriptions: z.array(
    z.object({
      id: z.string(),
      conversationId: z.string(),
      filter: subscriptionFilterSchema,
      createdBy: z.object({ aadObjectId: z.string(), userPrincipalName: z.string(), displayName: z.string() }),
      createdAt: z.string(),
      teamsUserId: z.string().optional(),
    }),
  ),
  /** Where each subscribed conversation is. */
  conversations: z.record(z.string(), targetSchema),
  /** Snoozed conversations and until when (ISO). */
  snoozedUntil: z.record(z.string(), z.string()),
});

/** A tenant's subscriptions as stored. */
export type TenantSubscriptions = z.infer<typeof tenantSubscriptionsSchema>;

/** What a subscription follows; a stored one without `follows` follows alerts, as it always did. */
export function followsOf(filter: SubscriptionFilter): SubscriptionTopic[] {
  return filter.follows ?? ['alerts'];
}

/** True when the subscription follows `topic`. */
export function isFollowing(filter: SubscriptionFilter, topic: SubscriptionTopic): boolean {
  return followsOf(filter).includes(topic);
}
