import assert from 'node:assert/strict';
import { shiftTimestamp } from '../../../src/simulator/seed/freshenSeed';
import { parseSeed } from '../../../src/simulator/seed/loadSeed';
import { validSeed } from './seedFixture';

const NOW = new Date('2030-06-15T12:00:00.000Z');

/** Exact instant in 100 ns ticks, so seven-digit timestamps compare without rounding. */
function ticks(value: string): bigint {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(value);
  assert.ok(match, `not a UTC timestamp: ${value}`);
  const seconds = BigInt(Date.parse(`${match[1]}Z`)) / 1000n;
  return seconds * 10_000_000n + BigInt((match[2] ?? '').padEnd(7, '0').slice(0, 7));
}

describe('freshenSeed', () => {
  const original = parseSeed(validSeed(), 'fixture.json');
  const fresh = parseSeed(validSeed(), 'fixture.json', { freshen: true, now: NOW });
  const offset = ticks(fresh.alerts[0]!.lastUpdateTime) - ticks(original.alerts[0]!.lastUpdateTime);

  it('makes the newest alert lastUpdateTime two minutes before now', () => {
    const newest = Math.max(...fresh.alerts.map((a) => Date.parse(a.lastUpdateTime)));
    assert.equal(newest, NOW.getTime() - 2 * 60_000);
    assert.ok(offset > 0n);
  });

  it('keeps the spacing between timestamps to the tick', () => {
    const a = (s: typeof original) => ticks(s.alerts[0]!.alertCreationTime) - ticks(s.alerts[1]!.alertCreationTime);
    assert.equal(a(fresh), a(original));
    assert.equal(ticks(fresh.alerts[0]!.firstEventTime!) - ticks(original.alerts[0]!.firstEventTime!), offset);
    assert.equal(ticks(fresh.alerts[1]!.resolvedTime!) - ticks(original.alerts[1]!.resolvedTime!), offset);
  });

  it('shifts comments and evidence times', () => {
    const comment = (s: typeof original) => s.alerts[0]!.comments[0]!.createdTime;
    const evidence = (s: typeof original) => s.alerts[0]!.evidence[0]!;
    assert.equal(ticks(comment(fresh)) - ticks(comment(original)), offset);
    assert.equal(
      ticks(evidence(fresh).evidenceCreationTime!) - ticks(evidence(original).evidenceCreationTime!),
      offset,
    );
    assert.equal(ticks(evidence(fresh).processCreationTime!) - ticks(evidence(original).processCreationTime!), offset);
  });

  it('shifts machines and machine actions by the same offset', () => {
    assert.equal(ticks(fresh.machines[0]!.firstSeen) - ticks(original.machines[0]!.firstSeen), offset);
    assert.equal(ticks(fresh.machines[1]!.lastSeen) - ticks(original.machines[1]!.lastSeen), offset);
    const action = (s: typeof original) => s.machineActions[0]!;
    assert.equal(ticks(action(fresh).creationDateTimeUtc) - ticks(action(original).creationDateTimeUtc), offset);
    assert.equal(ticks(action(fresh).lastUpdateDateTimeUtc) - ticks(action(original).lastUpdateDateTimeUtc), offset);
  });

  it('leaves nulls null', () => {
    assert.equal(fresh.alerts[0]!.resolvedTime, null);
    assert.equal(fresh.alerts[1]!.firstEventTime, null);
    assert.equal(fresh.alerts[0]!.evidence[0]!.parentProcessCreationTime, null);
    assert.equal(fresh.machineActions[0]!.cancellationDateTimeUtc, null);
  });

  it('keeps the seven-digit fraction style', () => {
    assert.match(fresh.alerts[0]!.alertCreationTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/);
    assert.match(fresh.machines[0]!.firstSeen, /\.\d{7}Z$/);
  });

  it('changes nothing without the option and does not mutate its input', () => {
    const input = validSeed();
    const before = JSON.stringify(input);
    const seed = parseSeed(input, 'fixture.json', { freshen: true, now: NOW });
    assert.equal(JSON.stringify(input), before);
    assert.notEqual(seed.alerts[0]!.lastUpdateTime, original.alerts[0]!.lastUpdateTime);
    assert.equal(original.alerts[0]!.lastUpdateTime, '2024-01-26T21:00:37.8404534Z');
  });

  it('leaves a seed without alerts as it is', () => {
    const json = validSeed();
    json.alerts = [];
    const seed = parseSeed(json, 'no-alerts.json', { freshen: true, now: NOW });
    assert.equal(seed.machines[0]!.firstSeen, '2023-04-19T13:27:53.1618923Z');
  });
});

describe('shiftTimestamp', () => {
  it('keeps sub-millisecond digits and the zone suffix', () => {
    assert.equal(shiftTimestamp('2024-01-26T20:33:57.7220239Z', 1_000), '2024-01-26T20:33:58.7220239Z');
    assert.equal(shiftTimestamp('2024-01-26T23:59:59.9990001+02:00', 2), '2024-01-27T00:00:00.0010001+02:00');
    assert.equal(shiftTimestamp('2024-03-01T00:30:00-05:00', -3_600_000), '2024-02-29T23:30:00-05:00');
  });

  it('grows a short fraction only as far as needed to stay exact', () => {
    assert.equal(shiftTimestamp('2024-01-26T20:33:59.2Z', 37), '2024-01-26T20:33:59.237Z');
    assert.equal(shiftTimestamp('2024-01-26T20:33:59.2Z', 100), '2024-01-26T20:33:59.3Z');
    assert.equal(shiftTimestamp('2024-01-26T20:33:59Z', 60_000), '2024-01-26T20:34:59Z');
    assert.equal(shiftTimestamp('2024-01-26T20:33:59Z', 5), '2024-01-26T20:33:59.005Z');
  });
});
