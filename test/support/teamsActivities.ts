import { randomUUID } from 'node:crypto';
import type { Conversation, TeamsPerson } from './productionApp';

/** What Teams puts around every activity it sends a bot: ids, addresses, tenant and channel data. */
export function teamsEnvelope(options: {
  botId: string;
  serviceUrl: string;
  from: TeamsPerson;
  conversation: Conversation;
}): Record<string, unknown> {
  const { from, conversation } = options;
  return {
    id: randomUUID(),
    channelId: 'msteams',
    serviceUrl: options.serviceUrl,
    timestamp: new Date().toISOString(),
    from: { id: from.id, name: from.user.displayName, aadObjectId: from.user.aadObjectId },
    recipient: { id: `28:${options.botId}`, name: 'Defender SOC Bot' },
    conversation: {
      id: conversation.id,
      conversationType: conversation.conversationType,
      tenantId: conversation.tenantId,
    },
    channelData: {
      tenant: { id: conversation.tenantId },
      ...(conversation.conversationType === 'channel'
        ? { team: { id: '19:team-soc@thread.tacv2' }, channel: { id: conversation.id } }
        : {}),
    },
    locale: 'en-US',
  };
}

/** A message's own fields as Teams sends them: outside a personal chat the bot is @mentioned. */
export function teamsMessage(text: string, botId: string, conversation: Conversation): Record<string, unknown> {
  const mention = conversation.conversationType !== 'personal';
  return {
    type: 'message',
    text: mention ? `<at>Defender SOC Bot</at> ${text}` : text,
    textFormat: 'plain',
    entities: mention
      ? [
          {
            type: 'mention',
            mentioned: { id: `28:${botId}`, name: 'Defender SOC Bot' },
            text: '<at>Defender SOC Bot</at>',
          },
        ]
      : [],
  };
}
