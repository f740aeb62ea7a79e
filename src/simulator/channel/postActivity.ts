import http from 'node:http';
import https from 'node:https';

/** The bot's answer to a delivered activity: status and body (parsed when JSON, text otherwise). */
export interface BotResponse {
  status: number;
  body: unknown;
}

/** Where and how to post. */
export interface PostActivityRequest {
  endpoint: string;
  activity: unknown;
  headers: Record<string, string>;
  /** The CA to trust for an https bot endpoint (the dev CA; it replaces Node's roots for this request). */
  caPem?: string;
  timeoutMs: number;
}

/**
 * POSTs an activity as the channel service does. No keep-alive agent: a test process must be able to exit as soon
 * as its servers close, without waiting for idle sockets.
 */
export function postActivity(request: PostActivityRequest): Promise<BotResponse> {
  const url = new URL(request.endpoint);
  const body = JSON.stringify(request.activity);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const outgoing = transport.request(
      url,
      {
        method: 'POST',
        agent: false,
        timeout: request.timeoutMs,
        headers: {
          ...request.headers,
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
        },
        ...(request.caPem !== undefined ? { ca: request.caPem } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, body: parseBody(text) });
        });
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`the bot did not answer within ${request.timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function parseBody(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
