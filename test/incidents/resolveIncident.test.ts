import assert from 'node:assert/strict';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { GraphAuth } from '../../src/graph/graphSecurityClient';
import type { HttpGraphSecurityClient } from '../../src/graph/graphSecurityClient';
import type { Incident } from '../../src/graph/graphSchemas';
import { visibleText } from '../support/botClient';
import { demoSeed } from '../support/demoTenant';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import type { GraphPeople } from '../support/graphPeople';
import { graphPeople } from '../support/graphPeople';
import { startProductionHarness } from '../support/productionApp';

type Persona = TeamsPerson;
type Answer = { card: Record<string, unknown> | undefined; text: string };

const APPROVAL_ID = /"(A-[A-Za-z0-9_-]{12})"/;
const INCIDENT_ID = /incident (\d+)/;

const CONTOSO = demoSeed.tenant.id;
/** The SOC's triage chat: requests are made and their approval cards posted here. */
const triage: Conversation = { id: '19:soc-incidents@thread.v2', conversationType: 'groupChat', tenantId: CONTOSO };

describe('resolving incidents, with four eyes on High ones (production mode, demo tenant, POST /api/messages)', function () {
  this.timeout(60_000);
  let h: ProductionHarness;
  const dataDir = fsSync.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-resolve-'));
  let clock = Date.now();
  let people: GraphPeople;
  let megan: Persona;
  let adele: Persona;
  let isaiah: Persona;
  let alex: Persona;
  /** Graph as the test reads and changes it: the product's own client, with a person's own Graph token. */
  let graphAs: (who: Persona) => { client: HttpGraphSecurityClient; auth: GraphAuth };

  before(async () => {
    h = await startProductionHarness({
      seeds: [demoSeed],
      env: { DATA_DIR: dataDir, INCIDENT_RESOLVE_APPROVAL: 'high' },
      now: () => new Date(clock),
    });
    megan = h.person(demoSeed, 'Megan');
    adele = h.person(demoSeed, 'Adele');
    isaiah = h.person(demoSeed, 'Isaiah');
    alex = h.person(demoSeed, 'Alex');
    people = graphPeople(h, CONTOSO);
    graphAs = (who) => people.as(who.user);
  });
  after(async () => {
    people?.close();
    await h?.stop();
  });
  beforeEach(() => {
    clock = Date.now();
  });

  /** The incident as Graph has it now (read with Adele's token, who sees every incident). */
  async function incident(id: string): Promise<Incident> {
    const { client, auth } = graphAs(adele);
    return client.getIncident(auth, id);
  }

  function answerOf(response: { type: string; value: unknown }): Answer {
    return response.type === 'application/vnd.microsoft.card.adaptive'
      ? { card: response.value as Record<string, unknown>, text: visibleText(response.value) }
      : { card: undefined, text: String(response.value) };
  }

  /** A command typed in the triage chat, answered for `who` (the "Show me" view of a group chat). */
  async function say(text: string, who: Persona): Promise<Answer> {
    await h.message(text, who, triage);
    return click('command.view', { command: text }, who);
  }

  /**
   * A typed "resolve incident …": the answer is a confirmation card and nothing is changed; then `who` chooses
   * Resolve on it (the click runs `incident.resolve` with their own token).
   */
  async function sayAndConfirm(text: string, who: Persona): Promise<Answer> {
    const before = (await incident(INCIDENT_ID.exec(text)![1]!)).lastUpdateDateTime;
    const confirmation = await say(text, who);
    assert.ok(confirmation.card, `a confirmation card, got: ${confirmation.text}`);
    assert.match(confirmation.text, /Nothing is changed until you choose Resolve/);
    assert.equal((await incident(INCIDENT_ID.exec(text)![1]!)).lastUpdateDateTime, before, 'typing changes nothing');
    const resolve = findExecute(confirmation.card, 'incident.resolve');
    assert.ok(resolve, 'the confirmation offers Resolve');
    return click('incident.resolve', resolve.data, who);
  }

  async function click(verb: string, data: Record<string, unknown>, who: Persona): Promise<Answer> {
    const response = await h.execute(verb, data, who, triage);
    assert.equal(response.statusCode, 200);
    return answerOf(response);
  }

  /** Megan asks to resolve a High incident: an approval request, nothing changed in Graph yet. */
  async function requestResolution(id: string, resolution = 'true positive malware'): Promise<string> {
    const asked = await sayAndConfirm(`resolve incident ${id} as ${resolution} because contained on the host`, megan);
    assert.ok(asked.card, `an approval card, got: ${asked.text}`);
    assert.match(asked.text, /Resolve incident request/);
    assert.match(asked.text, new RegExp(`Incident ${id}:`));
    assert.match(asked.text, /High severity incident/);
    const approvalId = APPROVAL_ID.exec(JSON.stringify(asked.card))?.[1];
    assert.ok(approvalId, 'the card carries the approval id');
    assert.notEqual((await incident(id)).status, 'resolved', 'nothing is resolved before an approval');
    return approvalId;
  }

  /** The first Action.Execute (button or selectAction) with `verb` anywhere in a card. */
  function findExecute(node: unknown, verb: string): { data: Record<string, unknown> } | undefined {
    if (Array.isArray(node)) {
      for (const item of node) {
        const found = findExecute(item, verb);
        if (found) return found;
      }
      return undefined;
    }
    if (node === null || typeof node !== 'object') return undefined;
    const record = node as Record<string, unknown>;
    if (record.type === 'Action.Execute' && record.verb === verb)
      return { data: record.data as Record<string, unknown> };
    for (const value of Object.values(record)) {
      const found = findExecute(value, verb);
      if (found) return found;
    }
    return undefined;
  }

  /** The audit trail as a SIEM reads it: every line of DATA_DIR/audit/audit.jsonl. */
  const audit = async (): Promise<Record<string, unknown>[]> => {
    const text = await fs.readFile(path.join(dataDir, 'audit', 'audit.jsonl'), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  };

  it('resolves a Low incident at once with the person’s own token, and adds their comment', async () => {
    const typed =
      'resolve incident 2297 as false positive not malicious because blocked by network protection as designed';
    // In the group chat anyone may open the answer ("Show me"): Alex sees the confirmation, and nothing changes.
    await h.message(typed, megan, triage);
    const seenByAlex = await click('command.view', { command: typed }, alex);
    assert.match(seenByAlex.text, /Resolve incident 2297\?/);
    assert.equal((await incident('2297')).status, 'active');
    const answer = await sayAndConfirm(typed, megan);
    assert.match(answer.text, /Resolved as False positive · Not malicious/);
    const now = await incident('2297');
    assert.equal(now.status, 'resolved');
    assert.equal(now.classification, 'falsePositive');
    assert.equal(now.determination, 'notMalicious');
    const comment = now.comments.at(-1);
    assert.equal(comment?.comment, 'blocked by network protection as designed');
    assert.equal(comment?.createdByDisplayName, megan.user.userPrincipalName, 'written with Megan’s own token');
    const recorded = (await audit()).find(
      (e) => e.type === 'incident.changed' && (e.detail as Record<string, unknown>).incidentId === '2297',
    );
    assert.ok(recorded, 'the resolution is in the audit trail');
    assert.equal((recorded.detail as Record<string, unknown>).change, 'resolved');
    assert.equal((recorded.actor as Record<string, unknown>).userPrincipalName, megan.user.userPrincipalName);
  });

  it('resolves from the card’s form (incident.resolve) the same way', async () => {
    const seen = (await incident('2312')).lastUpdateDateTime;
    const answer = await click(
      'incident.resolve',
      { incidentId: '2312', seen, resolution: 'informationalExpectedActivity/securityTesting', comment: '' },
      alex,
    );
    assert.match(answer.text, /Resolved as Informational, expected activity · Security testing/);
    const now = await incident('2312');
    assert.equal(now.status, 'resolved');
    assert.equal(now.determination, 'securityTesting');
    assert.equal(now.comments.length, 0, 'an empty comment box adds no comment');
  });

  it('turns a High incident into an approval request: not by the requester, not without the role; executed once with the approver’s Graph token', async () => {
    const since = h.channel.sentCount();
    const id = await requestResolution('2303');
    // The request's card is posted in the chat it was asked in, carrying only its id, and follows the request.
    const [posted] = await h.channel.waitFor(
      (s) => s.conversationId === triage.id && s.kind !== 'update' && JSON.stringify(s.activity).includes(id),
      { since, count: 1, timeoutMs: 5_000 },
    );
    assert.match((await click('approval.approve', { approvalId: id }, megan)).text, /can't approve your own/);
    assert.match((await click('approval.approve', { approvalId: id }, alex)).text, /approver role/);
    // A double click (and a Teams retry) by Adele: one PATCH, one comment.
    const clicks = await Promise.all([
      click('approval.approve', { approvalId: id, comment: 'Checked the timeline' }, adele),
      click('approval.approve', { approvalId: id }, adele),
      click('approval.approve', { approvalId: id }, adele),
    ]);
    assert.ok(
      clicks.some((c) => c.card),
      'one click is recorded',
    );
    await h.app.idle();
    const now = await incident('2303');
    assert.equal(now.status, 'resolved');
    assert.equal(now.classification, 'truePositive');
    assert.equal(now.determination, 'malware');
    const ours = now.comments.filter((c) => c.comment.includes(id));
    assert.equal(ours.length, 1, 'exactly one resolution comment');
    assert.equal(ours[0]!.createdByDisplayName, adele.user.userPrincipalName, 'written with Adele’s own Graph token');
    assert.match(
      ours[0]!.comment,
      new RegExp(
        `requested by ${megan.user.userPrincipalName}, approved by ${adele.user.userPrincipalName}; approval ${id}; comment: contained on the host`,
      ),
    );
    assert.match((await click('approval.approve', { approvalId: id }, isaiah)).text, /already decided/);
    const updates = h.channel.sent().filter((s) => s.activityId === posted!.activityId && s.kind === 'update');
    assert.match(visibleText(updates.at(-1)?.activity.attachments), /Resolved\nIncident 2303/);
    const card = await click('approval.view', { approvalId: id }, megan);
    assert.match(card.text, /Resolved/);
    assert.match(card.text, /Executed with the permissions of \nAdele Vance/);

    const entries = (await audit()).filter((e) => e.approvalId === id);
    assert.ok(entries.some((e) => e.type === 'approval.requested' && e.action === 'resolveIncident'));
    assert.equal(entries.filter((e) => e.type === 'approval.approved').length, 1);
    const executed = entries.find((e) => e.type === 'action.submitted');
    assert.ok(executed, 'the execution is audited');
    assert.deepEqual((executed.detail as Record<string, unknown>).incidentId, '2303');
    assert.ok(
      entries.some(
        (e) => e.type === 'approval.refused' && (e.detail as Record<string, unknown>).reason === 'selfApproval',
      ),
    );
  });

  it('refuses an approval after the request expired, and nothing is resolved', async () => {
    const id = await requestResolution('2304');
    clock += 31 * 60_000;
    assert.match((await click('approval.approve', { approvalId: id }, adele)).text, /expired/);
    await h.app.idle();
    assert.notEqual((await incident('2304')).status, 'resolved');
    clock = Date.now();
    assert.match((await click('approval.view', { approvalId: id }, megan)).text, /Expired/);
  });

  it('overwrites nothing when someone resolved the incident before the approval', async () => {
    const id = await requestResolution('2306');
    // Alex resolves it in the meantime (as in the Defender portal), with his own token.
    const { client, auth } = graphAs(alex);
    await client.updateIncident(auth, '2306', {
      status: 'resolved',
      classification: 'falsePositive',
      determination: 'notEnoughDataToValidate',
    });
    await click('approval.approve', { approvalId: id }, adele);
    await h.app.idle();
    const now = await incident('2306');
    assert.equal(now.classification, 'falsePositive', 'Alex’s resolution stands');
    assert.equal(now.determination, 'notEnoughDataToValidate');
    assert.equal(now.comments.filter((c) => c.comment.includes(id)).length, 0);
    const card = await click('approval.view', { approvalId: id }, megan);
    assert.match(card.text, /Already resolved/);
    assert.match(card.text, /Someone resolved the incident meanwhile as False positive · Not enough data to validate/);
  });

  it('overwrites nothing an approver did not see: a reclassification made after the request ends it', async () => {
    const id = await requestResolution('2308');
    // In the portal, someone judges it a false positive after Megan asked; Adele approves from the request's card.
    h.simulator.graph.portal.updateIncident(
      '2308',
      { classification: 'falsePositive', determination: 'notMalicious' },
      CONTOSO,
    );
    await click('approval.approve', { approvalId: id }, adele);
    await h.app.idle();
    const now = await incident('2308');
    assert.notEqual(now.status, 'resolved');
    assert.equal(now.classification, 'falsePositive', 'the newer judgement stands');
    assert.equal(now.comments.filter((c) => c.comment.includes(id)).length, 0);
    const card = await click('approval.view', { approvalId: id }, megan);
    assert.match(
      card.text,
      /changed after this request was made \(classification, determination\): nothing was overwritten/,
    );
  });

  it('returns the request to pending when Defender refuses the approver (an incident outside their device groups)', async () => {
    const id = await requestResolution('2302');
    // Isaiah holds the approver role, but his Defender device groups do not include this incident's devices.
    await click('approval.approve', { approvalId: id }, isaiah);
    await h.app.idle();
    assert.equal((await incident('2302')).status, 'inProgress', 'nothing written with Isaiah’s token');
    const pending = await click('approval.view', { approvalId: id }, megan);
    assert.match(pending.text, /Awaiting approval/);
    assert.match(pending.text, /Microsoft Defender refused Isaiah Langer/);
    assert.match((await click('approval.approve', { approvalId: id }, isaiah)).text, /refused your permissions/);
    await click('approval.approve', { approvalId: id }, adele);
    await h.app.idle();
    const now = await incident('2302');
    assert.equal(now.status, 'resolved');
    assert.equal(
      now.comments.filter((c) => c.comment.includes(id)).at(-1)?.createdByDisplayName,
      adele.user.userPrincipalName,
    );
  });

  it('leaves Defender’s RBAC the last word: a read-only viewer can neither resolve nor ask approvers to', async () => {
    const patti = h.person(demoSeed, 'Patti');
    // A new Low incident on a Finance workstation (Patti's device group), as it appears in the portal.
    const created = h.simulator.graph.portal.createIncident(
      {
        displayName: 'Suspicious macro on a Finance workstation',
        severity: 'low',
        alerts: [
          {
            title: 'Suspicious macro',
            severity: 'low',
            serviceSource: 'microsoftDefenderForEndpoint',
            detectionSource: 'antivirus',
            evidence: [
              {
                '@odata.type': '#microsoft.graph.security.deviceEvidence',
                mdeDeviceId: demoSeed.machines.find((m) => m.rbacGroupName === 'Finance-Workstations')!.id,
              },
            ],
          },
        ],
      },
      CONTOSO,
    );
    const denied = await click(
      'incident.resolve',
      { incidentId: created.id, resolution: 'falsePositive/notMalicious' },
      patti,
    );
    assert.match(denied.text, /permission to resolve this incident/);
    assert.equal((await incident(created.id)).status, 'active');
    const notAsked = await sayAndConfirm('resolve incident 2301 as true positive phishing', patti);
    assert.match(notAsked.text, /asking for one needs one of these roles/);
    assert.equal((await incident('2301')).status, 'inProgress');
  });

  it('never sends the PATCH twice: a connection reset after Graph did the work is confirmed by reading', async () => {
    const id = await requestResolution('2305');
    h.simulator.defender.faults.set({
      resetAfterWrite: { next: 1, method: 'PATCH', pathPrefix: '/v1.0/security/incidents/2305' },
    });
    const calls: string[] = [];
    const stop = h.simulator.graph.onRequest((call) => calls.push(call.operation));
    try {
      await click('approval.approve', { approvalId: id }, adele);
      await h.app.idle();
    } finally {
      stop();
      h.simulator.defender.faults.clear();
    }
    // The approver's re-read, the one PATCH (its answer lost), the read that confirms it, the comment.
    assert.deepEqual(calls, ['incidents.get', 'incidents.patch', 'incidents.get', 'incidents.comment']);
    const now = await incident('2305');
    assert.equal(now.status, 'resolved');
    assert.equal(now.comments.filter((c) => c.comment.includes(id)).length, 1);
    assert.match((await click('approval.view', { approvalId: id }, megan)).text, /Resolved/);
  });

  it('refuses an illegal classification/determination pair from a card without a Graph write, and audits it', async () => {
    const before = await incident('2298');
    const answer = await click(
      'incident.resolve',
      { incidentId: '2298', resolution: 'falsePositive/phishing', comment: 'x' },
      megan,
    );
    assert.match(answer.text, /does not accept that determination/);
    const after = await incident('2298');
    assert.equal(after.status, before.status);
    assert.equal(after.lastUpdateDateTime, before.lastUpdateDateTime);
    const refusal = (await audit()).find(
      (e) => e.type === 'approval.refused' && (e.detail as Record<string, unknown>).reason === 'illegalDetermination',
    );
    assert.ok(refusal, 'the refusal is audited');
    assert.equal((refusal.actor as Record<string, unknown>).userPrincipalName, megan.user.userPrincipalName);
    // Typed: the bot answers with the determinations that go with the classification.
    const typed = await say('resolve incident 2298 as false positive phishing', megan);
    assert.match(typed.text, /not malicious, not enough data to validate, other/);
    assert.equal((await incident('2298')).lastUpdateDateTime, before.lastUpdateDateTime);
  });

  it('refuses a comment that carries an access token: nothing stored, sent to Graph or written to the audit trail', async () => {
    const before = await incident('2298');
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJl';
    const answer = await click(
      'incident.resolve',
      { incidentId: '2298', resolution: 'falsePositive/notMalicious', comment: `my token ${token}` },
      megan,
    );
    assert.match(answer.text, /looks like it contains an access token/);
    assert.equal((await incident('2298')).lastUpdateDateTime, before.lastUpdateDateTime);
    const entries = await audit();
    assert.ok(
      entries.some(
        (e) => e.type === 'approval.refused' && (e.detail as Record<string, unknown>).reason === 'tokenInText',
      ),
    );
    assert.ok(!JSON.stringify(entries).includes(token));
  });

  it('does not resolve what changed since the card was opened, nor what is resolved already', async () => {
    const stale = await click(
      'incident.resolve',
      { incidentId: '2311', seen: '2020-01-01T00:00:00Z', resolution: 'falsePositive/notMalicious' },
      megan,
    );
    assert.match(stale.text, /changed since you opened it/);
    assert.equal((await incident('2311')).status, 'active');
    const done = await sayAndConfirm('resolve incident 2288 as true positive other', megan);
    assert.match(done.text, /already resolved as False positive/);
    assert.equal((await incident('2288')).classification, 'falsePositive');
  });
  it('a resolution still running (Graph slow to answer) is not called interrupted by the tracker, and completes', async () => {
    const id = await requestResolution('2301', 'true positive multi staged attack');
    h.simulator.defender.faults.set({ latency: { ms: 1_500, pathPrefix: '/v1.0/security/incidents/2301' } });
    try {
      await click('approval.approve', { approvalId: id }, adele);
      // Three minutes later by the bot's clock, the tracker's round finds the execution still running in this process.
      clock += 3 * 60_000;
      await h.app.trackNow();
    } finally {
      h.simulator.defender.faults.clear();
      clock = Date.now();
    }
    await h.app.idle();
    assert.equal((await incident('2301')).status, 'resolved');
    const card = await click('approval.view', { approvalId: id }, megan);
    assert.match(card.text, /The incident is resolved in Microsoft Defender/);
    assert.doesNotMatch(card.text, /could not confirm/);
  });
});
