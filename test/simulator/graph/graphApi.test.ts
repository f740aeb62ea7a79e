import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HttpClient, HttpTransportError } from '../../../src/http/httpClient';
import { loadOrCreateDevCertificates } from '../../../src/simulator/certs';
import { MAX_GRAPH_COMMENT_LENGTH } from '../../../src/simulator/graph/graphApi';
import { startSimulatorServer } from '../../../src/simulator/simulatorServer';
import type { SimulatorServer } from '../../../src/simulator/simulatorServer';
import { clientCredentialsToken } from '../entra/entraTestClient';
import { ALICE, BOT, TENANT_A, testSeeds } from '../entra/entraTestSeeds';
import { GRAPH_MACHINE_ID, INCIDENT_IDS, addGraphSection, graphTokenOnBehalfOf } from './graphSeeds';

/** A SOC app with the Graph security permissions the bot will ask for. */
const SOC_APP = {
  clientId: 'f00dfeed-0000-4000-8000-00000000a11a',
  clientSecret: 'soc-app-secret-0123456789',
  displayName: 'SOC app',
  delegatedPermissions: ['SecurityIncident.ReadWrite.All'],
  applicationPermissions: ['SecurityIncident.ReadWrite.All', 'SecurityAlert.Read.All', 'Alert.Read.All'],
};
/** An app that may read incidents but not change them. */
const READER_APP = {
  clientId: 'f00dfeed-0000-4000-8000-00000000b22b',
  clientSecret: 'reader-app-secret-0123456789',
  displayName: 'Reader app',
  delegatedPermissions: [],
  applicationPermissions: ['SecurityIncident.Read.All'],
};

interface GraphBody {
  '@odata.context'?: string;
  '@odata.count'?: number;
  '@odata.nextLink'?: string;
  value: { id: string; [key: string]: unknown }[];
  id: string;
  status: string;
  classification: string;
  determination: string;
  assignedTo: string | null;
  customTags: string[];
  comments: { comment: string }[];
  alerts?: { id: string; serviceSource: string; evidence: { mdeDeviceId?: string }[] }[];
  error: { code: string; message: string; innerError: Record<string, string> };
}

/*
 * The Graph security surface over real HTTPS on the simulator's one origin, with tokens from its own Entra
 * emulator: what the bot will do with incidents and alerts_v2, and the refusals a misconfigured token meets.
 */
