import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TabApi, TabApiError, TokenUnavailableError } from '../../../src/tab/web/tabApi';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  ifNoneMatch: string | undefined;
  language: string | undefined;
}

/**
 * A real HTTP server on 127.0.0.1 that refuses the first `reject401` calls with 401 and otherwise answers `answer`:
 * enough of the tab API's protocol to hold the client to its rules (it is not the server's logic).
 */
async function listen(
  reject401: number,
  answer: (req: http.IncomingMessage) => { status: number; body?: unknown; etag?: string },
) {
  const seen: Seen[] = [];
  let refusals = reject401;
  const server = http.createServer((req, res) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      ifNoneMatch: req.headers['if-none-match'],
      language: req.headers['accept-language'],
    });
    req.resume();
    req.on('end', () => {
      if (refusals > 0) {
        refusals -= 1;
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'unauthorized', message: 'The token expired.' } }));
        return;
      }
      const { status, body, etag } = answer(req);
      res.writeHead(status, { 'content-type': 'application/json', ...(etag ? { ETag: etag } : {}) });
      res.end(body === undefined ? '' : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { seen, base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Tokens as the host would give them: a new one each time, and whether a fresh one was asked for. */
function tokens() {
  const asked: boolean[] = [];
  return {
    asked,
    source: (fresh: boolean) => {
      asked.push(fresh);
      return Promise.resolve(`token-${asked.length}`);
    },
  };
}

describe('tab page API client (src/tab/web/tabApi)', () => {
  let server: Awaited<ReturnType<typeof listen>> | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** Same-origin paths in the page; here the server's origin is prepended by the fetch seam. */
  const through =
    (base: string): typeof fetch =>
    (input, init) =>
      fetch(`${base}${typeof input === 'string' ? input : 'a-path-not-a-string'}`, init);

  it('sends the bearer and the language on every call, reusing the token it holds', async () => {
    server = await listen(0, () => ({ status: 200, body: { ok: true }, etag: '"v1"' }));
    const t = tokens();
    const api = new TabApi(t.source, 'pt-BR', through(server.base));
    const first = await api.get<{ ok: boolean }>('/api/tab/me');
    await api.get('/api/tab/approvals');
    assert.deepEqual(first, { modified: true, body: { ok: true }, etag: '"v1"' });
    assert.deepEqual(t.asked, [false]);
    assert.deepEqual(
      server.seen.map((s) => [s.authorization, s.language]),
      [
        ['Bearer token-1', 'pt-BR'],
        ['Bearer token-1', 'pt-BR'],
      ],
    );
  });

  it('sends If-None-Match and reports a 304 as not modified', async () => {
    server = await listen(0, (req) =>
      req.headers['if-none-match'] === '"v1"' ? { status: 304 } : { status: 200, body: { items: [] }, etag: '"v1"' },
    );
    const api = new TabApi(tokens().source, 'en', through(server.base));
    const first = await api.get('/api/tab/approvals');
    assert.equal(first.modified, true);
    const second = await api.get('/api/tab/approvals', first.modified ? first.etag : undefined);
    assert.deepEqual(second, { modified: false });
    assert.deepEqual(
      server.seen.map((s) => s.ifNoneMatch),
      [undefined, '"v1"'],
    );
  });

  it('after a 401 on a GET asks for a fresh token and retries once', async () => {
    server = await listen(1, () => ({ status: 200, body: { ok: true } }));
    const t = tokens();
    const api = new TabApi(t.source, 'en', through(server.base));
    const answer = await api.get('/api/tab/actions');
    assert.equal(answer.modified, true);
    assert.deepEqual(t.asked, [false, true]);
    assert.deepEqual(
      server.seen.map((s) => s.authorization),
      ['Bearer token-1', 'Bearer token-2'],
    );
  });

  it('a GET refused twice fails with the server words; it is not retried a second time', async () => {
    server = await listen(5, () => ({ status: 200 }));
    const api = new TabApi(tokens().source, 'en', through(server.base));
    await assert.rejects(api.get('/api/tab/actions'), (error: unknown) => {
      assert.ok(error instanceof TabApiError);
      assert.equal(error.status, 401);
      assert.equal(error.message, 'The token expired.');
      return true;
    });
    assert.equal(server.seen.length, 2);
  });

  it('never repeats a POST after a 401, but holds a fresh token for the next call', async () => {
    server = await listen(1, () => ({ status: 200, body: { outcome: 'approved', message: 'ok' } }));
    const t = tokens();
    const api = new TabApi(t.source, 'en', through(server.base));
    await assert.rejects(api.post('/api/tab/approvals/a1/approve', { comment: '' }), TabApiError);
    assert.equal(server.seen.length, 1);
    await api.post('/api/tab/approvals/a1/approve', { comment: '' });
    assert.deepEqual(
      server.seen.map((s) => [s.method, s.authorization]),
      [
        ['POST', 'Bearer token-1'],
        ['POST', 'Bearer token-2'],
      ],
    );
  });

  it('turns an error body into a TabApiError with the code and message, and a bare status into an empty message', async () => {
    server = await listen(0, (req) =>
      req.url === '/api/tab/audit'
        ? { status: 403, body: { error: { code: 'forbidden', message: 'Approvers only.' } } }
        : { status: 502 },
    );
    const api = new TabApi(tokens().source, 'en', through(server.base));
    await assert.rejects(api.get('/api/tab/audit'), {
      name: 'TabApiError',
      status: 403,
      code: 'forbidden',
      message: 'Approvers only.',
    });
    await assert.rejects(api.get('/api/tab/other'), { name: 'TabApiError', status: 502, message: '' });
  });

  it('sends nothing when Teams gives no token, and says so with its own error', async () => {
    server = await listen(0, () => ({ status: 200, body: {} }));
    const api = new TabApi(() => Promise.reject(new Error('resourceRequiresConsent')), 'en', through(server.base));
    await assert.rejects(api.get('/api/tab/me'), TokenUnavailableError);
    assert.equal(server.seen.length, 0);
  });
});
