import { TurnContext } from 'botbuilder';
import type { Activity, ConversationAccount } from 'botbuilder';
import type { UserReference } from '../auth/userTokens';
import { AppError } from '../errors';

/** The conversation kinds Teams has; group chats and channels deliver only messages that @mention the bot. */
export type ConversationKind = 'personal' | 'groupChat' | 'channel';

/** Personal chat, group chat or channel, from `conversation.conversationType`. */
export function conversationKind(activity: Partial<Activity>): ConversationKind {
  switch (activity.conversation?.conversationType) {
    case 'channel':
      return 'channel';
    case 'groupChat':
      return 'groupChat';
    case 'personal':
    case undefined:
      return 'personal';
    default:
      return 'personal';
  }
}

/** The tenant of an activity: `conversation.tenantId`, else Teams' `channelData.tenant.id`. */
export function tenantIdOf(activity: Partial<Activity>): string | undefined {
  const channelData = activity.channelData as { tenant?: { id?: unknown } } | undefined;
  const fromChannelData = typeof channelData?.tenant?.id === 'string' ? channelData.tenant.id : undefined;
  return activity.conversation?.tenantId ?? fromChannelData;
}

/** Who the activity says the sender is; AppError `notSignedIn` when Teams did not say (never guessed). */
export function userReferenceOf(activity: Partial<Activity>): UserReference {
  const tenantId = tenantIdOf(activity);
  const aadObjectId = activity.from?.aadObjectId;
  if (!tenantId || !aadObjectId) throw new AppError('notSignedIn', 'activity carries no tenant or Entra object id');
  return { tenantId, aadObjectId };
}

/**
 * The message text without the bot's @mention (and without other `<at>` tags or HTML spaces Teams adds), its
 * whitespace folded — except an ad-hoc KQL query (`kql …`), which must reach Defender as typed: its line breaks end
 * `//` comments and its spaces inside literals matter, so only line endings are made `\n`.
 */
export function commandText(activity: Partial<Activity>): string {
  const withoutBot = activity.entities ? TurnContext.removeRecipientMention(activity) : (activity.text ?? '');
  const cleaned = (withoutBot ?? '').replace(/<at>[^<]*<\/at>/gi, ' ').replace(/&nbsp;/gi, ' ');
  if (/^\s*kql\b/i.test(cleaned)) return cleaned.replace(/\r\n?/g, '\n').trim();
  return cleaned.replace(/\s+/g, ' ').trim();
}

/**
 * Where new posts for the activity's conversation go, and under which id the conversation is known: for a
 * channel, the channel itself (`channelData.channel.id`, else the conversation id without `;messageid=…`), so
 * each post starts its own thread instead of replying in the thread the message came from.
 */
export function postTarget(activity: Partial<Activity>): {
  address: Partial<ReturnType<typeof TurnContext.getConversationReference>>;
  conversationId: string;
  teamId: string | undefined;
} {
  const full = TurnContext.getConversationReference(activity);
  // Only what a post needs and what stays the same from one message to the next: the stored installation is
  // rewritten when its address changes, and activityId, user and locale change with every message.
  const { id, conversationType, tenantId, isGroup } = full.conversation ?? {};
  const reference = {
    channelId: full.channelId,
    serviceUrl: full.serviceUrl,
    bot: full.bot,
    conversation: { id, conversationType, tenantId, isGroup } as ConversationAccount,
  };
  const channelData = activity.channelData as { channel?: { id?: unknown }; team?: { id?: unknown } } | undefined;
  const teamId = typeof channelData?.team?.id === 'string' ? channelData.team.id : undefined;
  const conversationId = activity.conversation?.id ?? '';
  if (conversationKind(activity) !== 'channel') return { address: reference, conversationId, teamId };
  const channelId =
    typeof channelData?.channel?.id === 'string' ? channelData.channel.id : conversationId.split(';messageid=')[0]!;
  return {
    address: { ...reference, conversation: { ...reference.conversation, id: channelId } },
    conversationId: channelId,
    teamId,
  };
}

/** The sender's language and time zone as Teams sends them (`locale`, `localTimezone`); untrusted hints only. */
export function languageHintsOf(activity: Activity): { locale: string | undefined; timeZone: string | undefined } {
  const locale = typeof activity.locale === 'string' ? activity.locale.slice(0, 35) : undefined;
  const zone = (activity as { localTimezone?: unknown }).localTimezone;
  return { locale, timeZone: typeof zone === 'string' ? zone.slice(0, 64) : undefined };
}
