import assert from 'node:assert/strict';
import { parseSeed, SeedError } from '../../../src/simulator/seed/loadSeed';
import { MACHINE_A, validSeed } from './seedFixture';

const NOW = new Date('2030-06-15T12:00:00.000Z');

/** A seed with one incident and an identity alert plus an endpoint alert whose evidence names MACHINE_A. */
function graphSeed(): Record<string, unknown> & {
  incidents: Record<string, unknown>[];
  alertsV2: Record<string, unknown>[];
} {
  const alert = (id: string, serviceSource: string, evidence: unknown[]) => ({
    id,
    incidentId: '42',
    status: 'new',
    severity: 'high',
    serviceSource,
    detectionSource: 'microsoftDefenderForEndpoint',
    title: `Alert ${id}`,
    createdDateTime: '2024-01-26T20:00:00.0000000Z',
    lastUpdateDateTime: '2024-01-26T20:10:00.0000000Z',
    evidence,
  });
  return {
    ...validSeed(),
    incidents: [
      {
        id: '42',
        displayName: 'Multi-stage incident',
        severity: 'high',
        status: 'active',
        createdDateTime: '2024-01-26T20:00:00.0000000Z',
        lastUpdateDateTime: '2024-01-26T20:10:00.0000000Z',
        comments: [
          { comment: 'Triage started', createdByDisplayName: 'a@contoso.com', createdDateTime: '2024-01-26T20:05:00Z' },
        ],
      },
    ],
    alertsV2: [
      alert('ad1', 'microsoftDefenderForIdentity', []),
      alert('da1', 'microsoftDefenderForEndpoint', [
        { '@odata.type': '#microsoft.graph.security.deviceEvidence', mdeDeviceId: MACHINE_A },
      ]),
    ],
  };
}

function problemsOf(json: unknown): string[] {
  try {
    parseSeed(json, 'graph.json');
  } catch (err) {
    assert.ok(err instanceof SeedError);
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected a SeedError');
}

describe('seed: Graph incidents and alerts_v2', () => {
  it('a seed without the Graph sections stays valid and serves none', () => {
    const seed = parseSeed(validSeed(), 'plain.json');
    assert.deepEqual(seed.incidents, []);
    assert.deepEqual(seed.alertsV2, []);
  });

  it('fills the documented defaults of an incident', () => {
    const incident = parseSeed(graphSeed(), 'graph.json').incidents[0]!;
    assert.equal(incident.classification, 'unknown');
    assert.equal(incident.determination, 'unknown');
    assert.equal(incident.assignedTo, null);
    assert.deepEqual(incident.customTags, []);
  });

  it('refuses an alert of an unknown incident and deviceEvidence of an unknown machine', () => {
    const json = graphSeed();
    json.alertsV2[0]!.incidentId = '43';
    json.alertsV2[1]!.evidence = [{ '@odata.type': '#microsoft.graph.security.deviceEvidence', mdeDeviceId: 'nope' }];
    assert.deepEqual(problemsOf(json).sort(), [
      'alertsV2[0].incidentId: no incident with id 43',
      'alertsV2[1].evidence[0].mdeDeviceId: no machine with id nope',
    ]);
  });

  it('reports duplicate incident ids even when another field is invalid', () => {
    const json = graphSeed();
    json.incidents.push({ ...json.incidents[0]! });
    json.alertsV2[0]!.severity = 'catastrophic';
    const problems = problemsOf(json);
    assert.ok(problems.includes('incidents[1].id: duplicate id 42'), problems.join('\n'));
    assert.ok(
      problems.some((p) => p.startsWith('alertsV2[0].severity')),
      problems.join('\n'),
    );
  });

  it('freshening moves incident and alert times by the same offset as the MDE alerts', () => {
    const original = parseSeed(graphSeed(), 'graph.json');
    const fresh = parseSeed(graphSeed(), 'graph.json', { freshen: true, now: NOW });
    const offset = Date.parse(fresh.alerts[0]!.lastUpdateTime) - Date.parse(original.alerts[0]!.lastUpdateTime);
    const moved = (a: string, b: string) => Date.parse(b) - Date.parse(a);
    assert.equal(moved(original.incidents[0]!.createdDateTime, fresh.incidents[0]!.createdDateTime), offset);
    assert.equal(
      moved(original.incidents[0]!.comments[0]!.createdDateTime, fresh.incidents[0]!.comments[0]!.createdDateTime),
      offset,
    );
    assert.equal(moved(original.alertsV2[1]!.lastUpdateDateTime, fresh.alertsV2[1]!.lastUpdateDateTime), offset);
  });
});
