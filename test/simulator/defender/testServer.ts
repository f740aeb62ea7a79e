import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimHandler } from '../../../src/simulator/simHttp';

/**
 * A JSON object as the tests read Defender and control-plane responses: one bag type for every shape
 * (OData collections and entities, error bodies, state dumps, fault configurations). Fields a given response
 * lacks are simply undefined at run time; anything not listed is unknown.
 */
export interface JsonBody {
  readonly [key: string]: unknown;
  '@odata.context': string;
  '@odata.nextLink'?: string;
  value: JsonBody[];
  error: { code: string; message: string; target: string; issues: { path: string; message: string }[] };
  id: string;
  type: string;
  status: string;
  scope: string;
  title: string;
  severity: string;
  requestor: string;
  comment: string;
  createdBy: string;
  createdTime: string;
  requestorComment: string;
  machineId: string;
  computerDnsName: string;
  rbacGroupName: string;
  aadTenantId: string;
  assignedTo: string;
  classification: string;
  determination: string;
  fileName: string;
  sha1: string;
  alertCreationTime: string;
  lastUpdateTime: string;
  resolvedTime: string;
  creationDateTimeUtc: string;
  lastUpdateDateTimeUtc: string;
  cancellationRequestor: string;
  cancellationComment: string;
  cancellationDateTimeUtc: string;
  requestSource: string;
  errorHResult: number;
  commands: unknown[];
  evidence: JsonBody[];
  comments: JsonBody[];
  tenants: JsonBody[];
  machines: JsonBody[];
  alerts: JsonBody[];
  deviceStatus: Record<string, unknown>;
  errors: JsonBody;
  throttle: JsonBody | undefined;
  actionOutcomes: JsonBody[];
  count: number;
}

/** A response as the tests look at it. */
export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body; tests only read it where the status says JSON came back. */
  json: JsonBody;
}

/** Options for one test request. */
export interface TestRequestOptions {
  method?: string;
  token?: string;
  /** A JSON value (serialised) or a raw string sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** A plain HTTP server on 127.0.0.1:0 that hands every request to a SimHandler, like the real composition does. */
export interface TestServer {
  baseUrl: string;
  request(pathAndQuery: string, options?: TestRequestOptions): Promise<TestResponse>;
  /** Fetches an absolute URL (an @odata.nextLink) with the same conventions. */
  requestUrl(url: string, options?: TestRequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

/**
 * Starts the server; `makeHandler` receives the base URL first because the API needs it for links.
 * `remoteAddress` makes every request look as if it came from that address (to test loopback refusal
 * through the real isLoopback check).
 */
export async function startTestServer(
  makeHandler: (baseUrl: string) => SimHandler,
  options: { remoteAddress?: string } = {},
): Promise<TestServer> {
  // Bound after listen: the handler needs the base URL, which the port decides.
  const bound: { handler?: SimHandler } = {};
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (options.remoteAddress !== undefined) {
        Object.defineProperty(req.socket, 'remoteAddress', { value: options.remoteAddress, configurable: true });
      }
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
      bound.handler!(req, res, url, Buffer.concat(chunks).toString('utf8')).then(
        (handled) => {
          if (!handled) {
            res.writeHead(404, { 'content-type': 'text/plain' });
            res.end('not handled');
          }
        },
        (err: unknown) => {
          res.writeHead(599, { 'content-type': 'text/plain' });
          res.end(`handler threw: ${String(err)}`);
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  bound.handler = makeHandler(baseUrl);

  const requestUrl = async (url: string, opts: TestRequestOptions = {}): Promise<TestResponse> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(url, { method: opts.method ?? 'GET', headers, body });
    const text = await response.text();
    let json: JsonBody;
    try {
      json = JSON.parse(text) as JsonBody;
    } catch {
      json = {} as JsonBody;
    }
    return { status: response.status, headers: response.headers, text, json };
  };

  return {
    baseUrl,
    request: (pathAndQuery, opts) => requestUrl(`${baseUrl}${pathAndQuery}`, opts),
    requestUrl,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
