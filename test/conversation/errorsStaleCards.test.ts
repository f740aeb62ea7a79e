import assert from 'node:assert/strict';
import { visibleText } from '../support/botClient';
import { actionData } from '../support/cardData';
import { demoSeed } from '../support/demoTenant';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import { startProductionHarness } from '../support/productionApp';
import { capturedLogLines } from '../support/testApp';

const CONTOSO = demoSeed.tenant.id;
type InvokeBody = { statusCode: number; type: string; value: unknown };
type LogLine = { level: string; msg: string; approvalId?: string; status?: number; code?: string };

function cardOf(body: InvokeBody): Record<string, unknown> {
  assert.equal(body.type, 'application/vnd.microsoft.card.adaptive', JSON.stringify(body).slice(0, 300));
  return body.value as Record<string, unknown>;
}

describe('errors that help: cards Teams no longer has (production mode, channel emulator)', function () {
  this.timeout(60_000);
  let h: ProductionHarness;
  let megan: TeamsPerson;
  let adele: TeamsPerson;
  const triage: Conversation = { id: '19:stale-triage@thread.v2', conversationType: 'groupChat', tenantId: CONTOSO };

  before(async () => {
    h = await startProductionHarness({
      seeds: [demoSeed],
      connectorLimits: { perConversation: [{ windowMs: 1_000, max: 1_000 }] },
    });
    megan = h.person(demoSeed, 'Megan');
    adele = h.person(demoSeed, 'Adele');
  });
  after(async () => h?.stop());

  it('approving after the channel lost the cards (a Playground restart) updates quietly: no "Something went wrong", state kept, debug log', async () => {
    const command = 'collect investigation package from srv-file-01';
    const confirmation = cardOf(await h.execute('command.view', { command }, megan, triage));
    const confirm = actionData(confirmation, 'action.confirm');
    assert.ok(confirm, visibleText(confirmation).slice(0, 300));
    const requested = cardOf(await h.execute('action.confirm', { ...confirm, reason: 'Qakbot' }, megan, triage));
    const id = /"(A-[A-Za-z0-9_-]{12})"/.exec(JSON.stringify(requested))?.[1];
    assert.ok(id);
    await h.app.idle();

    // The channel forgets every message it had: each stored card now answers 404 ActivityNotFoundInConversation.
    h.channel.reset();
    const mark = capturedLogLines.length;
    const since = h.channel.sentCount();
    cardOf(await h.execute('approval.approve', { approvalId: id }, adele, triage));
    await h.app.trackNow();
    await h.app.idle();

    const posted = h.channel.sent().slice(since);
    assert.deepEqual(
      posted.filter((s) => /Something went wrong/.test(JSON.stringify(s.activity))).map((s) => s.conversationId),
      [],
      'nobody is told about a card that is gone',
    );
    const lines = capturedLogLines.slice(mark).map((l) => JSON.parse(l) as LogLine);
    assert.deepEqual(
      lines.filter((l) => l.msg === 'turn failed' || l.level === 'error'),
      [],
    );
    const gone = lines.filter((l) => l.approvalId === id && /no longer in Teams/.test(l.msg));
    assert.ok(gone.length > 0, 'the forgotten card is logged');
    assert.ok(gone.every((l) => l.level === 'debug' && l.status === 404));
    // The request itself went on: approved and executed in Defender.
    const view = cardOf(await h.execute('approval.view', { approvalId: id }, adele, triage));
    assert.doesNotMatch(visibleText(view), /Awaiting approval/);
    const actions = h.simulator.defender.state
      .machineActions(CONTOSO)
      .filter((a) => (a.requestorComment ?? '').includes(id));
    assert.equal(actions.length, 1);
  });
});
