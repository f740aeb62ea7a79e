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
import type { Translator } from '../i18n/translator';
import { translatorFor } from '../i18n/translator';

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
  if (!conversation) return unknownConversation(ctx.i18n);
  if (conversation.kind !== 'personal' && !ctx.user.appRoles.some((r) => SHARED_ROLES.includes(r))) {
    await port.refusals?.auditRefusal('', actorOf(ctx), 'missingRole', verb);
    return text(ctx.i18n.t('notifications.refusal', { kind: conversation.kind }));
  }
  return undefined;
}

function unknownConversation(i18n: Translator): Reply {
  return text(i18n.t('notifications.unknownConversation'));
}

/** "your chat with me", "this channel", "this chat" in the person's language. */
function where(conversation: ConversationPort, i18n: Translator): string {
  return i18n.t('notifications.where', { where: conversation.kind });
}

/** The same, starting a sentence. */
function whereAtStart(conversation: ConversationPort, i18n: Translator): string {
  return i18n.t('notifications.whereCapitalised', { where: conversation.kind });
}

/** "subscribe to high alerts [for device group G] [tagged T] [category C]". */
export async function subscribe(
  ctx: CommandContext,
  port: NotificationsPort,
  conversation: ConversationPort | undefined,
  filter: SubscriptionFilter,
): Promise<Reply> {
  const i18n = ctx.i18n;
  const refused = await refusal(ctx, port, conversation, 'notifications.subscribe');
  if (refused || !conversation) return refused ?? unknownConversation(ctx.i18n);
  if (conversation.kind === 'personal' && (filter.deviceGroup ?? filter.tag ?? filter.category) !== undefined)
    // Notices are matched with the application identity, which sees every device: a narrow filter would tell
    // the person about alerts outside their own Defender view (that a VIP device has a High alert, say).
    return text(i18n.t('notifications.personalFilterRefused'));
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
      i18n.t('notifications.tooMany', {
        where: whereAtStart(conversation, i18n),
        max: MAX_SUBSCRIPTIONS_PER_CONVERSATION,
      }),
    );
  if (outcome.outcome === 'duplicate')
    return text(
      i18n.t('notifications.duplicate', {
        where: whereAtStart(conversation, i18n),
        filter: describeFilter(filter, i18n),
        id: outcome.subscription.id,
      }),
    );
  const soon =
    port.pollIntervalSeconds > 0
      ? i18n.t('notifications.soonPolled', { seconds: Math.max(1, Math.round(port.pollIntervalSeconds)) })
      : i18n.t('notifications.soonPushed');
  const note =
    conversation.kind === 'personal'
      ? i18n.t('notifications.personalNote')
      : i18n.t('notifications.sharedNote', { what: isFollowing(filter, 'alerts') ? 'alerts' : 'incidents' });
  const news = isFollowing(filter, 'incidents')
    ? i18n.t('notifications.newsIncidents', { what: isFollowing(filter, 'alerts') ? 'both' : 'incidents', soon })
    : i18n.t('notifications.newsAlerts', { soon });
  return text(
    i18n.t('notifications.subscribed', {
      where: where(conversation, i18n),
      filter: describeFilter(filter, i18n),
      id: outcome.subscription.id,
      news,
      note,
    }),
  );
}

