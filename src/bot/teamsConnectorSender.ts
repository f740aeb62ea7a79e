import type { ConversationReference } from 'botbuilder';
import type { BotTokenProvider } from '../auth/msalBotTokenProvider';
import type { AdaptiveCardJson } from '../cards/renderCard';
import { retryAfterMillis } from '../http/restApi';
import type { HttpClient, HttpResponse } from '../http/httpClient';
import { HttpTransportError } from '../http/httpClient';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { NotificationSender, SendResult } from '../notifications/notificationSender';

/** Statuses Teams documents as worth retrying (defender-api.md §11.1), plus other 5xx. */
const TRANSIENT = new Set([408, 412, 429, 500, 502, 503, 504]);
const TIMEOUT_MS = 15_000;

/**
 * Proactive notification cards over the Bot Connector REST API (`POST …/v3/conversations/{id}/activities`,
 * `PUT …/activities/{activityId}`), one HTTP request per call. Why not botbuilder's connector client here: it
 * retries inside (exponential and throttling policies that cannot be turned off), so Teams would see requests the
 * delivery dispatcher never counted against Teams' per-conversation limits, and Retry-After would be applied
 * twice. Replies within a turn still go through botbuilder. The bot's channel token comes from msal (none in demo
 * mode, where the Playground's connector needs none), and is only sent to the service URL of the conversation's
 * stored address, which came from an authenticated activity.
 */
export class TeamsConnectorSender implements NotificationSender {
  constructor(
    private readonly options: {
      http: HttpClient;
      /** The bot's token for the channel; undefined in demo mode. */
      tokens: BotTokenProvider | undefined;
      /** Audience of the channel token (BOT_OAUTH_SCOPE). */
      oauthScope: string;
      logger: Logger;
    },
  ) {}

  post(address: unknown, card: AdaptiveCardJson, summary: string): Promise<SendResult> {
    const reference = address as Partial<ConversationReference>;
    const conversationId = reference.conversation?.id;
    if (!conversationId) return Promise.resolve({ ok: false, failure: 'rejected', status: 400 });
    const activity = this.activity(reference, conversationId, card, summary);
    if (reference.conversation?.conversationType === 'channel') {
      // A new thread in the channel: Teams' "create conversation" with the channel, as TeamsInfo does.
      return this.request(reference, 'POST', '/v3/conversations', {
        isGroup: true,
        bot: reference.bot,
        tenantId: reference.conversation.tenantId,
        channelData: {
          channel: { id: conversationId },
          ...(reference.conversation.tenantId ? { tenant: { id: reference.conversation.tenantId } } : {}),
        },
        activity,
      });
    }
    return this.request(
      reference,
      'POST',
      `/v3/conversations/${encodeURIComponent(conversationId)}/activities`,
      activity,
    );
  }

  update(
    address: unknown,
    posted: { activityId: string; threadId?: string | undefined },
    card: AdaptiveCardJson,
    summary: string,
  ): Promise<SendResult> {
    const reference = address as Partial<ConversationReference>;
    const conversationId = posted.threadId ?? reference.conversation?.id;
    if (!conversationId) return Promise.resolve({ ok: false, failure: 'rejected', status: 400 });
    const activity = { ...this.activity(reference, conversationId, card, summary), id: posted.activityId };
    return this.request(
      reference,
      'PUT',
      `/v3/conversations/${encodeURIComponent(conversationId)}/activities/${encodeURIComponent(posted.activityId)}`,
      activity,
      posted.activityId,
    );
  }

  private activity(
    reference: Partial<ConversationReference>,
    conversationId: string,
    card: AdaptiveCardJson,
    summary: string,
  ) {
    return {
      type: 'message',
      ...(reference.bot ? { from: reference.bot } : {}),
      conversation: { id: conversationId },
      summary,
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
    };
  }

  /** One request; the outcome in the terms delivery needs. `activityId` is known for an update. */
  private async request(
    reference: Partial<ConversationReference>,
    method: 'POST' | 'PUT',
    path: string,
    body: object,
    activityId?: string,
  ): Promise<SendResult> {
    const serviceUrl = reference.serviceUrl?.replace(/\/+$/, '');
    if (!serviceUrl) return { ok: false, failure: 'rejected', status: 400 };
    let response: HttpResponse;
    try {
      const token = this.options.tokens ? await this.options.tokens.acquireForChannel(this.options.oauthScope) : '';
      response = await this.options.http.request({
        method,
        url: `${serviceUrl}${path}`,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
        timeoutMs: TIMEOUT_MS,
      });
    } catch (err) {
      this.options.logger.warn(
        { method, kind: err instanceof HttpTransportError ? err.kind : 'token', err: serializeError(err) },
        'notification request failed',
      );
      return { ok: false, failure: 'transient' };
    }
    if (response.status >= 200 && response.status < 300) {
      if (activityId !== undefined) return { ok: true, activityId };
      const created = parseCreated(response.body);
      if (created) return { ok: true, ...created };
      return { ok: false, failure: 'rejected', status: response.status };
    }
    if (response.status === 403 || response.status === 404)
      return { ok: false, failure: 'gone', status: response.status };
    if (response.status === 401) {
      // The bot's own credential was refused (a rotation or clock skew): retried with backoff, never dropped.
      this.options.logger.error({ method, status: 401 }, 'the Bot Connector refused the bot’s token');
      return { ok: false, failure: 'transient', status: 401 };
    }
    if (TRANSIENT.has(response.status)) {
      return {
        ok: false,
        failure: 'transient',
        status: response.status,
        ...(response.headers['retry-after'] !== undefined
          ? { retryAfterMs: retryAfterMillis(response.headers['retry-after']) }
          : {}),
      };
    }
    return { ok: false, failure: 'rejected', status: response.status };
  }
}

/** `{ id }` of a sent activity, or `{ id: thread, activityId }` of a new channel thread. */
function parseCreated(body: string): { activityId: string; threadId?: string } | undefined {
  try {
    const parsed = JSON.parse(body) as { id?: unknown; activityId?: unknown };
    if (typeof parsed.activityId === 'string' && typeof parsed.id === 'string')
      return { activityId: parsed.activityId, threadId: parsed.id };
    return typeof parsed.id === 'string' && parsed.id.length > 0 ? { activityId: parsed.id } : undefined;
  } catch {
    return undefined;
  }
}
