import { toRecordListCard } from '../cards/approvalCards';
import { describeFilter } from '../notifications/alertFilter';
import type { InstallationRegistry } from '../notifications/installationRegistry';
import type { SubscriptionStore } from '../notifications/subscriptionStore';
import { isSnoozed, MAX_SUBSCRIPTIONS_PER_CONVERSATION } from '../notifications/subscriptionStore';
import type { SubscriptionFilter } from '../notifications/subscriptionTypes';
import { isFollowing } from '../notifications/subscriptionTypes';
import type { CommandContext, Reply } from './commandContext';
import { cardReply } from './commandContext';
import type { ApprovalService } from '../approvals/approvalService';
import type { ConversationPort } from './responseActions';
import { actorOf } from './responseActions';

/** What the notification commands need: the stores, and how soon a new alert shows up. */
export interface NotificationsPort {
  subscriptions: SubscriptionStore;
  installations: InstallationRegistry;
  /** Seconds between polls (0 when only pushes deliver alerts). */
  pollIntervalSeconds: number;
  /** Where a refused change is audited (`approval.refused`); absent where the deployment has no approvals. */
  refusals?: Pick<ApprovalService, 'auditRefusal'> | undefined;
}

/** Roles that may change a shared conversation's notifications (a personal chat is its owner's to change). */
const SHARED_ROLES = ['SOC.Admin', 'SOC.Approver'];

function text(value: string): Reply {
  return { kind: 'text', text: value };
}

/** Refuses (and audits) changes to a channel or group chat by someone without an admin or approver role. */
async function refusal(
  ctx: CommandContext,
  port: NotificationsPort,
  conversation: ConversationPort | undefined,
  verb: string,
): Promise<Reply | undefined> {
  if (!conversation) return text("I can't tell which conversation this is.");
  if (conversation.kind !== 'personal' && !ctx.user.appRoles.some((r) => SHARED_ROLES.includes(r))) {
    await port.refusals?.auditRefusal('', actorOf(ctx), 'missingRole', verb);
    return text(
      `Only people with the SOC.Admin or SOC.Approver role change the notifications of a ${
        conversation.kind === 'channel' ? 'channel' : 'group chat'
      }. You can subscribe your personal chat with me.`,
    );
  }
  return undefined;
}

function where(conversation: ConversationPort): string {
  return conversation.kind === 'personal'
    ? 'your chat with me'
    : `this ${conversation.kind === 'channel' ? 'channel' : 'chat'}`;
}

/** "subscribe to high alerts [for device group G] [tagged T] [category C]". */
export async function subscribe(
  ctx: CommandContext,
  port: NotificationsPort,
  conversation: ConversationPort | undefined,
  filter: SubscriptionFilter,
): Promise<Reply> {
  const refused = await refusal(ctx, port, conversation, 'notifications.subscribe');
  if (refused || !conversation) return refused ?? text("I can't tell which conversation this is.");
  if (conversation.kind === 'personal' && (filter.deviceGroup ?? filter.tag ?? filter.category) !== undefined)
    // Notices are matched with the application identity, which sees every device: a narrow filter would tell
    // the person about alerts outside their own Defender view (that a VIP device has a High alert, say).
    return text(
      `In your chat with me I subscribe by severity only ("subscribe to high alerts"): notices are matched with an identity that sees every device, so a device group, tag or category filter would tell you about alerts your own Defender role may not show. A SOC.Admin or SOC.Approver can subscribe a channel with that filter.`,
    );
  const tenantId = ctx.tenant.id;
  const target = {
    conversationId: conversation.postConversationId,
    kind: conversation.kind,
    address: conversation.postAddress,
    ...(conversation.teamId ? { teamId: conversation.teamId } : {}),
  };
  await port.installations.remember(tenantId, target, ctx.now);
  const outcome = await port.subscriptions.add(tenantId, target, {
    filter,
    createdBy: {
      aadObjectId: ctx.user.aadObjectId,
      userPrincipalName: ctx.user.userPrincipalName,
      displayName: ctx.user.displayName,
    },
    createdAt: ctx.now.toISOString(),
    ...(conversation.kind === 'personal' && conversation.userId ? { teamsUserId: conversation.userId } : {}),
  });
  if (outcome.outcome === 'tooMany')
    return text(
      `${capitalise(where(conversation))} already has ${MAX_SUBSCRIPTIONS_PER_CONVERSATION} subscriptions. Remove one first ("subscriptions" lists them).`,
    );
  if (outcome.outcome === 'duplicate')
    return text(
      `${capitalise(where(conversation))} is already subscribed to ${describeFilter(filter)} (${outcome.subscription.id}).`,
    );
  const soon =
    port.pollIntervalSeconds > 0
      ? `within about ${Math.max(1, Math.round(port.pollIntervalSeconds))} seconds`
      : 'when they are pushed to me';
  const personal =
    conversation.kind === 'personal'
      ? ' Each notice opens with what your own Defender role lets you see.'
      : ` Everyone here sees these ${isFollowing(filter, 'alerts') ? 'alerts' : 'incidents'}: subscribe only where every member may see them.`;
  const news = isFollowing(filter, 'incidents')
    ? `New ${isFollowing(filter, 'alerts') ? 'alerts and incidents' : 'incidents'} appear here ${soon}; each incident has one card, updated in place as it grows, is reassigned or resolved.`
    : `New alerts appear here ${soon}; when an alert changes, its card is updated in place.`;
  return text(
    `Subscribed ${where(conversation)} to ${describeFilter(filter)} (${outcome.subscription.id}). ${news}${personal} "unsubscribe ${outcome.subscription.id}" stops it.`,
  );
}