describe('Graph security simulator (/v1.0/security)', () => {
  let certificateDir: string;
  let simulator: SimulatorServer;
  let http: HttpClient;
  let socToken: string;

  const start = async (graphRateLimits?: { perMinute: number; perHour: number }) => {
    const certificates = loadOrCreateDevCertificates({ dir: certificateDir });
    const seeds = testSeeds();
    addGraphSection(seeds[0]!);
    const server = await startSimulatorServer({
      seeds,
      port: 0,
      certificates,
      graphPageSize: 2,
      ...(graphRateLimits ? { graphRateLimits } : {}),
    });
    server.entra.registerClient({ ...SOC_APP, homeTenantId: TENANT_A });
    server.entra.registerClient({ ...READER_APP, homeTenantId: TENANT_A });
    http ??= new HttpClient({ extraCaPem: [certificates.caCertPem] });
    return server;
  };

  before(async () => {
    certificateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-graph-certs-'));
    simulator = await start();
    socToken = await appToken(simulator, 'https://graph.microsoft.com/.default');
  });
  after(async () => {
    http.close();
    await simulator.close();
    fs.rmSync(certificateDir, { recursive: true, force: true });
  });

  const appToken = (
    server: SimulatorServer,
    scope: string,
    app: { clientId: string; clientSecret: string } = SOC_APP,
  ): Promise<string> => clientCredentialsToken(http, server.url, TENANT_A, app, scope);

  async function call(
    pathAndQuery: string,
    options: {
      method?: 'GET' | 'POST' | 'PATCH';
      token?: string;
      body?: unknown;
      server?: SimulatorServer;
      absolute?: boolean;
    } = {},
  ): Promise<{ status: number; headers: Record<string, string>; json: GraphBody }> {
    const server = options.server ?? simulator;
    const res = await http.request({
      method: options.method ?? 'GET',
      url: options.absolute === true ? pathAndQuery : `${server.url}${pathAndQuery}`,
      headers: {
        authorization: `Bearer ${options.token ?? socToken}`,
        'client-request-id': 'c0ffee00-0000-4000-8000-000000000001',
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers)) headers[name.toLowerCase()] = String(value);
    return { status: res.status, headers, json: JSON.parse(res.body) as GraphBody };
  }

  describe('incidents', () => {
    it('pages every incident with @odata.nextLink, keeping $count; $top and $skip cut the list', async () => {
      const first = await call('/v1.0/security/incidents?$count=true');
      assert.equal(first.status, 200);
      assert.equal(first.json['@odata.count'], INCIDENT_IDS.length);
      const seen = first.json.value.map((i) => i.id);
      let next = first.json['@odata.nextLink'];
      while (next !== undefined) {
        const page = await call(next, { absolute: true });
        assert.equal(page.status, 200);
        assert.equal(page.json['@odata.count'], INCIDENT_IDS.length);
        seen.push(...page.json.value.map((i) => i.id));
        next = page.json['@odata.nextLink'];
      }
      assert.deepEqual(seen, [...INCIDENT_IDS]);
      const topTwo = await call('/v1.0/security/incidents?$top=2');
      assert.equal(topTwo.json['@odata.nextLink'], undefined, 'an explicit $top=2 stops the chain');
      const skipped = await call('/v1.0/security/incidents?$skip=3');
      assert.deepEqual(
        skipped.json.value.map((i) => i.id),
        ['104', '105'],
      );
    });

    it('filters on status, severity, assignedTo and the date properties', async () => {
      const ids = async (filter: string) =>
        (await call(`/v1.0/security/incidents?$filter=${encodeURIComponent(filter)}`)).json.value.map((i) => i.id);
      assert.deepEqual(await ids("status eq 'resolved'"), ['103']);
      assert.deepEqual(await ids("severity eq 'high'"), ['101', '104']);
      assert.deepEqual(await ids("assignedTo eq 'alice@contoso.example'"), ['102']);
      assert.deepEqual(await ids('createdDateTime ge 2026-11-04T00:00:00Z'), ['104', '105']);
      assert.deepEqual(await ids('lastUpdateDateTime lt 2026-11-02T00:00:00Z'), ['101']);
    });

    it('refuses a filter on a property Graph does not filter, with Graph’s error body', async () => {
      const res = await call(`/v1.0/security/incidents?$filter=${encodeURIComponent("displayName eq 'x'")}`);
      assert.equal(res.status, 400);
      assert.equal(res.json.error.code, 'BadRequest');
      assert.equal(res.json.error.innerError['client-request-id'], 'c0ffee00-0000-4000-8000-000000000001');
      assert.ok(res.json.error.innerError['request-id']);
      assert.ok(res.json.error.innerError.date);
    });

    it('expands alerts from email, identity and endpoint, the endpoint one pointing at the MDE device', async () => {
      const res = await call('/v1.0/security/incidents/101?$expand=alerts');
      assert.equal(res.status, 200);
      const sources = (res.json.alerts ?? []).map((a) => a.serviceSource).sort();
      assert.deepEqual(sources, [
        'microsoftDefenderForEndpoint',
        'microsoftDefenderForIdentity',
        'microsoftDefenderForOffice365',
      ]);
      const endpoint = res.json.alerts?.find((a) => a.serviceSource === 'microsoftDefenderForEndpoint');
      assert.equal(endpoint?.evidence[0]?.mdeDeviceId, GRAPH_MACHINE_ID);
      const plain = await call('/v1.0/security/incidents/101');
      assert.equal(plain.json.alerts, undefined, 'alerts only with $expand');
    });

    it('answers 404 NotFound for an unknown incident', async () => {
      const res = await call('/v1.0/security/incidents/999999');
      assert.equal(res.status, 404);
      assert.equal(res.json.error.code, 'NotFound');
    });

    it('PATCH with a documented classification/determination pair updates the incident', async () => {
      const res = await call('/v1.0/security/incidents/104', {
        method: 'PATCH',
        body: {
          status: 'resolved',
          assignedTo: 'soc@contoso.example',
          classification: 'truePositive',
          determination: 'multiStagedAttack',
          customTags: ['phish-campaign'],
        },
      });
      assert.equal(res.status, 200);
      const read = await call('/v1.0/security/incidents/104');
      assert.equal(read.json.status, 'resolved');
      assert.equal(read.json.classification, 'truePositive');
      assert.equal(read.json.determination, 'multiStagedAttack');
      assert.equal(read.json.assignedTo, 'soc@contoso.example');
      assert.deepEqual(read.json.customTags, ['phish-campaign']);
    });

    it('PATCH with an undocumented pair is 400 and changes nothing', async () => {
      const res = await call('/v1.0/security/incidents/105', {
        method: 'PATCH',
        body: { status: 'resolved', classification: 'falsePositive', determination: 'malware' },
      });
      assert.equal(res.status, 400);
      assert.equal(res.json.error.code, 'BadRequest');
      const read = await call('/v1.0/security/incidents/105');
      assert.equal(read.json.status, 'active');
      assert.equal(read.json.classification, 'unknown');
    });

    it('adds a comment and answers with every comment; an over-long comment is 400', async () => {
      const ok = await call('/v1.0/security/incidents/102/comments', {
        method: 'POST',
        body: { '@odata.type': 'microsoft.graph.security.alertComment', comment: 'Isolated the device.' },
      });
      assert.equal(ok.status, 200);
      assert.deepEqual(
        ok.json.value.map((c) => c.comment),
        ['Isolated the device.'],
      );
      const tooLong = await call('/v1.0/security/incidents/102/comments', {
        method: 'POST',
        body: { comment: 'x'.repeat(MAX_GRAPH_COMMENT_LENGTH + 1) },
      });
      assert.equal(tooLong.status, 400);
      assert.equal(tooLong.json.error.code, 'BadRequest');
    });
  });

  describe('alerts_v2', () => {
    it('lists, filters by serviceSource, pages and reads one alert', async () => {
      const filtered = await call(
        `/v1.0/security/alerts_v2?$filter=${encodeURIComponent("serviceSource eq 'microsoftDefenderForIdentity'")}`,
      );
      assert.deepEqual(
        filtered.json.value.map((a) => a.id),
        ['ad-ident-1'],
      );
      const first = await call('/v1.0/security/alerts_v2?$top=1');
      assert.equal(first.json.value.length, 1);
      assert.equal(first.json['@odata.nextLink'], undefined, '$top=1 asked for one alert only');
      const one = await call('/v1.0/security/alerts_v2/da-endpoint-1');
      assert.equal(one.status, 200);
      assert.equal(one.json.id, 'da-endpoint-1');
      assert.equal((await call('/v1.0/security/alerts_v2/nope')).status, 404);
    });
  });

  describe('tokens', () => {
    it('refuses an MDE token with 401 InvalidAuthenticationToken', async () => {
      const mde = await appToken(simulator, 'https://api.securitycenter.microsoft.com/.default');
      const res = await call('/v1.0/security/incidents', { token: mde });
      assert.equal(res.status, 401);
      assert.equal(res.json.error.code, 'InvalidAuthenticationToken');
    });

    it('accepts a token asked for by Graph’s app id', async () => {
      const token = await appToken(simulator, '00000003-0000-0000-c000-000000000000/.default');
      assert.equal((await call('/v1.0/security/incidents', { token })).status, 200);
    });

    it('refuses a Graph token on the MDE API', async () => {
      const res = await call('/api/alerts', { token: socToken });
      assert.equal(res.status, 401);
    });

    it('serves a delegated (OBO) Graph token and records the user as comment author', async () => {
      const token = await graphTokenOnBehalfOf(
        http,
        simulator,
        SOC_APP,
        ALICE.aadObjectId,
        'https://graph.microsoft.com/SecurityIncident.ReadWrite.All',
      );
      const res = await call('/v1.0/security/incidents/103/comments', {
        method: 'POST',
        token,
        body: { comment: 'Reviewed, closing.' },
      });
      assert.equal(res.status, 200);
      assert.equal(res.json.value.at(-1)?.createdByDisplayName, ALICE.upn);
      assert.equal((await call('/v1.0/security/alerts_v2', { token })).status, 403, 'no SecurityAlert scope');
    });

    it('answers 403 when the token lacks the permission: a reader may list but not update', async () => {
      const reader = await appToken(simulator, 'https://graph.microsoft.com/.default', READER_APP);
      assert.equal((await call('/v1.0/security/incidents', { token: reader })).status, 200);
      const patch = await call('/v1.0/security/incidents/101', {
        method: 'PATCH',
        token: reader,
        body: { status: 'inProgress' },
      });
      assert.equal(patch.status, 403);
      assert.equal(patch.json.error.code, 'Forbidden');
      assert.equal((await call('/v1.0/security/alerts_v2', { token: reader })).status, 403);
      const bot = await appToken(simulator, 'https://graph.microsoft.com/.default', BOT);
      assert.equal((await call('/v1.0/security/incidents', { token: bot })).status, 403);
    });
  });

  describe('faults shared with the Defender API', () => {
    afterEach(() => simulator.defender.faults.clear());

    it('a forced throttle on /v1.0/security answers Graph’s 429, and leaves the MDE API alone', async () => {
      simulator.defender.faults.set({ throttle: { next: 1, retryAfterSeconds: 7, pathPrefix: '/v1.0/security' } });
      const res = await call('/v1.0/security/alerts_v2');
      assert.equal(res.status, 429);
      assert.equal(res.headers['retry-after'], '7');
      assert.equal(res.json.error.code, 'TooManyRequests');
      assert.equal((await call('/v1.0/security/alerts_v2')).status, 200, 'only the next one');
    });

    it('a late answer times the client out, and the comment was added', async () => {
      simulator.defender.faults.set({
        lateAnswers: { ms: 2_000, next: 1, pathPrefix: '/v1.0/security', method: 'POST' },
      });
      await assert.rejects(
        http.request({
          method: 'POST',
          url: `${simulator.url}/v1.0/security/incidents/105/comments`,
          headers: { authorization: `Bearer ${socToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ comment: 'late' }),
          timeoutMs: 200,
        }),
        (err) => err instanceof HttpTransportError && err.kind === 'timeout',
      );
      const read = await call('/v1.0/security/incidents/105');
      assert.deepEqual(
        read.json.comments.map((c) => c.comment),
        ['late'],
      );
    });
  });

  it('answers 429 with Retry-After once the per-app quota is spent', async () => {
    const limited = await start({ perMinute: 2, perHour: 100 });
    try {
      const token = await appToken(limited, 'https://graph.microsoft.com/.default');
      assert.equal((await call('/v1.0/security/incidents', { token, server: limited })).status, 200);
      assert.equal((await call('/v1.0/security/incidents', { token, server: limited })).status, 200);
      const refused = await call('/v1.0/security/incidents', { token, server: limited });
      assert.equal(refused.status, 429);
      assert.equal(refused.json.error.code, 'TooManyRequests');
      assert.ok(Number(refused.headers['retry-after']) >= 1);
    } finally {
      await limited.close();
    }
  });
});
