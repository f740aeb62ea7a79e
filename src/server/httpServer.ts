import { gunzipSync, inflateSync } from 'node:zlib';
import restify from 'restify';
import type { Logger } from '../logging/logger';
import type { SignInPagesBackend } from './authPages';
import { registerAuthPages, registerConsentPage } from './authPages';
import type { ConsentPagesBackend } from './authPages';
import { serializeError } from '../logging/logger';
import type { TabPages } from './tabRoutes';
import { registerTabRoutes } from './tabRoutes';

/** The message endpoint as the bot layer exposes it (restify's request/response satisfy botbuilder's). */
export type MessagesHandler = (req: restify.Request, res: restify.Response) => Promise<void>;

/** `POST /api/notify` as the notification layer exposes it: raw body and headers in, a status and JSON body out. */
export type NotifyHandler = (request: {
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}) => Promise<{ status: number; body: object }>;

/** Options of the bot's HTTP server. */
export interface HttpServerOptions {
  messages: MessagesHandler;
  logger: Logger;
  /** Largest accepted activity; Teams messages are far smaller. */
  maxBodyBytes?: number;
  /** The sign-in and consent pages (production mode with a public URL). */
  signInPages?: SignInPagesBackend | undefined;
  /** Partner context: `/auth/consent` records a customer's admin consent (the state it carries is checked). */
  consentPages?: ConsentPagesBackend | undefined;
  /** Push sources of alerts (`POST /api/notify`); absent = the route does not exist. */
  notify?: NotifyHandler | undefined;
  /** Largest push body read before answering 413 (NOTIFY_MAX_BODY_BYTES). */
  notifyMaxBodyBytes?: number;
  /** The SOC console tab: its pages under /tab/ and its API under /api/tab/ (absent = no tab). */
  tab?: TabPages | undefined;
}

/** A started server and how to stop it. */
export interface RunningHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The bot's HTTP surface, the only importer of restify: `POST /api/messages` for the channel, `POST /api/notify`
 * for alert push sources, the SOC console tab (`/tab/`, `/api/tab/`), and `GET /health` for probes. On /api/messages, malformed JSON, oversized bodies and
 * other media types are refused (400/413/415) before any bot code runs.
 */
