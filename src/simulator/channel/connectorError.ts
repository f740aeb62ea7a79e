/*
 * Bot Connector error answers as Teams documents them ("Status codes from bot conversational APIs",
 * msteams-docs conversation-messages.md): body `{ "error": { "code", "message" } }` (botframework-schema's
 * ErrorResponse). 504 has no documented code; `GatewayTimeout` is the emulator's choice.
 */

/** One connector refusal: HTTP status, the documented error code and message, extra headers. */
export interface ConnectorError {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

/** The refusals the emulator produces, by scenario. */
export const connectorErrors = {
  /** 429 with `Retry-After` in seconds, as the doc's retry guidance expects. */
  throttled: (retryAfterSeconds: number): ConnectorError => ({
    status: 429,
    code: 'Throttled',
    message: 'Too many requests.',
    headers: { 'retry-after': String(retryAfterSeconds) },
  }),
  preconditionFailed: (): ConnectorError => ({
    status: 412,
    code: 'PreconditionFailed',
    message: 'Precondition failed, please try again.',
  }),
  serviceError: (): ConnectorError => ({ status: 502, code: 'ServiceError', message: 'Service dependency issue.' }),
  gatewayTimeout: (): ConnectorError => ({ status: 504, code: 'GatewayTimeout', message: 'Gateway Timeout.' }),
  serviceUnavailable: (): ConnectorError => ({
    status: 503,
    code: 'ServiceUnavailable',
    message: 'Service is unavailable.',
  }),
  /** The bot's token was refused (as when its credential was just rotated). */
  unauthorized: (): ConnectorError => ({
    status: 401,
    code: 'Unauthorized',
    message: 'Authorization has been denied for this request.',
  }),
  botNotInConversationRoster: (): ConnectorError => ({
    status: 403,
    code: 'BotNotInConversationRoster',
    message: 'The bot is not part of the conversation roster.',
  }),
  conversationNotFound: (): ConnectorError => ({
    status: 404,
    code: 'ConversationNotFound',
    message: 'Conversation not found.',
  }),
  /** Update or delete of a message id this conversation never had (or deleted). */
  activityNotFound: (): ConnectorError => ({
    status: 404,
    code: 'ActivityNotFoundInConversation',
    message: 'Conversation not found.',
  }),
  /** [UNCONFIRMED message] The code is the one Teams samples test for. */
  memberNotFound: (): ConnectorError => ({
    status: 404,
    code: 'MemberNotFoundInConversation',
    message: 'The member is not part of the conversation.',
  }),
  badSyntax: (message: string): ConnectorError => ({ status: 400, code: 'BadSyntax', message }),
  badArgument: (message: string): ConnectorError => ({ status: 400, code: 'BadArgument', message }),
  notFound: (): ConnectorError => ({ status: 404, code: 'NotFound', message: 'Resource not found.' }),
} as const;
