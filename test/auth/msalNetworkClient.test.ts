import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError } from '@azure/msal-node';
import { MsalNetworkClient } from '../../src/auth/msalNetworkClient';
import { HttpClient, HttpTransportError } from '../../src/http/httpClient';

describe('MsalNetworkClient', () => {
  let server: http.Server;
  let base: string;
  const seen: Array<{ method: string; body: string; contentType: string | undefined }> = [];
  const client = new HttpClient();

  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', body, contentType: req.headers['content-type'] });
        const respond = (status: number, text: string) => {
          res.writeHead(status, { 'content-type': 'application/json', 'X-Ms-Request-Id': 'r1' });
          res.end(text);
        };
        if (req.url === '/json') return respond(200, '{"token_type":"Bearer"}');
        if (req.url === '/oauth-error') return respond(400, '{"error":"invalid_grant"}');
        if (req.url === '/html') return respond(502, '<html>bad gateway</html>');
        if (req.url === '/json-503') return respond(503, '{"message":"down"}');
        return respond(404, '{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('returns status, lower-case headers and the parsed body, whatever the status', async () => {
    const network = new MsalNetworkClient(client);
    const ok = await network.sendGetRequestAsync<{ token_type: string }>(`${base}/json`);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.token_type, 'Bearer');
    assert.equal(ok.headers['x-ms-request-id'], 'r1');
    const refused = await network.sendPostRequestAsync<{ error: string }>(`${base}/oauth-error`, {
      body: 'grant_type=client_credentials',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant');
    assert.deepEqual(seen.at(-1), {
      method: 'POST',
      body: 'grant_type=client_credentials',
      contentType: 'application/x-www-form-urlencoded;charset=utf-8',
    });
  });

  it('turns a non-JSON body into token_parsing_error and a non-OAuth 5xx into network_error', async () => {
    const network = new MsalNetworkClient(client);
    await assert.rejects(
      network.sendGetRequestAsync(`${base}/html`),
      (err: unknown) => err instanceof AuthError && err.errorCode === 'token_parsing_error',
    );
    await assert.rejects(
      network.sendGetRequestAsync(`${base}/json-503`),
      (err: unknown) => err instanceof AuthError && err.errorCode === 'network_error',
    );
  });

  it('turns a transport failure into network_error with the transport error as cause', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(new MsalNetworkClient(client).sendGetRequestAsync(url), (err: unknown) => {
      return err instanceof AuthError && err.errorCode === 'network_error' && err.cause instanceof HttpTransportError;
    });
  });
});
