import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';

/*
 * A tiny round-robin HTTP load balancer for `npm run cluster`: what App Service or Container Apps put in front
 * of several instances, on one loopback port. A request goes to the next live instance; only a refused
 * connection (the request never reached an instance) is tried on the next one, so nothing is ever sent twice.
 */

/** Largest request body passed on (Bot Framework activities are far smaller). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** A running balancer: where it listens and how to change the instances behind it. */
export interface LoadBalancer {
  /** http://127.0.0.1:port */
  url: string;
  /** Replaces the instances requests are spread over (origins such as http://127.0.0.1:4001). */
  setBackends(origins: string[]): void;
  close(): Promise<void>;
}

/** Starts the balancer on 127.0.0.1:`port` (0 picks a free one). */
export async function startLoadBalancer(options: { port: number; backends: string[] }): Promise<LoadBalancer> {
  let backends = [...options.backends];
  let next = 0;

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, attempt: number): void => {
    if (backends.length === 0 || attempt >= backends.length) {
      answerPlain(res, 502, 'No instance is reachable');
      return;
    }
    const origin = new URL(backends[next++ % backends.length]!);
    const upstream = http.request(
      {
        host: origin.hostname,
        port: origin.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: origin.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      // Refused: nothing reached that instance, so the next one may take the request.
      if (err.code === 'ECONNREFUSED' && !res.headersSent) forward(req, res, body, attempt + 1);
      else if (!res.headersSent) answerPlain(res, 502, 'Instance failed');
      else res.destroy();
    });
    upstream.end(body);
  };

  const server = http.createServer((req, res) => {
    // Read whole (so a refused instance can be skipped without losing the body), and bounded.
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) answerPlain(res, 413, 'Request body too large');
      else forward(req, res, Buffer.concat(chunks), 0);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    setBackends(origins) {
      backends = [...origins];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A plain-text answer of the balancer itself (no chaining: restify, loaded in the same process, patches writeHead). */
function answerPlain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(text);
}