/** "unsubscribe [S-…|all]". */
export async function unsubscribe(
  ctx: CommandContext,
  port: NotificationsPort,
  conversation: ConversationPort | undefined,
  target: 'all' | 'unspecified' | { id: string },
): Promise<Reply> {
  const i18n = ctx.i18n;
  const refused = await refusal(ctx, port, conversation, 'notifications.unsubscribe');
  if (refused || !conversation) return refused ?? unknownConversation(ctx.i18n);
  const tenantId = ctx.tenant.id;
  const mine = await port.subscriptions.forConversation(tenantId, conversation.postConversationId);
  if (mine.length === 0) return text(i18n.t('notifications.none', { where: whereAtStart(conversation, i18n) }));
  if (target === 'unspecified' && mine.length > 1)
    return text(
      i18n.t('notifications.whichOne', {
        where: whereAtStart(conversation, i18n),
        count: mine.length,
        list: mine.map((s) => `${s.id} (${describeFilter(s.filter, i18n)})`).join(', '),
      }),
    );
  const id = typeof target === 'object' ? target.id : target === 'all' ? 'all' : mine[0]!.id;
  const removed = await port.subscriptions.remove(tenantId, conversation.postConversationId, id);
  if (removed.length === 0) return text(i18n.t('notifications.noSuchSubscription', { id }));
  return text(
    i18n.t('notifications.unsubscribed', {
      list: removed.map((s) => `${describeFilter(s.filter, i18n)} (${s.id})`).join(', '),
    }),
  );
}

/** "subscriptions": this conversation's subscriptions and snooze. */
export async function listSubscriptions(
  tenantId: string | undefined,
  port: NotificationsPort,
  conversation: ConversationPort | undefined,
  now: Date,
  i18n: Translator = translatorFor('en'),
): Promise<Reply> {
  if (!tenantId || !conversation) return unknownConversation(i18n);
  const record = await port.subscriptions.read(tenantId);
  const mine = record.subscriptions.filter((s) => s.conversationId === conversation.postConversationId);
  if (mine.length === 0) return text(i18n.t('notifications.noneTry', { where: whereAtStart(conversation, i18n) }));
  const snoozed = isSnoozed(record, conversation.postConversationId, now)
    ? i18n.t('notifications.snoozedUntil', {
        until: i18n.dateTime(record.snoozedUntil[conversation.postConversationId]!),
      })
    : i18n.t('notifications.notSnoozedShort');
  return cardReply(
    toRecordListCard({
      heading: i18n.t('notifications.listHeading'),
      subject: whereAtStart(conversation, i18n),
      summary: i18n.t('notifications.listSummary', { count: mine.length, snoozed }),
      rows: mine.map((s) => ({
        title: describeFilter(s.filter, i18n),
        detail: i18n.t('notifications.listDetail', {
          id: s.id,
          name: s.createdBy.displayName,
          date: s.createdAt.slice(0, 10),
        }),
        status: { text: i18n.t('notifications.active'), color: 'good' as const },
      })),
    }),
    i18n.t('notifications.listHeading'),
  );
}

/** "snooze alerts 2h": no new notifications here until then (cards already posted still update). */
export async function snooze(
  ctx: CommandContext,
  port: NotificationsPort,
  conversation: ConversationPort | undefined,
  minutes: number,
): Promise<Reply> {
  const i18n = ctx.i18n;
  const refused = await refusal(ctx, port, conversation, 'notifications.snooze');
  if (refused || !conversation) return refused ?? unknownConversation(ctx.i18n);
  const until = new Date(ctx.now.getTime() + minutes * 60_000);
  await port.subscriptions.snooze(ctx.tenant.id, conversation.postConversationId, until);
  return text(
    i18n.t('notifications.snoozed', {
      where: where(conversation, i18n),
      until: i18n.dateTime(until),
    }),
  );
}

/** "resume alerts". */
export async function resume(
  ctx: CommandContext,
  port: NotificationsPort,
  conversation: ConversationPort | undefined,
): Promise<Reply> {
  const i18n = ctx.i18n;
  const refused = await refusal(ctx, port, conversation, 'notifications.resume');
  if (refused || !conversation) return refused ?? unknownConversation(ctx.i18n);
  const was = await port.subscriptions.resume(ctx.tenant.id, conversation.postConversationId, ctx.now);
  return text(
    was
      ? i18n.t('notifications.resumed', { where: where(conversation, i18n) })
      : i18n.t('notifications.notSnoozed', { where: whereAtStart(conversation, i18n) }),
  );
}
