import { CardFactory, TurnContext } from 'botbuilder';
import type { CloudAdapter, ConversationReference } from 'botbuilder';
import type { ApprovalPublisher } from '../approvals/approvalPublisher';
import type { ApprovalService } from '../approvals/approvalService';
import type { ApprovalRequest, CardLocation } from '../approvals/approvalTypes';
import { toApprovalCard } from '../cards/approvalCards';
import type { Locale } from '../i18n/locale';
import type { Translator } from '../i18n/translator';
import { translatorFor } from '../i18n/translator';
import type { CardInLanguage } from '../commands/responseActions';
import type { Logger } from '../logging/logger';
import { newCorrelationId, serializeErrorBrief } from '../logging/logger';

/**
 * Keeps every posted approval card in step with its request: each card is updated in place (same message,
 * re-rendered from the stored record) through a proactive turn. A card Teams no longer has (403 the bot was
 * removed, 404 the conversation or message is gone) is forgotten instead of retried forever.
 */
export class TeamsApprovalPublisher implements ApprovalPublisher {
  /** One update loop per card (request id + message id): cards never wait for each other. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly stale = new Set<string>();

  constructor(
    private readonly options: {
      adapter: CloudAdapter;
      /** The bot's app id (empty in demo mode, where the Playground needs no token). */
      botAppId: string;
      service: ApprovalService;
      logger: Logger;
      now: () => Date;
      /** The language of a conversation (ConversationLanguageStore.languageOf); English when absent. */
      languageOf?: (conversationId: string) => Promise<Locale>;
    },
  ) {}

  /**
   * Publishes the request's latest stored state to each of its cards. Each card has its own update loop: an
   * update asked for while one runs is folded into a single re-read-and-update afterwards, so a burst of clicks
   * costs a few updates, an older state never overwrites a newer one, and a slow or failing conversation (the
   * connector retrying 5xx) holds back only its own card.
   */
  async publish(request: ApprovalRequest): Promise<void> {
    const latest = (await this.options.service.get(request.id)) ?? request;
    await Promise.all(latest.cards.map((location) => this.publishTo(request.id, location)));
  }

  private publishTo(requestId: string, location: CardLocation): Promise<void> {
    const key = `${requestId}\u0000${location.activityId}`;
    const running = this.inFlight.get(key);
    if (running) {
      this.stale.add(key);
      return running;
    }
    const run = (async () => {
      do {
        this.stale.delete(key);
        const latest = await this.options.service.get(requestId);
        if (!latest?.cards.some((card) => card.activityId === location.activityId)) return;
        await this.updateCard(latest, location);
      } while (this.stale.has(key));
    })().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, run);
    return run;
  }

  /** One card, re-rendered in place from the stored request; forgotten when Teams says it is gone. */
  private async updateCard(request: ApprovalRequest, location: CardLocation): Promise<void> {
    const i18n = await this.translatorAt(location.address);
    const card = CardFactory.adaptiveCard(toApprovalCard(request, 'base', this.options.now(), i18n));
    try {
      await this.options.adapter.continueConversationAsync(
        this.options.botAppId,
        location.address as Partial<ConversationReference>,
        async (context) => {
          await context.updateActivity({ id: location.activityId, type: 'message', attachments: [card] });
        },
      );
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) {
        // The message (or its conversation) is gone: deleted, or a Playground restarted since. Nothing to tell
        // anyone and nothing wrong with the request, whose state is kept; only this card's address is dropped.
        this.options.logger.debug(
          { approvalId: request.id, status, code: connectorCodeOf(err) },
          'approval card no longer in Teams; forgetting it',
        );
        await this.options.service.removeCard(request.id, location.activityId);
      } else if (status === 403) {
        this.options.logger.info(
          { approvalId: request.id, status },
          'bot removed from a card’s conversation; forgetting the card',
        );
        await this.options.service.removeCard(request.id, location.activityId);
      } else {
        this.options.logger.warn(
          { correlationId: newCorrelationId(), approvalId: request.id, status, err: serializeErrorBrief(err) },
          'could not update an approval card',
        );
      }
    }
  }

  /** The language of the conversation at a stored address (its `language` setting), English when unknown. */
  private async translatorAt(address: unknown): Promise<Translator> {
    const conversationId = (address as Partial<ConversationReference> | undefined)?.conversation?.id;
    const languageOf = this.options.languageOf;
    return translatorFor(conversationId && languageOf ? await languageOf(conversationId) : 'en');
  }

  /**
   * Posts a card into a stored conversation (the approvers' channel), in that conversation's language from the first
   * post (its updates are too); undefined if Teams refused.
   */
  async postTo(address: unknown, render: CardInLanguage): Promise<CardLocation | undefined> {
    let location: CardLocation | undefined;
    const { card, summary } = render(await this.translatorAt(address));
    try {
      await this.options.adapter.continueConversationAsync(
        this.options.botAppId,
        address as Partial<ConversationReference>,
        async (context) => {
          const response = await context.sendActivity({
            type: 'message',
            attachments: [CardFactory.adaptiveCard(card)],
            summary,
          });
          if (response?.id)
            location = { address: TurnContext.getConversationReference(context.activity), activityId: response.id };
        },
      );
    } catch (err) {
      this.options.logger.warn(
        { correlationId: newCorrelationId(), status: statusOf(err), err: serializeErrorBrief(err) },
        'could not post to the approvals channel',
      );
    }
    return location;
  }
}

function statusOf(err: unknown): number | undefined {
  const status =
    (err as { statusCode?: unknown; status?: unknown } | undefined)?.statusCode ??
    (err as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** The Bot Connector's error code (`ActivityNotFoundInConversation`…), when its answer carried one. */
function connectorCodeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code.slice(0, 64) : undefined;
}
