import assert from 'node:assert/strict';
import type { AppError } from '../../src/errors';
import { isAppError } from '../../src/errors';
import { HttpHuntingClient } from '../../src/graph/huntingClient';
import { HttpClient } from '../../src/http/httpClient';
import type { ApiAuth } from '../../src/http/restApi';
import { SlidingWindowLimiter } from '../../src/http/slidingWindowLimiter';
import type { HuntingAnswer } from '../../src/hunting/huntingTypes';
import { createLogger } from '../../src/logging/logger';
import { startSimulatorWithUser } from '../defender/simulatorWithUser';
import type { Scripted } from './support/fakeHuntingService';
import { FakeHuntingService, graphError } from './support/fakeHuntingService';

const fakeAuth: ApiAuth = {
  kind: 'delegated',
  tenantId: 'tenant-a',
  getAccessToken: () => Promise.resolve('token-for-graph'),
};

async function readAll(answer: HuntingAnswer) {
  const rows = [];
  for await (const row of answer.rows) rows.push(row);
  return { rows, columns: await answer.columns() };
}

describe('HttpHuntingClient (Graph runHuntingQuery over real HTTP)', function () {
  this.timeout(20_000);
  const service = new FakeHuntingService();
  const http = new HttpClient();
  let baseUrl: string;
  const client = (options: { timeoutMs?: number; maxRetries?: number } = {}) =>
    new HttpHuntingClient({
      baseUrl,
      http,
      limiter: new SlidingWindowLimiter({ windows: [{ limit: 1000, windowMs: 60_000 }], maxWaitMs: 0 }),
      logger: createLogger({ level: 'silent' }),
      maxRetries: options.maxRetries ?? 1,
      maxRetryAfterMs: 2_000,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });

  before(async () => {
    baseUrl = await service.start();
  });
  after(async () => {
    http.close();
    await service.stop();
  });
  beforeEach(() => {
    service.received.length = 0;
    service.script.length = 0;
  });

  it('posts the query as UTF-8 JSON with the bearer token and reads the documented answer', async () => {
    const query =
      "let device = 'ws-fin-042';\nDeviceProcessEvents | where DeviceName == device | where FileName == 'relatório.exe'";
    service.script.push({
      status: 200,
      chunks: [
        '{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.security.huntingQueryResults",',
        '"schema":[{"name":"Timestamp","type":"DateTime"},{"name":"FileName","type":"String"}],"results":[',
        '{"Timestamp":"2026-12-07T03:00:00Z","FileName":"relatório.exe"},',
        '{"Timestamp":"2026-12-07T03:01:00Z","FileName":"cmd.exe"}]}',
      ],
    });
    const answer = await client().runHuntingQuery(fakeAuth, { query, timespan: 'P1D' });
    const { rows, columns } = await readAll(answer);
    const sent = service.received[0]!;
    assert.equal(sent.method, 'POST');
    assert.equal(sent.path, '/v1.0/security/runHuntingQuery');
    assert.equal(sent.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(sent.headers.authorization, 'Bearer token-for-graph');
    assert.deepEqual(JSON.parse(sent.body), { Query: query, Timespan: 'P1D' });
    assert.deepEqual(columns, [
      { name: 'Timestamp', type: 'DateTime' },
      { name: 'FileName', type: 'String' },
    ]);
    assert.deepEqual(rows, [
      { Timestamp: '2026-12-07T03:00:00Z', FileName: 'relatório.exe' },
      { Timestamp: '2026-12-07T03:01:00Z', FileName: 'cmd.exe' },
    ]);
  });

  it('reads Schema/Results with Name/Type, a schema after the rows, and skips Stats', async () => {
    service.script.push({
      status: 200,
      chunks: [
        '{"Stats":{"ExecutionTime":0.1,"resource_usage":{"cpu":1}},"Results":[{"DeviceName":"a"},{"DeviceName":"b"}],',
        '"Schema":[{"Name":"DeviceName","Type":"String"}]}',
      ],
    });
    const { rows, columns } = await readAll(await client().runHuntingQuery(fakeAuth, { query: 'DeviceInfo' }));
    assert.deepEqual(rows, [{ DeviceName: 'a' }, { DeviceName: 'b' }]);
    assert.deepEqual(columns, [{ name: 'DeviceName', type: 'String' }]);
  });

  it('hands out rows as they arrive, before the document ends', async () => {
    const many = Array.from({ length: 5_000 }, (_, i) => `{"n":${i}}`);
    service.script.push({
      status: 200,
      chunks: ['{"schema":[{"name":"n","type":"Int32"}],"results":[', ...many.map((r, i) => (i ? `,${r}` : r)), ']}'],
    });
    const answer = await client().runHuntingQuery(fakeAuth, { query: 'range n from 0 to 4999 step 1' });
    let count = 0;
    for await (const row of answer.rows) {
      assert.equal(row.n, count);
      count++;
      if (count === 10) break;
    }
    assert.equal(count, 10);
  });

  it('sends a real on-behalf-of Graph token (audience Microsoft Graph, never Defender)', async () => {
    const world = await startSimulatorWithUser();
    try {
      service.script.push({ status: 200, chunks: ['{"schema":[],"results":[]}'] });
      await readAll(await client().runHuntingQuery(world.graphAuth, { query: 'DeviceInfo | take 1' }));
      const token = (service.received[0]!.headers.authorization ?? '').replace(/^Bearer /, '');
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
        aud: string;
      };
      assert.match(claims.aud, /graph\.microsoft\.com|00000003-0000-0000-c000-000000000000/);
    } finally {
      await world.close();
    }
  });

  const failures: {
    name: string;
    answer: Scripted;
    reason: string;
    check?: (err: AppError) => void;
  }[] = [
    {
      name: 'a syntax error with the service message and its position',
      answer: {
        status: 400,
        chunks: [graphError('BadRequest', "Syntax error: Query could not be parsed at '|' on line [2,5]")],
      },
      reason: 'syntax',
      check: (err) => {
        assert.equal(err.details.hunt?.line, 2);
        assert.equal(err.details.hunt?.column, 5);
        assert.match(err.details.hunt?.serviceMessage ?? '', /could not be parsed/);
      },
    },
    {
      name: 'an unknown table',
      answer: {
        status: 400,
        chunks: [
          graphError('BadRequest', "'where' operator: Failed to resolve table or column expression named 'FooBar'"),
        ],
      },
      reason: 'semantic',
      check: (err) => assert.match(err.details.hunt?.serviceMessage ?? '', /FooBar/),
    },
    {
      name: 'a result too large',
      answer: {
        status: 400,
        chunks: [
          graphError(
            'BadRequest',
            'Query execution has exceeded the allowed result size. Optimize your query by limiting the number of results and try again.',
          ),
        ],
      },
      reason: 'tooLarge',
    },
    {
      name: 'a query stopped for its resources',
      answer: {
        status: 400,
        chunks: [
          graphError(
            'BadRequest',
            'Query execution has exceeded the allowed limits. The query execution was preempted. This could possibly be due to high CPU and/or memory resource consumption.',
          ),
        ],
      },
      reason: 'tooHeavy',
    },
    {
      name: 'no hunting permission',
      answer: { status: 403, chunks: [graphError('Forbidden', 'Insufficient privileges to complete the operation.')] },
      reason: 'noPermission',
    },
    {
      name: 'the CPU quota, told apart by the body, with its Retry-After',
      answer: {
        status: 429,
        headers: { 'retry-after': '600' },
        chunks: [
          graphError('TooManyRequests', 'Tenant exceeded the allocated CPU resources for this 15-minute cycle.'),
        ],
      },
      reason: 'cpuQuota',
      check: (err) => assert.equal(err.details.retryAfterSeconds, 600),
    },
    {
      name: 'the request quota with a Retry-After too long to wait',
      answer: {
        status: 429,
        headers: { 'retry-after': '42' },
        chunks: [graphError('TooManyRequests', 'API calls quota exceeded! Maximum admitted 45 per 1m.')],
      },
      reason: 'requestQuota',
      check: (err) => assert.equal(err.details.retryAfterSeconds, 42),
    },
    {
      name: "the service's timeout",
      answer: { status: 504, chunks: [graphError('UnknownError', '')] },
      reason: 'timeout',
    },
  ];

  for (const { name, answer, reason, check } of failures) {
    it(`explains ${name}`, async () => {
      service.script.push(answer);
      await assert.rejects(client().runHuntingQuery(fakeAuth, { query: 'DeviceInfo' }), (err: unknown) => {
        assert.ok(isAppError(err, 'huntFailed'), String(err));
        assert.equal(err.details.hunt?.reason, reason);
        check?.(err);
        return true;
      });
      assert.equal(service.received.length, 1, 'not retried');
    });
  }

  it('retries a request-quota 429 once within the read policy, then answers', async () => {
    service.script.push(
      {
        status: 429,
        headers: { 'retry-after': '0' },
        chunks: [graphError('TooManyRequests', 'API calls quota exceeded! Maximum admitted 45 per 1m.')],
      },
      { status: 200, chunks: ['{"schema":[{"name":"x","type":"Int32"}],"results":[{"x":1}]}'] },
    );
    const { rows } = await readAll(await client().runHuntingQuery(fakeAuth, { query: 'print x=1' }));
    assert.deepEqual(rows, [{ x: 1 }]);
    assert.equal(service.received.length, 2);
  });

  it('never retries the CPU quota, even with a short Retry-After', async () => {
    service.script.push({
      status: 429,
      headers: { 'retry-after': '0' },
      chunks: [graphError('TooManyRequests', 'Tenant exceeded the allocated CPU resources.')],
    });
    await assert.rejects(client().runHuntingQuery(fakeAuth, { query: 'DeviceInfo' }), (err: unknown) =>
      isAppError(err, 'huntFailed'),
    );
    assert.equal(service.received.length, 1);
  });

  it('gives up at its deadline with a timeout the person is told about', async () => {
    service.script.push({ status: 200, chunks: ['{}'], delayMs: 2_000 });
    await assert.rejects(
      client({ timeoutMs: 200 }).runHuntingQuery(fakeAuth, { query: 'DeviceInfo' }),
      (err: unknown) => isAppError(err, 'huntFailed') && err.details.hunt?.reason === 'timeout',
    );
  });

  it('gives up at its deadline when the answer stalls after its first rows (the rows never hang)', async () => {
    service.script.push({
      status: 200,
      chunks: ['{"schema":[{"name":"n","type":"Int32"}],"results":[{"n":1}'],
      stall: true,
    });
    const answer = await client({ timeoutMs: 300 }).runHuntingQuery(fakeAuth, { query: 'DeviceInfo' });
    await assert.rejects(
      (async () => {
        for await (const row of answer.rows) void row;
      })(),
      (err: unknown) => isAppError(err, 'huntFailed') && err.details.hunt?.reason === 'timeout',
    );
  });

  it('fails an answer cut off mid-stream, never as a shorter list of rows', async () => {
    service.script.push({
      status: 200,
      chunks: ['{"schema":[{"name":"n","type":"Int32"}],"results":[{"n":1}'],
      reset: true,
    });
    const answer = await client().runHuntingQuery(fakeAuth, { query: 'DeviceInfo' });
    await assert.rejects(async () => {
      for await (const row of answer.rows) void row;
    });
  });

  it('fails a malformed answer as unexpected, never as rows', async () => {
    service.script.push({ status: 200, chunks: ['{"schema":[{"name":"a","type":"String"}],"results":[{"a":'] });
    const answer = await client().runHuntingQuery(fakeAuth, { query: 'DeviceInfo' });
    await assert.rejects(readAll(answer), (err: unknown) => isAppError(err, 'unexpectedResponse'));
  });
});
