import { AssertionStore } from '../auth/assertionStore';
import { readClientCertificate } from '../auth/clientCertificate';
import { DemoAssertionSource } from '../auth/demoAssertionSource';
import { InteractiveSignIn } from '../auth/interactiveSignIn';
import { MsalAppTokenProvider } from '../auth/msalAppTokenProvider';
import { MsalBotTokenProvider } from '../auth/msalBotTokenProvider';
import { MsalClientPool } from '../auth/msalClientPool';
import { MsalOboTokenProvider } from '../auth/msalOboTokenProvider';
import { SsoTokenValidator } from '../auth/ssoTokenValidator';
import { loadOrCreateStateKey, StateCipher } from '../auth/stateCipher';
import type { BotAdapter } from '../bot/botAdapter';
import { createBotAdapter } from '../bot/botAdapter';
import { PendingCommands } from '../bot/pendingCommands';
import type { DemoIdentity, SsoIdentity } from '../bot/socBot';
import type { DefenderAuth } from '../defender/defenderClient';
import { AppError } from '../errors';
import type { GraphAuth } from '../graph/graphSecurityClient';
import type { Platform } from './platform';

/** Who the bot is and whom it acts for: its app registration's tokens per resource, people's sign-in, the channel. */
export interface Identity {
  clientId: string;
  authorityHost: string;
  /** Defender for Endpoint and Microsoft Graph tokens on-behalf-of a person (one provider per resource). */
  defenderTokens: MsalOboTokenProvider;
  graphTokens: MsalOboTokenProvider;
  /** The bot's own read-only identity (client credentials) in a tenant, for background work. */
  defenderAppAuth: (tenantId: string) => DefenderAuth;
  graphAppAuth: (tenantId: string) => GraphAuth;
  /** How people sign in: the Entra emulator (demo) or Teams SSO. */
  people: DemoIdentity | SsoIdentity;
  /** The sign-in pages (production with a public URL). */
  interactive: InteractiveSignIn | undefined;
  /** The bot's channel token (production): botbuilder's replies and the notification sender share it. */
  channelTokens: MsalBotTokenProvider | undefined;
  botAdapter: BotAdapter;
  /** The admin-consent URL of a tenant, for "connect tenant" and consent_required answers. */
  adminConsentUrl: (tenantId: string) => string;
}

/**
 * Builds every identity of the bot from its one app registration: one msal client per tenant shared by all token
 * flows, a token provider per resource (Defender's audience is never accepted by Graph, nor the reverse), the
 * people's sign-in (emulator or Teams SSO) and the channel token.
 */
export function createIdentity(platform: Platform): Identity {
  const { config, tenant, http, logger, storage } = platform;
  const authorityHost = tenant ? tenant.url : config.entra.authorityHost;
  const clientId = tenant ? tenant.botClientId : config.bot.appId;
  if (!clientId) throw new AppError('internal', 'bot identity incomplete');
  const msalLogger = logger.child({ component: 'msal' });
  const clients = new MsalClientPool({
    clientId,
    ...(tenant
      ? tenant.botCertificateFile
        ? { clientCertificate: readClientCertificate(tenant.botCertificateFile) }
        : { clientSecret: tenant.botClientSecret }
      : config.bot.certificateFile
        ? { clientCertificate: readClientCertificate(config.bot.certificateFile) }
        : { clientSecret: config.bot.password }),
    authorityHost,
    httpClient: http,
    logger: msalLogger,
  });
  const msal = { clientId, authorityHost, httpClient: http, logger: msalLogger, clients };
  const defaultTenantId = tenant ? tenant.tenantId : (config.bot.tenantId ?? 'organizations');
  const defenderTokens = new MsalOboTokenProvider({ ...msal, defaultTenantId, scope: config.defender.scope });
  const graphTokens = new MsalOboTokenProvider({ ...msal, defaultTenantId, scope: config.graph.scope });
  const defenderAppTokens = new MsalAppTokenProvider({ ...msal, scope: config.defender.scope });
  const graphAppTokens = new MsalAppTokenProvider({ ...msal, scope: config.graph.scope });

  const adminConsentUrl = (tenantId: string) =>
    `${authorityHost}/${tenantId}/adminconsent?client_id=${encodeURIComponent(clientId)}${
      config.bot.publicUrl ? `&redirect_uri=${encodeURIComponent(`${config.bot.publicUrl}/auth/consent`)}` : ''
    }`;

  let people: DemoIdentity | SsoIdentity;
  let interactive: InteractiveSignIn | undefined;
  if (tenant) {
    people = {
      kind: 'demo',
      assertions: new DemoAssertionSource({ emulatorUrl: tenant.url, botClientId: clientId, httpClient: http, logger }),
    };
  } else {
    const validator = new SsoTokenValidator({
      authorityHost,
      botAppId: clientId,
      httpClient: http,
      logger: msalLogger,
    });
    const cipher = new StateCipher(config.stateEncryptionKey ?? loadOrCreateStateKey(config.dataDir));
    interactive = config.bot.publicUrl
      ? new InteractiveSignIn({
          storage,
          cipher,
          clients,
          botAppId: clientId,
          redirectUri: `${config.bot.publicUrl}/auth/end`,
          startUri: `${config.bot.publicUrl}/auth/start`,
          validator,
          logger: msalLogger,
        })
      : undefined;
    people = {
      kind: 'sso',
      botAppId: clientId,
      connectionName: config.bot.ssoConnectionName,
      store: new AssertionStore({ storage, cipher, logger: msalLogger }),
      pending: new PendingCommands({ storage }),
      validator,
      interactive,
    };
  }

  const channelTokens = tenant
    ? undefined
    : new MsalBotTokenProvider({
        clients,
        // The SingleTenant Azure Bot accepts only its home tenant's tokens (docs/adr/0002); never botframework.com.
        tenant: config.bot.tenantId ?? defaultTenantId,
        logger: msalLogger,
      });
  const botAdapter = createBotAdapter(
    channelTokens
      ? {
          appId: clientId,
          type: config.bot.type,
          tenantId: config.bot.tenantId,
          tokens: channelTokens,
          channel: config.channel,
        }
      : undefined,
    logger,
  );

  return {
    clientId,
    authorityHost,
    defenderTokens,
    graphTokens,
    defenderAppAuth: (tenantId) => ({
      kind: 'application',
      tenantId,
      getAccessToken: () => defenderAppTokens.acquireForApp(tenantId),
    }),
    graphAppAuth: (tenantId) => ({
      kind: 'application',
      tenantId,
      getAccessToken: () => graphAppTokens.acquireForApp(tenantId),
    }),
    people,
    interactive,
    channelTokens,
    botAdapter,
    adminConsentUrl,
  };
}
