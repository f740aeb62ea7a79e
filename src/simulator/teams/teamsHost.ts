import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../logging/logger';
import { isLoopback, sendJson } from '../simHttp';
import type { EmulatorEndpoint } from './emulatorTokens';
import { assertionEndpoint, mintTabToken } from './emulatorTokens';
import { HOST_CSS, hostPageCsp, renderHostPage } from './hostPage';
import { buildHostScript } from './hostScriptSource';
import type { HostPageConfig, TeamsPersona, TeamsTeam, TokenAnswer } from './teamsHostTypes';

/** How to run the demo Teams host: where the tab lives, who can sign in, and the Entra emulator that mints tokens. */
export interface TeamsHostOptions {
  /** Always a loopback address; default 127.0.0.1. */
  host?: '127.0.0.1' | '::1' | 'localhost';
  /** 0 (the default) picks a free port. */
  port?: number;
  /** The personal tab's contentUrl, e.g. `http://127.0.0.1:3978/tab/`. */
  tabUrl: string;
  /** The personal tab's entity id (manifest `staticTabs[].entityId`); default `soc-console`. */
  personalEntityId?: string;
  /** The configurable tab's configuration page; adds "add the tab to a channel" places to the host page. */
  configUrl?: string;
  /** The contentUrl a channel tab has before anyone configures one here; default tabUrl. */
  channelTabUrl?: string;
  entra: EmulatorEndpoint;
  tenantId: string;
  /** The `aud` of the tokens getAuthToken returns: the bot's client id, as Teams SSO gives. */
  botClientId: string;
  /** At least one; the first is signed in when the page opens. */
  personas: TeamsPersona[];
  team: TeamsTeam;
  /** Languages offered, as Teams writes them (`en-us`); default en-us and pt-br. */
  locales?: string[];
  logger?: Logger;
}

/** The running host page. */
export interface TeamsHost {
  /** The host page, e.g. `http://127.0.0.1:41234/`. */
  url: string;
  /** Its origin: what the tab must pass to `app.initialize([origin])` (teams-js refuses http parents otherwise). */
  origin: string;
  stop(): Promise<void>;
}

/** What the host tells teams-js it supports (the 4th answer of `initialize`): the teams-js version it was checked against. */
export const HOST_SDK_VERSION = '2.58.0';
const MAX_BODY_BYTES = 4 * 1024;
const NO_STORE = { 'cache-control': 'no-store' };

/**
 * Starts the demo Teams host: an HTTP server on a loopback address serving a page that embeds the tab and answers
 * teams-js as Teams does (initialize, getContext, themes, getAuthToken with tokens minted by the Entra emulator,
 * the configurable tab's save), for demo mode and browser tests where there is no Teams.
 */
export async function startTeamsHost(options: TeamsHostOptions): Promise<TeamsHost> {
  const config = toPageConfig(options);
  const tokenEndpoint = assertionEndpoint(options.entra);
  const script = await buildHostScript();
  const personas = new Map(options.personas.map((p) => [p.aadObjectId.toLowerCase(), p]));
  let origin = '';

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.logger?.error({ err: err instanceof Error ? err.name : 'unknown' }, 'teams host: request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal' });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isLoopback(req)) return sendJson(res, 403, { error: 'forbidden' });
    const path = new URL(req.url ?? '/', origin).pathname;
    const method = req.method ?? 'GET';
    if (path === '/token') {
      if (method !== 'POST') return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'POST' });
      return mintForPersona(req, res);
    }
    if (method !== 'GET' && method !== 'HEAD')
      return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET' });
    switch (path) {
      case '/':
        return sendText(res, 'text/html; charset=utf-8', renderHostPage(config), {
          'content-security-policy': hostPageCsp(config.tabOrigins),
        });
      case '/host.js':
        return sendText(res, 'text/javascript; charset=utf-8', script);
      case '/host.css':
        return sendText(res, 'text/css; charset=utf-8', HOST_CSS);
      default:
        return sendJson(res, 404, { error: 'not_found' });
    }
  }

  /**
   * `POST /token {personaId}`: the persona's Teams SSO token from the emulator. Only the host page itself may ask
   * (same Origin, JSON body): another page in the browser cannot collect a token. The token is never logged.
   */
  async function mintForPersona(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers.origin !== origin) return sendJson(res, 403, { error: 'forbidden' });
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return sendJson(res, 415, { error: 'unsupported_media_type' });
    }
    const body = await readBody(req);
    const personaId = personaIdOf(body);
    const persona = personaId === undefined ? undefined : personas.get(personaId.toLowerCase());
    if (!persona) return sendJson(res, 404, { error: 'unknown_persona' }, NO_STORE);
    const outcome = await mintTabToken(tokenEndpoint, options.entra.caPem, {
      tenantId: options.tenantId,
      aadObjectId: persona.aadObjectId,
      audience: options.botClientId,
    });
    const answer: TokenAnswer = outcome;
    if ('error' in outcome) options.logger?.info({ outcome: outcome.error }, 'teams host: no token for the persona');
    sendJson(res, 200, answer, NO_STORE);
  }

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  origin = `http://${host === '::1' ? '[::1]' : host}:${port}`;
  options.logger?.info({ url: `${origin}/` }, 'teams host listening');
  return {
    url: `${origin}/`,
    origin,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Checks the options and turns them into what the page needs (no secrets: the CA and client id stay here). */
function toPageConfig(options: TeamsHostOptions): HostPageConfig {
  if (options.personas.length === 0) throw new Error('the Teams host needs at least one persona');
  const urls = [options.tabUrl, options.configUrl, options.channelTabUrl].filter((u): u is string => Boolean(u));
  const origins = urls.map((u) => {
    const url = new URL(u);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`not a web page URL: ${u}`);
    return url.origin;
  });
  return {
    tenantId: options.tenantId,
    tabUrl: options.tabUrl,
    personalEntityId: options.personalEntityId ?? 'soc-console',
    configUrl: options.configUrl,
    channelTabUrl: options.channelTabUrl,
    tabOrigins: [...new Set(origins)],
    personas: options.personas,
    team: options.team,
    locales: options.locales ?? ['en-us', 'pt-br'],
    hostSdkVersion: HOST_SDK_VERSION,
  };
}

function personaIdOf(body: string): string | undefined {
  try {
    const json = JSON.parse(body) as unknown;
    const id = typeof json === 'object' && json !== null ? (json as Record<string, unknown>).personaId : undefined;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('request body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendText(res: ServerResponse, type: string, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(200, {
    'content-type': type,
    'content-length': Buffer.byteLength(text),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}
