import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type restify from 'restify';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';

/** One tab API call as the tab layer takes it (src/tab/tabApi.ts `TabApi.handle`). */
export interface TabApiCall {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** The tab layer's answer (src/tab/tabApi.ts `TabApi.handle`). */
export type TabApiAnswer =
  | { status: number; headers?: Record<string, string>; json: unknown }
  | { status: number; headers: Record<string, string>; lines: AsyncIterable<string> }
  | { status: 304; headers: Record<string, string> };

/** What the server needs to serve the SOC console tab. */
export interface TabPages {
  /** The built page (dist/tab: index.html, config.html, their scripts and styles). */
  assetsDir: string;
  /**
   * Origins allowed to frame the tab besides Teams' own, and passed by the page to teams-js `app.initialize`
   * (demo mode: the local Teams host page, known once it listens; production: none). Read on every request.
   */
  demoHostOrigins: readonly string[];
  api(call: TabApiCall): Promise<TabApiAnswer>;
}

/**
 * Teams' hosts, the only pages allowed to frame the tab (Microsoft's "tab requirements": teams.microsoft.com,
 * *.teams.microsoft.com, and the new teams.cloud.microsoft).
 */
export const TEAMS_FRAME_ANCESTORS = [
  'https://teams.microsoft.com',
  'https://*.teams.microsoft.com',
  'https://teams.cloud.microsoft',
];

const MAX_API_BODY_BYTES = 16 * 1024;
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** A file of the built page, read once at start, with its gzip form and validator. */
interface Asset {
  body: Buffer;
  gzip: Buffer;
  etag: string;
  type: string;
}

/**
 * Serves the SOC console tab: its pages under `/tab/` (read once from the build, gzip-negotiated, a strict CSP:
 * scripts and styles from this origin only, calls to this origin only, framed by Teams' hosts only, no referrer) and
 * its API under `/api/tab/` (bearer tokens only; JSON bodies of at most 16 KB; JSON Lines streamed for exports).
 */
export function registerTabRoutes(server: restify.Server, tab: TabPages, logger: Logger): void {
  const assets = loadAssets(tab.assetsDir, logger);
  const cspOf = () =>
    [
      "default-src 'none'",
      "script-src 'self'",
      // Fluent UI's web components style their shadow roots through constructed stylesheets (adoptedStyleSheets),
      // which style-src does not govern: no inline style or script is allowed anywhere.
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      // teams-js reads Microsoft's list of Teams origins from its CDN (it falls back to a built-in list when it cannot).
      "connect-src 'self' https://res.cdn.office.net",
      "base-uri 'none'",
      "form-action 'none'",
      `frame-ancestors ${[...TEAMS_FRAME_ANCESTORS, ...tab.demoHostOrigins].join(' ')}`,
    ].join('; ');
  const pageHeadersOf = () => ({
    'content-security-policy': cspOf(),
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  });

  const serveAsset = (name: string) => (req: restify.Request, res: restify.Response, next: restify.Next) => {
    const asset = assets.get(name);
    if (!asset) {
      res.send(404, { error: { code: 'notFound', message: 'The tab is not built (npm run build).' } });
      return next(false);
    }
    const headers: Record<string, string> = {
      ...pageHeadersOf(),
      'content-type': asset.type,
      etag: asset.etag,
      // Pages and scripts are revalidated each time (the ETag makes that a 304): a new release is never stale.
      'cache-control': 'no-cache',
      vary: 'accept-encoding',
    };
    if (req.header('if-none-match') === asset.etag) {
      res.writeHead(304, headers);
      res.end();
      return next(false);
    }
    const gzip = /\bgzip\b/.test(req.header('accept-encoding') ?? '');
    const body = gzip ? asset.gzip : asset.body;
    res.writeHead(200, { ...headers, ...(gzip ? { 'content-encoding': 'gzip' } : {}), 'content-length': body.length });
    res.end(body);
    return next(false);
  };

  server.get('/tab', (_req, res, next) => {
    res.redirect(301, '/tab/', next);
  });
  server.get('/tab/', serveAsset('index.html'));
  server.get('/tab/config', serveAsset('config.html'));
  server.get('/tab/settings.json', (_req, res, next) => {
    const settings = Buffer.from(JSON.stringify({ validMessageOrigins: tab.demoHostOrigins }));
    res.writeHead(200, {
      ...pageHeadersOf(),
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end(settings);
    return next(false);
  });
  server.get('/tab/:file', (req, res, next) =>
    serveAsset(String((req.params as Record<string, unknown>).file))(req, res, next),
  );

  const api = async (req: restify.Request, res: restify.Response) => {
    try {
      const path = req.getPath().slice('/api/tab'.length) || '/';
      let body: unknown;
      if (req.method === 'POST') {
        const read = await readJsonBody(req);
        if ('refused' in read) {
          res.header('cache-control', 'no-store');
          // The rest of an oversized upload is drained, not kept: the connection closes after the answer.
          if (read.refused.status === 413) res.header('connection', 'close');
          res.send(read.refused.status, { error: { code: read.refused.code, message: read.refused.message } });
          return;
        }
        body = read.body;
      }
      const answer = await tab.api({
        method: req.method ?? 'GET',
        path,
        query: queryOf(req),
        headers: req.headers,
        body,
      });
      await writeAnswer(res, answer);
    } catch (err) {
      logger.error({ err: serializeError(err) }, 'tab API failed');
      if (!res.headersSent) res.send(500, { error: { code: 'internal', message: 'Something went wrong.' } });
      else if (!res.destroyed) res.destroy();
    }
  };
  server.get('/api/tab/*', api);
  server.post('/api/tab/*', api);
  server.del('/api/tab/*', api);
}

/** Reads the built page once; a missing build leaves the routes answering 404 with how to build it. */
function loadAssets(dir: string, logger: Logger): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    logger.warn({ dir }, 'the tab is not built: /tab/ answers 404 (npm run build)');
    return assets;
  }
  for (const name of names) {
    const type = CONTENT_TYPES[path.extname(name)];
    const file = path.join(dir, name);
    if (!type || !fs.statSync(file).isFile()) continue;
    const body = fs.readFileSync(file);
    assets.set(name, {
      body,
      gzip: gzipSync(body, { level: 9 }),
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      type,
    });
  }
  return assets;
}

function queryOf(req: restify.Request): Record<string, string | undefined> {
  const query: Record<string, string | undefined> = {};
  for (const [key, value] of new URL(req.url ?? '/', 'http://tab').searchParams) query[key] = value;
  return query;
}

type ReadBody = { body: unknown } | { refused: { status: number; code: string; message: string } };

/** A small JSON body (415 for another media type, 413 past 16 KB, 400 unreadable). */
function readJsonBody(req: restify.Request): Promise<ReadBody> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_API_BODY_BYTES) {
    req.resume();
    return Promise.resolve({ refused: { status: 413, code: 'payloadTooLarge', message: 'The body is too large.' } });
  }
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? ''))
    return Promise.resolve({
      refused: { status: 415, code: 'unsupportedMediaType', message: 'Send the body as application/json.' },
    });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_API_BODY_BYTES) {
        done = true;
        resolve({ refused: { status: 413, code: 'payloadTooLarge', message: 'The body is too large.' } });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({ body: undefined });
      try {
        resolve({ body: JSON.parse(text) as unknown });
      } catch {
        resolve({ refused: { status: 400, code: 'invalidContent', message: 'The body is not valid JSON.' } });
      }
    });
    req.on('error', reject);
  });
}

