import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HttpClient } from '../../src/http/httpClient';
import { loadOrCreateDevCertificates } from '../../src/simulator/certs';
import { startSimulatorServer } from '../../src/simulator/simulatorServer';
import type { SimulatorServer } from '../../src/simulator/simulatorServer';
import { BOT, TENANT_A, testSeeds } from './entra/entraTestSeeds';

/*
 * The Entra emulator and the Defender API together over HTTPS, as the bot meets them: the token the bot asks
 * for with its default scope opens the MDE API; a Graph or XDR token, which Entra issues just as readily, does
 * not (defender-api.md §14.5).
 */
describe('simulator: MDE accepts only tokens for its own resource', () => {
  let certificateDir: string;
  let simulator: SimulatorServer;
  let http: HttpClient;

  before(async () => {
    certificateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-audience-certs-'));
    const certificates = loadOrCreateDevCertificates({ dir: certificateDir });
    simulator = await startSimulatorServer({ seeds: testSeeds(), port: 0, certificates });
    http = new HttpClient({ extraCaPem: [certificates.caCertPem] });
  });
  after(async () => {
    http.close();
    await simulator.close();
    fs.rmSync(certificateDir, { recursive: true, force: true });
  });

  async function appToken(scope: string): Promise<string> {
    const response = await http.request({
      method: 'POST',
      url: `${simulator.url}/${TENANT_A}/oauth2/v2.0/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: BOT.clientId,
        client_secret: BOT.clientSecret,
        grant_type: 'client_credentials',
        scope,
      }).toString(),
    });
    assert.equal(response.status, 200, response.body);
    return String((JSON.parse(response.body) as { access_token: string }).access_token);
  }

  const alerts = async (token: string) =>
    http.request({ method: 'GET', url: `${simulator.url}/api/alerts`, headers: { authorization: `Bearer ${token}` } });

  it("serves the bot's default scope https://api.securitycenter.microsoft.com/.default", async () => {
    const res = await alerts(await appToken('https://api.securitycenter.microsoft.com/.default'));
    assert.equal(res.status, 200, res.body);
  });

  it('answers 401 to a Microsoft Graph token and to a Defender XDR token', async () => {
    for (const scope of [
      'https://graph.microsoft.com/.default',
      '00000003-0000-0000-c000-000000000000/.default',
      'https://api.security.microsoft.com/.default',
    ]) {
      const res = await alerts(await appToken(scope));
      assert.equal(res.status, 401, scope);
      assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'Unauthorized');
    }
  });
});
