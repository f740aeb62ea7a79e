import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HttpClient, HttpTransportError } from '../../src/http/httpClient';
import { loadOrCreateDevCertificates } from '../../src/simulator/certs';
import { startSimulatorServer } from '../../src/simulator/simulatorServer';
import type { SimulatorServer } from '../../src/simulator/simulatorServer';
import { GRAPH_AUDIENCES, MDE_AUDIENCES } from '../../src/simulator/entra/defenderScopes';
import { machineSchema } from '../../src/simulator/seed/seedSchema';
import { machine } from './defender/testSeeds';
import { clientCredentialsToken } from './entra/entraTestClient';
import { BOT, TENANT_A, testSeeds } from './entra/entraTestSeeds';

const MACHINE_ID = 'f00dfeed00000000000000000000000000000001';
/** An app allowed to isolate (application permission Machine.Isolate), as an automated responder would be. */
const RESPONDER_APP = {
  clientId: 'f00dfeed-0000-4000-8000-000000000001',
  clientSecret: 'responder-secret-0123456789',
  displayName: 'Responder',
  delegatedPermissions: [],
  applicationPermissions: ['Machine.Isolate'],
};

/** An app reading both simulated APIs (one permission list serves every Microsoft resource in the emulator). */
const READER_APP = {
  clientId: 'f00dfeed-0000-4000-8000-000000000002',
  clientSecret: 'reader-secret-0123456789',
  displayName: 'Reader',
  delegatedPermissions: [],
  applicationPermissions: ['Alert.Read.All', 'SecurityIncident.Read.All'],
};

/*
 * The Entra emulator and the Defender API together over HTTPS, as the bot meets them: the token the bot asks
 * for with its default scope opens the MDE API; every audience Entra issues opens exactly one simulated API, and
 * a scope for a resource none serves (the XDR API) gets no token (defender-api.md §14.5); and the unkind answers an HTTP client sees when Defender did the work anyway.
 */
