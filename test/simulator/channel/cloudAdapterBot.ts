import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import type { Activity, TurnContext } from 'botbuilder';
import type { ServiceClientCredentialsFactory } from 'botframework-connector';

/**
 * The settings under test: every parameterized key set, because ConfigurationBotFrameworkAuthentication defaults
 * none of them once one is present (platform-notes.md).
 */
export function channelEmulatorAuthConfiguration(options: {
  botAppId: string;
  channelUrl: string;
  openIdMetadataUrl: string;
  loginUrl: string;
}): Record<string, string> {
  return {
    MicrosoftAppId: options.botAppId,
    MicrosoftAppType: 'MultiTenant',
    ToBotFromChannelOpenIdMetadataUrl: options.openIdMetadataUrl,
    ToBotFromEmulatorOpenIdMetadataUrl: options.openIdMetadataUrl,
    ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
    ToChannelFromBotLoginUrl: options.loginUrl,
    ToChannelFromBotOAuthScope: 'https://api.botframework.com',
    OAuthUrl: options.channelUrl,
    CallerId: 'urn:botframework:azure',
  };
}

/** A stock botbuilder CloudAdapter behind a node:http `/api/messages`, the shape of the product's endpoint. */
export interface CloudAdapterBot {
  endpoint: string;
  /** Activities that reached the bot's logic (i.e. passed authentication). */
  received: Partial<Activity>[];
  close(): Promise<void>;
}

/** Starts the bot on 127.0.0.1:0; its logic records the activity and answers a message with `echo: <text>`. */
export async function startCloudAdapterBot(
  configuration: Record<string, string>,
  credentialsFactory: ServiceClientCredentialsFactory,
): Promise<CloudAdapterBot> {
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication(configuration, credentialsFactory));
  const received: Partial<Activity>[] = [];
  const logic = async (context: TurnContext) => {
    received.push(context.activity);
    if (context.activity.type === 'message') await context.sendActivity(`echo: ${context.activity.text ?? ''}`);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = Object.assign(req, {
        body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
      });
      // The restify/express-like surface CloudAdapter.process expects of a response.
      let status = 200;
      const response = {
        socket: res.socket,
        status: (code: number) => {
          status = code;
          return response;
        },
        header: (name: string, value: unknown) => {
          res.setHeader(name, String(value));
          return response;
        },
        send: (body: unknown) => {
          const text = typeof body === 'string' ? body : JSON.stringify(body);
          res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
          res.write(text);
          return response;
        },
        end: () => {
          if (!res.headersSent) res.writeHead(status);
          res.end();
        },
      };
      adapter.process(request, response, logic).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/api/messages`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
