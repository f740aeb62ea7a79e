import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HttpClient } from '../../../src/http/httpClient';
import { loadOrCreateDevCertificates } from '../../../src/simulator/certs';
import type { GraphCall } from '../../../src/simulator/graph/graphApi';
import { graphAlertSchema, machineSchema, seedUserSchema } from '../../../src/simulator/seed/seedSchema';
import { startSimulatorServer } from '../../../src/simulator/simulatorServer';
import type { SimulatorServer } from '../../../src/simulator/simulatorServer';
import { machine } from '../defender/testSeeds';
import { clientCredentialsToken } from '../entra/entraTestClient';
import { TENANT_A, TENANT_B, testSeeds } from '../entra/entraTestSeeds';
import { GRAPH_MACHINE_ID, addGraphSection, graphTokenOnBehalfOf } from './graphSeeds';

/** The bot's registration: delegated and application Graph security permissions. */
const SOC_APP = {
  clientId: 'f00dfeed-0000-4000-8000-00000000c33c',
  clientSecret: 'soc-app-secret-rbac-0123456789',
  displayName: 'SOC app (RBAC)',
  delegatedPermissions: ['SecurityIncident.ReadWrite.All', 'SecurityAlert.Read.All'],
  applicationPermissions: ['SecurityIncident.ReadWrite.All', 'SecurityAlert.Read.All'],
};

/** A Tier-0 server: outside the Finance-only analyst's device groups. */
const TIER0_MACHINE_ID = 'feedbeef00000000000000000000000000000002';

const person = (aadObjectId: string, upn: string, defenderPermissions: string[], deviceGroups: string[]) =>
  seedUserSchema.parse({
    aadObjectId,
    userPrincipalName: upn,
    displayName: upn,
    appRoles: ['SOC.Analyst'],
    defenderPermissions,
    deviceGroups,
  });
/** Triages Finance devices only. */
const FINN = person(
  'f1220000-0000-4000-8000-000000000001',
  'finn@contoso.example',
  ['ViewData', 'AlertsInvestigation'],
  ['Finance'],
);
/** May look at everything, change nothing. */
const RITA = person('a17a0000-0000-4000-8000-000000000001', 'rita@contoso.example', ['ViewData'], ['*']);
/** No Defender role at all. */
const LYNNE = person('1a7e0000-0000-4000-8000-000000000001', 'lynne@contoso.example', [], []);

interface Json {
  value: { id: string; [key: string]: unknown }[];
  id: string;
  severity: string;
  status: string;
  incidentId: string | null;
  classification: string;
  determination: string;
  lastUpdateDateTime: string;
  createdDateTime: string;
  alerts?: { id: string }[];
  error: { code: string; message: string; issues?: { path: string; message: string }[] };
  defenderCalls: number;
  byApi: Record<string, number>;
  graph: { graphCalls: number; byOperation: Record<string, number>; byTenant: Record<string, number> };
}

/*
 * Defender XDR RBAC for delegated Graph callers, the portal-side changes of the control plane, Graph call
 * statistics and polling by lastUpdateDateTime: all over real HTTPS with tokens from the Entra emulator.
 */
