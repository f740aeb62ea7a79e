import assert from 'node:assert/strict';
import { startHarness } from '../defender/defenderHarness';
import { FIN_WS, MAC_DEV, TENANT_A, USERS, WEB_SRV } from '../defender/testSeeds';
import {
  ALERT_2,
  ALERT_3,
  C2_DOMAIN,
  C2_IP,
  entitySeed,
  FILE_SHA1,
  hoursAgo,
  idsOf,
  useEntityHarness,
} from './entitySeed';

/** Every permission the IP, domain and user endpoints name (domain alerts and user machines want ReadWrite). */
const SCOPES = 'Ip.Read.All URL.Read.All User.Read.All Machine.Read Machine.ReadWrite Alert.Read Alert.ReadWrite';

describe('simulator/defender IP, domain and user entity endpoints', () => {
  const t = useEntityHarness(SCOPES);
  const { get } = t;
  const ids = idsOf;

  describe('GET /api/ips/{ip}/stats', () => {
    it('counts devices that connected to the IP over 30 days, or lookBackHours', async () => {
      const res = await get(`/api/ips/${C2_IP}/stats`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, {
        '@odata.context': `${t.h.server.baseUrl}/api/$metadata#microsoft.windowsDefenderATP.api.InOrgIPStats`,
        ipAddress: C2_IP,
        organizationPrevalence: 2,
        orgFirstSeen: hoursAgo(t.now, 200),
        orgLastSeen: hoursAgo(t.now, 1),
      });
      const recent = await get(`/api/ips/${C2_IP}/stats?lookBackHours=3`);
      assert.equal(recent.json.organizationPrevalence, 1);
      assert.equal(recent.json.orgFirstSeen, hoursAgo(t.now, 1));
    });

    it('answers prevalence 0 for a valid IP never seen, and 400 InvalidIpAddress for an invalid one', async () => {
      const unseen = await get('/api/ips/2001:db8::1/stats');
      assert.equal(unseen.status, 200);
      assert.equal(unseen.json.organizationPrevalence, 0);
      assert.equal(unseen.json.orgFirstSeen, null);
      for (const bad of ['999.1.1.1', 'not-an-ip', "1.1.1.1' or '1'='1"]) {
        const res = await get(`/api/ips/${encodeURIComponent(bad)}/stats`);
        assert.equal(res.status, 400, bad);
        assert.equal(res.json.error.code, 'InvalidIpAddress', bad);
      }
    });

    it('needs Ip.Read.All', async () => {
      assert.equal((await get(`/api/ips/${C2_IP}/stats`, 'admin', 'URL.Read.All Machine.Read')).status, 403);
    });
  });

  describe('/api/domains/{domain}', () => {
    it('stats count devices whose connections went to the host, bare or in a URL', async () => {
      const res = await get(`/api/domains/${C2_DOMAIN.toUpperCase()}/stats`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, {
        '@odata.context': `${t.h.server.baseUrl}/api/$metadata#microsoft.windowsDefenderATP.api.InOrgDomainStats`,
        host: C2_DOMAIN,
        organizationPrevalence: 2,
        orgFirstSeen: hoursAgo(t.now, 30),
        orgLastSeen: hoursAgo(t.now, 1),
      });
      assert.equal((await get(`/api/domains/${C2_DOMAIN}/stats?lookBackHours=24`)).json.organizationPrevalence, 1);
    });

    it('stats of an unseen domain are prevalence 0; a malformed name is 400 InvalidDomainName', async () => {
      assert.equal((await get('/api/domains/example.com/stats')).json.organizationPrevalence, 0);
      const bad = await get(`/api/domains/${encodeURIComponent('evil example')}/stats`);
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.code, 'InvalidDomainName');
    });

    it('lists the machines that talked to the domain, within the caller groups', async () => {
      assert.deepEqual(ids(await get(`/api/domains/${C2_DOMAIN}/machines`)), [FIN_WS, MAC_DEV]);
      assert.deepEqual(ids(await get('/api/domains/example.com/machines')), []);
    });

    it('lists the alerts with a URL on the domain, and needs Alert.ReadWrite as documented', async () => {
      assert.deepEqual(ids(await get(`/api/domains/${C2_DOMAIN}/alerts`)), [ALERT_3]);
      assert.deepEqual(ids(await get(`/api/domains/${C2_DOMAIN}/alerts`, 'finance')), []);
      assert.equal((await get(`/api/domains/${C2_DOMAIN}/alerts`, 'admin', 'Alert.Read URL.Read.All')).status, 403);
    });

    it('stats need URL.Read.All', async () => {
      assert.equal((await get(`/api/domains/${C2_DOMAIN}/stats`, 'admin', 'Ip.Read.All')).status, 403);
    });
  });

  describe('GET /api/machines/{id}/logonusers', () => {
    it('lists the accounts with a successful logon on the device, most recent first', async () => {
      const res = await get(`/api/machines/${FIN_WS}/logonusers`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, {
        '@odata.context': `${t.h.server.baseUrl}/api/$metadata#Users`,
        value: [
          {
            id: 'CONTOSO\\jonis',
            accountName: 'jonis',
            accountDomain: 'CONTOSO',
            firstSeen: hoursAgo(t.now, 20),
            lastSeen: hoursAgo(t.now, 2),
            logonTypes: 'Interactive',
            isDomainAdmin: false,
            isOnlyNetworkUser: false,
          },
          {
            id: 'CONTOSO\\adm-allan',
            accountName: 'adm-allan',
            accountDomain: 'CONTOSO',
            firstSeen: hoursAgo(t.now, 4),
            lastSeen: hoursAgo(t.now, 4),
            logonTypes: 'Network',
            isDomainAdmin: true,
            isOnlyNetworkUser: true,
          },
        ],
      });
    });

    it('is 404 for a device outside the caller groups or unknown, and needs User.Read.All', async () => {
      assert.equal((await get(`/api/machines/${WEB_SRV}/logonusers`, 'finance')).status, 404);
      assert.equal((await get(`/api/machines/${'0'.repeat(40)}/logonusers`)).status, 404);
      assert.equal((await get(`/api/machines/${FIN_WS}/logonusers`, 'admin', 'Machine.Read')).status, 403);
    });
  });

  describe('/api/users/{name}', () => {
    it('machines: the devices the account logged on to, within the caller groups', async () => {
      assert.deepEqual(ids(await get('/api/users/jonis/machines')), [FIN_WS, WEB_SRV]);
      assert.deepEqual(ids(await get('/api/users/JONIS/machines', 'finance')), [FIN_WS]);
      assert.deepEqual(ids(await get('/api/users/mallory/machines')), []);
    });

    it('machines need Machine.ReadWrite as documented, Machine.Read is not enough', async () => {
      assert.equal((await get('/api/users/jonis/machines', 'admin', 'Machine.Read')).status, 403);
    });

    it('alerts: alerts related to the account name; a UPN is not a user id', async () => {
      assert.deepEqual(ids(await get('/api/users/jonis/alerts')), [ALERT_2]);
      assert.deepEqual(ids(await get(`/api/users/${encodeURIComponent('jonis@contoso.com')}/alerts`)), []);
    });
  });

  describe('like every MDE endpoint', () => {
    it('refuses a Graph token', async () => {
      const token = await t.h.tokens.user({
        tenantId: TENANT_A,
        oid: USERS.admin.oid,
        upn: USERS.admin.upn,
        scp: SCOPES,
        overrides: { aud: 'https://graph.microsoft.com' },
      });
      assert.equal((await t.h.server.request(`/api/ips/${C2_IP}/stats`, { token })).status, 401);
    });

    it('is rate limited per endpoint with Retry-After', async () => {
      const limited = await startHarness({ seeds: [entitySeed(t.now)], rateLimits: { perMinute: 3, perHour: 100 } });
      try {
        const token = await limited.userToken('admin', SCOPES);
        const call = (path: string) => limited.server.request(path, { token });
        for (let i = 0; i < 3; i += 1) assert.equal((await call(`/api/ips/${C2_IP}/stats`)).status, 200);
        const refused = await call(`/api/ips/${C2_IP}/stats`);
        assert.equal(refused.status, 429);
        assert.equal(refused.json.error.code, 'TooManyRequests');
        assert.ok(Number(refused.headers.get('retry-after')) >= 1);
        // Another endpoint has its own quota.
        assert.equal((await call(`/api/domains/${C2_DOMAIN}/stats`)).status, 200);
      } finally {
        await limited.close();
      }
    });

    it('meets the fault injector by path prefix', async () => {
      t.h.api.faults.set({ throttle: { next: 1, retryAfterSeconds: 7, pathPrefix: '/api/files' } });
      const token = await t.h.userToken('admin', 'File.Read.All');
      const throttled = await t.h.server.request(`/api/files/${FILE_SHA1}/stats`, { token });
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers.get('retry-after'), '7');
      assert.equal((await t.h.server.request(`/api/files/${FILE_SHA1}/stats`, { token })).status, 200);
      t.h.api.faults.set({ errors: { rate: 1, status: 500, pathPrefix: '/api/users' } });
      assert.equal((await get('/api/users/jonis/alerts')).status, 500);
    });

    it('counts each endpoint under its own API name', async () => {
      await get(`/api/ips/${C2_IP}/stats`);
      await get('/api/users/jonis/machines');
      const stats = t.h.api.stats();
      assert.equal(stats.byApi['ips.stats'], 1);
      assert.equal(stats.byApi['users.machines'], 1);
    });
  });
});