export function createHttpServer(options: HttpServerOptions): restify.Server {
  const server = restify.createServer({ name: 'defender-soc-bot', handleUncaughtExceptions: false });
  // A request target restify cannot parse (`POST http://[::1/api/messages`) would throw inside its router, outside
  // any handler, and end the process: it is answered 400 before restify looks at it.
  // (`first` exists since restify 8; @types/restify does not declare it.)
  (server as unknown as RestifyFirst).first((req, res) => {
    try {
      req.getUrl();
      return true;
    } catch {
      res.statusCode = 400;
      res.end();
      return false;
    }
  });
  // Bodies are read by this module, never by restify's readers: its gunzip stream has no error handler (a broken
  // gzip body would end the process) and its size limit counts compressed bytes (a gzip bomb). The channel's
  // activities may come gzip- or deflate-compressed and are inflated here within the same limit; anything else
  // must come uncompressed.
  server.pre((req, res, next) => {
    const encoding = contentEncoding(req);
    const inflatable = encoding === 'gzip' || encoding === 'deflate';
    if (encoding !== 'identity' && !(inflatable && req.getPath() === '/api/messages')) {
      res.send(415, { error: { code: 'unsupportedContentEncoding', message: 'Send the body uncompressed.' } });
      return next(false);
    }
    return next();
  });
  server.use(restify.plugins.queryParser({ mapParams: false }));
  const maxActivityBytes = options.maxBodyBytes ?? 256 * 1024;
  server.post('/api/messages', async (req, res) => {
    try {
      const refused = await readActivity(req, maxActivityBytes);
      if (refused) {
        if (refused.status === 413) res.header('connection', 'close');
        res.send(refused.status, { error: { code: refused.code, message: refused.message } });
        return;
      }
      await options.messages(req, res);
    } catch (err) {
      options.logger.error({ err: serializeError(err) }, 'message endpoint failed');
      if (!res.headersSent) res.send(500);
    }
  });
  if (options.notify) {
    const notify = options.notify;
    const notifyLimit = options.notifyMaxBodyBytes ?? 64 * 1024;
    server.post('/api/notify', async (req, res) => {
      try {
        // Read as bytes, not parsed: the signature covers the bytes as sent, a malformed body gets the
        // endpoint's own answer (restify's parser would echo the payload back), and invalid UTF-8 stays visible.
        const rawBody = await readRawBody(req, notifyLimit);
        if (rawBody === 'tooLarge') {
          // The rest of the upload is not waited for: the connection closes after the answer.
          res.header('connection', 'close');
          const message = `A notification is at most ${notifyLimit} bytes.`;
          res.send(413, { error: { code: 'payloadTooLarge', message } });
          return;
        }
        const result = await notify({ headers: req.headers, rawBody });
        res.send(result.status, result.body);
      } catch (err) {
        options.logger.error({ err: serializeError(err) }, 'notify endpoint failed');
        if (!res.headersSent) res.send(500, { error: { code: 'internal', message: 'Something went wrong.' } });
      }
    });
  }
  if (options.signInPages) registerAuthPages(server, options.signInPages, options.logger, options.consentPages);
  else if (options.consentPages) registerConsentPage(server, options.consentPages, options.logger);
  if (options.tab) registerTabRoutes(server, options.tab, options.logger);
  server.get('/health', (_req, res, next) => {
    res.send(200, { status: 'ok' });
    return next();
  });
  return server;
}

/** restify's `first` hook: runs before restify parses or routes the request; false ends it there. */
interface RestifyFirst {
  first(handler: (req: restify.Request, res: restify.Response) => boolean): void;
}

/** Reads a request body as bytes; past `maxBytes` it answers at once and lets the rest drain unread. */
function readRawBody(req: restify.Request, maxBytes: number): Promise<Buffer | 'tooLarge'> {
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) {
    req.resume();
    return Promise.resolve('tooLarge');
  }
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.resume();
      resolve('tooLarge');
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The request's Content-Encoding, lower-cased; `identity` when absent. */
function contentEncoding(req: restify.Request): string {
  const header = req.headers['content-encoding'];
  return header === undefined ? 'identity' : header.trim().toLowerCase();
}

/**
 * Reads a channel activity into `req.body` (JSON, at most `maxBytes` before and after inflating), or says why
 * not: 415 for a body that is not JSON, 413 too large, 400 unreadable.
 */
async function readActivity(
  req: restify.Request,
  maxBytes: number,
): Promise<{ status: number; code: string; message: string } | undefined> {
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? ''))
    return { status: 415, code: 'unsupportedMediaType', message: 'Send the activity as application/json.' };
  const raw = await readRawBody(req, maxBytes);
  const tooLarge = { status: 413, code: 'payloadTooLarge', message: 'The activity is larger than accepted.' };
  if (raw === 'tooLarge') return tooLarge;
  let bytes = raw;
  const encoding = contentEncoding(req);
  if (encoding === 'gzip' || encoding === 'deflate') {
    try {
      const inflate = encoding === 'gzip' ? gunzipSync : inflateSync;
      bytes = inflate(raw, { maxOutputLength: maxBytes });
    } catch (err) {
      if (err instanceof RangeError) return tooLarge;
      return { status: 400, code: 'invalidContent', message: `The body is not valid ${encoding} data.` };
    }
  }
  try {
    req.body = JSON.parse(bytes.toString('utf8')) as unknown;
    return undefined;
  } catch {
    return { status: 400, code: 'invalidContent', message: 'The activity is not valid JSON.' };
  }
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
