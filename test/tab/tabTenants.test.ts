import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ActionsResponse,
  AuditResponse,
  DecisionResponse,
  QueueResponse,
  ReleaseResponse,
  SubscriptionsResponse,
} from '../../src/tab/tabApiTypes';
import { actionData } from '../support/cardData';
import { demoSeed } from '../support/demoTenant';
import { FABRIKAM_TENANT_ID, fabrikamSeed } from '../support/partnerTenant';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import { startProductionHarness } from '../support/productionApp';

const CONTOSO = demoSeed.tenant.id;

/**
 * Two organisations served by one deployment, side by side: a Fabrikam viewer's tab never shows, decides, releases or
 * exports anything of Contoso's, whatever ids it is given.
 */
describe('SOC console tab API across two tenants (production mode)', function () {
  this.timeout(90_000);
  let h: ProductionHarness;
  let megan: TeamsPerson;
  let adele: TeamsPerson;
  let fabrikamAdele: TeamsPerson;

  before(async () => {
    const fabrikam = fabrikamSeed();
    h = await startProductionHarness({ seeds: [demoSeed, fabrikam], allowedTenantIds: [CONTOSO, FABRIKAM_TENANT_ID] });
    megan = h.person(demoSeed, 'Megan');
    adele = h.person(demoSeed, 'Adele');
    fabrikamAdele = h.person(fabrikam, 'Adele');
  });
  after(async () => h?.stop());

  async function call(person: TeamsPerson, path: string, init: { method?: string; body?: unknown } = {}) {
    const response = await fetch(`${h.app.url}/api/tab${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${h.ssoToken(person)}`,
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, text, body: text ? (JSON.parse(text.split('\n')[0]!) as unknown) : undefined };
  }

  it('keeps each tenant’s queue, decisions, containments, audit and channels to itself', async () => {
    const triage: Conversation = {
      id: '19:tenants-triage@thread.v2',
      conversationType: 'groupChat',
      tenantId: CONTOSO,
    };
    const command = 'isolate device ws-fin-042';
    await h.message(command, megan, triage);
    const confirmation = await h.execute('command.view', { command }, megan, triage);
    const confirm = actionData(confirmation.value, 'action.confirm');
    assert.ok(confirm);
    const view = await h.execute('action.confirm', { ...confirm, reason: 'Beaconing' }, megan, triage);
    const id = /"(A-[A-Za-z0-9_-]{12})"/.exec(JSON.stringify(view.value))?.[1];
    assert.ok(id);
    await h.app.idle();

    // Contoso sees it; Fabrikam does not, and cannot decide it by id.
    assert.ok(((await call(adele, '/approvals')).body as QueueResponse).items.some((i) => i.id === id));
    assert.equal(((await call(fabrikamAdele, '/approvals')).body as QueueResponse).items.length, 0);
    const forged = (await call(fabrikamAdele, `/approvals/${id}/approve`, { method: 'POST', body: { comment: 'x' } }))
      .body as DecisionResponse;
    assert.equal(forged.outcome, 'refused');
    assert.equal(forged.reason, 'otherTenant');

    // Contoso approves; the containment is Contoso's alone.
    await call(adele, `/approvals/${id}/approve`, { method: 'POST', body: { comment: 'Go' } });
    await h.app.idle();
    let deviceId = '';
    for (let i = 0; i < 200 && !deviceId; i++) {
      await h.app.trackNow();
      const board = (await call(adele, '/actions')).body as ActionsResponse;
      deviceId = board.contained.find((c) => c.approvalId === id)?.deviceId ?? '';
      if (!deviceId) await sleep(25);
    }
    assert.ok(deviceId, 'contained in Contoso');
    const fabrikamBoard = (await call(fabrikamAdele, '/actions')).body as ActionsResponse;
    assert.deepEqual([fabrikamBoard.contained.length, fabrikamBoard.inFlight.length], [0, 0]);
    const release = (await call(fabrikamAdele, `/containments/${deviceId}/release`, {
      method: 'POST',
      body: { kind: 'isolate', reason: 'Not yours' },
    })) as { status: number; body: unknown };
    assert.ok(
      release.status !== 200 || (release.body as ReleaseResponse).outcome === 'refused',
      'a Contoso device cannot be released from Fabrikam',
    );
    assert.equal(
      h.simulator.defender.state
        .machineActions(CONTOSO)
        .filter((a) => a.type === 'Unisolate' && a.machineId === deviceId).length,
      0,
    );

    // The audit and its export: Fabrikam's own only.
    // (Fabrikam's forged click is in Fabrikam's trail, by the request's id only: never Contoso's device.)
    const fabrikamAudit = (await call(fabrikamAdele, '/audit')).body as AuditResponse;
    const forgedEntry = fabrikamAudit.entries.find((e) => e.approvalId === id);
    assert.equal(forgedEntry?.type, 'approval.refused');
    assert.ok(
      fabrikamAudit.entries.every((e) => !(e.device ?? '').includes('contoso.com')),
      'no Contoso device',
    );
    const exported = await call(fabrikamAdele, '/audit/export');
    assert.equal(exported.status, 200);
    const lines = exported.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { tenantId: string; type: string });
    assert.ok(lines.length > 0);
    assert.ok(lines.every((l) => l.tenantId.toLowerCase() === FABRIKAM_TENANT_ID.toLowerCase()));
    assert.ok(!exported.text.includes('contoso.com'), 'no Contoso data in a Fabrikam export');
    const contosoExport = await call(adele, '/audit/export');
    assert.ok(contosoExport.text.includes(id), 'the same export in Contoso has it');

    // A Contoso channel does not exist for Fabrikam.
    const channel = (await call(fabrikamAdele, `/subscriptions?channelId=${encodeURIComponent(triage.id)}`))
      .body as SubscriptionsResponse;
    assert.equal(channel.known, false);
  });
});
