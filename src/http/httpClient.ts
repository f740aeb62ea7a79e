import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

/** One outbound HTTP request, as the Defender client and the msal network module describe it. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Text (UTF-8) or bytes (a file's range, sent as is). */
  body?: string | Buffer;
  /** Aborts the request when no complete response arrived in time. */
  timeoutMs?: number;
}

/** A complete response; header names are lower case. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Raised when the server could not be reached or did not answer in time; `kind` tells which. */
export class HttpTransportError extends Error {
  override readonly name = 'HttpTransportError';

  constructor(
    readonly kind: 'timeout' | 'network',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Options for `HttpClient`: extra trusted CAs (the simulator's locally generated CA) and pooling. */
export interface HttpClientOptions {
  /** PEM certificates trusted in addition to Node's bundled roots. */
  extraCaPem?: string[];
  maxSockets?: number;
}

/**
 * A small HTTP(S) client on node:http/https with keep-alive pooling and an optional extra CA.
 * Why not fetch: Node 20's fetch cannot be given a CA without importing undici, and the bot must trust the
 * demo simulator's locally generated CA without a process-wide NODE_EXTRA_CA_CERTS.
 */
export class HttpClient {
  private readonly httpsAgent: https.Agent;
  private readonly httpAgent: http.Agent;

  constructor(options: HttpClientOptions = {}) {
    const maxSockets = options.maxSockets ?? 64;
    // One secure context built once: passing `ca` as an agent option instead would make the agent concatenate
    // every root certificate into its pool key on each request (measured: 12% of the bot's CPU).
    const secureContext =
      options.extraCaPem && options.extraCaPem.length > 0
        ? tls.createSecureContext({ ca: [...tls.rootCertificates, ...options.extraCaPem] })
        : undefined;
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets, ...(secureContext ? { secureContext } : {}) });
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /** Sends the request and resolves with the whole response, whatever its status. */
  request(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url);
    const isHttps = url.protocol === 'https:';
    const transport = isHttps ? https : http;
    const headers: Record<string, string | number> = { ...(req.headers ?? {}) };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);

    return new Promise<HttpResponse>((resolve, reject) => {
      const request = transport.request(
        url,
        { method: req.method, headers, agent: isHttps ? this.httpsAgent : this.httpAgent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (err) => reject(new HttpTransportError('network', 'response stream failed', { cause: err })));
          res.on('end', () => {
            const responseHeaders: Record<string, string> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              if (value !== undefined)
                responseHeaders[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
            }
            resolve({
              status: res.statusCode ?? 0,
              headers: responseHeaders,
              body: Buffer.concat(chunks).toString('utf8'),
            });
          });
        },
      );
      if (req.timeoutMs !== undefined) {
        request.setTimeout(req.timeoutMs, () => {
          request.destroy(new HttpTransportError('timeout', `no response within ${req.timeoutMs} ms`));
        });
      }
      request.on('error', (err) => {
        reject(
          err instanceof HttpTransportError
            ? err
            : new HttpTransportError('network', `request to ${url.host} failed`, { cause: err }),
        );
      });
      if (req.body !== undefined) request.write(req.body);
      request.end();
    });
  }

  /** Closes pooled sockets so a process (or a test) can exit promptly. */
  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }
}
