import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateDevCertificates } from '../../../src/simulator/certs';
import type { DevCertificates } from '../../../src/simulator/certs';
import { createEntraEmulator } from '../../../src/simulator/entra/entraEmulator';
import type { EntraEmulator } from '../../../src/simulator/entra/entraEmulator';
import type { Seed } from '../../../src/simulator/seed/seedSchema';
import type { Logger } from '../../../src/logging/logger';

/** A running emulator behind real HTTPS on 127.0.0.1, for tests of anything that talks to Entra. */
export interface EntraTestServer {
  /** `https://127.0.0.1:<port>`: the authority host and the emulator URL. */
  url: string;
  emulator: EntraEmulator;
  /** Trust this (HttpClient `extraCaPem`) to talk to `url`. */
  caCertPem: string;
  /** Every request the server received, in order (method and path, never bodies). */
  requests: Array<{ method: string; path: string }>;
  close(): Promise<void>;
}

/** Options for `startEntraTestServer`. */
export interface EntraTestServerOptions {
  /** The emulator's clock; tests move it to expire assertions. */
  now?: () => Date;
  logger?: Logger;
}

let certificates: DevCertificates | undefined;

/** One CA + server certificate per test process, in a temp directory removed at exit (keygen costs ~100 ms). */
function testCertificates(): DevCertificates {
  if (!certificates) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'soc-bot-entra-certs-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    certificates = loadOrCreateDevCertificates({ dir });
  }
  return certificates;
}

/**
 * Starts an HTTPS server on 127.0.0.1:0 that reads each body and hands it to `emulator.handle` (404 when the
 * emulator declines), like the composed simulator server does.
 */
export async function startEntraTestServer(
  seeds: Seed[],
  options: EntraTestServerOptions = {},
): Promise<EntraTestServer> {
  const certs = testCertificates();
  const requests: Array<{ method: string; path: string }> = [];

  const server = https.createServer({ cert: certs.serverCertPem, key: certs.serverKeyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      requests.push({ method: req.method ?? 'GET', path: url.pathname });
      const body = Buffer.concat(chunks).toString('utf8');
      emulator
        .handle(req, res, url, body)
        .then((handled) => {
          if (!handled) {
            res.writeHead(404, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: 'not_found' }));
          }
        })
        .catch(() => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'internal' }));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `https://127.0.0.1:${port}`;
  // Created once the port is known (it is part of every issuer); no request can arrive before this line.
  const emulator: EntraEmulator = createEntraEmulator({
    seeds,
    issuerBaseUrl: url,
    ...(options.now ? { now: options.now } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });

  return {
    url,
    emulator,
    caCertPem: certs.caCertPem,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
