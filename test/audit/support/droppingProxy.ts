import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does to the next request that matches. */
export type Drop =
  /** Forward it and let Azurite act on it, then cut the connection instead of answering: a lost answer. */
  | 'answer'
  /** Cut the connection without forwarding: the request never reached storage. */
  | 'request';

/** A real HTTP hop in front of Azurite that loses what a test says, the way a network does (a reset socket). */
export interface DroppingProxy {
  /** A connection string for the same account, through the proxy. */
  connectionString: string;
  /** Requests that matched `isTarget`, counted as they arrived. */
  readonly targeted: number;
  /**
   * Loses the next targeted request in the given way; `meanwhile` runs before the connection is cut (e.g. another
   * instance acting while this one waits for an answer that will never come).
   */
  drop(kind: Drop, meanwhile?: () => Promise<unknown>): void;
  /** While true, every request is cut without being forwarded (storage unreachable). */
  down: boolean;
  close(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1:0 in front of the Azurite behind `connectionString`. */
export async function startDroppingProxy(
  connectionString: string,
  isTarget: (req: http.IncomingMessage) => boolean,
): Promise<DroppingProxy> {
  const target = new URL(/BlobEndpoint=([^;]+)/.exec(connectionString)![1]!);
  let pending: { kind: Drop; meanwhile: (() => Promise<unknown>) | undefined } | undefined;
  let targeted = 0;
  const server = http.createServer((req, res) => {
    let loss: typeof pending;
    if (isTarget(req)) {
      targeted += 1;
      loss = pending;
      pending = undefined;
    }
    const cut = (): void => {
      void (loss?.meanwhile?.() ?? Promise.resolve()).finally(() => req.socket.destroy());
    };
    if (proxy.down || loss?.kind === 'request') {
      req.resume();
      cut();
      return;
    }
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        if (loss?.kind === 'answer') {
          // Azurite has acted on it; the caller never learns the outcome.
          answer.resume();
          answer.on('end', cut);
          return;
        }
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxy: DroppingProxy = {
    connectionString: connectionString.replace(`:${target.port}/`, `:${port}/`),
    get targeted() {
      return targeted;
    },
    drop(kind, meanwhile) {
      pending = { kind, meanwhile };
    },
    down: false,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return proxy;
}

/** True for Append Block requests (`PUT …?comp=appendblock`). */
export function isAppendBlock(req: http.IncomingMessage): boolean {
  return req.method === 'PUT' && /[?&]comp=appendblock(&|$)/.test(req.url ?? '');
}
