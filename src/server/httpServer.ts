import restify from 'restify';
import type { Logger } from '../logging/logger';
import type { SignInPagesBackend } from './authPages';
import { registerAuthPages } from './authPages';
import { serializeError } from '../logging/logger';

/** The message endpoint as the bot layer exposes it (restify's request/response satisfy botbuilder's). */
export type MessagesHandler = (req: restify.Request, res: restify.Response) => Promise<void>;

/** Options of the bot's HTTP server. */
export interface HttpServerOptions {
  messages: MessagesHandler;
  logger: Logger;
  /** Largest accepted activity; Teams messages are far smaller. */
  maxBodyBytes?: number;
  /** The sign-in and consent pages (production mode with a public URL). */
  signInPages?: SignInPagesBackend | undefined;
}

/** A started server and how to stop it. */
export interface RunningHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The bot's HTTP surface, the only importer of restify: `POST /api/messages` for the channel and
 * `GET /health` for probes. Malformed JSON and oversized bodies are refused by the body parser (400/413)
 * before any bot code runs.
 */
export function createHttpServer(options: HttpServerOptions): restify.Server {
  const server = restify.createServer({ name: 'defender-soc-bot', handleUncaughtExceptions: false });
  server.use(restify.plugins.queryParser({ mapParams: false }));
  server.use(
    restify.plugins.bodyParser({
      maxBodySize: options.maxBodyBytes ?? 256 * 1024,
      mapParams: false,
      rejectUnknown: true,
    }),
  );
  server.post('/api/messages', async (req, res) => {
    try {
      await options.messages(req, res);
    } catch (err) {
      options.logger.error({ err: serializeError(err) }, 'message endpoint failed');
      if (!res.headersSent) res.send(500);
    }
  });
  if (options.signInPages) registerAuthPages(server, options.signInPages, options.logger);
  server.get('/health', (_req, res, next) => {
    res.send(200, { status: 'ok' });
    return next();
  });
  return server;
}

/** Starts listening and resolves with the URL (port 0 picks a free port). */
export function listen(server: restify.Server, port: number, host: string): Promise<RunningHttpServer> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: boundPort } = server.address() as { port: number };
      resolve({
        url: `http://${host}:${boundPort}`,
        port: boundPort,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Keep-alive sockets of the channel would otherwise hold the server open.
            server.server.closeAllConnections();
          }),
      });
    });
  });
}
