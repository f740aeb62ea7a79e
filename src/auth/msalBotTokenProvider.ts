import type { Logger } from '../logging/logger';
import type { MsalClientPool } from './msalClientPool';
import { toAppError } from './msalErrorMapper';

/** Where the bot's own token for the Bot Connector comes from (its app registration, client credentials). */
export interface BotTokenProvider {
  /** A token for `audience` (e.g. https://api.botframework.com) to send replies and proactive messages. */
  acquireForChannel(audience: string): Promise<string>;
}

/**
 * The bot's channel token through msal-node 7 (client secret or certificate). botbuilder's own nested
 * msal-node 2 cannot be pointed anywhere but the public cloud; this can (sovereign clouds, the local
 * emulator). It asks the bot's home tenant, the only issuer a SingleTenant Azure Bot accepts (docs/adr/0002).
 */
export class MsalBotTokenProvider implements BotTokenProvider {
  constructor(private readonly options: { clients: MsalClientPool; tenant: string; logger: Logger }) {}

  async acquireForChannel(audience: string): Promise<string> {
    const scope = `${audience.replace(/\/+$/, '')}/.default`;
    const { clients, tenant } = this.options;
    try {
      const result = await (await clients.forTenant(tenant)).acquireTokenByClientCredential({ scopes: [scope] });
      if (!result?.accessToken) throw new Error('msal returned no channel token');
      return result.accessToken;
    } catch (err) {
      const appError = toAppError(err, {
        flow: 'clientCredentials',
        clientId: clients.clientId,
        authorityHost: clients.authorityHost,
        tenantId: tenant,
      });
      this.options.logger.error(
        { code: appError.code, upstreamCode: appError.details.upstreamCode },
        'bot channel token request failed',
      );
      throw appError;
    }
  }
}
