import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import type { Request, Response, TurnContext } from 'botbuilder';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { SocBot } from './socBot';
import { CORRELATION_ID_KEY } from './socBot';

/** The bot's channel identity; absent in demo mode, where the adapter accepts the local Playground only. */
export interface BotIdentity {
  appId: string;
  password: string;
  tenantId: string | undefined;
  type: 'SingleTenant' | 'MultiTenant';
}

/**
 * The CloudAdapter with the turn error boundary: the only catch-all of a turn, which logs the failure and
 * answers "Something went wrong (ref <correlation id>)" without internals.
 */
export function createBotAdapter(identity: BotIdentity | undefined, logger: Logger): CloudAdapter {
  const adapter = identity
    ? new CloudAdapter(
        new ConfigurationBotFrameworkAuthentication({
          MicrosoftAppId: identity.appId,
          MicrosoftAppPassword: identity.password,
          MicrosoftAppTenantId: identity.tenantId,
          MicrosoftAppType: identity.type,
        }),
      )
    : // No app id: the adapter accepts unauthenticated activities (the local Playground) and sends replies
      // without a token. Only ever used in demo mode, on loopback.
      new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    const correlationId = context.turnState.get<string | undefined>(CORRELATION_ID_KEY) ?? 'none';
    logger.error({ correlationId, err: serializeError(error) }, 'turn failed');
    try {
      await context.sendActivity({
        type: 'message',
        text: `Something went wrong (ref ${correlationId}).`,
        textFormat: 'plain',
      });
    } catch (sendError) {
      logger.warn({ correlationId, err: serializeError(sendError) }, 'could not report the failure to the user');
    }
  };
  return adapter;
}

/** The `/api/messages` handler: hands each request to the adapter and the bot. */
export function createMessagesHandler(
  adapter: CloudAdapter,
  bot: SocBot,
): (req: Request, res: Response) => Promise<void> {
  return (req, res) => adapter.process(req, res, (context) => bot.run(context));
}
