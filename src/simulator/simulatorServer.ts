import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { DevCertificates } from './certs';
import { startChannelEmulator } from './channel/channelEmulatorServer';
import type { ChannelEmulatorServer } from './channel/channelEmulatorServer';
import type { ConnectorLimits } from './channel/connectorLimits';
import type { ActionTimings, DefenderApi, RateLimits, UnconfirmedBehaviour } from './defender/defenderApi';
import { createDefenderApi } from './defender/defenderApi';
import type { EntraEmulator } from './entra/entraEmulator';
import type { GraphApi } from './graph/graphApi';
import { createGraphApi } from './graph/graphApi';
import { createGraphControlEndpoints } from './graph/graphControl';
import { createEntraEmulator } from './entra/entraEmulator';
import type { Seed } from './seed/seedSchema';
import { sendJson } from './simHttp';

/** How to run the simulator process: tenants, where to listen, TLS material and the Defender knobs. */
export interface SimulatorServerOptions {
  seeds: Seed[];
  /** 0 picks a free port. */
  port: number;
  certificates: DevCertificates;
  timings?: ActionTimings;
  rateLimits?: RateLimits;
  /** Graph security throttling (default 150 per minute per app per tenant, defender-api.md §7.1). */
  graphRateLimits?: RateLimits;
  /** Graph items per page before `@odata.nextLink` (default 50). */
  graphPageSize?: number;
  pageSize?: number;
  logger?: Logger;
  /**
   * One clock for Entra (token times) and Defender (timestamps, rate windows, the action lifecycle); default real
   * time. A bench can run a simulated day on a fake clock.
   */
  now?: () => Date;
  /** Defender's undocumented-behaviour switches for every tenant (a seed's `defender.behaviour` overrides them). */
  behaviour?: Partial<UnconfirmedBehaviour>;
  /**
   * Also start the Teams channel + Bot Connector emulator for this bot, on its own plain-HTTP port (botbuilder
   * fetches channel metadata without our CA), verifying the bot's tokens with this Entra emulator's keys.
   */
  channel?: { botAppId: string; port?: number; limits?: Partial<ConnectorLimits> };
}

/** The running simulator: the Defender API, Graph security and the Entra ID emulator on one HTTPS origin. */
export interface SimulatorServer {
  /** e.g. https://127.0.0.1:3979 — the Defender base URL and the authority host at once. */
  url: string;
  port: number;
  defender: DefenderApi;
  entra: EntraEmulator;
  /** Microsoft Graph's security surface (`<url>/v1.0/security/*`): the bot uses `url` as Graph's base URL. */
  graph: GraphApi;
  /** Present when `options.channel` was given. */
  channel?: ChannelEmulatorServer;
  close(): Promise<void>;
}

/** Largest request body the simulator reads (seeded alert injections included). */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Starts the Defender API simulator and the Entra ID emulator on one HTTPS port bound to 127.0.0.1, with the
 * locally generated certificate (msal-node refuses plain http authorities). Each request's body is read
 * once and offered to the Entra emulator, then Graph security (`/v1.0/security/*`), then the Defender API;
 * anything else is a Defender-style 404.
 */
export async function startSimulatorServer(options: SimulatorServerOptions): Promise<SimulatorServer> {
  const server = https.createServer({
    cert: options.certificates.serverCertPem,
    key: options.certificates.serverKeyPem,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const url = `https://127.0.0.1:${port}`;
  const entra = createEntraEmulator({
    seeds: options.seeds,
    issuerBaseUrl: url,
    logger: options.logger,
    ...(options.now ? { now: options.now } : {}),
  });
  const defender = createDefenderApi({
    seeds: options.seeds,
    keys: entra,
    baseUrlForLinks: url,
    timings: options.timings,
    rateLimits: options.rateLimits,
    pageSize: options.pageSize,
    logger: options.logger,
    ...(options.now ? { now: options.now } : {}),
    ...(options.behaviour ? { behaviour: options.behaviour } : {}),
  });
  const graph = createGraphApi({
    seeds: options.seeds,
    keys: entra,
    faults: defender.faults,
    baseUrlForLinks: url,
    // Hunts read the tables the entity endpoints read (alerts injected at run time included): a hunt and a card agree.
    huntingTables: (tenantId) => defender.state.huntingTables(tenantId),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.graphRateLimits ? { rateLimits: options.graphRateLimits } : {}),
    ...(options.graphPageSize !== undefined ? { pageSize: options.graphPageSize } : {}),
  });
  const graphControl = createGraphControlEndpoints({ graph, defender });
  const handlers = [entra.handle, graph.handle, graphControl, defender.handle];
  let channel: ChannelEmulatorServer | undefined;
  try {
    channel = options.channel
      ? await startChannelEmulator({
          botAppId: options.channel.botAppId,
          entraKeys: entra,
          ...(options.channel.port !== undefined ? { port: options.channel.port } : {}),
          ...(options.channel.limits ? { limits: options.channel.limits } : {}),
          ...(options.logger ? { logger: options.logger } : {}),
        })
      : undefined;
  } catch (err) {
    // A taken channel port must not leave the HTTPS listener (and the Defender timers) running.
    defender.close();
    server.close();
    throw err;
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      try {
        const body = await readBody(req);
        if (body === undefined) {
          sendJson(res, 413, { error: { code: 'RequestEntityTooLarge', message: 'Request body too large' } });
          return;
        }
        const requestUrl = new URL(req.url ?? '/', url);
        for (const handle of handlers) {
          if (await handle(req, res, requestUrl, body)) return;
        }
        sendJson(res, 404, { error: { code: 'NotFound', message: 'Resource not found' } });
      } catch (err) {
        options.logger?.error({ err: serializeError(err) }, 'simulator request failed');
        if (!res.headersSent)
          sendJson(res, 500, { error: { code: 'InternalServerError', message: 'Simulator failure' } });
        else res.destroy();
      }
    })();
  });

  return {
    url,
    port,
    defender,
    entra,
    graph,
    ...(channel ? { channel } : {}),
    close: async () => {
      await channel?.close();
      await new Promise<void>((resolve) => {
        defender.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
