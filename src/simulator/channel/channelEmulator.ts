import type { JSONWebKeySet } from 'jose';
import type { Logger } from '../../logging/logger';
import { sendJson } from '../simHttp';
import type { SimHandler } from '../simHttp';
import { BotConnector } from './botConnector';
import type { CreatedConversation, RateScope, RateViolation, RejectedRequest } from './botConnector';
import type { BotTokenIssuer, EntraKeySource } from './botTokenVerifier';
import { CHANNEL_TOKEN_ISSUER, ChannelSigner } from './channelSigner';
import type { SignActivityOptions } from './channelSigner';
import type { ConnectorFaultOptions, ConnectorFaultStatus } from './connectorFaults';
import { TEAMS_CONNECTOR_LIMITS } from './connectorLimits';
import type { ConnectorLimits } from './connectorLimits';
import type { ChannelAccount } from './connectorSchemas';
import { postActivity } from './postActivity';
import type { BotResponse } from './postActivity';
import type { SentActivity, WaitForOptions } from './sentActivityLog';
import { maxInAnyWindow } from './slidingWindowLog';

/** The audience of the bot's outbound tokens that the Bot Connector accepts. */
export const BOT_FRAMEWORK_AUDIENCE = 'https://api.botframework.com';

/** The path botframework-connector's `ToBotFromChannelOpenIdMetadataUrl` must point at. */
export const CHANNEL_OPENID_METADATA_PATH = '/v1/.well-known/openidconfiguration';

/** How to build a channel emulator. */
export interface ChannelEmulatorOptions {
  /** The bot's Microsoft App ID: the `aud` of channel tokens and the `appid`/`azp` required on the bot's tokens. */
  botAppId: string;
  /** The Entra ID emulator's public keys, to verify the bot's outbound tokens. */
  entraKeys: EntraKeySource;
  /** Default `https://api.botframework.com`. */
  acceptedBotTokenAudience?: string;
  logger?: Logger;
  /** Clock for token times, rate windows and records; botbuilder checks channel tokens against the real clock. */
  now?: () => Date;
  /** Overrides of `TEAMS_CONNECTOR_LIMITS`, per field. */
  limits?: Partial<ConnectorLimits>;
}

/** An activity to deliver: the test's business, except that `serviceUrl` should point at this emulator. */
export interface ActivityToDeliver {
  type: string;
  serviceUrl?: string;
  channelId?: string;
  conversation?: { id?: string; tenantId?: string; [key: string]: unknown };
  channelData?: { tenant?: { id?: string }; [key: string]: unknown };
  [key: string]: unknown;
}

/** How to deliver: the token options of `signActivity`, or no Authorization header at all. */
export interface DeliverActivityOptions extends SignActivityOptions {
  withoutAuthorization?: true;
  /** The CA of an https bot endpoint. */
  caPem?: string;
  /** Default 10 000 ms. */
  timeoutMs?: number;
}

/** The Teams channel and the Bot Connector, for tests of the real `/api/messages` endpoint. */
export interface ChannelEmulator {
  /** Answers the OpenID metadata, the channel JWKS and the `/v3/conversations` routes; false for other paths. */
  handle: SimHandler;
  readonly botAppId: string;
  /** A bearer token for `activity` as the channel signs it, or spoiled as `options` say. */
  signActivity(activity: { serviceUrl?: string }, options?: SignActivityOptions): string;
  /** The channel's published keys (what `/v1/keys` serves). */
  channelKeySet(): JSONWebKeySet;
  /** Signs and POSTs an activity to the bot with Teams' headers; resolves with the bot's answer. */
  deliverActivity(
    endpoint: string,
    activity: ActivityToDeliver,
    options?: DeliverActivityOptions,
  ): Promise<BotResponse>;
  /** Every activity the connector accepted from the bot, oldest first. */
  sent(): SentActivity[];
  /** Who issued the bot tokens the connector accepted (`iss`, `tid`), one entry per distinct issuer. */
  tokenIssuers(): BotTokenIssuer[];
  /** `sent().length`, to pass as `since` to `waitFor`. */
  sentCount(): number;
  /** Resolves with the first `count` accepted activities matching `predicate`; rejects after the timeout (ms). */
  waitFor(predicate: (activity: SentActivity) => boolean, options?: WaitForOptions | number): Promise<SentActivity[]>;
  /** Requests refused after authentication (faults, states, throttling, bad bodies). */
  rejected(): RejectedRequest[];
  /** Conversations the bot created. */
  createdConversations(): CreatedConversation[];
  /** Accepted send/reply/update times (epoch ms) for one conversation, or create times with scope `create`. */
  acceptedTimestamps(conversationId: string, scope?: RateScope): number[];
  /** The most send/reply/update requests one conversation accepted within any `windowMs`. */
  maxObservedRate(conversationId: string, windowMs: number): number;
  /** Windows where more was accepted than `limits` allow (default: Teams' limits), across all conversations. */
  rateViolations(limits?: ConnectorLimits): RateViolation[];
  /** The next `count` matching requests (default: sends and replies) fail with `status`. */
  failNext(count: number, status: ConnectorFaultStatus, options?: ConnectorFaultOptions): void;
  /** That share of matching requests fails, evenly spread, until `clearFaults`. */
  failShare(share: number, status: ConnectorFaultStatus, options?: ConnectorFaultOptions): void;
  clearFaults(): void;
  /** From now on the conversation answers 403 BotNotInConversationRoster (the app was uninstalled). */
  markBotRemoved(conversationId: string): void;
  /** From now on the conversation answers 404 ConversationNotFound. */
  markConversationGone(conversationId: string): void;
  restoreConversation(conversationId: string): void;
  /** The roster for `GET …/members`. */
  setMembers(conversationId: string, members: ChannelAccount[]): void;
  /** Forgets records, rate history, faults, conversation states and rosters (keys stay). */
  reset(): void;
}

