import http from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A small real HTTP server standing in for Graph's runHuntingQuery where a test needs an exact answer the
 * simulator would not give (a stalled or reset stream, a scripted error body, a schema after the rows): it records
 * what the bot sends (query text, headers, token) and answers with scripted, documented bodies.
 */

/** What the fake Graph received. */
export interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One scripted answer: status, headers and body chunks (written one by one, so the client must stream). */
export interface Scripted {
  status: number;
  headers?: Record<string, string>;
  chunks: string[];
  /** Wait this long before answering (a slow service). */
  delayMs?: number;
  /** Write the chunks, then neither end nor write again (a service or network that stalls mid-answer). */
  stall?: boolean;
  /** Write the chunks, then reset the connection (an answer cut off mid-stream). */
  reset?: boolean;
}

/** A small real HTTP server standing in for Graph's runHuntingQuery: it records requests and plays scripts. */
export class FakeHuntingService {
  readonly received: Received[] = [];
  readonly script: Scripted[] = [];
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const answer = this.script.shift() ?? { status: 500, chunks: ['{}'] };
      const play = () => {
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        let i = 0;
        const writeNext = () => {
          if (i >= answer.chunks.length) {
            if (answer.reset) res.socket?.destroy();
            else if (!answer.stall) res.end();
            return;
          }
          res.write(answer.chunks[i++]);
          setImmediate(writeNext);
        };
        writeNext();
      };
      if (answer.delayMs) setTimeout(play, answer.delayMs).unref();
      else play();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1.0`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A Graph error body (defender-api.md §7.3). */
export function graphError(code: string, message: string): string {
  return JSON.stringify({ error: { code, message, innerError: { date: '2026-12-07T04:00:00', 'request-id': 'r' } } });
}

/** A 200 answer with the documented shape: schema, then rows. */
export function huntingAnswer(columns: string[], rows: Record<string, unknown>[]): Scripted {
  return {
    status: 200,
    chunks: [JSON.stringify({ schema: columns.map((name) => ({ name, type: 'String' })), results: rows })],
  };
}
