import { z } from 'zod';
import { SEVERITIES } from '../defender/schemas';
import type { Severity } from '../defender/schemas';

/** What a conversation wants to hear about: severities, and optionally one device group, tag and category. */
export interface SubscriptionFilter {
  severities: Severity[];
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
