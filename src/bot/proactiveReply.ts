import type { Activity, BotAdapter, ConversationReference, TurnContext } from 'botbuilder';
import type { Logger } from '../logging/logger';
import { serializeErrorBrief } from '../logging/logger';

/**
 * Posts into a conversation after its turn has ended (the answer to a command that waited in Defender's queue):
 * the activity is built inside the new turn, as the old turn's context can no longer be used. Never throws: a post
 * Teams refuses is logged (with the turn's correlation id, the logger's), as there is no one left to tell.
 */
export async function postProactively(options: {
  adapter: BotAdapter;
  /** The bot's app id (empty in demo mode, where the Playground needs no token). */
  botAppId: string;
  reference: Partial<ConversationReference>;
  build(context: TurnContext): Partial<Activity>;
  logger: Logger;
}): Promise<void> {
  try {
    await options.adapter.continueConversationAsync(options.botAppId, options.reference, async (context) => {
      await context.sendActivity(options.build(context));
    });
  } catch (err) {
    options.logger.warn({ err: serializeErrorBrief(err) }, 'could not post a queued answer');
  }
}
