import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serializeError } from '../../logging/logger';
import { sendJson } from '../simHttp';
import { CHANNEL_OPENID_METADATA_PATH, createChannelEmulator } from './channelEmulator';
import type { ChannelEmulator, ChannelEmulatorOptions } from './channelEmulator';
import { FileUploadSessions } from './fileUploadSessions';

/** Options of `startChannelEmulator`: the emulator's, plus the port (0 picks a free one). */
export interface ChannelEmulatorServerOptions extends ChannelEmulatorOptions {
  port?: number;
}

/** A channel emulator listening on plain HTTP at 127.0.0.1. */
export interface ChannelEmulatorServer extends ChannelEmulator {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** The activities' `serviceUrl`: where the bot's replies go (`<url>/`, with the trailing slash Teams uses). */
  serviceUrl: string;
  /** For `ToBotFromChannelOpenIdMetadataUrl` and `ToBotFromEmulatorOpenIdMetadataUrl`. */
  openIdMetadataUrl: string;
  /** The OneDrive upload sessions of files people allow (what a fileConsent/invoke's `uploadInfo` points at). */
  uploads: FileUploadSessions;
  close(): Promise<void>;
}

/** Largest request body read; Teams refuses messages over ~100 KB anyway (defender-api.md §11.2). */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Starts the emulator on plain HTTP, bound to 127.0.0.1. Plain HTTP because botframework-connector fetches the
 * OpenID metadata and keys with its own node-fetch, which cannot be handed the simulator's CA.
 */
export async function startChannelEmulator(options: ChannelEmulatorServerOptions): Promise<ChannelEmulatorServer> {
  const { port: requestedPort, ...emulatorOptions } = options;
  const emulator = createChannelEmulator(emulatorOptions);
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(requestedPort ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const uploads = new FileUploadSessions(url, emulatorOptions.now);

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      try {
        // File ranges are bytes, up to 60 MiB: read by the sessions themselves.
        const target = new URL(req.url ?? '/', url);
        if (uploads.matches(target)) return await uploads.handle(req, res, target);
        const body = await readBody(req);
        if (body === undefined) {
          sendJson(res, 413, { error: { code: 'MessageSizeTooBig', message: 'Message size too large.' } });
          return;
        }
        if (await emulator.handle(req, res, new URL(req.url ?? '/', url), body)) return;
        sendJson(res, 404, { error: { code: 'NotFound', message: 'Resource not found.' } });
      } catch (err) {
        options.logger?.error({ err: serializeError(err) }, 'channel emulator request failed');
        if (!res.headersSent) sendJson(res, 500, { error: { code: 'ServiceError', message: 'Emulator failure.' } });
        else res.destroy();
      }
    })();
  });

  return {
    ...emulator,
    url,
    port,
    serviceUrl: `${url}/`,
    openIdMetadataUrl: `${url}${CHANNEL_OPENID_METADATA_PATH}`,
    uploads,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
