import { CardFactory } from 'botbuilder';
import type { Activity, AdaptiveCardInvokeResponse } from 'botbuilder';
import type { Reply } from '../commands/commandContext';
import { toNoticeCard } from '../cards/noticeCard';
import type { UserMessage } from '../userMessages';

/** A Reply as a message activity: cards as Adaptive Card attachments, text as plain text (never markdown). */
export function toActivity(reply: Reply): Partial<Activity> {
  if (reply.kind === 'text') return { type: 'message', text: reply.text, textFormat: 'plain' };
  return { type: 'message', attachments: [CardFactory.adaptiveCard(reply.card)], summary: reply.summary };
}

/** A failure explained to the user as a notice card, with the correlation id when support may need it. */
export function errorActivity(message: UserMessage, correlationId: string): Partial<Activity> {
  const card = toNoticeCard({
    heading: message.heading,
    text: message.text,
    color: 'attention',
    reference: message.showReference ? `ref ${correlationId}` : '',
  });
  return { type: 'message', attachments: [CardFactory.adaptiveCard(card)], summary: message.heading };
}

/**
 * A Reply as the answer to an Action.Execute invoke: a card replaces the clicked card for the clicker only
 * (Universal Actions), text is shown as a message.
 */
export function toInvokeResponse(reply: Reply): AdaptiveCardInvokeResponse {
  if (reply.kind === 'text') return messageInvokeResponse(reply.text);
  return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: reply.card };
}

/** An invoke answer that shows a short message and leaves the card as it was. */
export function messageInvokeResponse(text: string): AdaptiveCardInvokeResponse {
  return {
    statusCode: 200,
    type: 'application/vnd.microsoft.activity.message',
    value: text as unknown as Record<string, unknown>,
  };
}
