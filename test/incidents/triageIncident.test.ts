import assert from 'node:assert/strict';
import type { AuditEntryInput } from '../../src/audit/auditEntry';
import type { Reply } from '../../src/commands/commandContext';
import { MAX_INCIDENT_COMMENT_LENGTH } from '../../src/graph/graphSecurityClient';
import type { Incident } from '../../src/graph/graphSchemas';
import { incidentSchema } from '../../src/graph/graphSchemas';
import type { TriageEnvironment } from '../../src/incidents/triageIncident';
import { classifyIncident, commentOnIncident, setIncidentStatus } from '../../src/incidents/triageIncident';
import { visibleText } from '../support/botClient';
import { RecordingGraphClient, triageContext as context } from '../support/recordingGraphClient';

const SEEN = '2026-12-01T10:00:00.0000000Z';

const incident = (): Incident =>
  incidentSchema.parse({
    id: '42',
    displayName: 'Test incident',
    severity: 'medium',
    status: 'active',
    assignedTo: null,
    classification: 'unknown',
    determination: 'unknown',
    createdDateTime: SEEN,
    lastUpdateDateTime: SEEN,
    alerts: [],
  });

const textOf = (reply: Reply) => (reply.kind === 'text' ? reply.text : visibleText(reply.card));

describe('incident triage (domain rules, recording Graph client)', () => {
  const audited: AuditEntryInput[] = [];
  const env: TriageEnvironment = {
    audit: { append: (entry) => Promise.resolve(audited.push(entry)) },
    refreshUserIds: ['29:adele'],
  };

  it('refuses a comment over the service limit with the reason, and sends nothing', async () => {
    const graph = new RecordingGraphClient(incident());
    const reply = await commentOnIncident(context(graph), env, {
      incidentId: '42',
      seen: SEEN,
      commentText: 'x'.repeat(MAX_INCIDENT_COMMENT_LENGTH + 1),
    });
    assert.match(textOf(reply), /30,001 characters long; Microsoft Defender takes at most 30,000\. Nothing was sent/);
    assert.deepEqual(graph.calls, []);
  });

  it('a comment at the limit is sent once and its length audited', async () => {
    const graph = new RecordingGraphClient(incident());
    audited.length = 0;
    await commentOnIncident(context(graph), env, {
      incidentId: '42',
      seen: SEEN,
      commentText: 'y'.repeat(MAX_INCIDENT_COMMENT_LENGTH),
    });
    assert.deepEqual(graph.calls, ['POST 42', 'GET 42']);
    assert.equal((audited[0]?.detail as { length: number }).length, MAX_INCIDENT_COMMENT_LENGTH);
    assert.equal((audited[0]?.detail as { comment: string }).comment.length, 200);
  });

  it('refuses an illegal or malformed classification pair without any call', async () => {
    const graph = new RecordingGraphClient(incident());
    for (const classification of [
      'falsePositive/malware',
      'truePositive',
      'truePositive/phishing/x',
      'nonsense/other',
    ]) {
      const reply = await classifyIncident(context(graph), env, {
        incidentId: '42',
        seen: SEEN,
        shown: 'unknown/unknown',
        classification,
      });
      assert.match(textOf(reply), /does not accept that classification/, classification);
    }
    assert.deepEqual(graph.calls, []);
  });

  it('writes nothing when the field already has the wanted value', async () => {
    const graph = new RecordingGraphClient({
      ...incident(),
      status: 'inProgress',
      lastUpdateDateTime: '2026-12-01T10:30:00Z',
    });
    const reply = await setIncidentStatus(context(graph), env, {
      incidentId: '42',
      seen: SEEN,
      shown: 'active',
      status: 'inProgress',
    });
    assert.match(textOf(reply), /The status is already In progress; nothing was changed/);
    assert.deepEqual(graph.calls, ['GET 42']);
  });

  it('a change elsewhere on the incident (a new comment) does not block a status change', async () => {
    const graph = new RecordingGraphClient({ ...incident(), lastUpdateDateTime: '2026-12-01T10:30:00Z' });
    const reply = await setIncidentStatus(context(graph), env, {
      incidentId: '42',
      seen: SEEN,
      shown: 'active',
      status: 'inProgress',
    });
    assert.match(textOf(reply), /The status is now In progress\./);
    assert.deepEqual(graph.calls, ['GET 42', 'PATCH 42']);
  });

  it('a change whose audit record cannot be written still shows, and says the record is missing', async () => {
    const graph = new RecordingGraphClient(incident());
    const failing: TriageEnvironment = { ...env, audit: { append: () => Promise.reject(new Error('disk full')) } };
    const reply = await setIncidentStatus(context(graph), failing, {
      incidentId: '42',
      seen: SEEN,
      shown: 'active',
      status: 'inProgress',
    });
    assert.match(textOf(reply), /The status is now In progress\. The bot's audit trail could not record it/);
  });
});
