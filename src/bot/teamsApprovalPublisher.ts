import { CardFactory, TurnContext } from 'botbuilder';
import type { CloudAdapter, ConversationReference } from 'botbuilder';
import type { ApprovalPublisher } from '../approvals/approvalPublisher';
import type { ApprovalService } from '../approvals/approvalService';
import type { ApprovalRequest, CardLocation } from '../approvals/approvalTypes';
import { toApprovalCard } from '../cards/approvalCards';
import type { AdaptiveCardJson } from '../cards/renderCard';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';

/**
 * Keeps every posted approval card in step with its request: each card is updated in place (same message,
 * re-rendered from the stored record) through a proactive turn. A card Teams no longer has (403 the bot was
 * removed, 404 the conversation or message is gone) is forgotten instead of retried forever.
 */
export class TeamsApprovalPublisher implements ApprovalPublisher {
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
    },
  ) {}

  /**
   * Publishes the request's latest stored state. Publishes of one request never overlap: one asked for while
   * another runs is folded into a single re-publish afterwards, so a burst of clicks costs a few updates and
   * an older state can never overwrite a newer one.
   */
  publish(request: ApprovalRequest): Promise<void> {
    const running = this.inFlight.get(request.id);
    if (running) {
      this.stale.add(request.id);
      return running;
    }
    const run = (async () => {
      do {
        this.stale.delete(request.id);
        const latest = (await this.options.service.get(request.id)) ?? request;
        await this.updateCards(latest);
      } while (this.stale.has(request.id));
    })().finally(() => this.inFlight.delete(request.id));
    this.inFlight.set(request.id, run);
    return run;
  }

  private async updateCards(request: ApprovalRequest): Promise<void> {
    const card = CardFactory.adaptiveCard(toApprovalCard(request, 'base', this.options.now()));
    for (const location of request.cards) {
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
        if (status === 403 || status === 404) {
          this.options.logger.info({ approvalId: request.id, status }, 'approval card gone; forgetting it');
          await this.options.service.removeCard(request.id, location.activityId);
        } else {
          this.options.logger.warn(
            { approvalId: request.id, err: serializeError(err) },
            'could not update an approval card',
          );
        }
      }
    }
  }

  /** Posts a card into a stored conversation (the approvers' channel); undefined if Teams refused. */
  async postTo(address: unknown, card: AdaptiveCardJson, summary: string): Promise<CardLocation | undefined> {
    let location: CardLocation | undefined;
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
        { status: statusOf(err), err: serializeError(err) },
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