describe('simulator over HTTPS', () => {
  let certificateDir: string;
  let simulator: SimulatorServer;
  let http: HttpClient;

  before(async () => {
    certificateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-audience-certs-'));
    const certificates = loadOrCreateDevCertificates({ dir: certificateDir });
    const seeds = testSeeds();
    seeds[0]!.machines.push(machineSchema.parse(machine({ id: MACHINE_ID, computerDnsName: 'ws-1.contoso.example' })));
    simulator = await startSimulatorServer({ seeds, port: 0, certificates });
    simulator.entra.registerClient({ ...RESPONDER_APP, homeTenantId: TENANT_A });
    simulator.entra.registerClient({ ...READER_APP, homeTenantId: TENANT_A });
    http = new HttpClient({ extraCaPem: [certificates.caCertPem] });
  });
  after(async () => {
    http.close();
    await simulator.close();
    fs.rmSync(certificateDir, { recursive: true, force: true });
  });

  const appToken = (
    scope: string,
    app: { clientId: string; clientSecret: string } = BOT,
    baseUrl = simulator.url,
  ): Promise<string> => clientCredentialsToken(http, baseUrl, TENANT_A, app, scope);

  const alerts = (token: string) =>
    http.request({ method: 'GET', url: `${simulator.url}/api/alerts`, headers: { authorization: `Bearer ${token}` } });

  it("MDE serves the bot's default scope https://api.securitycenter.microsoft.com/.default", async () => {
    const res = await alerts(await appToken('https://api.securitycenter.microsoft.com/.default'));
    assert.equal(res.status, 200, res.body);
  });

  it('opens MDE with every MDE audience Entra issues, and Graph with every Graph audience, never the other', async () => {
    const incidents = (token: string) =>
      http.request({
        method: 'GET',
        url: `${simulator.url}/v1.0/security/incidents`,
        headers: { authorization: `Bearer ${token}` },
      });
    for (const resource of MDE_AUDIENCES) {
      const token = await appToken(`${resource}/.default`, READER_APP);
      assert.equal((await alerts(token)).status, 200, resource);
      assert.equal((await incidents(token)).status, 401, resource);
    }
    for (const resource of GRAPH_AUDIENCES) {
      const token = await appToken(`${resource}/.default`, READER_APP);
      assert.equal((await incidents(token)).status, 200, resource);
      const res = await alerts(token);
      assert.equal(res.status, 401, resource);
      assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'Unauthorized');
    }
  });

  it('issues no token for the Defender XDR API, which nothing here serves: AADSTS500011', async () => {
    for (const resource of ['https://api.security.microsoft.com', '8ee8fdad-f234-4243-8f3b-15c294843740']) {
      const res = await http.request({
        method: 'POST',
        url: `${simulator.url}/${TENANT_A}/oauth2/v2.0/token`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: BOT.clientId,
          client_secret: BOT.clientSecret,
          grant_type: 'client_credentials',
          scope: `${resource}/.default`,
        }).toString(),
      });
      assert.equal(res.status, 400, resource);
      const body = JSON.parse(res.body) as { error: string; error_codes: number[]; access_token?: string };
      assert.equal(body.error, 'invalid_resource');
      assert.deepEqual(body.error_codes, [500011]);
      assert.equal(body.access_token, undefined);
    }
  });

  describe('answers lost after the work was done', () => {
    const machineId = MACHINE_ID;
    let token: string;
    before(async () => {
      token = await appToken('https://api.securitycenter.microsoft.com/.default', RESPONDER_APP);
    });
    afterEach(() => simulator.defender.faults.clear());

    /** Isolate, or release: another action type, so never a duplicate of a pending isolation. */
    const act = (action: 'isolate' | 'unisolate', timeoutMs?: number) =>
      http.request({
        method: 'POST',
        url: `${simulator.url}/api/machines/${machineId}/${action}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ Comment: 'contain' }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      });
    const count = (type: string) =>
      simulator.defender.state.machineActions(TENANT_A).filter((a) => a.machineId === machineId && a.type === type)
        .length;

    it('a late answer times the client out, and the isolation exists', async () => {
      simulator.defender.faults.set({ lateAnswers: { ms: 2_000, next: 1 } }, { tenantId: TENANT_A });
      const before = count('Isolate');
      await assert.rejects(act('isolate', 200), (err) => err instanceof HttpTransportError && err.kind === 'timeout');
      assert.equal(count('Isolate'), before + 1);
    });

    it('a reset after the body arrived is a network error, and the release exists', async () => {
      simulator.defender.faults.set({ resetAfterWrite: { next: 1 } });
      const before = count('Unisolate');
      await assert.rejects(act('unisolate'), (err) => err instanceof HttpTransportError && err.kind === 'network');
      assert.equal(count('Unisolate'), before + 1);
    });
  });

  it('runs Entra and Defender on an injected clock, for a simulated day', async () => {
    let current = Date.parse('2030-01-01T00:00:00Z');
    const seeds = testSeeds();
    seeds[0]!.machines.push(
      machineSchema.parse(
        machine({ id: MACHINE_ID, computerDnsName: 'ws-1.contoso.example', healthStatus: 'Inactive' }),
      ),
    );
    const fake = await startSimulatorServer({
      seeds,
      port: 0,
      certificates: loadOrCreateDevCertificates({ dir: certificateDir }),
      now: () => new Date(current),
    });
    try {
      fake.entra.registerClient({ ...RESPONDER_APP, homeTenantId: TENANT_A });
      const token = await appToken('https://api.securitycenter.microsoft.com/.default', RESPONDER_APP, fake.url);
      const created = await http.request({
        method: 'POST',
        url: `${fake.url}/api/machines/${MACHINE_ID}/isolate`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ Comment: 'contain' }),
      });
      assert.equal(created.status, 201, created.body);
      const action = JSON.parse(created.body) as { id: string; creationDateTimeUtc: string };
      assert.equal(Date.parse(action.creationDateTimeUtc), current);
      current += 24 * 60 * 60_000;
      assert.equal(fake.defender.state.machineAction(action.id, TENANT_A)?.status, 'Pending');
      current += 2 * 24 * 60 * 60_000;
      assert.equal(fake.defender.state.machineAction(action.id, TENANT_A)?.status, 'TimeOut');
    } finally {
      await fake.close();
    }
  });
});
