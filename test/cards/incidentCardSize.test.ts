import assert from 'node:assert/strict';
import { COMMENTS_ON_INCIDENT_CARD, DEVICES_ON_INCIDENT_CARD, toIncidentCard } from '../../src/cards/incidentCard';
import type { IncidentCardInput } from '../../src/cards/incidentCard';
import { INCIDENT_ROW_TEXT_BYTES, INCIDENTS_PER_PAGE, toIncidentListCard } from '../../src/cards/incidentListCard';
import { CardTemplateError, MAX_CARD_BYTES } from '../../src/cards/renderCard';
import { jsonBytes } from '../../src/cards/textBytes';
import type { Reply } from '../../src/commands/commandContext';
import type { Incident } from '../../src/graph/graphSchemas';
import { incidentSchema } from '../../src/graph/graphSchemas';
import { incidentReply, showIncident } from '../../src/incidents/showIncident';
import { commentOnIncident, setIncidentStatus } from '../../src/incidents/triageIncident';
import { visibleText } from '../support/botClient';
import { RecordingGraphClient, triageContext } from '../support/recordingGraphClient';
import { assertValidAdaptiveCard, textRuns } from '../fixtures/adaptiveCards';

const TENANT = '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const AT = '2026-12-01T10:00:00.0000000Z';
/** What a worst-case card must leave free under the limit: the budget is computed, this is its margin. */
const MARGIN_BYTES = 1024;
/** More of everything than the card shows, so every list is at its maximum. */
const ALERTS = 8;
const EVIDENCE_ITEMS = 8;
const COMMENTS = COMMENTS_ON_INCIDENT_CARD + 2;

/** Heavy text: CJK (3 bytes a character), quotes and backslashes (2 each), an emoji pair, a lone surrogate (6). */
const HEAVY_TEXTS: Record<string, string> = {
  CJK: '漢',
  quotes: '"',
  backslashes: '\\',
  emoji: '😀',
  'lone surrogates': '\ud800',
};

const long = (unit: string, tag: string | number) => `${unit.repeat(1200)}${tag}`;

/** An incident with every free-text field far over its cap and every list longer than the card shows. */
function worstCaseIncident(unit: string, overrides: Partial<Incident> = {}): Incident {
  const evidence = (alert: number) => {
    const item = (type: string, fields: object) => ({ '@odata.type': `#microsoft.graph.security.${type}`, ...fields });
    return Array.from({ length: EVIDENCE_ITEMS }, (_, k) => [
      item('userEvidence', { userAccount: { userPrincipalName: long(unit, `u${alert}.${k}`) } }),
      item('mailboxEvidence', { primaryAddress: long(unit, `m${alert}.${k}`) }),
      item('ipEvidence', { ipAddress: long(unit, `i${alert}.${k}`) }),
      item('urlEvidence', { url: long(unit, `r${alert}.${k}`) }),
      item('fileEvidence', { fileDetails: { fileName: long(unit, `f${alert}.${k}`) } }),
    ]).flat();
  };
  return incidentSchema.parse({
    id: '2301',
    displayName: long(unit, 'title'),
    severity: 'high',
    status: 'active',
    // A user principal name at the length the bot accepts: it is also the value the Assign buttons compare against.
    assignedTo: `${'a'.repeat(113)}@${'b'.repeat(63)}.${'c'.repeat(63)}.com`,
    classification: 'unknown',
    determination: 'unknown',
    customTags: Array.from({ length: 20 }, (_, i) => long(unit, `tag${i}`)),
    systemTags: ['Ransomware'],
    comments: Array.from({ length: COMMENTS }, (_, i) => ({
      comment: long(unit, `comment${i}`),
      createdByDisplayName: long(unit, `author${i}`),
      createdDateTime: AT,
    })),
    createdDateTime: AT,
    lastUpdateDateTime: AT,
    redirectIncidentId: '2300',
    alerts: Array.from({ length: ALERTS }, (_, i) => ({
      id: `da${i}`,
      title: long(unit, `alert${i}`),
      severity: 'high',
      status: 'new',
      // Each a source of its own: the heading counts alerts per source.
      serviceSource: long(unit, `source${i}`),
      createdDateTime: AT,
      evidence: [
        {
          '@odata.type': '#microsoft.graph.security.deviceEvidence',
          mdeDeviceId: i.toString(16).padStart(2, '0').repeat(20),
          deviceDnsName: long(unit, `device${i}`),
        },
        ...evidence(i),
      ],
    })),
    ...overrides,
  });
}

