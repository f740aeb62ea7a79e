import { z } from 'zod';

/** An activity as the bot posts it: a `type` is required, everything else is kept as sent. */
export const connectorActivitySchema = z.looseObject({
  type: z.string().min(1),
  id: z.string().optional(),
  replyToId: z.string().optional(),
});

/** A channel account (`from`, `recipient`, conversation members): an id, plus whatever Teams adds. */
export const channelAccountSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  aadObjectId: z.string().optional(),
});

/** The body of `POST /v3/conversations` (botframework-schema ConversationParameters), loosely. */
export const conversationParametersSchema = z.looseObject({
  isGroup: z.boolean().optional(),
  bot: channelAccountSchema.optional(),
  members: z.array(channelAccountSchema).optional(),
  topicName: z.string().optional(),
  tenantId: z.string().optional(),
  activity: connectorActivitySchema.optional(),
  channelData: z
    .looseObject({
      channel: z.looseObject({ id: z.string().min(1) }).optional(),
      tenant: z.looseObject({ id: z.string().min(1) }).optional(),
    })
    .optional(),
});

/** An activity the connector accepted. */
export type ConnectorActivity = z.infer<typeof connectorActivitySchema>;
/** A conversation member. */
export type ChannelAccount = z.infer<typeof channelAccountSchema>;
/** A create-conversation request. */
export type ConversationParameters = z.infer<typeof conversationParametersSchema>;
