import { localeOf } from '../i18n/locale';
import { translatorFor } from '../i18n/translator';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import type { Activity, InvokeResponse, Request, Response, TurnContext } from 'botbuilder';
import type { AuthenticateRequestResult, BotFrameworkAuthentication } from 'botframework-connector';
import { ServiceClientCredentialsFactory } from 'botframework-connector';
import { z } from 'zod';
import type { BotTokenProvider } from '../auth/msalBotTokenProvider';
import type { Config } from '../config/config';
import type { Logger } from '../logging/logger';
import { newCorrelationId, scrubTokens, serializeError } from '../logging/logger';
import { CORRELATION_ID_KEY } from './socBot';
import type { SocBot } from './socBot';

/** The bot's channel identity; absent in demo mode, where the adapter accepts the local Playground only. */
export interface BotIdentity {
  appId: string;
  /** The Azure Bot's type: only SingleTenant, whose Teams token comes from its home tenant (docs/adr/0002). */
  type: 'SingleTenant';
  tenantId: string | undefined;
  /** The bot's own token for replies (msal-node 7, secret or certificate). */
  tokens: BotTokenProvider;
  /** Where the channel's tokens are checked and the bot's tokens are for (sovereign and private clouds). */
  channel: Config['channel'];
}

/**
 * botbuilder asks this factory for the credentials that sign replies and proactive messages. They come from
 * msal-node 7 (BotTokenProvider), because botbuilder's nested msal-node 2 can only reach the public cloud.
 */
class MsalCredentialsFactory extends ServiceClientCredentialsFactory {
  constructor(private readonly identity: BotIdentity) {
    super();
  }

  isValidAppId(appId: string): Promise<boolean> {
    return Promise.resolve(appId === this.identity.appId);
  }

  isAuthenticationDisabled(): Promise<boolean> {
    return Promise.resolve(false);
  }

  createCredentials(appId: string, audience: string | undefined) {
    if (appId !== this.identity.appId) return Promise.reject(new Error('credentials requested for another app id'));
    const tokens = this.identity.tokens;
    const scope = audience ?? this.identity.channel.oauthScope;
    return Promise.resolve({
      async signRequest<T extends { headers: { set(name: string, value: string): void } }>(webResource: T): Promise<T> {
        webResource.headers.set('authorization', `Bearer ${await tokens.acquireForChannel(scope)}`);
        return webResource;
      },
    });
  }
}

/** CloudAdapter that runs a turn whose request the edge has already authenticated. */
class EdgeAuthenticatedAdapter extends CloudAdapter {
  runAuthenticated(
    result: AuthenticateRequestResult,
    activity: Activity,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<InvokeResponse | undefined> {
    return this.processActivity(result, activity, logic);
  }
}

/** The adapter plus the authentication it was built with (the edge uses the same object). */
export interface BotAdapter {
  adapter: EdgeAuthenticatedAdapter;
  authentication: BotFrameworkAuthentication;
}

/**
 * The CloudAdapter with the turn error boundary: the only catch-all of a turn, which logs the failure and
 * answers "Something went wrong (ref <correlation id>)" without internals. With an identity, channel tokens
 * are validated against the configured OpenID metadata and issuer (all of botbuilder's parameterised
 * settings are given, since it does not default the missing ones).
 */
export function createBotAdapter(identity: BotIdentity | undefined, logger: Logger): BotAdapter {
  const authentication = identity
    ? new ConfigurationBotFrameworkAuthentication(
        {
          MicrosoftAppId: identity.appId,
          MicrosoftAppType: identity.type,
          MicrosoftAppTenantId: identity.tenantId,
          ToChannelFromBotLoginUrl: identity.channel.loginUrl,
          ToChannelFromBotOAuthScope: identity.channel.oauthScope,
          ToBotFromChannelTokenIssuer: identity.channel.tokenIssuer,
          OAuthUrl: identity.channel.oauthUrl,
          ToBotFromChannelOpenIdMetadataUrl: identity.channel.openIdMetadataUrl,
          ToBotFromEmulatorOpenIdMetadataUrl: identity.channel.openIdMetadataUrl,
          CallerId: identity.channel.callerId,
        },
        new MsalCredentialsFactory(identity),
      )
    : // No app id: unauthenticated activities (the local Playground) and replies without a token. Demo mode
      // only, on loopback.
      new ConfigurationBotFrameworkAuthentication({});
  const adapter = new EdgeAuthenticatedAdapter(authentication);
  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    // A proactive turn (a card update, a queued answer) has no one waiting for it in the chat: its failure
    // belongs to the code that started it, which knows whether it matters (a card Teams no longer has does not).
    // botbuilder would otherwise swallow it here and post "Something went wrong" into the conversation.
    if (isProactiveTurn(context.activity)) throw error;
    let correlationId = context.turnState.get<string | undefined>(CORRELATION_ID_KEY);
    if (!correlationId) {
      correlationId = newCorrelationId();
      context.turnState.set(CORRELATION_ID_KEY, correlationId);
    }
    logger.error({ correlationId, err: serializeError(error) }, 'turn failed');
    try {
      await context.sendActivity({
        type: 'message',
        // The turn failed before (or while) the person's language was read: their Teams language.
        text: translatorFor(localeOf(context.activity.locale)).t('bot.turnFailed', { ref: correlationId }),
        textFormat: 'plain',
      });
    } catch (sendError) {
      logger.warn({ correlationId, err: serializeError(sendError) }, 'could not report the failure to the user');
    }
  };
  return { adapter, authentication };
}

