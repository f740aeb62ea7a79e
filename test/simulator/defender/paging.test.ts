import assert from 'node:assert/strict';
import { startHarness } from './defenderHarness';
import type { Harness } from './defenderHarness';
import type { TestResponse } from './testServer';

describe('simulator/defender server-driven paging', () => {
  let h: Harness;
  let token: string;
  beforeEach(async () => {
    h = await startHarness({ pageSize: 2 });
    token = await h.userToken('admin');
  });
  afterEach(() => h.close());

  /** Follows @odata.nextLink until it disappears; returns every page. */
  async function follow(first: string): Promise<TestResponse[]> {
    const pages = [await h.server.request(first, { token })];
    for (;;) {
      const last = pages[pages.length - 1]!;
      assert.equal(last.status, 200, last.text);
      const next = last.json['@odata.nextLink'];
      if (next === undefined) return pages;
      assert.ok(next.startsWith(`${h.server.baseUrl}/api/`), next);
      pages.push(await h.server.requestUrl(next, { token }));
      assert.ok(pages.length < 20, 'nextLink chain does not end');
    }
  }

  const ids = (pages: TestResponse[]) =>
    pages.flatMap((p) => (p.json.value as { id: string }[]).map((a) => a.id.slice(-1))).join(',');

  it('pages through every alert without $top', async () => {
    const pages = await follow('/api/alerts');
    assert.deepEqual(
      pages.map((p) => p.json.value.length),
      [2, 2, 1],
    );
    assert.equal(ids(pages), '2,1,3,4,5');
    assert.equal(pages[0]!.json['@odata.nextLink'], `${h.server.baseUrl}/api/alerts?$skip=2`);
  });

  it('stops after $top items, carrying the remaining $top in each link', async () => {
    const pages = await follow('/api/alerts?$top=3');
    assert.equal(ids(pages), '2,1,3');
    assert.equal(pages[0]!.json['@odata.nextLink'], `${h.server.baseUrl}/api/alerts?$top=1&$skip=2`);
  });

  it('gives no link when $top fits in one page', async () => {
    const res = await h.server.request('/api/alerts?$top=2', { token });
    assert.equal(res.json.value.length, 2);
    assert.equal(res.json['@odata.nextLink'], undefined);
  });

  it('preserves $filter, $expand and the /v1.0 prefix in the link', async () => {
    const filter = "status ne 'Resolved'";
    const pages = await follow(`/api/v1.0/alerts?$filter=${encodeURIComponent(filter)}&$expand=evidence`);
    assert.equal(ids(pages), '2,1,4,5');
    const link = new URL(pages[0]!.json['@odata.nextLink'] as string);
    assert.equal(link.pathname, '/api/v1.0/alerts');
    assert.equal(link.searchParams.get('$filter'), filter);
    assert.equal(link.searchParams.get('$expand'), 'evidence');
    assert.equal(link.searchParams.get('$skip'), '2');
    const withEvidence = pages.flatMap((p) => p.json.value as { evidence: unknown[] }[]);
    assert.ok(withEvidence.some((a) => a.evidence.length > 0));
  });

  it('starts from an explicit $skip', async () => {
    const pages = await follow('/api/alerts?$skip=1');
    assert.equal(ids(pages), '1,3,4,5');
  });

  it('pages machines and machine actions too', async () => {
    const machines = await follow('/api/machines');
    assert.equal(machines.flatMap((p) => p.json.value).length, 4);
    assert.equal(machines.length, 2);
    for (const id of [
      '1e5bc9d7e413ddd7902c2932e418702b84d0cc01',
      '2e5bc9d7e413ddd7902c2932e418702b84d0cc02',
      '3e5bc9d7e413ddd7902c2932e418702b84d0cc03',
    ]) {
      const res = await h.server.request(`/api/machines/${id}/runAntiVirusScan`, {
        method: 'POST',
        token,
        body: { Comment: 'scan', ScanType: 'Quick' },
      });
      assert.equal(res.status, 201);
      h.clock.advance(10);
    }
    const actions = await follow('/api/machineactions');
    assert.equal(actions.flatMap((p) => p.json.value).length, 3);
    assert.equal(actions.length, 2);
  });
});