function cardInput(incident: Incident, unit: string): IncidentCardInput {
  return {
    incident,
    tenantId: TENANT,
    now: new Date('2026-12-01T12:00:00Z'),
    notice: { text: long(unit, 'notice'), color: 'good' },
    // Teams' limit of users whose view refreshes, each id as long as Teams makes them.
    refreshUserIds: Array.from({ length: 60 }, (_, i) => `29:1${'x'.repeat(90)}${i}`),
  };
}

/** Teams shows six top-level buttons; the incident card uses all six. */
const TEAMS = { maxActions: 6 };
const cardBytes = (card: unknown) => Buffer.byteLength(JSON.stringify(card));
const isReduced = (card: unknown) => visibleText(card).includes('Evidence and comments are too long to show here');

describe('incident card size (the Teams card limit, whatever the text)', () => {
  for (const [name, unit] of Object.entries(HEAVY_TEXTS)) {
    it(`the worst case in ${name} renders whole, with margin under the limit, and parses`, () => {
      const card = toIncidentCard(cardInput(worstCaseIncident(unit), unit));
      assert.ok(cardBytes(card) <= MAX_CARD_BYTES - MARGIN_BYTES, `${cardBytes(card)} bytes`);
      assertValidAdaptiveCard(card, TEAMS);
      assert.equal(isReduced(card), false, 'the full card, not the reduced one');
      const text = visibleText(card);
      assert.match(text, new RegExp(`Comments \\(newest ${COMMENTS_ON_INCIDENT_CARD} of ${COMMENTS}\\)`));
      assert.match(text, new RegExp(`Devices \\(first ${DEVICES_ON_INCIDENT_CARD} of ${ALERTS}\\)`));
      for (const label of ['Users', 'Mailboxes', 'IPs', 'URLs', 'Files']) assert.ok(text.includes(label), label);
      // Clipped at a code point: never half a surrogate pair (an emoji cut in two shows as garbage).
      for (const run of textRuns(card)) assert.doesNotMatch(run, /\ud83d(?!\ude00)/);
    });
  }

  it('Latin text keeps its character caps: the byte caps only shorten heavier text', () => {
    const title = `${'t'.repeat(249)}X`;
    const incident = worstCaseIncident('a', { displayName: title });
    const card = toIncidentCard({ ...cardInput(incident, 'a'), notice: undefined });
    assert.ok(textRuns(card).includes(title), 'a 250-character Latin title is shown whole');
  });

  it('a card still over the budget (a field no cap covers) drops evidence and comments and says where they are', () => {
    // The owner is carried whole by the Assign buttons (they compare it), so no cap shortens it.
    const incident = worstCaseIncident('漢', { assignedTo: `${'o'.repeat(3000)}@contoso.com` });
    const card = toIncidentCard(cardInput(incident, '漢'));
    assert.ok(cardBytes(card) <= MAX_CARD_BYTES);
    assertValidAdaptiveCard(card, TEAMS);
    assert.equal(isReduced(card), true);
    const runs = textRuns(card);
    assert.ok(!runs.some((run) => run.includes('comment0')), 'no comments');
    assert.ok(!runs.some((run) => run.includes('u0.0')), 'no evidence');
    assert.ok(
      (card.actions as { title?: string }[]).some((action) => action.title === 'Open in Defender'),
      'the portal link and the triage buttons stay',
    );
  });

  it('when not even the reduced card fits, the card builder says so and the reply is plain text with the portal link', () => {
    const incident = worstCaseIncident('漢', { assignedTo: `${'o'.repeat(20_000)}@contoso.com` });
    assert.throws(() => toIncidentCard(cardInput(incident, '漢')), CardTemplateError);
    const graph = new RecordingGraphClient(incident);
    const reply = incidentReply(triageContext(graph), incident, {
      notice: { text: 'The owner is now X.', color: 'good' },
    });
    assert.equal(reply.kind, 'text');
    assert.match(textOf(reply), /^The owner is now X\. Incident 2301 has too much detail to show as a card in Teams\./);
    assert.ok(textOf(reply).includes(`https://security.microsoft.com/incidents/2301?tid=${TENANT}`));
  });

  it('the incident list card caps each row in bytes, so a page of heavy text stays under the limit', () => {
    for (const unit of Object.values(HEAVY_TEXTS)) {
      const incidents = Array.from({ length: INCIDENTS_PER_PAGE * 2 }, (_, i) =>
        incidentSchema.parse({
          ...worstCaseIncident(unit, { id: String(2300 + i), alerts: [] }),
          assignedTo: long(unit, 'owner'),
        }),
      );
      const card = toIncidentListCard({
        query: { severities: ['high', 'medium', 'low', 'informational'], status: 'open', owner: 'anyone' },
        page: 0,
        incidents,
        truncated: true,
        now: new Date('2026-12-01T12:00:00Z'),
      });
      assert.ok(cardBytes(card) <= MAX_CARD_BYTES - MARGIN_BYTES, `${cardBytes(card)} bytes`);
      assertValidAdaptiveCard(card, TEAMS);
      // Each row keeps to its share, so the page's size does not depend on the script its titles are written in.
      for (const row of textRuns(card)) assert.ok(jsonBytes(row) <= INCIDENT_ROW_TEXT_BYTES.title, `${jsonBytes(row)}`);
    }
  });
});

