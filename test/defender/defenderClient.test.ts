import assert from 'node:assert/strict';
import http from 'node:http';
import type { DefenderAuth } from '../../src/defender/defenderClient';
import { HttpDefenderClient } from '../../src/defender/defenderClient';
import { compare, startsWith } from '../../src/http/odata';
import { SlidingWindowLimiter } from '../../src/http/slidingWindowLimiter';
import { isAppError } from '../../src/errors';
import { HttpClient } from '../../src/http/httpClient';
import { createLogger } from '../../src/logging/logger';
import type { SimulatorServer } from '../../src/simulator/simulatorServer';
import { demoSeed } from '../support/demoTenant';
import { startSimulatorWithUser } from './simulatorWithUser';

const logger = createLogger({ level: 'silent' });

function client(
  baseUrl: string,
  httpClient: HttpClient,
  overrides: Partial<ConstructorParameters<typeof HttpDefenderClient>[0]> = {},
) {
  return new HttpDefenderClient({
    baseUrl,
    http: httpClient,
    limiter: new SlidingWindowLimiter({ windows: [{ limit: 1000, windowMs: 60_000 }], maxWaitMs: 0 }),
    logger,
    timeoutMs: 2_000,
    maxRetries: 2,
    maxRetryAfterMs: 2_000,
    backoffBaseMs: 10,
    ...overrides,
  });
}

describe('HttpDefenderClient against the Defender simulator (real HTTPS, user-context tokens)', function () {
  this.timeout(30_000);
  let simulator: SimulatorServer;
  let httpClient: HttpClient;
  let auth: DefenderAuth;
  let close: () => Promise<void>;

  before(async () => {
    // A small server page size makes every list span several @odata.nextLink pages.
    ({ simulator, httpClient, auth, close } = await startSimulatorWithUser({ pageSize: 7 }));
  });
  after(() => close());
  beforeEach(() => {
    simulator.defender.faults.clear();
    simulator.defender.resetStats();
  });

  it('follows @odata.nextLink across pages and stops at the requested maximum', async () => {
    const all = await client(simulator.url, httpClient).listAlerts(auth, { max: 500 });
    assert.equal(all.items.length, demoSeed.alerts.length);
    assert.equal(all.truncated, false);
    assert.equal(new Set(all.items.map((a) => a.id)).size, demoSeed.alerts.length);
    assert.equal(simulator.defender.stats().defenderCalls, Math.ceil(demoSeed.alerts.length / 7));

    const some = await client(simulator.url, httpClient).listAlerts(auth, { max: 10 });
    assert.equal(some.items.length, 10);
    assert.equal(some.truncated, true);
  });

  it('escapes OData literals: a quote in user text matches nothing instead of widening the filter', async () => {
    const c = client(simulator.url, httpClient);
    const injected = await c.listMachines(auth, {
      filter: startsWith('computerDnsName', "x') or startswith(computerDnsName,'"),
      max: 50,
    });
    assert.equal(injected.items.length, 0);
    const alerts = await c.listAlerts(auth, {
      filter: compare('assignedTo', 'eq', "nobody' or severity eq 'High"),
      max: 50,
    });
    assert.equal(alerts.items.length, 0);
  });

  it('honours Retry-After on 429 and then succeeds', async () => {
    simulator.defender.faults.set({ throttle: { next: 1, retryAfterSeconds: 1 } });
    const started = Date.now();
    const machine = await client(simulator.url, httpClient).getMachine(auth, 'ws-fin-042.corp.contoso.com');
    assert.equal(machine.computerDnsName, 'ws-fin-042.corp.contoso.com');
    assert.ok(Date.now() - started >= 950, 'waited for Retry-After');
  });

  it('gives up on a Retry-After longer than an interactive user should wait', async () => {
    simulator.defender.faults.set({ throttle: { next: 5, retryAfterSeconds: 30 } });
    await assert.rejects(
      client(simulator.url, httpClient).listAlerts(auth, { max: 5 }),
      (err) => isAppError(err, 'rateLimited') && err.details.retryAfterSeconds === 30,
    );
    assert.equal(simulator.defender.stats().defenderCalls, 1);
  });

  it('retries 5xx a bounded number of times', async () => {
    simulator.defender.faults.set({ errors: { rate: 1, status: 500 } });
    await assert.rejects(client(simulator.url, httpClient).listAlerts(auth, { max: 5 }), (err) =>
      isAppError(err, 'upstreamUnavailable'),
    );
    assert.equal(simulator.defender.stats().defenderCalls, 3);
  });

  it('maps 404 to notFound', async () => {
    await assert.rejects(client(simulator.url, httpClient).getMachine(auth, 'no-such-host'), (err) =>
      isAppError(err, 'notFound'),
    );
  });
});

