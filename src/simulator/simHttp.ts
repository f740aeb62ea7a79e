import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * One part of the simulator process (Defender API, Entra ID emulator, control endpoints). The server reads
 * the body once and offers the request to each part in turn; a part returns true when it answered.
 */
export type SimHandler = (req: IncomingMessage, res: ServerResponse, url: URL, body: string) => Promise<boolean>;

/** OData content type the real Defender API answers with (observed, see defender-api.md §3.2). */
export const ODATA_JSON = 'application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8';

/** Writes a JSON response with the given status and extra headers. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** True when the request came from this machine; control endpoints refuse everything else. */
export function isLoopback(req: IncomingMessage): boolean {
  const address = req.socket.remoteAddress ?? '';
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}
