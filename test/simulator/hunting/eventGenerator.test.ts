import assert from 'node:assert/strict';
import { huntingEventsSchema } from '../../../src/simulator/seed/huntingSchema';
import { generateHuntingEvents } from '../../../src/simulator/seed/eventGenerator';

const NOW = new Date('2026-12-01T12:00:00Z');

describe('generateHuntingEvents', () => {
  it('gives the same rows for the same options, and other rows for another seed', () => {
    const a = generateHuntingEvents({ events: 2000, now: NOW });
    const b = generateHuntingEvents({ events: 2000, now: NOW });
    const c = generateHuntingEvents({ events: 2000, now: NOW, seed: 7 });
    assert.deepEqual([...a.tables], [...b.tables]);
    assert.notDeepEqual([...a.tables.get('DeviceProcessEvents')!], [...c.tables.get('DeviceProcessEvents')!]);
  });

  it('spreads the requested number of device events over the 30 days before now, valid for the seed schema', () => {
    const { tables } = generateHuntingEvents({ events: 5000, now: NOW });
    const deviceEvents = [
      'DeviceProcessEvents',
      'DeviceNetworkEvents',
      'DeviceLogonEvents',
      'DeviceFileEvents',
    ] as const;
    assert.equal(
      deviceEvents.reduce((sum, t) => sum + tables.get(t)!.length, 0),
      5000,
    );
    const oldest = NOW.getTime() - 30 * 86_400_000;
    for (const rows of tables.values()) {
      for (const row of rows) {
        const at = Date.parse(row.Timestamp as string);
        assert.ok(at > oldest && at <= NOW.getTime(), JSON.stringify(row.Timestamp));
      }
    }
    const parsed = huntingEventsSchema.safeParse(Object.fromEntries(tables));
    assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues[0]));
  });
});
