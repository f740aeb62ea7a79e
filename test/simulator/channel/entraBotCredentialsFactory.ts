import { ConfidentialClientApplication } from '@azure/msal-node';
import { ServiceClientCredentialsFactory } from 'botframework-connector';
import { MsalNetworkClient } from '../../../src/auth/msalNetworkClient';
import type { HttpClient } from '../../../src/http/httpClient';

/** What botbuilder's connector asks a credentials object for: sign each outgoing request. */
type ServiceClientCredentials = Awaited<ReturnType<ServiceClientCredentialsFactory['createCredentials']>>;

/**
 * The bot's outbound credentials in these tests: tokens for `<audience>/.default` from the Entra emulator at
 * `loginEndpoint` (botbuilder passes `ToChannelFromBotLoginUrl`), through msal-node 7. botbuilder's own
 * MicrosoftAppCredentials would run cloud discovery against login.microsoftonline.com (platform-notes.md).
 */
export class EntraBotCredentialsFactory extends ServiceClientCredentialsFactory {
  private readonly clients = new Map<string, ConfidentialClientApplication>();
  /** How many connector requests were signed (each one got a token, from msal's cache or the emulator). */
  signedRequests = 0;

  constructor(
    private readonly app: { clientId: string; clientSecret: string },
    private readonly http: HttpClient,
  ) {
    super();
  }

  override isValidAppId(appId: string): Promise<boolean> {
    return Promise.resolve(appId === this.app.clientId);
  }

  override isAuthenticationDisabled(): Promise<boolean> {
    return Promise.resolve(false);
  }

  override createCredentials(
    _appId: string,
    audience: string | undefined,
    loginEndpoint: string,
    _validateAuthority?: boolean,
  ): Promise<ServiceClientCredentials> {
    const msal = this.clientFor(loginEndpoint);
    const scope = `${audience ?? 'https://api.botframework.com'}/.default`;
    return Promise.resolve({
      signRequest: async (webResource) => {
        const result = await msal.acquireTokenByClientCredential({ scopes: [scope] });
        if (!result) throw new Error('no token for the connector');
        webResource.headers.set('authorization', `Bearer ${result.accessToken}`);
        this.signedRequests += 1;
        return webResource;
      },
    });
  }

  private clientFor(authority: string): ConfidentialClientApplication {
    let client = this.clients.get(authority);
    if (!client) {
      client = new ConfidentialClientApplication({
        auth: {
          clientId: this.app.clientId,
          clientSecret: this.app.clientSecret,
          authority,
          knownAuthorities: [new URL(authority).host],
        },
        system: { networkClient: new MsalNetworkClient(this.http) },
      });
      this.clients.set(authority, client);
    }
    return client;
  }
}