describe('a triage change on an incident whose card cannot be drawn', () => {
  // The owner so long that not even the reduced card fits: only the answer's form may change, never the write.
  const oversized = () => worstCaseIncident('"', { assignedTo: `${'o'.repeat(20_000)}@contoso.com` });
  const env = { audit: undefined, refreshUserIds: [] };

  it('a comment is posted once and the answer says it was added, not "Something went wrong"', async () => {
    const graph = new RecordingGraphClient(oversized());
    const reply = await commentOnIncident(triageContext(graph), env, {
      incidentId: '2301',
      seen: AT,
      commentText: 'hi',
    });
    assert.deepEqual(graph.calls, ['POST 2301', 'GET 2301']);
    assert.equal(reply.kind, 'text');
    assert.match(textOf(reply), /^Your comment was added\. .*https:\/\/security\.microsoft\.com\/incidents\/2301/);
  });

  it('"incident 2301" still answers, with the reduced card when the full one cannot be drawn', async () => {
    const graph = new RecordingGraphClient(worstCaseIncident('漢', { assignedTo: `${'o'.repeat(3000)}@contoso.com` }));
    const reply = await showIncident(triageContext(graph), '2301');
    assert.equal(reply.kind, 'card');
    assert.equal(isReduced(reply.kind === 'card' ? reply.card : null), true);
  });

  it('a status change is made once and the answer says what the status now is', async () => {
    const graph = new RecordingGraphClient(oversized());
    const reply = await setIncidentStatus(triageContext(graph), env, {
      incidentId: '2301',
      seen: AT,
      shown: 'active',
      status: 'inProgress',
    });
    assert.deepEqual(graph.calls, ['GET 2301', 'PATCH 2301']);
    assert.match(textOf(reply), /^The status is now In progress\./);
  });
});

const textOf = (reply: Reply) => (reply.kind === 'text' ? reply.text : visibleText(reply.card));