/** A turn botbuilder made up for `continueConversationAsync` (its `ContinueConversation` event), not one from Teams. */
export function isProactiveTurn(activity: Partial<Activity> | undefined): boolean {
  return activity?.type === 'event' && activity.name === 'ContinueConversation';
}

/**
 * What the channel's token check reads of an activity, checked before it; the whole activity is checked once the
 * request is known to come from the channel (SocBot.screen, src/bot/inboundActivity.ts).
 */
const activityShape = z.looseObject({
  type: z.string().min(1).max(64),
  serviceUrl: z.string().max(2048).optional(),
  channelId: z.string().max(64).optional(),
});

/**
 * `POST /api/messages`: a body that is not an activity is a 400; the channel's token is verified here, before
 * botbuilder sees the activity, so every forged request (missing, unsigned, expired, wrong audience or issuer, a
 * serviceUrl other than the one signed, a bad signature) is a 401 logged once without the token — stock
 * CloudAdapter answers some of these 500 with the error text and prints a stack for each. Then the signed
 * activity is screened (a malformed one is answered with its protocol's error, audited, and never reaches a
 * turn, so it cannot crash one or make the error boundary post to the chat), and only then the turn runs.
 */
export function createMessagesHandler(
  bot: BotAdapter,
  socBot: SocBot,
  logger: Logger,
): (req: Request, res: Response) => Promise<void> {
  const end = (res: Response, status: number, body?: unknown) => {
    res.status(status);
    if (body !== undefined) res.send(body);
    res.end();
  };
  return async (req, res) => {
    const parsed = activityShape.safeParse(req.body);
    if (!parsed.success) {
      logger.warn({ correlationId: newCorrelationId() }, 'request body is not an activity');
      return end(res, 400, { error: 'the request body is not a Bot Framework activity' });
    }
    const activity = parsed.data as unknown as Activity;
    const header = (req.headers as Record<string, unknown>).authorization;
    const authHeader = typeof header === 'string' ? header : '';
    let result: AuthenticateRequestResult;
    try {
      result = await bot.authentication.authenticateRequest(activity, authHeader);
    } catch (err) {
      logger.warn(
        {
          reason: scrubTokens(err instanceof Error ? err.message : String(err)).slice(0, 200),
          hasAuthorization: authHeader !== '',
        },
        'channel request refused',
      );
      return end(res, 401);
    }
    const verdict = await socBot.screen(req.body);
    if (!verdict.admitted) return end(res, verdict.status, verdict.body);
    try {
      const invokeResponse = await bot.adapter.runAuthenticated(result, activity, (context) => socBot.run(context));
      return end(res, invokeResponse?.status ?? 200, invokeResponse?.body);
    } catch (err) {
      logger.error({ err: serializeError(err) }, 'turn could not be processed');
      return end(res, 500);
    }
  };
}
