import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/logging/logger';
import { createHttpServer, listen } from '../../src/server/httpServer';
import type { RunningHttpServer } from '../../src/server/httpServer';
import type { TabApiAnswer, TabApiCall } from '../../src/server/tabRoutes';

/** A JSON Lines answer the test controls: how many lines it gave, whether its reader was closed, when it fails. */
function controlledLines(options: { failAfter?: number }) {
  const state = { given: 0, closed: false };
  async function* lines(): AsyncGenerator<string> {
    try {
      for (;;) {
        if (options.failAfter !== undefined && state.given >= options.failAfter) throw new Error('trail unreadable');
        state.given++;
        yield `${JSON.stringify({ seq: state.given, pad: 'x'.repeat(4000) })}\n`;
        await sleep(1);
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, lines };
}

/** The tab's routes on the real server (restify), with a stand-in for the tab's API answering JSON Lines. */
describe('tab routes: JSON Lines exports over real HTTP', function () {
  this.timeout(20_000);
  let server: RunningHttpServer;
  let answer: () => TabApiAnswer;
  const calls: TabApiCall[] = [];

  before(async () => {
    server = await listen(
      createHttpServer({
        messages: () => Promise.resolve(),
        logger: createLogger({ level: 'silent' }),
        tab: {
          assetsDir: '/nonexistent',
          demoHostOrigins: [],
          api: (call) => {
            calls.push(call);
            return Promise.resolve(answer());
          },
        },
      }),
      0,
      '127.0.0.1',
    );
  });
  after(async () => server?.close());

  it('stops reading the trail when the client goes away mid-export', async () => {
    const controlled = controlledLines({});
    answer = () => ({ status: 200, headers: { 'content-type': 'application/x-ndjson' }, lines: controlled.lines() });
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${server.url}/api/tab/audit/export`, (res) => {
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > 64 * 1024) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    });
    for (let i = 0; i < 100 && !controlled.state.closed; i++) await sleep(20);
    assert.equal(controlled.state.closed, true, 'the reader was closed');
    const given = controlled.state.given;
    await sleep(100);
    assert.equal(controlled.state.given, given, 'and nothing more was read');
  });

  it('fails the download visibly when the trail fails after the first lines (never a short file that looks whole)', async () => {
    const controlled = controlledLines({ failAfter: 3 });
    answer = () => ({ status: 200, headers: { 'content-type': 'application/x-ndjson' }, lines: controlled.lines() });
    const response = await fetch(`${server.url}/api/tab/audit/export`);
    assert.equal(response.status, 200);
    await assert.rejects(response.text(), 'reading the body fails');
    assert.equal(controlled.state.closed, true);
  });

  it('answers 503 with a reason when the trail cannot be read at all (nothing sent as a download)', async () => {
    const controlled = controlledLines({ failAfter: 0 });
    answer = () => ({ status: 200, headers: { 'content-type': 'application/x-ndjson' }, lines: controlled.lines() });
    const response = await fetch(`${server.url}/api/tab/audit/export`);
    assert.equal(response.status, 503);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'auditUnavailable');
  });

  it('answers an oversized body 413 without reading it, and closes the connection', async () => {
    answer = () => ({ status: 200, json: {} });
    const response = await fetch(`${server.url}/api/tab/approvals/A-000000000000/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ comment: 'x'.repeat(40_000) }),
    });
    assert.equal(response.status, 413);
    assert.equal(response.headers.get('connection'), 'close');
    assert.equal(calls.filter((c) => c.method === 'POST').length, 0, 'the API never saw it');
  });
});
