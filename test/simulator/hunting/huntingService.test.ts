import assert from 'node:assert/strict';
import { createHuntingService } from '../../../src/simulator/graph/hunting/huntingService';
import type { GraphTenant } from '../../../src/simulator/graph/graphTenant';
import type { HuntingRow, HuntingTableName } from '../../../src/simulator/seed/huntingSchema';

const TENANT: GraphTenant = {
  tenantId: 'aaaaaaaa-0000-4000-8000-00000000000a',
  incidents: [],
  alerts: [],
  users: new Map(),
  machineGroups: new Map(),
};
const NOW = new Date('2026-12-01T12:00:00Z');

/* The service reading tables another part of the simulator owns (the `tablesOf` hook). */
describe('advanced hunting service: shared tables', () => {
  it('sees rows appended to a table after its first query', async () => {
    const logons: HuntingRow[] = [{ Timestamp: '2026-12-01T09:00:00Z', DeviceName: 'ws-1', AccountName: 'alice' }];
    const tables = new Map<HuntingTableName, readonly HuntingRow[]>([['DeviceLogonEvents', logons]]);
    const service = createHuntingService({ seeds: [], tablesOf: () => tables });
    const count = async () => {
      const answer = await service.run({
        tenant: TENANT,
        scope: { all: true },
        body: JSON.stringify({ Query: 'DeviceLogonEvents | count' }),
        now: NOW,
      });
      return (answer.body as { results: { Count: number }[] }).results[0]?.Count;
    };
    assert.equal(await count(), 1);
    logons.push({ Timestamp: '2026-12-01T10:00:00Z', DeviceName: 'ws-2', AccountName: 'bob' });
    assert.equal(await count(), 2);
  });
});
