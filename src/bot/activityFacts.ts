import { TurnContext } from 'botbuilder';
import type { Activity } from 'botbuilder';
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

/** The message text without the bot's @mention (and without other `<at>` tags or HTML spaces Teams adds). */
export function commandText(activity: Partial<Activity>): string {
  const withoutBot = activity.entities ? TurnContext.removeRecipientMention(activity) : (activity.text ?? '');
  return (withoutBot ?? '')
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