async function writeAnswer(res: restify.Response, answer: TabApiAnswer): Promise<void> {
  const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...(answer.headers ?? {}) };
  if ('json' in answer) {
    const body = Buffer.from(JSON.stringify(answer.json));
    res.writeHead(answer.status, {
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': body.length,
    });
    res.end(body);
    return;
  }
  if ('lines' in answer) {
    const lines = answer.lines[Symbol.asyncIterator]();
    // The first line is read before the status goes out: a trail that cannot be read at all is a 503, not a download.
    let next: IteratorResult<string>;
    try {
      next = await lines.next();
    } catch {
      const body = Buffer.from(
        JSON.stringify({
          error: { code: 'auditUnavailable', message: 'The audit trail could not be read; try again.' },
        }),
      );
      res.writeHead(503, {
        ...headers,
        'content-type': 'application/json; charset=utf-8',
        'content-length': body.length,
      });
      res.end(body);
      return;
    }
    res.writeHead(answer.status, headers);
    // The client may go away mid-export: stop reading the trail then. A failure after the headers went out cannot
    // become an error status any more, so the response is destroyed: the client sees a broken download, never a
    // clean one that is silently short.
    let gone = false;
    res.once('close', () => (gone = true));
    try {
      for (; !next.done; next = await lines.next()) {
        if (gone) break;
        if (!res.write(next.value)) {
          await new Promise<void>((resolve) => {
            const done = () => {
              res.off('drain', done);
              res.off('close', done);
              resolve();
            };
            res.once('drain', done);
            res.once('close', done);
          });
        }
      }
      if (gone) await lines.return?.();
      else res.end();
    } catch (err) {
      await lines.return?.().catch(() => undefined);
      res.destroy(err instanceof Error ? err : new Error('export failed'));
      throw err;
    }
    return;
  }
  res.writeHead(304, headers);
  res.end();
}
