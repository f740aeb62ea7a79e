import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HttpClient } from '../../../src/http/httpClient';
import { loadOrCreateDevCertificates } from '../../../src/simulator/certs';
import { startSimulatorServer } from '../../../src/simulator/simulatorServer';
import type { SimulatorServer } from '../../../src/simulator/simulatorServer';
import { clientCredentialsToken } from '../entra/entraTestClient';
import { TENANT_A, testSeeds } from '../entra/entraTestSeeds';
import { graphTokenOnBehalfOf } from '../graph/graphSeeds';
import { FINN, HUNT_NOW, LYNNE, RITA, addHuntingSection } from './huntingTestSeed';

/** The bot's registration: ThreatHunting.Read.All delegated and as an application permission. */
const HUNT_APP = {
  clientId: 'f00dfeed-0000-4000-8000-00000000d44d',
  clientSecret: 'hunt-app-secret-0123456789',
  displayName: 'Hunting app',
  delegatedPermissions: ['ThreatHunting.Read.All'],
  applicationPermissions: ['ThreatHunting.Read.All'],
};
/** An app with Graph security permissions but not ThreatHunting.Read.All. */
const INCIDENT_APP = {
  clientId: 'f00dfeed-0000-4000-8000-00000000e55e',
  clientSecret: 'incident-app-secret-0123456789',
  displayName: 'Incident app',
  delegatedPermissions: [],
  applicationPermissions: ['SecurityIncident.Read.All'],
};

interface HuntBody {
  '@odata.context': string;
  schema: { name: string; type: string }[];
  results: Record<string, unknown>[];
  error: { code: string; message: string };
}

/*
 * Graph's runHuntingQuery on the simulator, over real HTTPS with tokens from its Entra emulator: KQL answers
 * computed from a small known event set (test/simulator/hunting/huntingTestSeed.ts), the service's refusals,
 * its quotas and Defender RBAC on rows.
 */