const METADATA_HEADERS = { 'cache-control': 'max-age=86400, public' };

/** Creates a channel + connector emulator; serve `handle` over plain HTTP (see `startChannelEmulator`). */
export function createChannelEmulator(options: ChannelEmulatorOptions): ChannelEmulator {
  const now = options.now ?? (() => new Date());
  const limits: ConnectorLimits = { ...TEAMS_CONNECTOR_LIMITS, ...(options.limits ?? {}) };
  const signer = new ChannelSigner(options.botAppId, now);
  const connector = new BotConnector({
    botAppId: options.botAppId,
    entraKeys: options.entraKeys,
    acceptedBotTokenAudience: options.acceptedBotTokenAudience ?? BOT_FRAMEWORK_AUDIENCE,
    limits,
    now,
    logger: options.logger,
  });

  /** The channel's OpenID metadata and keys; the jwks_uri is on the origin the request came to. */
  const answerMetadata = (method: string, url: URL, res: Parameters<SimHandler>[1]): boolean => {
    const path = url.pathname;
    const isMetadata = path === CHANNEL_OPENID_METADATA_PATH || path === '/v1/.well-known/openid-configuration';
    const isKeys = path === '/v1/keys' || path === '/v1/.well-known/keys';
    if (!isMetadata && !isKeys) return false;
    if (method !== 'GET') {
      sendJson(res, 405, { error: { code: 'MethodNotAllowed', message: 'Method not allowed.' } }, { allow: 'GET' });
      return true;
    }
    if (isKeys) {
      sendJson(res, 200, signer.keySet(), METADATA_HEADERS);
      return true;
    }
    sendJson(
      res,
      200,
      {
        issuer: CHANNEL_TOKEN_ISSUER,
        authorization_endpoint: 'https://invalid.botframework.com',
        jwks_uri: `${url.origin}/v1/keys`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_signing_alg_values_supported: ['RS256'],
      },
      METADATA_HEADERS,
    );
    return true;
  };

  const maxObservedRate = (conversationId: string, windowMs: number) =>
    maxInAnyWindow(connector.acceptedTimestamps(conversationId), windowMs);

  return {
    botAppId: options.botAppId,

    handle: async (req, res, url, body) => {
      if (answerMetadata(req.method ?? 'GET', url, res)) return true;
      return connector.handle(req, res, url, body);
    },

    signActivity: (activity, signOptions) => signer.sign(activity.serviceUrl, signOptions),

    channelKeySet: () => signer.keySet(),

    deliverActivity: (endpoint, activity, deliverOptions = {}) => {
      const { withoutAuthorization, caPem, timeoutMs, ...signOptions } = deliverOptions;
      const headers: Record<string, string> = {};
      if (!withoutAuthorization) headers.authorization = `Bearer ${signer.sign(activity.serviceUrl, signOptions)}`;
      // Teams adds these two headers to every request it sends to a bot (conversation-messages.md).
      const conversationId = activity.conversation?.id;
      const tenantId = activity.channelData?.tenant?.id ?? activity.conversation?.tenantId;
      if (conversationId !== undefined) headers['x-ms-conversation-id'] = conversationId;
      if (tenantId !== undefined) headers['x-ms-tenant-id'] = tenantId;
      return postActivity({
        endpoint,
        activity,
        headers,
        timeoutMs: timeoutMs ?? 10_000,
        ...(caPem !== undefined ? { caPem } : {}),
      });
    },

    sent: () => connector.log.all(),
    tokenIssuers: () => connector.tokenIssuers(),
    sentCount: () => connector.log.count(),
    waitFor: (predicate, waitOptions) => connector.log.waitFor(predicate, waitOptions),
    rejected: () => connector.rejected(),
    createdConversations: () => connector.createdConversations(),
    acceptedTimestamps: (conversationId, scope) => connector.acceptedTimestamps(conversationId, scope),
    maxObservedRate,

    rateViolations: (against = TEAMS_CONNECTOR_LIMITS) => {
      const scopes: Array<{ scope: RateScope; windows: ConnectorLimits[keyof ConnectorLimits] }> = [
        { scope: 'conversation', windows: against.perConversation },
        { scope: 'create', windows: against.createConversation },
        { scope: 'global', windows: against.global },
      ];
      return scopes.flatMap(({ scope, windows }) =>
        connector.rateKeys(scope).flatMap((key) => {
          const timestamps = connector.acceptedTimestamps(key, scope);
          return windows
            .map(({ windowMs, max }) => ({ scope, key, windowMs, max, observed: maxInAnyWindow(timestamps, windowMs) }))
            .filter((violation) => violation.observed > violation.max);
        }),
      );
    },

    failNext: (count, status, faultOptions) => connector.faults.failNext(count, status, faultOptions),
    failShare: (share, status, faultOptions) => connector.faults.failShare(share, status, faultOptions),
    clearFaults: () => connector.faults.clear(),
    markBotRemoved: (conversationId) => connector.markBotRemoved(conversationId),
    markConversationGone: (conversationId) => connector.markConversationGone(conversationId),
    restoreConversation: (conversationId) => connector.restoreConversation(conversationId),
    setMembers: (conversationId, members) => connector.setMembers(conversationId, members),
    reset: () => connector.reset(),
  };
}
