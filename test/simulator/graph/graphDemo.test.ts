import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_APPLICATION_PERMISSIONS, DEMO_BOT_ID, DEMO_DELEGATED_PERMISSIONS } from '../../../src/demo/demoConstants';
import { HttpClient } from '../../../src/http/httpClient';
import { loadOrCreateDevCertificates } from '../../../src/simulator/certs';
import { demoSeedPath, loadSeedFile } from '../../../src/simulator/seed/loadSeed';
import { startSimulatorServer } from '../../../src/simulator/simulatorServer';
import type { SimulatorServer } from '../../../src/simulator/simulatorServer';
import { clientCredentialsToken } from '../entra/entraTestClient';

const DEMO_TENANT = '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const SECRET = 'demo-graph-secret-0123456789';

interface Listing {
  value: { id: string; alerts?: { serviceSource: string }[] }[];
}

/*
 * The demo registration as the simulator's main registers it: its application permissions open Graph's
 * incidents and alerts_v2, and the demo seed's multi-stage incident comes back with alerts from three sources.
 */
describe('Graph security on the demo tenant', () => {
  let certificateDir: string;
  let simulator: SimulatorServer;
  let http: HttpClient;
  let token: string;

  before(async () => {
    certificateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-graph-demo-'));
    const certificates = loadOrCreateDevCertificates({ dir: certificateDir });
    simulator = await startSimulatorServer({
      seeds: [loadSeedFile(demoSeedPath(), { freshen: true })],
      port: 0,
      certificates,
    });
    simulator.entra.registerClient({
      clientId: DEMO_BOT_ID,
      clientSecret: SECRET,
      displayName: 'Demo bot',
      delegatedPermissions: DEMO_DELEGATED_PERMISSIONS,
      applicationPermissions: DEMO_APPLICATION_PERMISSIONS,
      homeTenantId: DEMO_TENANT,
    });
    simulator.entra.grantAdminConsent(DEMO_TENANT, DEMO_BOT_ID);
    http = new HttpClient({ extraCaPem: [certificates.caCertPem] });
    token = await clientCredentialsToken(
      http,
      simulator.url,
      DEMO_TENANT,
      { clientId: DEMO_BOT_ID, clientSecret: SECRET },
      'https://graph.microsoft.com/.default',
    );
  });
  after(async () => {
    http.close();
    await simulator.close();
    fs.rmSync(certificateDir, { recursive: true, force: true });
  });

  const get = async (pathAndQuery: string) => {
    const res = await http.request({
      method: 'GET',
      url: `${simulator.url}${pathAndQuery}`,
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200, res.body);
    return JSON.parse(res.body) as Listing;
  };

  it('lists the open high-severity incidents, 2301 among them with email, identity and endpoint alerts', async () => {
    const filter = encodeURIComponent("severity eq 'high' and status ne 'resolved'");
    const listing = await get(`/v1.0/security/incidents?$filter=${filter}&$expand=alerts`);
    const incident = listing.value.find((i) => i.id === '2301');
    assert.ok(incident, 'incident 2301 is open and high');
    assert.deepEqual(
      new Set(incident.alerts?.map((a) => a.serviceSource)),
      new Set(['microsoftDefenderForEndpoint', 'microsoftDefenderForIdentity', 'microsoftDefenderForOffice365']),
    );
  });

  it('reads alerts_v2 with the application permission', async () => {
    const filter = encodeURIComponent("serviceSource eq 'microsoftDefenderForIdentity'");
    const listing = await get(`/v1.0/security/alerts_v2?$filter=${filter}`);
    assert.ok(listing.value.length >= 3);
  });
});
