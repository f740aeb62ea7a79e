import assert from 'node:assert/strict';
import { ODATA_JSON } from '../../../src/simulator/simHttp';
import { startHarness } from './defenderHarness';
import type { Harness } from './defenderHarness';
import type { TestResponse } from './testServer';

const A1 = 'da638412900382838869_1364969601';
const A2 = 'da638412900382838869_1364969602';
const A3 = 'da638412900382838869_1364969603';

describe('simulator/defender alerts', () => {
  let h: Harness;
  let token: string;
  beforeEach(async () => {
    h = await startHarness();
    token = await h.userToken('admin');
  });
  afterEach(() => h.close());

  const ids = (res: TestResponse) => (res.json.value as { id: string }[]).map((a) => a.id.slice(-1)).join(',');

  describe('GET /api/alerts', () => {
    it('lists alerts newest first with the OData envelope and headers', async () => {
      const res = await h.server.request('/api/alerts', { token });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), ODATA_JSON);
      assert.equal(res.headers.get('odata-version'), '4.0');
      assert.equal(res.json['@odata.context'], `${h.server.baseUrl}/api/$metadata#Alerts`);
      assert.equal(ids(res), '2,1,3,4,5');
      assert.equal(res.json['@odata.nextLink'], undefined);
    });

    it('also answers under /api/v1.0 and mirrors it in @odata.context', async () => {
      const res = await h.server.request('/api/v1.0/alerts', { token });
      assert.equal(res.status, 200);
      assert.equal(res.json['@odata.context'], `${h.server.baseUrl}/api/v1.0/$metadata#Alerts`);
    });

    it('returns evidence only with $expand=evidence', async () => {
      const plain = await h.server.request('/api/alerts', { token });
      assert.ok(plain.json.value.every((a) => a.evidence.length === 0));
      const expanded = await h.server.request('/api/alerts?$expand=evidence', { token });
      const a1 = expanded.json.value.find((a) => a.id === A1)!;
      assert.equal(a1.evidence.length, 1);
      assert.equal(a1.evidence[0]!.fileName, 'evil.ps1');
    });

    it('filters with the documented examples, URL-decoding + and %20', async () => {
      const plus = await h.server.request('/api/alerts?$filter=lastUpdateTime+ge+2024-01-27T00:00:00Z', { token });
      assert.equal(ids(plus), '2,3');
      const encoded = await h.server.request(
        `/api/alerts?${encodeURIComponent('$filter')}=${encodeURIComponent("severity eq 'High' and status ne 'Resolved'")}&$top=50`,
        { token },
      );
      assert.equal(ids(encoded), '1');
    });

    it('applies $top and $skip', async () => {
      assert.equal(ids(await h.server.request('/api/alerts?$top=2', { token })), '2,1');
      assert.equal(ids(await h.server.request('/api/alerts?$top=2&$skip=2', { token })), '3,4');
      assert.equal(ids(await h.server.request('/api/alerts?$skip=10', { token })), '');
    });

    it('refuses invalid query options with 400 BadRequest', async () => {
      for (const query of [
        '$top=10001',
        '$top=0',
        '$top=-1',
        '$top=abc',
        '$top=1.5',
        '$skip=-1',
        '$skip=x',
        '$expand=machine',
        '$orderby=severity',
        '$select=id',
        '$top=1&$top=2',
        "$filter=severity eq 'High'&$FILTER=status eq 'New'",
        '$filter=',
        "$filter=title eq 'x'",
      ]) {
        const res = await h.server.request(`/api/alerts?${query}`, { token });
        assert.equal(res.status, 400, query);
        assert.equal(res.json.error.code, 'BadRequest', query);
        assert.match(res.json.error.target, /^[0-9a-f-]{36}$/);
      }
    });

    it('uses the ASP.NET OData message for $top above the maximum', async () => {
      const res = await h.server.request('/api/alerts?$top=10001', { token });
      assert.match(res.json.error.message, /The limit of '10000' for Top query has been exceeded/);
    });

    it('reports a filter error with the "Invalid filter clause" prefix', async () => {
      const res = await h.server.request("/api/alerts?$filter=lastUpdateTime ge '2019-11-22T00:00:00Z'", { token });
      assert.equal(res.status, 400);
      assert.match(res.json.error.message, /^Invalid filter clause: A binary operator with incompatible types/);
    });

    it('matches nothing for an escaped injection value instead of everything', async () => {
      const value = "' or 1 eq 1 or '".replace(/'/g, "''");
      const res = await h.server.request(`/api/alerts?$filter=${encodeURIComponent(`assignedTo eq '${value}'`)}`, {
        token,
      });
      assert.equal(res.status, 200);
      assert.equal(res.json.value.length, 0);
    });

    it('ignores parameters that are not OData system options', async () => {
      const res = await h.server.request('/api/alerts?foo=bar', { token });
      assert.equal(res.status, 200);
    });
  });

  describe('GET /api/alerts/{id}', () => {
    it('returns the alert with #Alerts/$entity', async () => {
      const res = await h.server.request(`/api/alerts/${A1}`, { token });
      assert.equal(res.status, 200);
      assert.equal(res.json['@odata.context'], `${h.server.baseUrl}/api/$metadata#Alerts/$entity`);
      assert.equal(res.json.id, A1);
      assert.deepEqual(res.json.evidence, []);
      assert.equal(Object.keys(res.json)[0], '@odata.context');
    });

    it('404s an unknown alert with ResourceNotFound', async () => {
      const res = await h.server.request('/api/alerts/da000_1', { token });
      assert.equal(res.status, 404);
      assert.equal(res.json.error.code, 'ResourceNotFound');
      assert.equal(res.json.error.message, 'Alert da000_1 was not found');
    });

    it('refuses list options on a single entity', async () => {
      const res = await h.server.request(`/api/alerts/${A1}?$top=1`, { token });
      assert.equal(res.status, 400);
    });
  });

  describe('PATCH /api/alerts/{id}', () => {
    const patch = (id: string, body: unknown, t = token) =>
      h.server.request(`/api/alerts/${id}`, { method: 'PATCH', token: t, body });

    it('updates status, assignedTo, classification, determination and lastUpdateTime', async () => {
      h.clock.advance(1000);
      const res = await patch(A1, {
        status: 'InProgress',
        assignedTo: 'analyst1@contoso.com',
        classification: 'TruePositive',
        determination: 'Malware',
      });
      assert.equal(res.status, 200);
      assert.equal(res.json['@odata.context'], `${h.server.baseUrl}/api/$metadata#Alerts/$entity`);
      assert.equal(res.json.status, 'InProgress');
      assert.equal(res.json.assignedTo, 'analyst1@contoso.com');
      assert.equal(res.json.classification, 'TruePositive');
      assert.equal(res.json.determination, 'Malware');
      assert.equal(new Date(res.json.lastUpdateTime).getTime(), new Date(h.clock.now()).getTime());
      const stored = h.api.state.alert(A1);
      assert.equal(stored?.status, 'InProgress');
    });

    it('sets resolvedTime when resolving and clears it when reopening', async () => {
      const resolved = await patch(A1, { status: 'Resolved' });
      assert.equal(resolved.json.resolvedTime, resolved.json.lastUpdateTime);
      const reopened = await patch(A1, { status: 'New' });
      assert.equal(reopened.json.resolvedTime, null);
    });

    it('appends a comment authored by the caller upn, or the app id for app tokens', async () => {
      const first = await patch(A2, { comment: 'Triaged from Teams' });
      assert.equal(first.status, 200);
      const comments = first.json.comments;
      assert.equal(comments.length, 1);
      assert.deepEqual(comments[0]!.comment, 'Triaged from Teams');
      assert.equal(comments[0]!.createdBy, 'admin@contoso.com');
      assert.match(comments[0]!.createdTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/);
      const app = await h.appToken(['Alert.ReadWrite.All']);
      const second = await patch(A2, { comment: 'From automation' }, app);
      assert.equal(second.json.comments[1]!.createdBy, '0f0f0f0f-1111-4222-8333-444444444444');
    });

    it('accepts both determination spellings and stores the alert-resource one', async () => {
      assert.equal((await patch(A1, { determination: 'NotMalicious' })).json.determination, 'Clean');
      assert.equal(
        (await patch(A1, { determination: 'ConfirmedActivity' })).json.determination,
        'ConfirmedUserActivity',
      );
      assert.equal((await patch(A1, { determination: 'InsufficientData' })).json.determination, 'InsufficientData');
    });

    it('does not validate the classification/determination pairing (doc example: FalsePositive + Malware)', async () => {
      const res = await patch(A1, { classification: 'FalsePositive', determination: 'Malware' });
      assert.equal(res.status, 200);
    });

    it('keeps lastUpdateTime for an empty update', async () => {
      const before = h.api.state.alert(A3)!.lastUpdateTime;
      const res = await patch(A3, {});
      assert.equal(res.status, 200);
      assert.equal(res.json.lastUpdateTime, before);
    });

    it('refuses bad bodies with InvalidRequestBody', async () => {
      const cases: [unknown, RegExp][] = [
        [{ Status: 'Resolved' }, /case-sensitive; 'Status' should be 'status'/],
        [{ severity: 'Low' }, /unknown parameter 'severity'/],
        [{ status: 'Closed' }, /not a valid status/],
        [{ status: 'Unknown' }, /not a valid status/],
        [{ classification: 'Benign' }, /not a valid classification/],
        [{ determination: 'Apt' }, /not a valid determination/],
        [{ status: 5 }, /'status'/],
        ['{"status":', /not valid JSON/],
        ['[]', /JSON object/],
      ];
      for (const [body, message] of cases) {
        const res = await patch(A1, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.json.error.code, 'InvalidRequestBody');
        assert.match(res.json.error.message, message);
      }
      assert.equal(h.api.state.alert(A1)?.status, 'New');
    });

    it('404s an unknown alert', async () => {
      const res = await patch('da1_1', { status: 'Resolved' });
      assert.equal(res.status, 404);
      assert.equal(res.json.error.code, 'ResourceNotFound');
    });

    it('needs Alert.ReadWrite and the Alerts investigation role', async () => {
      const readOnly = await h.userToken('admin', 'Alert.Read');
      assert.equal((await patch(A1, { status: 'Resolved' }, readOnly)).status, 403);
      const viewer = await h.userToken('viewer');
      const res = await patch(A1, { status: 'Resolved' }, viewer);
      assert.equal(res.status, 403);
      assert.match(res.json.error.message, /Alerts investigation/);
      const investigator = await h.userToken('investigator');
      assert.equal((await patch(A1, { status: 'Resolved' }, investigator)).status, 200);
    });
  });

  describe('routing', () => {
    it('answers an unknown /api route with 404 NotFound', async () => {
      const res = await h.server.request('/api/incidentz', { token });
      assert.equal(res.status, 404);
      assert.equal(res.json.error.code, 'NotFound');
    });

    it('answers a wrong method with 405 and Allow', async () => {
      const res = await h.server.request('/api/alerts', { method: 'DELETE', token });
      assert.equal(res.status, 405);
      assert.equal(res.json.error.code, 'MethodNotAllowed');
      const put = await h.server.request(`/api/alerts/${A1}`, { method: 'PUT', token, body: {} });
      assert.equal(put.status, 405);
      assert.equal(put.headers.get('allow'), 'GET, PATCH');
    });

    it('matches route segments case-insensitively', async () => {
      assert.equal((await h.server.request('/api/Alerts', { token })).status, 200);
    });

    it('leaves paths outside /api and unknown /_sim paths to other handlers', async () => {
      const other = await h.server.request('/common/discovery/instance');
      assert.equal(other.text, 'not handled');
      const sim = await h.server.request('/_sim/entra/users');
      assert.equal(sim.text, 'not handled');
    });
  });
});