/** "unsubscribe [S-…|all]". */
export async function unsubscribe(
  ctx: CommandContext,
  port: NotificationsPort,
  conversation: ConversationPort | undefined,
  target: 'all' | 'unspecified' | { id: string },
): Promise<Reply> {
  const refused = await refusal(ctx, port, conversation, 'notifications.unsubscribe');
  if (refused || !conversation) return refused ?? text("I can't tell which conversation this is.");
  const tenantId = ctx.tenant.id;
  const mine = await port.subscriptions.forConversation(tenantId, conversation.postConversationId);
  if (mine.length === 0) return text(`${capitalise(where(conversation))} has no subscriptions.`);
  if (target === 'unspecified' && mine.length > 1)
    return text(
      `${capitalise(where(conversation))} has ${mine.length} subscriptions: ${mine
        .map((s) => `${s.id} (${describeFilter(s.filter)})`)
        .join(', ')}. Say "unsubscribe S-…" for one or "unsubscribe all".`,
    );
  const id = typeof target === 'object' ? target.id : target === 'all' ? 'all' : mine[0]!.id;
  const removed = await port.subscriptions.remove(tenantId, conversation.postConversationId, id);
  if (removed.length === 0) return text(`There is no subscription ${id} here. "subscriptions" lists them.`);
  return text(
    `Unsubscribed: ${removed.map((s) => `${describeFilter(s.filter)} (${s.id})`).join(', ')}. Cards already posted stay as they are.`,
  );
}

/** "subscriptions": this conversation's subscriptions and snooze. */
export async function listSubscriptions(
  tenantId: string | undefined,
  port: NotificationsPort,
  conversation: ConversationPort | undefined,
  now: Date,
): Promise<Reply> {
  if (!tenantId || !conversation) return text("I can't tell which conversation this is.");
  const record = await port.subscriptions.read(tenantId);
  const mine = record.subscriptions.filter((s) => s.conversationId === conversation.postConversationId);
  if (mine.length === 0)
    return text(`${capitalise(where(conversation))} has no subscriptions. Try "subscribe to high alerts".`);
  const snoozed = isSnoozed(record, conversation.postConversationId, now)
    ? `Snoozed until ${record.snoozedUntil[conversation.postConversationId]!.slice(0, 16).replace('T', ' ')} UTC ("resume alerts" ends it).`
    : 'Not snoozed.';
  return cardReply(
    toRecordListCard({
      heading: 'Subscriptions',
      subject: capitalise(where(conversation)),
      summary: `${mine.length} subscription${mine.length === 1 ? '' : 's'} · ${snoozed}`,
      rows: mine.map((s) => ({
        title: describeFilter(s.filter),
        detail: `${s.id} · by ${s.createdBy.displayName} · ${s.createdAt.slice(0, 10)}`,
        status: { text: 'Active', color: 'good' as const },
      })),
    }),
    'Subscriptions',
  );
}

/** "snooze alerts 2h": no new notifications here until then (cards already posted still update). */
export async function snooze(
  ctx: CommandContext,
  port: NotificationsPort,
  conversation: ConversationPort | undefined,
  minutes: number,
): Promise<Reply> {
  const refused = await refusal(ctx, port, conversation, 'notifications.snooze');
  if (refused || !conversation) return refused ?? text("I can't tell which conversation this is.");
  const until = new Date(ctx.now.getTime() + minutes * 60_000);
  await port.subscriptions.snooze(ctx.tenant.id, conversation.postConversationId, until);
  return text(
    `Snoozed: no new alert or incident notifications in ${where(conversation)} until ${until.toISOString().slice(0, 16).replace('T', ' ')} UTC. What arrives meanwhile is not posted later (cards already here keep updating); "resume alerts" ends the snooze.`,
  );
}

/** "resume alerts". */
export async function resume(
  ctx: CommandContext,
  port: NotificationsPort,
  conversation: ConversationPort | undefined,
): Promise<Reply> {
  const refused = await refusal(ctx, port, conversation, 'notifications.resume');
  if (refused || !conversation) return refused ?? text("I can't tell which conversation this is.");
  const was = await port.subscriptions.resume(ctx.tenant.id, conversation.postConversationId, ctx.now);
  return text(
    was
      ? `Notifications in ${where(conversation)} are back on.`
      : `${capitalise(where(conversation))} was not snoozed.`,
  );
}

function capitalise(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}
