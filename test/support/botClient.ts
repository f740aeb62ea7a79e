import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

/** A Teams user as the channel describes them in activities. */
export interface TeamsUser {
  id: string;
  aadObjectId: string;
  name: string;
}

/** Where a message is posted. */
export interface TeamsConversation {
  id: string;
  conversationType: 'personal' | 'groupChat' | 'channel';
  tenantId: string;
}

/** Adaptive Card attachments of an activity. */
export function cardsOf(activity: Record<string, unknown>): Record<string, unknown>[] {
  const attachments = (activity.attachments ?? []) as { contentType: string; content: Record<string, unknown> }[];
  return attachments.filter((a) => a.contentType === 'application/vnd.microsoft.card.adaptive').map((a) => a.content);
}

/** All text of a card or activity (TextBlocks, TextRuns, action titles), for readable assertions. */
export function visibleText(node: unknown): string {
  const out: string[] = [];
  const walk = (value: unknown, key?: string): void => {
    if (key === 'data') return;
    if (Array.isArray(value)) return value.forEach((v) => walk(v));
    if (value === null || typeof value !== 'object') return;
    const element = value as Record<string, unknown>;
    for (const field of ['text', 'title']) if (typeof element[field] === 'string') out.push(element[field]);
    for (const [k, v] of Object.entries(element)) walk(v, k);
  };
  walk(node);
  return out.join('\n');
}

/**
 * Talks to the bot's real `POST /api/messages` the way the Teams channel does, with
 * `deliveryMode: expectReplies` so the bot's replies come back in the HTTP response.
 */
export class BotClient {
  constructor(
    private readonly botUrl: string,
    private readonly botId: string,
    /** The Teams client's language (`activity.locale`), as a person's Teams sends it. */
    private readonly locale = 'en-US',
    /** Where the bot's proactive posts and card updates go (a test's connector recorder; default: nowhere). */
    private readonly serviceUrl = 'http://127.0.0.1:1/_connector',
  ) {}

  /** Sends a message; in group chats and channels it @mentions the bot, as Teams requires. */
  async say(text: string, from: TeamsUser, conversation: TeamsConversation): Promise<Record<string, unknown>[]> {
    const mention = conversation.conversationType !== 'personal';
    const activity = {
      ...this.envelope(from, conversation),
      type: 'message',
      text: mention ? `<at>Defender SOC Bot</at> ${text}` : text,
      textFormat: 'plain',
      deliveryMode: 'expectReplies',
      entities: mention
        ? [
            {
              type: 'mention',
              mentioned: { id: this.botId, name: 'Defender SOC Bot' },
              text: '<at>Defender SOC Bot</at>',
            },
          ]
        : [],
    };
    const { status, body } = await this.post(activity);
    assert.equal(status, 200, `bot answered ${status}: ${JSON.stringify(body)}`);
    return ((body as { activities?: Record<string, unknown>[] }).activities ?? []).filter((a) => a.type === 'message');
  }

  /** Clicks an Action.Execute button: returns the invoke response body (`{statusCode, type, value}`). */
  async execute(
    verb: string,
    data: unknown,
    from: TeamsUser,
    conversation: TeamsConversation,
  ): Promise<{ statusCode: number; type: string; value: unknown }> {
    const { status, body } = await this.post({
      ...this.envelope(from, conversation),
      type: 'invoke',
      name: 'adaptiveCard/action',
      value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
    });
    assert.equal(status, 200, `invoke answered ${status}`);
    return body as { statusCode: number; type: string; value: unknown };
  }

  /** Posts any activity and returns the raw HTTP answer. */
  async post(activity: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${this.botUrl}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(activity),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  private envelope(from: TeamsUser, conversation: TeamsConversation) {
    return {
      id: randomUUID(),
      channelId: 'msteams',
      serviceUrl: this.serviceUrl,
      timestamp: new Date().toISOString(),
      from: { id: from.id, name: from.name, aadObjectId: from.aadObjectId },
      recipient: { id: this.botId, name: 'Defender SOC Bot' },
      conversation: {
        id: conversation.id,
        conversationType: conversation.conversationType,
        tenantId: conversation.tenantId,
      },
      channelData: { tenant: { id: conversation.tenantId } },
      locale: this.locale,
    };
  }
}
