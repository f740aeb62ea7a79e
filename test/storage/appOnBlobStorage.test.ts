import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContainerClient } from '@azure/storage-blob';
import { actionData } from '../support/cardData';
import type { Azurite } from '../support/azurite';
import { startAzurite, useAzurite } from '../support/azurite';
import { demoSeed } from '../support/demoTenant';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import { startProductionHarness } from '../support/productionApp';

type InvokeBody = { statusCode: number; type: string; value: unknown };

/** The card an Action.Execute answered with (the approval id is read from it, as a client would). */
function cardOf(body: InvokeBody): Record<string, unknown> {
  assert.equal(body.type, 'application/vnd.microsoft.card.adaptive', JSON.stringify(body).slice(0, 300));
  return body.value as Record<string, unknown>;
}

describe('the bot on Blob Storage (STORAGE_CONNECTION_STRING, through POST /api/messages)', function () {
  this.timeout(60_000);
  const azurite = useAzurite();
  const container = `app-${randomBytes(6).toString('hex')}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-blob-app-'));
  const triage: Conversation = {
    id: '19:blob-triage@thread.v2',
    conversationType: 'groupChat',
    tenantId: demoSeed.tenant.id,
  };
  let h: ProductionHarness;
  let megan: TeamsPerson;
  let adele: TeamsPerson;

  before(async () => {
    h = await startProductionHarness({
      seeds: [demoSeed],
      env: { DATA_DIR: dataDir, STORAGE_CONNECTION_STRING: azurite().connectionString, STORAGE_CONTAINER: container },
    });
    megan = h.person(demoSeed, 'Megan');
    adele = h.person(demoSeed, 'Adele');
  });
  after(async () => {
    await h?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps a request in the container across a restart; approved after it, it runs once in Defender', async () => {
    const command = 'scan device ws-fin-041 full';
    await h.message(command, megan, triage);
    const confirmation = cardOf(await h.execute('command.view', { command }, megan, triage));
    const confirm = actionData(confirmation, 'action.confirm');
    assert.ok(confirm, 'a confirmation card');
    const requested = cardOf(await h.execute('action.confirm', { ...confirm, reason: 'Blob test' }, megan, triage));
    const approvalId = /"(A-[A-Za-z0-9_-]{12})"/.exec(JSON.stringify(requested))?.[1];
    assert.ok(approvalId, 'the requester’s view carries the approval id');

    // The records are blobs in the configured container; the file store was never opened.
    const names: string[] = [];
    for await (const blob of new ContainerClient(azurite().connectionString, container).listBlobsFlat()) {
      names.push(blob.name);
    }
    assert.ok(
      names.some((name) => name.startsWith('approvals_')),
      `approval records in ${names.join(', ')}`,
    );
    assert.equal(fs.existsSync(path.join(dataDir, 'state')), false, 'no DATA_DIR/state');

    await h.restartBot();
    cardOf(await h.execute('approval.approve', { approvalId }, adele, triage));
    await h.app.idle();
    const actions = h.simulator.defender.state
      .machineActions(demoSeed.tenant.id)
      .filter((action) => (action.requestorComment ?? '').includes(approvalId));
    assert.equal(actions.length, 1);
    assert.equal(actions[0]!.type, 'RunAntiVirusScan');
  });
});

describe('the bot when Blob Storage is down (through POST /api/messages)', function () {
  this.timeout(60_000);
  let azurite: Azurite | undefined;
  let h: ProductionHarness;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-blob-down-'));
  const chat: Conversation = {
    id: '19:blob-down@thread.v2',
    conversationType: 'groupChat',
    tenantId: demoSeed.tenant.id,
  };

  before(async () => {
    azurite = await startAzurite();
    h = await startProductionHarness({
      seeds: [demoSeed],
      env: {
        DATA_DIR: dataDir,
        STORAGE_CONNECTION_STRING: azurite.connectionString,
        STORAGE_CONTAINER: 'soc-bot-down',
      },
    });
  });
  after(async () => {
    await h?.stop();
    await azurite?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers "temporarily unavailable" when the store stops answering, and requests nothing from Defender', async () => {
    const megan = h.person(demoSeed, 'Megan');
    const adele = h.person(demoSeed, 'Adele');
    const device = demoSeed.machines.find((m) => m.computerDnsName.startsWith('ws-fin-042.'))!;
    await azurite!.stop();
    const before = h.simulator.defender.stats().byApi['machines.isolate'] ?? 0;
    for (const [verb, data, who] of [
      ['command.view', { command: 'approvals' }, adele],
      ['action.prepare', { kind: 'isolate', device: device.id }, megan],
    ] as const) {
      const answer = await h.execute(verb, data, who, chat);
      assert.equal(answer.type, 'application/vnd.microsoft.activity.message', JSON.stringify(answer).slice(0, 300));
      assert.match(String(answer.value), /^Temporarily unavailable: .*nothing was changed/);
    }
    assert.equal((h.simulator.defender.stats().byApi['machines.isolate'] ?? 0) - before, 0);
  });
});
