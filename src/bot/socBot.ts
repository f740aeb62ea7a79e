import { TeamsActivityHandler } from 'botbuilder';
import type { AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue, TurnContext } from 'botbuilder';
import type { DefenderTokenProvider, UserAssertionSource } from '../auth/userTokens';
import { isCardVerb, operationOf, runCardAction } from '../cardActions/registry';
import { toHelpCard } from '../cards/helpCard';
import type { CommandContextFactory } from '../commands/commandContext';
import { parseCommand } from '../commands/parseCommand';
import type { Phrasebook } from '../commands/phrasebook';
import { COMMAND_OPERATIONS, runCommand } from '../commands/registry';
import type { DefenderClient } from '../defender/defenderClient';
import { AppError, isAppError } from '../errors';
import type { Logger } from '../logging/logger';
import { newCorrelationId, serializeError } from '../logging/logger';
import type { Operation } from '../userMessages';
import { userMessageFor } from '../userMessages';
import { commandText, conversationKind, userReferenceOf } from './activityFacts';
import { errorActivity, messageInvokeResponse, toActivity, toInvokeResponse } from './replies';
import { CardFactory } from 'botbuilder';

/** What the bot needs; built once by the composition root (src/app.ts). */
export interface SocBotDependencies {
  defender: DefenderClient;
  assertions: UserAssertionSource;
  tokens: DefenderTokenProvider;
  phrasebook: Phrasebook;
  logger: Logger;
  now: () => Date;
}

/** Key under which a turn's correlation id is kept in turn state (read by the adapter's error boundary). */
export const CORRELATION_ID_KEY = Symbol('correlationId');

/**
 * The Teams activity handler: messages become commands, Action.Execute invokes become card actions, and
 * installation sends the welcome card. It only translates between Teams and the plain-data commands;
 * every Defender call runs under the sender's (or clicker's) own token.
 */
export class SocBot extends TeamsActivityHandler {
  constructor(private readonly deps: SocBotDependencies) {
    super();
    this.onMessage(async (context, next) => {
      await this.handleMessage(context);
      await next();
    });
    this.onInstallationUpdateAdd(async (context, next) => {
      const card = toHelpCard(this.deps.phrasebook.examples, { welcome: true });
      await context.sendActivity({
        type: 'message',
        attachments: [CardFactory.adaptiveCard(card)],
        summary: 'Defender SOC Bot is here',
      });
      await next();
    });
  }

  private async handleMessage(context: TurnContext): Promise<void> {
    const log = this.turnLogger(context);
    const intent = parseCommand(commandText(context.activity), this.deps.phrasebook);
    log.info({ command: intent.id, conversation: conversationKind(context.activity) }, 'command received');
    const operation: Operation = intent.id === 'unknown' ? 'view alerts' : COMMAND_OPERATIONS[intent.id];
    try {
      const reply = await runCommand(intent, this.contextFactory(context), this.deps.phrasebook);
      await context.sendActivity(toActivity(reply));
    } catch (err) {
      await context.sendActivity(
        errorActivity(userMessageFor(this.toAppError(err, log), operation), this.correlationId(context)),
      );
    }
  }

  protected override async onAdaptiveCardInvoke(
    context: TurnContext,
    invokeValue: AdaptiveCardInvokeValue,
  ): Promise<AdaptiveCardInvokeResponse> {
    const log = this.turnLogger(context);
    const verb = invokeValue?.action?.verb;
    if (!isCardVerb(verb)) {
      log.warn({ verbType: typeof verb }, 'unknown card verb');
      return messageInvokeResponse(
        userMessageFor(new AppError('invalidInput', 'unknown verb'), 'use this button').text,
      );
    }
    log.info({ verb, conversation: conversationKind(context.activity) }, 'card action received');
    try {
      const reply = await runCardAction(verb, invokeValue.action.data, this.contextFactory(context));
      return toInvokeResponse(reply);
    } catch (err) {
      const message = userMessageFor(this.toAppError(err, log), operationOf(verb));
      const reference = message.showReference ? ` (ref ${this.correlationId(context)})` : '';
      return messageInvokeResponse(`${message.heading}: ${message.text}${reference}`);
    }
  }

  /** Signs the user in lazily: only commands that call Defender ask for an assertion and a token. */
  private contextFactory(context: TurnContext): CommandContextFactory {
    return async () => {
      const reference = userReferenceOf(context.activity);
      const assertion = await this.deps.assertions.getAssertion(reference);
      if (
        assertion.user.aadObjectId.toLowerCase() !== reference.aadObjectId.toLowerCase() ||
        assertion.user.tenantId.toLowerCase() !== reference.tenantId.toLowerCase()
      ) {
        throw new AppError('notSignedIn', 'assertion does not belong to the sender of the activity');
      }
      return {
        user: assertion.user,
        auth: { tenantId: assertion.user.tenantId, getAccessToken: () => this.deps.tokens.acquireForUser(assertion) },
        defender: this.deps.defender,
        now: this.deps.now(),
      };
    };
  }

  /** Known failures pass through; anything else is logged with its stack and becomes `internal`. */
  private toAppError(err: unknown, log: Logger): AppError {
    if (isAppError(err)) {
      log.warn({ code: err.code, err: serializeError(err) }, 'command failed');
      return err;
    }
    log.error({ err: serializeError(err) }, 'unexpected failure');
    return new AppError('internal', 'unexpected failure', {}, { cause: err });
  }

  private turnLogger(context: TurnContext): Logger {
    let correlationId = context.turnState.get<string | undefined>(CORRELATION_ID_KEY);
    if (!correlationId) {
      correlationId = newCorrelationId();
      context.turnState.set(CORRELATION_ID_KEY, correlationId);
    }
    return this.deps.logger.child({ correlationId, activityId: context.activity.id });
  }

  private correlationId(context: TurnContext): string {
    return context.turnState.get<string | undefined>(CORRELATION_ID_KEY) ?? 'unknown';
  }
}
