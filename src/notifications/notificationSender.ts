import type { AdaptiveCardJson } from '../cards/renderCard';

/** How one Teams request ended, in the terms delivery decisions need. */
export type SendResult =
  /** `threadId`: a channel post starts its own thread; updates address the card there. */
  | { ok: true; activityId: string; threadId?: string | undefined }
  /** 403 (the bot is no longer in the conversation) or 404 (conversation, or for an update the message, gone). */
  | { ok: false; failure: 'gone'; status: number }
  /** Worth retrying later: 429, 412, 5xx, a network error or a timeout; `retryAfterMs` when Teams said. */
  | { ok: false; failure: 'transient'; status?: number | undefined; retryAfterMs?: number | undefined }
  /** Teams refused this message for good (400, 413 too large…): retrying would fail the same way. */
  | { ok: false; failure: 'rejected'; status: number };

/**
 * Posts and updates proactive cards, one Teams request per call and no retries of its own: the delivery
 * dispatcher owns pacing and retries, so every request is counted against Teams' limits exactly once.
 */
export interface NotificationSender {
  /** Posts a new card: a new thread in a channel, a new message in a chat. */
  post(address: unknown, card: AdaptiveCardJson, summary: string): Promise<SendResult>;
  /** Replaces a card posted earlier (`threadId` as `post` returned it). */
  update(
    address: unknown,
    posted: { activityId: string; threadId?: string | undefined },
    card: AdaptiveCardJson,
    summary: string,
  ): Promise<SendResult>;
}