describe('HttpDefenderClient against a misbehaving server', () => {
  let server: http.Server;
  let url: string;
  const requests: string[] = [];
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  const auth: DefenderAuth = {
    kind: 'delegated',
    tenantId: 't',
    getAccessToken: () => Promise.resolve('token-under-test'),
  };

  before(async () => {
    server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  beforeEach(() => {
    requests.length = 0;
  });

  it('never follows a nextLink to another origin (the bearer token would leak)', async () => {
    handler = (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ value: [], '@odata.nextLink': 'https://attacker.example/api/alerts?$skip=1' }));
    };
    const httpClient = new HttpClient();
    await assert.rejects(client(url, httpClient).listAlerts(auth, { max: 5 }), (err) =>
      isAppError(err, 'unexpectedResponse'),
    );
    assert.equal(requests.length, 1);
    httpClient.close();
  });

  it('rejects a response that does not match the documented shape', async () => {
    handler = (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ value: [{ id: 1, title: null }] }));
    };
    const httpClient = new HttpClient();
    await assert.rejects(client(url, httpClient).listAlerts(auth, { max: 5 }), (err) =>
      isAppError(err, 'unexpectedResponse'),
    );
    httpClient.close();
  });

  it('times out a server that never answers, after bounded retries', async () => {
    handler = () => undefined;
    const httpClient = new HttpClient();
    await assert.rejects(
      client(url, httpClient, { timeoutMs: 100, maxRetries: 1 }).listAlerts(auth, { max: 5 }),
      (err) => isAppError(err, 'timeout'),
    );
    assert.equal(requests.length, 2);
    httpClient.close();
  });

  describe('writes are never retried blindly (src/http/writeOutcome.ts)', () => {
    const isolate = {
      kind: 'isolate' as const,
      machineId: 'abc',
      comment: 'approval A-1',
      isolationType: 'Full' as const,
    };

    it('sends a response action once when Defender is slower than the timeout, and says the outcome is uncertain', async () => {
      handler = () => undefined; // never answers: the action may exist
      const httpClient = new HttpClient();
      await assert.rejects(
        client(url, httpClient, { timeoutMs: 100, maxRetries: 3 }).submitAction(auth, isolate),
        (err) => isAppError(err, 'timeout') && err.details.uncertain === true,
      );
      assert.equal(requests.length, 1);
      httpClient.close();
    });

    it('sends it once when the connection is reset after the request was read', async () => {
      handler = (req) => {
        req.resume();
        req.on('end', () => req.socket.destroy());
      };
      const httpClient = new HttpClient();
      await assert.rejects(
        client(url, httpClient, { maxRetries: 3 }).submitAction(auth, isolate),
        (err) => isAppError(err) && err.details.uncertain === true,
      );
      assert.equal(requests.length, 1);
      httpClient.close();
    });

    it('sends it once after a 5xx, and retries a read after the same 5xx', async () => {
      handler = (_req, res) => {
        res.statusCode = 502;
        res.end();
      };
      const httpClient = new HttpClient();
      await assert.rejects(
        client(url, httpClient, { maxRetries: 2 }).submitAction(auth, isolate),
        (err) => isAppError(err, 'upstreamUnavailable') && err.details.uncertain === true,
      );
      assert.equal(requests.length, 1);
      requests.length = 0;
      await assert.rejects(client(url, httpClient, { maxRetries: 2 }).getMachineAction(auth, 'x'));
      assert.equal(requests.length, 3);
      httpClient.close();
    });

    it('retries a write that provably never left (connection refused)', async () => {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as { port: number }).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const httpClient = new HttpClient();
      const started = Date.now();
      await assert.rejects(
        client(`http://127.0.0.1:${port}`, httpClient, { maxRetries: 2, backoffBaseMs: 40 }).submitAction(
          auth,
          isolate,
        ),
        (err) => isAppError(err, 'upstreamUnavailable') && err.details.uncertain !== true,
      );
      // Two retries with backoff happened (nothing can have been processed).
      assert.ok(Date.now() - started >= 40, 'backed off between attempts');
      httpClient.close();
    });

    for (const [form, body] of [
      ['documented message', { error: { code: 'BadRequest', message: 'Action is already in progress', target: 'x' } }],
      ['third-party code', { error: { code: 'ActiveRequestAlreadyExists', message: 'Something else', target: 'x' } }],
    ] as const) {
      it(`recognises an action already running (${form})`, async () => {
        handler = (_req, res) => {
          res.statusCode = 400;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(body));
        };
        const httpClient = new HttpClient();
        await assert.rejects(
          client(url, httpClient).submitAction(auth, isolate),
          (err) => isAppError(err, 'badRequest') && err.details.duplicateAction === true,
        );
        httpClient.close();
      });
    }

    it('does not take another 400 for a duplicate', async () => {
      handler = (_req, res) => {
        res.statusCode = 400;
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({ error: { code: 'OsPlatformNotSupported', message: "OS Platform macOS isn't supported" } }),
        );
      };
      const httpClient = new HttpClient();
      await assert.rejects(
        client(url, httpClient).submitAction(auth, isolate),
        (err) =>
          isAppError(err, 'badRequest') &&
          err.details.duplicateAction !== true &&
          err.details.upstreamCode === 'OsPlatformNotSupported',
      );
      httpClient.close();
    });
  });

  it('sends the bearer token only in the Authorization header', async () => {
    handler = (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ value: [] }));
    };
    const httpClient = new HttpClient();
    await client(url, httpClient).listAlerts(auth, { filter: compare('severity', 'eq', 'High'), max: 5 });
    assert.equal(requests.length, 1);
    assert.match(
      requests[0]!,
      /^GET \/api\/alerts\?\$filter=severity%20eq%20%27High%27&\$top=6 Bearer token-under-test$/,
    );
    httpClient.close();
  });
});