describe('Graph simulator: runHuntingQuery (advanced hunting)', () => {
  let certificateDir: string;
  let simulator: SimulatorServer;
  let http: HttpClient;
  let appToken: string;
  let clock = HUNT_NOW;

  before(async () => {
    certificateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-hunting-'));
    const certificates = loadOrCreateDevCertificates({ dir: certificateDir });
    const seeds = testSeeds();
    addHuntingSection(seeds[0]!);
    simulator = await startSimulatorServer({ seeds, port: 0, certificates, now: () => clock });
    simulator.entra.registerClient({ ...HUNT_APP, homeTenantId: TENANT_A });
    simulator.entra.registerClient({ ...INCIDENT_APP, homeTenantId: TENANT_A });
    http = new HttpClient({ extraCaPem: [certificates.caCertPem] });
    appToken = await clientCredentialsToken(
      http,
      simulator.url,
      TENANT_A,
      HUNT_APP,
      'https://graph.microsoft.com/.default',
    );
  });
  afterEach(() => {
    clock = HUNT_NOW;
    simulator.graph.hunting.reset();
  });
  after(async () => {
    http.close();
    await simulator.close();
    fs.rmSync(certificateDir, { recursive: true, force: true });
  });

  async function hunt(
    body: unknown,
    token = appToken,
  ): Promise<{ status: number; headers: Record<string, string>; json: HuntBody }> {
    const res = await http.request({
      method: 'POST',
      url: `${simulator.url}/v1.0/security/runHuntingQuery`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers)) headers[name.toLowerCase()] = String(value);
    return { status: res.status, headers, json: JSON.parse(res.body) as HuntBody };
  }

  /** The rows of a query that must succeed. */
  async function rows(query: string, timespan?: string): Promise<Record<string, unknown>[]> {
    const answer = await hunt({ Query: query, ...(timespan !== undefined ? { Timespan: timespan } : {}) });
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    return answer.json.results;
  }

  /** The message of a query that must fail with 400. */
  async function refusal(query: string): Promise<string> {
    const answer = await hunt({ Query: query });
    assert.equal(answer.status, 400, JSON.stringify(answer.json));
    assert.equal(answer.json.error.code, 'BadRequest');
    return answer.json.error.message;
  }

  const userToken = (who: { aadObjectId: string }) =>
    graphTokenOnBehalfOf(http, simulator, HUNT_APP, who.aadObjectId, 'https://graph.microsoft.com/.default');

  describe('answers', () => {
    it("answers Graph's huntingQueryResults: context, typed schema, rows with ISO datetimes", async () => {
      const answer = await hunt({
        Query:
          "DeviceProcessEvents | where DeviceName == 'ws-fin-042' and Timestamp > ago(24h) | project Timestamp, FileName, ProcessId | order by Timestamp desc | take 1",
      });
      assert.equal(answer.status, 200);
      assert.equal(
        answer.json['@odata.context'],
        'https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.security.huntingQueryResults',
      );
      assert.deepEqual(answer.json.schema, [
        { name: 'Timestamp', type: 'DateTime' },
        { name: 'FileName', type: 'String' },
        { name: 'ProcessId', type: 'Int64' },
      ]);
      assert.deepEqual(answer.json.results, [
        { Timestamp: '2026-12-01T11:30:00.123Z', FileName: 'cmd.exe', ProcessId: 101 },
      ]);
    });

    it('has is term-based and case-insensitive; contains is a substring; == is case-sensitive, =~ is not', async () => {
      const pids = async (where: string) =>
        (await rows(`DeviceProcessEvents | where ${where} | order by ProcessId asc | project ProcessId`)).map(
          (r) => r.ProcessId,
        );
      assert.deepEqual(await pids("ProcessCommandLine has 'POWERSHELL'"), [100, 102]);
      assert.deepEqual(await pids("FileName has 'powershell'"), [100, 102]);
      assert.deepEqual(await pids("ProcessCommandLine has 'power'"), []);
      assert.deepEqual(await pids("ProcessCommandLine contains 'power'"), [100, 102]);
      assert.deepEqual(await pids("ProcessCommandLine !has 'whoami'"), [100, 102, 103]);
      assert.deepEqual(await pids("ProcessCommandLine !contains 'EXE'"), [102]);
      assert.deepEqual(await pids("FileName == 'powershell.exe'"), [100]);
      assert.deepEqual(await pids("FileName =~ 'powershell.exe'"), [100, 102]);
      assert.deepEqual(await pids("FileName != 'powershell.exe'"), [101, 102, 103]);
      assert.deepEqual(await pids("FileName !~ 'POWERSHELL.EXE'"), [101, 103]);
      assert.deepEqual(await pids("FileName startswith 'POWER' and FileName endswith '.EXE'"), [100, 102]);
    });

    it('filters with in, !in, in~, between, not(), isempty and scalar lets', async () => {
      const pids = async (query: string) => (await rows(query)).map((r) => r.ProcessId);
      assert.deepEqual(
        await pids(
          "DeviceProcessEvents | where FileName in ('cmd.exe', 'PowerShell.exe') | project ProcessId | order by ProcessId asc",
        ),
        [101, 102],
      );
      assert.deepEqual(
        await pids(
          "DeviceProcessEvents | where FileName in~ ('POWERSHELL.EXE') | project ProcessId | order by ProcessId asc",
        ),
        [100, 102],
      );
      assert.deepEqual(
        await pids('DeviceProcessEvents | where ProcessId !in (100, 101) | project ProcessId | order by ProcessId asc'),
        [102, 103],
      );
      assert.deepEqual(
        await pids(
          'DeviceProcessEvents | where Timestamp between (datetime(2026-11-30) .. datetime(2026-11-30 09:05)) | project ProcessId',
        ),
        [102],
      );
      assert.deepEqual(
        await pids(
          "let device = 'srv-dc-01'; let since = 2d; DeviceProcessEvents | where DeviceName == device and Timestamp > ago(since) and not(FileName has 'notepad') | project ProcessId",
        ),
        [102],
      );
      assert.deepEqual(
        await pids(
          'DeviceNetworkEvents | where isempty(RemoteUrl) | extend ProcessId = RemotePort | project ProcessId',
        ),
        [445],
      );
    });

    it('computes columns with extend, iff, strcat, tolower/toupper, tostring/toint; project-away drops one', async () => {
      const answer = await hunt({
        Query:
          "DeviceProcessEvents | where ProcessId == 100 | extend Who = strcat(toupper(AccountName), '@', tolower(DeviceName)), Big = iff(ProcessId > 100, 'yes', 'no'), Pid = toint(tostring(ProcessId)) | project-away ProcessCommandLine | project Who, Big, Pid",
      });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json.schema, [
        { name: 'Who', type: 'String' },
        { name: 'Big', type: 'String' },
        { name: 'Pid', type: 'Int32' },
      ]);
      assert.deepEqual(answer.json.results, [{ Who: 'ALICE@ws-fin-042', Big: 'no', Pid: 100 }]);
    });

    it('summarizes by bin(Timestamp, 1d) with count, dcount, countif, min, max, sum and make_set, typed', async () => {
      const answer = await hunt({
        Query:
          "DeviceProcessEvents | summarize Events = count(), Devices = dcount(DeviceName), Shells = countif(FileName =~ 'powershell.exe'), First = min(Timestamp), Last = max(ProcessId), Total = sum(ProcessId), Files = make_set(FileName) by Day = bin(Timestamp, 1d) | order by Day asc",
      });
      assert.equal(answer.status, 200);
      assert.deepEqual(
        answer.json.schema.map((c) => `${c.name}:${c.type}`),
        [
          'Day:DateTime',
          'Events:Int64',
          'Devices:Int64',
          'Shells:Int64',
          'First:DateTime',
          'Last:Int64',
          'Total:Int64',
          'Files:Object',
        ],
      );
      assert.deepEqual(answer.json.results, [
        {
          Day: '2026-11-30T00:00:00.000Z',
          Events: 2,
          Devices: 1,
          Shells: 1,
          First: '2026-11-30T09:00:00.000Z',
          Last: 103,
          Total: 205,
          Files: ['PowerShell.exe', 'notepad.exe'],
        },
        {
          Day: '2026-12-01T00:00:00.000Z',
          Events: 2,
          Devices: 1,
          Shells: 1,
          First: '2026-12-01T10:00:00.000Z',
          Last: 101,
          Total: 201,
          Files: ['powershell.exe', 'cmd.exe'],
        },
      ]);
    });

    it('summarizes count() by a column, with the default column name count_', async () => {
      const answer = await hunt({
        Query:
          "DeviceLogonEvents | where AccountName == 'alice' | summarize count() by DeviceName | sort by DeviceName asc",
      });
      assert.deepEqual(answer.json.schema, [
        { name: 'DeviceName', type: 'String' },
        { name: 'count_', type: 'Int64' },
      ]);
      assert.deepEqual(answer.json.results, [
        { DeviceName: 'srv-dc-01', count_: 1 },
        { DeviceName: 'ws-fin-042', count_: 2 },
      ]);
    });

    it('keeps the latest row per device with arg_max(Timestamp, *) and the earliest with arg_min', async () => {
      const latest = await hunt({
        Query: 'DeviceProcessEvents | summarize arg_max(Timestamp, *) by DeviceName | order by DeviceName asc',
      });
      assert.equal(latest.status, 200, JSON.stringify(latest.json));
      assert.deepEqual(latest.json.schema.slice(0, 3), [
        { name: 'DeviceName', type: 'String' },
        { name: 'Timestamp', type: 'DateTime' },
        { name: 'DeviceId', type: 'String' },
      ]);
      assert.deepEqual(
        latest.json.results.map((r) => [r.DeviceName, r.ProcessId, r.FileName]),
        [
          ['srv-dc-01', 103, 'notepad.exe'],
          ['ws-fin-042', 101, 'cmd.exe'],
        ],
      );
      assert.deepEqual(
        await rows(
          'DeviceProcessEvents | summarize arg_min(Timestamp, ProcessId) by DeviceName | order by DeviceName asc',
        ),
        [
          { DeviceName: 'srv-dc-01', Timestamp: '2026-11-30T09:00:00.000Z', ProcessId: 102 },
          { DeviceName: 'ws-fin-042', Timestamp: '2026-12-01T10:00:00.000Z', ProcessId: 100 },
        ],
      );
    });

    it('matches any or all of several terms with has_any and has_all', async () => {
      const pids = async (where: string) =>
        (await rows(`DeviceProcessEvents | where ${where} | order by ProcessId asc | project ProcessId`)).map(
          (r) => r.ProcessId,
        );
      assert.deepEqual(await pids("ProcessCommandLine has_any ('whoami', 'BACKUP', 'power')"), [101, 102]);
      assert.deepEqual(await pids("ProcessCommandLine has_all ('powershell', 'enc')"), [100]);
    });

    it('spreads a dynamic array in in() and has_any(), from a literal or a let', async () => {
      const pids = async (query: string) => (await rows(query)).map((r) => r.ProcessId);
      assert.deepEqual(
        await pids(
          "let iocs = dynamic(['b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2', 'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3']); DeviceProcessEvents | where SHA1 in (iocs) | order by ProcessId asc | project ProcessId",
        ),
        [101, 103],
      );
      assert.deepEqual(
        await pids("DeviceProcessEvents | where ProcessCommandLine has_any (dynamic(['whoami'])) | project ProcessId"),
        [101],
      );
    });

    it('lists values with make_list, picks one with take_any, and computes coalesce, substring, startofday', async () => {
      assert.deepEqual(
        await rows(
          "DeviceLogonEvents | where DeviceName == 'ws-fin-042' | summarize Types = make_list(LogonType), Account = take_any(AccountName)",
        ),
        [{ Types: ['Interactive', 'Unlock'], Account: 'alice' }],
      );
      assert.deepEqual(
        await rows(
          'DeviceNetworkEvents | where RemotePort == 445 | project Url = coalesce(RemoteUrl, RemoteIP), Start = substring(DeviceName, 3, 3), Day = startofday(Timestamp)',
        ),
        [{ Url: '10.0.0.5', Start: 'fin', Day: '2026-12-01T00:00:00.000Z' }],
      );
    });

    it('summarizes by columns alone, one row per distinct key', async () => {
      assert.deepEqual(
        await rows(
          "DeviceProcessEvents | where SHA1 == 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1' | summarize by DeviceName | order by DeviceName asc",
        ),
        [{ DeviceName: 'srv-dc-01' }, { DeviceName: 'ws-fin-042' }],
      );
    });

    it('takes the top N, distinct values and counts rows', async () => {
      assert.deepEqual(
        (await rows('DeviceProcessEvents | top 2 by ProcessId desc | project ProcessId')).map((r) => r.ProcessId),
        [103, 102],
      );
      assert.deepEqual(
        (await rows('DeviceProcessEvents | top 1 by Timestamp asc | project ProcessId')).map((r) => r.ProcessId),
        [102],
      );
      assert.deepEqual(await rows('DeviceProcessEvents | distinct AccountName | order by AccountName asc'), [
        { AccountName: 'alice' },
        { AccountName: 'josé' },
        { AccountName: 'svc-backup' },
      ]);
      assert.deepEqual(await rows('DeviceNetworkEvents | where RemoteIP == "203.0.113.50" | count'), [{ Count: 2 }]);
      assert.deepEqual((await rows('DeviceProcessEvents | limit 3')).length, 3);
    });

    it('joins inner, leftouter and leftanti, on a shared column or $left/$right', async () => {
      const inner = await rows(
        'AlertEvidence | where EntityType == "File" | project AlertId, SHA1 | join kind=inner (DeviceProcessEvents | project SHA1, ProcessId) on SHA1 | project AlertId, ProcessId | order by ProcessId asc',
      );
      assert.deepEqual(inner, [
        { AlertId: 'al-1', ProcessId: 100 },
        { AlertId: 'al-1', ProcessId: 102 },
      ]);
      const byPath = await rows(
        'DeviceProcessEvents | project Hash = SHA1, ProcessId | join kind=inner (AlertEvidence | project AlertId, SHA1) on $left.Hash == $right.SHA1 | project ProcessId, AlertId | order by ProcessId asc',
      );
      assert.deepEqual(byPath, [
        { ProcessId: 100, AlertId: 'al-1' },
        { ProcessId: 102, AlertId: 'al-1' },
      ]);
      const outer = await rows(
        'DeviceProcessEvents | project SHA1, ProcessId | join kind=leftouter (AlertEvidence | project SHA1, AlertId) on SHA1 | project ProcessId, AlertId | order by ProcessId asc',
      );
      assert.deepEqual(outer, [
        { ProcessId: 100, AlertId: 'al-1' },
        { ProcessId: 101, AlertId: '' },
        { ProcessId: 102, AlertId: 'al-1' },
        { ProcessId: 103, AlertId: '' },
      ]);
      const anti = await rows(
        'DeviceProcessEvents | join kind=leftanti (AlertEvidence) on SHA1 | project ProcessId | order by ProcessId asc',
      );
      assert.deepEqual(anti, [{ ProcessId: 101 }, { ProcessId: 103 }]);
    });

    it('joins on an absent string key as on an empty one, with or without a project before the join', async () => {
      // al-2 (an IP) has no SHA1: Kusto's string "null" is '', and '' == '' in a join like anywhere else.
      const alertIds = async (query: string) => (await rows(query)).map((r) => r.AlertId);
      const innerPlain = 'AlertEvidence | join kind=inner (AlertEvidence | project SHA1, Other = AlertId) on SHA1';
      const innerProjected =
        'AlertEvidence | project AlertId, SHA1 | join kind=inner (AlertEvidence | project SHA1, Other = AlertId) on SHA1';
      const sorted = ' | project AlertId | order by AlertId asc';
      assert.deepEqual(await alertIds(innerPlain + sorted), ['al-1', 'al-2']);
      assert.deepEqual(await alertIds(innerProjected + sorted), ['al-1', 'al-2']);
      const ipOnly = '(AlertEvidence | where EntityType == "Ip")';
      assert.deepEqual(await alertIds(`AlertEvidence | join kind=leftanti ${ipOnly} on SHA1${sorted}`), ['al-1']);
      assert.deepEqual(
        await alertIds(`AlertEvidence | project AlertId, SHA1 | join kind=leftanti ${ipOnly} on SHA1${sorted}`),
        ['al-1'],
      );
    });

    it('joins with a tabular let and names clashing right-side columns like Kusto (SHA11)', async () => {
      const answer = await hunt({
        Query:
          'let files = AlertEvidence | where isnotempty(SHA1) | project SHA1, AlertId; DeviceProcessEvents | where ProcessId == 100 | project SHA1 | join kind=inner (files) on SHA1',
      });
      assert.deepEqual(
        answer.json.schema.map((c) => c.name),
        ['SHA1', 'SHA11', 'AlertId'],
      );
      assert.equal(answer.json.results.length, 1);
    });

    it('reads non-ASCII query text and data as UTF-8', async () => {
      assert.deepEqual(
        await rows("DeviceProcessEvents | where ProcessCommandLine contains 'relatório' | project AccountName"),
        [{ AccountName: 'josé' }],
      );
      // The bot's parameters arrive as escaped literals (ADR 0007): the parser's own decoding applies.
      assert.deepEqual(
        await rows(
          "let account = 'jos\\u00e9'; DeviceProcessEvents | where AccountName == account | project ProcessId",
        ),
        [{ ProcessId: 103 }],
      );
    });
  });

  describe('time window', () => {
    const count = async (timespan?: string) => (await rows('DeviceProcessEvents | count', timespan))[0]?.Count;

    it('defaults to 30 days: an event 42 days old is never returned, even with a longer Timespan', async () => {
      assert.equal(await count(), 4);
      assert.equal(await count('P90D'), 4);
      assert.deepEqual(await rows("DeviceProcessEvents | where FileName == 'mimikatz.exe'", 'P90D'), []);
    });

    it('reads a duration, start/end, duration/end, start/duration and a start time', async () => {
      assert.equal(await count('P1D'), 2);
      assert.equal(await count('PT1H'), 1);
      assert.equal(await count('2026-11-30T00:00:00Z/2026-11-30T23:59:59Z'), 2);
      assert.equal(await count('P1D/2026-11-30T23:00:00Z'), 2);
      assert.equal(await count('2026-11-30T09:05:00Z/PT1H'), 1);
      assert.equal(await count('2026-12-01T00:00:00Z'), 2);
    });

    it('refuses a Timespan it cannot read', async () => {
      const answer = await hunt({ Query: 'DeviceProcessEvents | count', Timespan: 'yesterday' });
      assert.equal(answer.status, 400);
      assert.match(answer.json.error.message, /Timespan/);
    });
  });

  describe('refusals', () => {
    it('answers a syntax error with the parser message and its line and position', async () => {
      const message = await refusal("DeviceProcessEvents\n| where FileName == 'cmd.exe' and");
      assert.match(message, /^Syntax error/);
      assert.match(message, /line:position=2:/);
    });

    it('answers an unknown table or column with the semantic error naming it', async () => {
      assert.match(await refusal('FooBar | take 1'), /Failed to resolve table or column expression named 'FooBar'/);
      assert.match(
        await refusal("DeviceProcessEvents | where DeviceNam == 'x'"),
        /'where' operator: Failed to resolve scalar expression named 'DeviceNam'/,
      );
    });

    it('refuses valid KQL outside the simulated subset instead of answering it wrongly', async () => {
      assert.match(
        await refusal('DeviceProcessEvents | parse ProcessCommandLine with * "-enc " Payload'),
        /not supported/,
      );
      assert.match(await refusal("DeviceProcessEvents | where FileName matches regex 'p.*'"), /not supported/);
      assert.match(await refusal('DeviceProcessEvents | join kind=fullouter (AlertEvidence) on SHA1'), /not supported/);
      assert.match(
        await refusal('DeviceProcessEvents | summarize percentile(ProcessId, 50) by DeviceName'),
        /not supported/,
      );
    });

    it('refuses a column inside an in() list rather than evaluate it without a row', async () => {
      assert.match(
        await refusal('DeviceProcessEvents | where ProcessId in (InitiatingProcessId, 100)'),
        /not supported/,
      );
    });

    it('refuses a comparison Kusto would refuse rather than coerce it', async () => {
      assert.match(await refusal("DeviceProcessEvents | where ProcessId == '100'"), /cannot compare/);
    });

    it('refuses a body without Query', async () => {
      const answer = await hunt({ Timespan: 'P1D' });
      assert.equal(answer.status, 400);
    });

    it('cuts an answer at the row limit and refuses one over the size limit', async () => {
      simulator.graph.hunting.configure({ maxRows: 2 });
      assert.equal((await rows('DeviceProcessEvents')).length, 2);
      simulator.graph.hunting.configure({ maxRows: 100_000, maxResultBytes: 200 });
      assert.match(await refusal('DeviceProcessEvents'), /exceeded the allowed result size/);
    });
  });

  describe('quotas', () => {
    it('answers 429 with Retry-After past the per-tenant call quota', async () => {
      simulator.graph.hunting.configure({ rateLimits: { perMinute: 2, perHour: 100 } });
      assert.equal((await hunt({ Query: 'AlertInfo | count' })).status, 200);
      assert.equal((await hunt({ Query: 'AlertInfo | count' })).status, 200);
      const refused = await hunt({ Query: 'AlertInfo | count' });
      assert.equal(refused.status, 429);
      assert.equal(refused.json.error.code, 'TooManyRequests');
      assert.match(refused.json.error.message, /calls per minute/);
      assert.ok(Number(refused.headers['retry-after']) > 0);
      clock = new Date(HUNT_NOW.getTime() + 61_000);
      assert.equal((await hunt({ Query: 'AlertInfo | count' })).status, 200);
    });

    it('answers the CPU-quota 429 until the next 15-minute cycle once the quota is spent', async () => {
      simulator.graph.hunting.configure({ cpuFactor: 1e9, cpuQuotaMsPerCycle: 1, timeoutMs: Number.MAX_VALUE });
      assert.equal((await hunt({ Query: 'DeviceProcessEvents | count' })).status, 200);
      const refused = await hunt({ Query: 'DeviceProcessEvents | count' });
      assert.equal(refused.status, 429);
      assert.match(refused.json.error.message, /exceeded processing resources allocated to this tenant/);
      assert.match(refused.json.error.message, /run queries again in 00:15:00/);
      assert.equal(refused.headers['retry-after'], '900');
      clock = new Date(HUNT_NOW.getTime() + 15 * 60_000);
      assert.equal((await hunt({ Query: 'DeviceProcessEvents | count' })).status, 200);
    });

    it('answers the timeout error for a query running past the limit', async () => {
      simulator.graph.hunting.configure({ forcedTimeouts: 1, timeoutDelayMs: 20 });
      const timedOut = await hunt({ Query: 'DeviceProcessEvents | count' });
      assert.equal(timedOut.status, 400);
      assert.equal(timedOut.json.error.message, 'Query exceeded the timeout period.');
      assert.equal((await hunt({ Query: 'DeviceProcessEvents | count' })).status, 200);
      simulator.graph.hunting.configure({ cpuFactor: 1e9, timeoutMs: 1 });
      assert.equal(
        (await hunt({ Query: 'DeviceProcessEvents | count' })).json.error.message,
        'Query exceeded the timeout period.',
      );
    });
  });

  describe('permissions and Defender RBAC', () => {
    it('needs ThreatHunting.Read.All', async () => {
      const token = await clientCredentialsToken(
        http,
        simulator.url,
        TENANT_A,
        INCIDENT_APP,
        'https://graph.microsoft.com/.default',
      );
      const answer = await hunt({ Query: 'DeviceProcessEvents | count' }, token);
      assert.equal(answer.status, 403);
      assert.match(answer.json.error.message, /ThreatHunting\.Read\.All/);
    });

    it("limits a user's rows to their device groups before the query runs; no Defender role is 403", async () => {
      const query = { Query: 'DeviceProcessEvents | summarize count() by DeviceName | order by DeviceName asc' };
      const finn = await hunt(query, await userToken(FINN));
      assert.deepEqual(finn.json.results, [{ DeviceName: 'ws-fin-042', count_: 2 }]);
      const rita = await hunt(query, await userToken(RITA));
      assert.deepEqual(rita.json.results, [
        { DeviceName: 'srv-dc-01', count_: 2 },
        { DeviceName: 'ws-fin-042', count_: 2 },
      ]);
      const lynne = await hunt(query, await userToken(LYNNE));
      assert.equal(lynne.status, 403);
    });

    it("scopes alert rows by the alert's devices; an alert on no device only for viewers of every group", async () => {
      // al-1 has Finance device evidence; al-2 (an IP) names no device, so it cannot be attributed to a group.
      const alertIds = async (query: string, who: { aadObjectId: string }) =>
        (await hunt({ Query: query }, await userToken(who))).json.results.map((r) => r.AlertId);
      const info = 'AlertInfo | where AlertId startswith "al-" | project AlertId | order by AlertId asc';
      const evidence = 'AlertEvidence | where AlertId startswith "al-" | project AlertId | order by AlertId asc';
      assert.deepEqual(await alertIds(info, FINN), ['al-1']);
      assert.deepEqual(await alertIds(evidence, FINN), ['al-1']);
      assert.deepEqual(await alertIds(info, RITA), ['al-1', 'al-2']);
      assert.deepEqual(await alertIds(evidence, RITA), ['al-1', 'al-2']);
    });
  });
});