describe('Graph simulator: RBAC, portal changes, statistics', () => {
  let certificateDir: string;
  let simulator: SimulatorServer;
  let http: HttpClient;
  let appToken: string;
  const userTokens = new Map<string, string>();

  before(async () => {
    certificateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-graph-rbac-'));
    const certificates = loadOrCreateDevCertificates({ dir: certificateDir });
    const seeds = testSeeds();
    const seed = addGraphSection(seeds[0]!);
    seed.users.push(FINN, RITA, LYNNE);
    seed.machines.push(machineSchema.parse(machine({ id: TIER0_MACHINE_ID, rbacGroupName: 'Tier0' })));
    const alert = (id: string, incidentId: string, deviceIds: string[]) =>
      graphAlertSchema.parse({
        id,
        incidentId,
        status: 'new',
        severity: 'medium',
        serviceSource: deviceIds.length > 0 ? 'microsoftDefenderForEndpoint' : 'microsoftDefenderForOffice365',
        detectionSource: 'antivirus',
        title: `Alert ${id}`,
        createdDateTime: '2026-11-02T10:00:00Z',
        lastUpdateDateTime: '2026-11-02T10:00:00Z',
        evidence: deviceIds.map((mdeDeviceId) => ({
          '@odata.type': '#microsoft.graph.security.deviceEvidence',
          mdeDeviceId,
        })),
      });
    // 101: mail + identity + Finance endpoint; 102: Tier-0 only; 103: Tier-0 and a mail alert; 104, 105: none.
    seed.alertsV2.push(
      alert('da-tier0-1', '102', [TIER0_MACHINE_ID]),
      alert('da-tier0-2', '103', [TIER0_MACHINE_ID]),
      alert('fa-mail-3', '103', []),
    );
    simulator = await startSimulatorServer({ seeds, port: 0, certificates });
    simulator.entra.registerClient({ ...SOC_APP, homeTenantId: TENANT_A });
    http = new HttpClient({ extraCaPem: [certificates.caCertPem] });
    appToken = await clientCredentialsToken(
      http,
      simulator.url,
      TENANT_A,
      SOC_APP,
      'https://graph.microsoft.com/.default',
    );
  });
  after(async () => {
    http.close();
    await simulator.close();
    fs.rmSync(certificateDir, { recursive: true, force: true });
  });

  /** The person's Graph token, obtained on behalf of them as the bot does. */
  async function tokenOf(user: { aadObjectId: string }): Promise<string> {
    const known = userTokens.get(user.aadObjectId);
    if (known !== undefined) return known;
    const token = await graphTokenOnBehalfOf(
      http,
      simulator,
      SOC_APP,
      user.aadObjectId,
      'https://graph.microsoft.com/.default',
    );
    userTokens.set(user.aadObjectId, token);
    return token;
  }

  async function graph(
    pathAndQuery: string,
    options: { method?: 'GET' | 'PATCH' | 'POST'; as?: { aadObjectId: string }; body?: unknown } = {},
  ): Promise<{ status: number; json: Json }> {
    const token = options.as === undefined ? appToken : await tokenOf(options.as);
    const res = await http.request({
      method: options.method ?? 'GET',
      url: `${simulator.url}/v1.0/security${pathAndQuery}`,
      headers: {
        authorization: `Bearer ${token}`,
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    return { status: res.status, json: JSON.parse(res.body) as Json };
  }

  async function control(
    pathAndQuery: string,
    method: 'GET' | 'PATCH' | 'POST' = 'GET',
    body?: unknown,
  ): Promise<{ status: number; json: Json }> {
    const res = await http.request({
      method,
      url: `${simulator.url}/_sim${pathAndQuery}`,
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: JSON.parse(res.body) as Json };
  }

  const ids = (json: Json) => json.value.map((item) => item.id).sort();
  const filter = (expression: string) => `$filter=${encodeURIComponent(expression)}`;

  describe('Defender XDR RBAC of delegated callers', () => {
    it('a Finance-only analyst sees only incidents with an alert they may see; the app sees all', async () => {
      assert.deepEqual(ids((await graph('/incidents', { as: FINN })).json), ['101', '103']);
      assert.deepEqual(ids((await graph('/incidents')).json), ['101', '102', '103', '104', '105']);
      const expanded = await graph('/incidents/103?$expand=alerts', { as: FINN });
      assert.equal(expanded.status, 200);
      assert.deepEqual(
        expanded.json.alerts?.map((a) => a.id),
        ['fa-mail-3'],
        'the Tier-0 alert of 103 is left out',
      );
      const listed = await graph('/incidents?$expand=alerts', { as: FINN });
      const incident101 = listed.json.value.find((i) => i.id === '101') as { alerts: { id: string }[] } | undefined;
      assert.deepEqual(incident101?.alerts.map((a) => a.id).sort(), ['ad-ident-1', 'da-endpoint-1', 'fa-mail-1']);
    });

    it('a hidden incident or alert is 404 for reads and writes, exactly as one that does not exist', async () => {
      const hidden = await graph('/incidents/102', { as: FINN });
      assert.equal(hidden.status, 404);
      assert.equal(hidden.json.error.code, 'NotFound');
      assert.equal((await graph('/incidents/104', { as: FINN })).status, 404, 'an incident without alerts');
      const patch = await graph('/incidents/102', { as: FINN, method: 'PATCH', body: { status: 'inProgress' } });
      assert.equal(patch.status, 404);
      const comment = await graph('/incidents/102/comments', { as: FINN, method: 'POST', body: { comment: 'x' } });
      assert.equal(comment.status, 404);
      assert.equal((await graph('/incidents/102')).json.status, 'active', 'nothing changed');
      assert.equal((await graph('/alerts_v2/da-tier0-1', { as: FINN })).status, 404);
      assert.equal((await graph('/alerts_v2/da-tier0-1')).status, 200);
      const alerts = ids((await graph('/alerts_v2', { as: FINN })).json);
      assert.ok(alerts.includes('da-endpoint-1') && alerts.includes('fa-mail-3'));
      assert.ok(!alerts.includes('da-tier0-1') && !alerts.includes('da-tier0-2'));
    });

    it('changing an incident needs Alerts investigation: a View-data-only user gets Graph’s 403', async () => {
      assert.equal((await graph('/incidents/104', { as: RITA })).status, 200);
      const patch = await graph('/incidents/104', { as: RITA, method: 'PATCH', body: { status: 'inProgress' } });
      assert.equal(patch.status, 403);
      assert.equal(patch.json.error.code, 'Forbidden');
      const comment = await graph('/incidents/104/comments', { as: RITA, method: 'POST', body: { comment: 'x' } });
      assert.equal(comment.status, 403);
      const allowed = await graph('/incidents/101', {
        as: FINN,
        method: 'PATCH',
        body: { assignedTo: FINN.userPrincipalName },
      });
      assert.equal(allowed.status, 200);
      assert.equal((allowed.json as unknown as { assignedTo: string }).assignedTo, FINN.userPrincipalName);
    });

    it('a user without a Defender role (Lynne) gets 403 on every read', async () => {
      for (const path of ['/incidents', '/incidents/101', '/alerts_v2', '/alerts_v2/fa-mail-1']) {
        const res = await graph(path, { as: LYNNE });
        assert.equal(res.status, 403, path);
        assert.equal(res.json.error.code, 'Forbidden');
      }
    });
  });

  describe('portal-side changes through /_sim', () => {
    it('PATCH /_sim/incidents/{id} changes the incident as the portal would and bumps lastUpdateDateTime', async () => {
      const before = (await graph('/incidents/104')).json;
      const res = await control('/incidents/104', 'PATCH', {
        status: 'resolved',
        classification: 'truePositive',
        determination: 'malware',
        severity: 'medium',
        customTags: ['portal'],
      });
      assert.equal(res.status, 200);
      const after = (await graph('/incidents/104')).json;
      assert.equal(after.status, 'resolved');
      assert.equal(after.severity, 'medium');
      assert.equal(after.determination, 'malware');
      assert.ok(Date.parse(after.lastUpdateDateTime) > Date.parse(before.lastUpdateDateTime));
    });

    it('refuses an illegal classification/determination pair, an unknown field and an unknown incident', async () => {
      const pair = await control('/incidents/104', 'PATCH', {
        classification: 'falsePositive',
        determination: 'malware',
      });
      assert.equal(pair.status, 400);
      assert.equal(pair.json.error.issues?.[0]?.path, 'determination');
      assert.equal((await control('/incidents/104', 'PATCH', { colour: 'red' })).status, 400);
      assert.equal((await control('/incidents/999', 'PATCH', { status: 'active' })).status, 404);
      assert.equal((await graph('/incidents/104')).json.classification, 'truePositive', 'unchanged');
    });

    it('POST /_sim/incidents/{id}/alerts grows the incident: defaults filled, severity raised, never lowered', async () => {
      const before = (await graph('/incidents/105')).json;
      assert.equal(before.severity, 'informational');
      const added = await control('/incidents/105/alerts', 'POST', {
        severity: 'high',
        serviceSource: 'microsoftDefenderForEndpoint',
        detectionSource: 'antivirus',
        title: 'Credential dumping',
        evidence: [{ '@odata.type': '#microsoft.graph.security.deviceEvidence', mdeDeviceId: GRAPH_MACHINE_ID }],
      });
      assert.equal(added.status, 201, JSON.stringify(added.json));
      assert.equal(added.json.incidentId, '105');
      assert.equal(added.json.status, 'new');
      assert.ok(added.json.id.length > 0 && Date.parse(added.json.createdDateTime) > 0);
      const low = await control('/incidents/105/alerts', 'POST', {
        severity: 'low',
        serviceSource: 'microsoftDefenderForOffice365',
        detectionSource: 'microsoftDefenderForOffice365',
        title: 'Phish',
      });
      assert.equal(low.status, 201);
      const after = (await graph('/incidents/105?$expand=alerts')).json;
      assert.equal(after.severity, 'high');
      assert.deepEqual(after.alerts?.map((a) => a.id).sort(), [added.json.id, low.json.id].sort());
      assert.ok(Date.parse(after.lastUpdateDateTime) > Date.parse(before.lastUpdateDateTime));
      assert.equal((await graph(`/alerts_v2/${added.json.id}`)).json.incidentId, '105');
      assert.equal((await graph('/incidents/105', { as: FINN })).status, 200, 'now it has a Finance alert');
    });

    it('refuses an alert whose device evidence names no seeded machine, and leaves the incident as it was', async () => {
      const res = await control('/incidents/105/alerts', 'POST', {
        severity: 'high',
        serviceSource: 'microsoftDefenderForEndpoint',
        detectionSource: 'antivirus',
        title: 'Ghost',
        evidence: [{ '@odata.type': '#microsoft.graph.security.deviceEvidence', mdeDeviceId: 'ffff' }],
      });
      assert.equal(res.status, 400);
      assert.equal(res.json.error.issues?.[0]?.path, 'evidence.0.mdeDeviceId');
      assert.equal((await graph('/incidents/105?$expand=alerts')).json.alerts?.length, 2);
    });

    it('POST /_sim/incidents creates an incident with its alerts; POST /_sim/alerts_v2 an alert of none', async () => {
      const created = await control('/incidents', 'POST', {
        displayName: 'Ransomware on a Tier-0 server',
        severity: 'low',
        alerts: [
          {
            severity: 'high',
            serviceSource: 'microsoftDefenderForEndpoint',
            detectionSource: 'antivirus',
            title: 'Ransomware',
            evidence: [{ '@odata.type': '#microsoft.graph.security.deviceEvidence', mdeDeviceId: TIER0_MACHINE_ID }],
          },
        ],
      });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      assert.equal(created.json.id, '106');
      assert.equal(created.json.status, 'active');
      assert.equal(created.json.severity, 'high');
      const read = (await graph('/incidents/106?$expand=alerts')).json;
      assert.equal(read.alerts?.length, 1);
      assert.equal((await graph('/incidents/106', { as: FINN })).status, 404, 'Tier-0 only');

      const lone = await control('/alerts_v2', 'POST', {
        severity: 'medium',
        serviceSource: 'microsoftDefenderForIdentity',
        detectionSource: 'microsoftDefenderForIdentity',
        title: 'Suspicious Kerberos ticket',
      });
      assert.equal(lone.status, 201);
      assert.equal(lone.json.incidentId, null);
      assert.equal((await graph(`/alerts_v2/${lone.json.id}`, { as: FINN })).status, 200, 'no device evidence');
      const withIncident = await control('/alerts_v2', 'POST', { ...lone.json, id: 'other', incidentId: '101' });
      assert.equal(withIncident.status, 400);
    });

    it('?tenantId= picks the tenant; an unknown one is 404', async () => {
      assert.deepEqual((await control(`/incidents?tenantId=${TENANT_B}`)).json.value, []);
      assert.equal((await control('/incidents?tenantId=nope')).status, 404);
    });
  });

  describe('polling by lastUpdateDateTime', () => {
    it('gt returns only what changed after the mark, ge includes the mark itself', async () => {
      const all = (await graph('/incidents')).json.value as unknown as { id: string; lastUpdateDateTime: string }[];
      const mark = all
        .map((i) => i.lastUpdateDateTime)
        .sort()
        .at(-1)!;
      const atMark = all
        .filter((i) => i.lastUpdateDateTime === mark)
        .map((i) => i.id)
        .sort();
      assert.deepEqual(ids((await graph(`/incidents?${filter(`lastUpdateDateTime gt ${mark}`)}`)).json), []);
      assert.deepEqual(ids((await graph(`/incidents?${filter(`lastUpdateDateTime ge ${mark}`)}`)).json), atMark);
      assert.equal((await control('/incidents/103', 'PATCH', { status: 'inProgress' })).status, 200);
      assert.deepEqual(ids((await graph(`/incidents?${filter(`lastUpdateDateTime gt ${mark}`)}`)).json), ['103']);
      const alerts = ids((await graph(`/alerts_v2?${filter('lastUpdateDateTime ge 2026-11-02T10:00:00Z')}`)).json);
      assert.ok(alerts.includes('da-tier0-1') && !alerts.includes('fa-mail-1'));
    });
  });

  describe('statistics', () => {
    it('counts Graph requests by operation, beside the Defender figures in /_sim/stats; reset empties both', async () => {
      await control('/stats/reset', 'POST');
      const seen: GraphCall[] = [];
      const stop = simulator.graph.onRequest((call) => seen.push(call));
      await graph('/incidents');
      await graph('/incidents/101');
      await graph('/incidents/101', { method: 'PATCH', body: { status: 'active' } });
      await graph('/incidents/101/comments', { method: 'POST', body: { comment: 'counted' } });
      await graph('/alerts_v2');
      await graph('/alerts_v2/fa-mail-1');
      await graph('/incidents/102', { as: LYNNE });
      await graph('/nothing');
      stop();
      await graph('/incidents');
      const expected = {
        'incidents.list': 2,
        'incidents.get': 2,
        'incidents.patch': 1,
        'incidents.comment': 1,
        'alerts.list': 1,
        'alerts.get': 1,
        unmatched: 1,
      };
      const { graphCalls, byOperation } = simulator.graph.stats();
      assert.deepEqual({ graphCalls, byOperation }, { graphCalls: 9, byOperation: expected });
      const stats = (await control('/stats')).json;
      assert.deepEqual(stats.graph.byOperation, expected);
      assert.equal(stats.graph.graphCalls, 9);
      assert.equal(stats.defenderCalls, 0);
      assert.deepEqual(stats.byApi, {});
      assert.equal(seen.length, 8, 'the listener stops when unsubscribed');
      assert.deepEqual(seen[6], { operation: 'incidents.get', method: 'GET', tenantId: TENANT_A, status: 403 });
      const reset = (await control('/stats/reset', 'POST')).json;
      assert.deepEqual(reset.graph, { graphCalls: 0, byOperation: {}, byTenant: {} });
    });
  });
});
