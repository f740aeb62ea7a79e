import assert from 'node:assert/strict';
import { FIN_WS, LINUX_DB, MAC_DEV, TENANT_A, WEB_SRV } from '../defender/testSeeds';
import { ALERT_1, ALERT_3, FILE_SHA1, FILE_SHA256, hoursAgo, idsOf, LONE_SHA1, useEntityHarness } from './entitySeed';

/** The delegated scopes a file card needs: File.Read.All plus the machine and alert reads. */
const SCOPES = 'File.Read.All Machine.Read Alert.Read';

describe('simulator/defender file entity endpoints', () => {
  const t = useEntityHarness(SCOPES);
  const { get } = t;
  const ids = idsOf;

  describe('GET /api/files/{id}', () => {
    it('answers the File entity by SHA1, with the seeded worldwide profile and the size the events carry', async () => {
      const res = await get(`/api/files/${FILE_SHA1}`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, {
        '@odata.context': `${t.h.server.baseUrl}/api/$metadata#Files/$entity`,
        sha1: FILE_SHA1,
        sha256: FILE_SHA256,
        globalPrevalence: 1500,
        globalFirstObserved: '2023-01-01T00:00:00Z',
        globalLastObserved: hoursAgo(t.now, 1),
        size: 12345,
        fileType: null,
        isPeFile: true,
        filePublisher: 'Evil Corp',
        fileProductName: null,
        signer: null,
        issuer: null,
        signerHash: null,
        isValidCertificate: null,
        determinationType: 'Malware',
        determinationValue: 'Trojan:Win32/Evil',
      });
    });

    it('answers the same file by SHA256, in any letter case', async () => {
      const res = await get(`/api/files/${FILE_SHA256.toUpperCase()}`);
      assert.equal(res.status, 200);
      assert.equal(res.json.sha1, FILE_SHA1);
    });

    it("defaults the global figures to the organization's own when the seed has no profile", async () => {
      const res = await get(`/api/files/${LONE_SHA1}`);
      assert.equal(res.status, 200);
      assert.equal(res.json.globalPrevalence, 3);
      assert.equal(res.json.globalFirstObserved, hoursAgo(t.now, 200));
      assert.equal(res.json.globalLastObserved, hoursAgo(t.now, 1));
      assert.equal(res.json.sha256, null);
    });

    it('is 404 ResourceNotFound for a file the tenant never saw', async () => {
      const res = await get(`/api/files/${'0'.repeat(40)}`);
      assert.equal(res.status, 404);
      assert.equal(res.json.error.code, 'ResourceNotFound');
    });

    it('is 400 InvalidHashValue for something that is not a SHA1 or SHA256', async () => {
      for (const id of ['xyz', 'g'.repeat(40), '0'.repeat(32), "ff836cfb' or 1=1"]) {
        const res = await get(`/api/files/${encodeURIComponent(id)}`);
        assert.equal(res.status, 400, id);
        assert.equal(res.json.error.code, 'InvalidHashValue', id);
      }
    });

    it('needs File.Read.All and a Defender role', async () => {
      assert.equal((await get(`/api/files/${FILE_SHA1}`, 'admin', 'Machine.Read Alert.Read')).status, 403);
      assert.equal((await get(`/api/files/${FILE_SHA1}`, 'noRole')).status, 403);
      const app = await t.h.appToken(['File.Read.All']);
      assert.equal((await t.h.server.request(`/api/files/${FILE_SHA1}`, { token: app })).status, 200);
      const wrongApp = await t.h.appToken(['Machine.Read.All']);
      assert.equal((await t.h.server.request(`/api/files/${FILE_SHA1}`, { token: wrongApp })).status, 403);
    });
  });

  describe('GET /api/files/{id}/stats', () => {
    it('counts distinct devices, first and last seen over the last 30 days by default', async () => {
      const res = await get(`/api/files/${FILE_SHA1}/stats`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, {
        '@odata.context': `${t.h.server.baseUrl}/api/$metadata#microsoft.windowsDefenderATP.api.InOrgFileStats`,
        sha1: FILE_SHA1,
        organizationPrevalence: 3,
        orgFirstSeen: hoursAgo(t.now, 100),
        orgLastSeen: hoursAgo(t.now, 2),
        globallyPrevalence: 1500,
        globalFirstObserved: '2023-01-01T00:00:00Z',
        globalLastObserved: hoursAgo(t.now, 1),
        topFileNames: ['evil.exe', 'renamed.exe'],
      });
    });

    it('honours lookBackHours (any letter case)', async () => {
      const res = await get(`/api/files/${FILE_SHA1}/stats?LookBackHours=48`);
      assert.equal(res.status, 200);
      assert.equal(res.json.organizationPrevalence, 2);
      assert.equal(res.json.orgFirstSeen, hoursAgo(t.now, 10));
      assert.deepEqual(res.json.topFileNames, ['evil.exe']);
    });

    it('counts the whole organization even for a user scoped to some device groups', async () => {
      const res = await get(`/api/files/${FILE_SHA1}/stats`, 'finance');
      assert.equal(res.json.organizationPrevalence, 3);
    });

    it('rejects a lookBackHours outside 1..720 with 400 InvalidInput', async () => {
      for (const value of ['0', '721', 'abc', '1.5', '-1']) {
        const res = await get(`/api/files/${FILE_SHA1}/stats?lookBackHours=${value}`);
        assert.equal(res.status, 400, value);
        assert.equal(res.json.error.code, 'InvalidInput', value);
      }
    });

    it('is 404 for an unknown file', async () => {
      assert.equal((await get(`/api/files/${'0'.repeat(64)}/stats`)).status, 404);
    });
  });

  describe('GET /api/files/{sha1}/machines', () => {
    it('lists every device that had the file, within the caller device groups', async () => {
      assert.deepEqual(ids(await get(`/api/files/${FILE_SHA1}/machines`)), [FIN_WS, WEB_SRV, LINUX_DB, MAC_DEV]);
      assert.deepEqual(ids(await get(`/api/files/${FILE_SHA1}/machines`, 'finance')), [FIN_WS, MAC_DEV]);
    });

    it('answers #Machines and an empty set for an unknown file', async () => {
      const res = await get(`/api/files/${'0'.repeat(40)}/machines`);
      assert.equal(res.status, 200);
      assert.equal(res.json['@odata.context'], `${t.h.server.baseUrl}/api/$metadata#Machines`);
      assert.deepEqual(res.json.value, []);
    });

    it('takes only a SHA1', async () => {
      const res = await get(`/api/files/${FILE_SHA256}/machines`);
      assert.equal(res.status, 400);
      assert.equal(res.json.error.code, 'InvalidHashValue');
    });

    it('needs the machine read permission', async () => {
      assert.equal((await get(`/api/files/${FILE_SHA1}/machines`, 'admin', 'File.Read.All Alert.Read')).status, 403);
    });
  });

  describe('GET /api/files/{sha1}/alerts', () => {
    it("lists the alerts whose evidence names the file, newest first, within the caller's groups", async () => {
      const res = await get(`/api/files/${FILE_SHA1}/alerts`);
      assert.equal(res.status, 200);
      assert.equal(res.json['@odata.context'], `${t.h.server.baseUrl}/api/$metadata#Alerts`);
      assert.deepEqual(ids(res), [ALERT_1, ALERT_3]);
      assert.deepEqual(ids(await get(`/api/files/${FILE_SHA1}/alerts`, 'finance')), [ALERT_1]);
    });

    it('sees an alert injected after the first read (the derived tables follow the alerts)', async () => {
      assert.deepEqual(ids(await get(`/api/files/${LONE_SHA1}/alerts`)), []);
      const injected = t.h.api.state.injectAlert({
        machineId: FIN_WS,
        evidence: [{ entityType: 'File', sha1: LONE_SHA1, fileName: 'rundll32.exe' }],
      });
      assert.deepEqual(ids(await get(`/api/files/${LONE_SHA1}/alerts`)), [injected.id]);
    });

    it('is an empty set for an unknown file and needs an alert read permission', async () => {
      assert.deepEqual((await get(`/api/files/${'0'.repeat(40)}/alerts`)).json.value, []);
      assert.equal((await get(`/api/files/${FILE_SHA1}/alerts`, 'admin', 'File.Read.All Machine.Read')).status, 403);
    });
  });

  it("refuses a token of another tenant's seed that this simulator does not serve", async () => {
    const stranger = await t.h.tokens.app({ tenantId: TENANT_A.replace('1111', '9999'), roles: ['File.Read.All'] });
    assert.equal((await t.h.server.request(`/api/files/${FILE_SHA1}`, { token: stranger })).status, 401);
  });
});
