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

/** A response whose body is read as it arrives (a 100,000-row hunting answer never sits in memory whole). */
export interface HttpStreamResponse {
  status: number;
  headers: Record<string, string>;
  /** The body; read it to the end or destroy it, so the socket goes back to the pool. */
  body: NodeJS.ReadableStream & { destroy(error?: Error): void };
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
    return new Promise<HttpResponse>((resolve, reject) => {
      this.send(req, reject, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => reject(new HttpTransportError('network', 'response stream failed', { cause: err })));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: lowerCaseHeaders(res.headers),
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      });
    });
  }

  /**
   * Sends the request and resolves as soon as the status and headers arrive, with the body still streaming.
   * `timeoutMs` bounds the wait for the headers; `signal` aborts the request or the body later (the caller's
   * deadline for the whole answer).
   */
  requestStream(req: HttpRequest & { signal?: AbortSignal }): Promise<HttpStreamResponse> {
    return new Promise<HttpStreamResponse>((resolve, reject) => {
      const request = this.send(req, reject, (res) => {
        request.setTimeout(0);
        resolve({ status: res.statusCode ?? 0, headers: lowerCaseHeaders(res.headers), body: res });
      });
    });
  }

  /** Starts one request on the pooled agents; transport failures (and the header timeout) go to `reject`. */
  private send(
    req: HttpRequest & { signal?: AbortSignal },
    reject: (err: HttpTransportError) => void,
    onResponse: (res: http.IncomingMessage) => void,
  ): http.ClientRequest {
    const url = new URL(req.url);
    const isHttps = url.protocol === 'https:';
    const transport = isHttps ? https : http;
    const headers: Record<string, string | number> = { ...(req.headers ?? {}) };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    const request = transport.request(
      url,
      {
        method: req.method,
        headers,
        agent: isHttps ? this.httpsAgent : this.httpAgent,
        ...(req.signal ? { signal: req.signal } : {}),
      },
      onResponse,
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
          : new HttpTransportError(req.signal?.aborted ? 'timeout' : 'network', `request to ${url.host} failed`, {
              cause: err,
            }),
      );
    });
    if (req.body !== undefined) request.write(req.body);
    request.end();
    return request;
  }

  /** Closes pooled sockets so a process (or a test) can exit promptly. */
  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }
}

function lowerCaseHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
