import assert from 'node:assert/strict';
import net from 'node:net';
import WebSocket from 'ws';

/** A message the Playground shows in a conversation (what its web client receives over the WebSocket). */
export interface PlaygroundMessage {
  action: 'createMessage' | 'updateMessage';
  conversationId: string;
  messageId: string;
  fromId: string;
  text: string | undefined;
  attachments: { contentType: string; content: Record<string, unknown> }[];
}

/** The Playground's own description of its tenant, personas and conversations. */
export interface PlaygroundConfig {
  tenantId: string;
  bot: { id: string; name: string };
  currentUser: { id: string; name: string; aadObjectId: string };
  users: { id: string; name: string; aadObjectId: string }[];
  personalChat: { id: string };
  groupChats: { id: string; name: string; members: string[] }[];
  teams: { id: string; name: string; channels: { id: string; name: string }[] }[];
}

/** A free TCP port on loopback (the Playground needs a fixed port to build its service URL). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Drives the Microsoft 365 Agents Playground the way its web client does: REST calls to post messages
 * and click Action.Execute buttons, and its conversation WebSocket to see what the bot posted.
 */
export class PlaygroundDriver {
  private socket: WebSocket | undefined;
  private readonly received: PlaygroundMessage[] = [];
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly url: string) {}

  /** Connects the conversation stream (before anything is sent: frames are buffered for the next client). */
  async connect(): Promise<void> {
    const socket = new WebSocket(`${this.url.replace('http', 'ws')}/_ws_conversation/v1/conversations/stream`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.on('message', (data: WebSocket.RawData) => {
      const frame = JSON.parse(Buffer.from(data as Buffer).toString('utf8')) as {
        action: string;
        actionConversationId: string;
        message?: {
          messageId: string;
          from?: { id: string };
          text?: string;
          attachments?: PlaygroundMessage['attachments'];
        };
      };
      if ((frame.action === 'createMessage' || frame.action === 'updateMessage') && frame.message) {
        this.received.push({
          action: frame.action,
          conversationId: frame.actionConversationId,
          messageId: frame.message.messageId,
          fromId: frame.message.from?.id ?? '',
          text: frame.message.text,
          attachments: frame.message.attachments ?? [],
        });
        this.waiters.splice(0).forEach((wake) => wake());
      }
    });
    this.socket = socket;
  }

  async config(): Promise<PlaygroundConfig> {
    const response = await fetch(`${this.url}/_internal/v1/config`);
    assert.equal(response.status, 200);
    return ((await response.json()) as { config: PlaygroundConfig }).config;
  }

  /** Installs the bot in a conversation (the bot receives installationUpdate + conversationUpdate). */
  async install(conversationId: string): Promise<void> {
    const response = await fetch(`${this.url}/_debug/conversation/${encodeURIComponent(conversationId)}/installation`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(response.status, 200, `install answered ${response.status}`);
  }

  /** Posts a message as `userId`; with `mention`, @mentions the bot as Teams requires outside personal chat. */
  async say(
    conversationId: string,
    userId: string,
    text: string,
    mention?: { id: string; name: string },
  ): Promise<void> {
    const body = mention
      ? {
          from: { id: userId },
          text: `<at>${mention.name}</at> ${text}`,
          textFormat: 'plain',
          mentions: [
            { type: 'mention', mentioned: { id: mention.id, name: mention.name }, text: `<at>${mention.name}</at>` },
          ],
        }
      : { from: { id: userId }, text, textFormat: 'plain' };
    const response = await fetch(
      `${this.url}/_conversation/v1/conversations/${encodeURIComponent(conversationId)}/messages`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
    );
    assert.equal(response.status, 200, `message answered ${response.status}: ${await response.text()}`);
  }

  /**
   * Posts a message as any persona. The Playground's message API always posts as its current user (like the
   * person at the keyboard); its custom-activity feature sends a whole activity, which is how a test speaks
   * for the other members of a group chat or channel. The bot's reply appears in the conversation as usual.
   */
  async sayAs(
    conversation: { id: string; conversationType: 'personal' | 'groupChat' | 'channel' },
    user: { id: string; name: string; aadObjectId: string },
    text: string,
    config: PlaygroundConfig,
  ): Promise<void> {
    const mention = `<at>${config.bot.name}</at>`;
    const activity = {
      type: 'message',
      id: `custom-${Date.now()}-${Math.random().toString(16).slice(2)}`,
      channelId: 'msteams',
      serviceUrl: `${this.url}/_connector`,
      timestamp: new Date().toISOString(),
      from: user,
      recipient: config.bot,
      conversation: {
        ...conversation,
        tenantId: config.tenantId,
        isGroup: conversation.conversationType !== 'personal',
      },
      channelData: { tenant: { id: config.tenantId } },
      text: `${mention} ${text}`,
      textFormat: 'plain',
      entities: [{ type: 'mention', mentioned: config.bot, text: mention }],
    };
    const response = await fetch(`${this.url}/_internal/v1/customActivities`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(activity),
    });
    assert.equal(response.status, 200, `custom activity answered ${response.status}`);
  }

  /** Clicks an Action.Execute button of a message; returns the bot's invoke response. */
  async execute(
    conversationId: string,
    userId: string,
    replyToId: string,
    verb: string,
    data: unknown,
  ): Promise<{ type: string; value: unknown }> {
    const response = await fetch(`${this.url}/_conversation/v1/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'adaptiveCard/action',
        value: { action: { type: 'Action.Execute', title: verb, verb, data } },
        from: { id: userId },
        conversation: { id: conversationId },
        replyToId,
      }),
    });
    const body = await response.text();
    assert.equal(response.status, 200, `invoke answered ${response.status}: ${body.slice(0, 300)}`);
    return JSON.parse(body) as { type: string; value: unknown };
  }

  /** Waits for the next message the bot posts in a conversation after `since` messages were seen there. */
  async nextBotMessage(
    conversationId: string,
    botId: string,
    since: number,
    timeoutMs = 15_000,
  ): Promise<PlaygroundMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const fromBot = this.botMessages(conversationId, botId);
      if (fromBot.length > since) return fromBot[since]!;
      const remaining = deadline - Date.now();
      if (remaining <= 0) assert.fail(`no bot message in ${conversationId} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until the Playground shows message `messageId` updated so that `predicate` holds for its text. */
  async waitForUpdate(
    conversationId: string,
    messageId: string,
    predicate: (text: string) => boolean,
    timeoutMs = 30_000,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const updates = this.received.filter(
        (m) =>
          m.action === 'updateMessage' &&
          (m.conversationId === conversationId || m.conversationId.startsWith(`${conversationId};`)) &&
          m.messageId === messageId,
      );
      const last = updates.at(-1);
      const text = last ? JSON.stringify(last.attachments) : '';
      if (last && predicate(text)) return text;
      const remaining = deadline - Date.now();
      if (remaining <= 0)
        assert.fail(`message ${messageId} never reached the expected state; last: ${text.slice(0, 300)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 500));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Messages the bot created in a conversation, in order. */
  botMessages(conversationId: string, botId: string): PlaygroundMessage[] {
    return this.received.filter(
      (m) => m.action === 'createMessage' && m.conversationId === conversationId && m.fromId === botId,
    );
  }

  close(): void {
    this.socket?.close();
  }
}
