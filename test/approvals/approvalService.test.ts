import assert from 'node:assert/strict';
import { MemoryStorage } from 'botbuilder';
import type { AuditEntryInput } from '../../src/audit/auditEntry';
import { DEFAULT_APPROVAL_POLICY } from '../../src/approvals/approvalPolicy';
import { ApprovalService } from '../../src/approvals/approvalService';
import type { Actor } from '../../src/approvals/approvalService';
import { fromBotbuilderStorage } from '../../src/bot/storageContract';
import type { Storage, StoreItems } from '../../src/storage/storage';
import { StorageError } from '../../src/storage/storageError';

/*
 * The approval records against a store that misbehaves: when many writers race for the open-requests index
 * (a batch of approvals, the tracker) one of them can lose every attempt. The record is what decides.
 */

const TENANT = '11111111-2222-4333-8444-555555555555';

function person(name: string) {
  return {
    aadObjectId: `00000000-0000-4000-8000-${name.padStart(12, '0')}`,
    userPrincipalName: `${name}@contoso.com`,
    displayName: name,
  };
}

/** Megan asks for an investigation package on a Normal Windows device: one request needing one approval. */
async function requestForensics(service: ApprovalService, megan: Actor, deviceName: string, reason: string) {
  const draft = await service.createDraft({
    tenantId: TENANT,
    kind: 'collectInvestigationPackage',
    parameters: {},
    device: {
      id: deviceName.padEnd(40, '0'),
      name: `${deviceName}.corp.contoso.com`,
      osPlatform: 'Windows11',
      deviceValue: 'Normal',
      tags: [],
      group: null,
      healthStatus: 'Active',
      lastSeen: null,
    },
    requester: megan.person,
  });
  return service.confirmDraft(draft.id, megan, reason);
}

/** A store whose writes of the open-requests index always lose the race once `losing` is set. */
class RacyIndexStorage implements Storage {
  losing = false;
  constructor(private readonly inner: Storage) {}
  read(keys: string[]): Promise<StoreItems> {
    return this.inner.read(keys);
  }
  write(changes: StoreItems): Promise<void> {
    if (this.losing && 'approvals/open' in changes) return Promise.reject(StorageError.eTagConflict('approvals/open'));
    return this.inner.write(changes);
  }
  delete(keys: string[]): Promise<void> {
    return this.inner.delete(keys);
  }
}

describe('approval records when the open-requests index keeps losing races', () => {
  it('still records and audits the end of a request, and no longer lists it as open', async () => {
    const storage = new RacyIndexStorage(fromBotbuilderStorage(new MemoryStorage()));
    const audit: AuditEntryInput[] = [];
    const service = new ApprovalService({
      storage,
      policy: DEFAULT_APPROVAL_POLICY,
      audit: { append: (entry) => Promise.resolve(audit.push(entry)) },
    });
    await service.initialise();
    const megan: Actor = { person: person('megan'), tenantId: TENANT, roles: ['SOC.Responder'] };
    const adele: Actor = { person: person('adele'), tenantId: TENANT, roles: ['SOC.Approver'] };
    const created = await requestForensics(service, megan, 'ws-fin-042', 'forensics for incident 2301');
    assert.ok(!('refuse' in created));
    assert.deepEqual(
      (await service.openRequests()).map((r) => r.id),
      [created.request.id],
    );

    storage.losing = true;
    const outcome = await service.reject(created.request.id, adele, 'not this device');
    assert.equal(outcome.outcome, 'recorded');
    assert.equal((await service.peek(created.request.id))?.state, 'rejected');
    assert.ok(audit.some((e) => e.type === 'approval.rejected' && e.approvalId === created.request.id));
    assert.deepEqual(await service.openRequests(), [], 'an ended request is not open, whatever the index says');

    storage.losing = false;
    await service.openRequests();
    const index = (await storage.read(['approvals/open']))['approvals/open'] as { ids: string[] };
    assert.deepEqual(index.ids, [], 'the index was mended once it could be written');
  });
});

describe('approval records concluded by another instance', () => {
  it('refuses to conclude "interrupted" about a send that its executor has re-sent since', async () => {
    const service = new ApprovalService({
      storage: fromBotbuilderStorage(new MemoryStorage()),
      policy: DEFAULT_APPROVAL_POLICY,
      audit: { append: () => Promise.resolve() },
      instanceId: 'executor',
    });
    await service.initialise();
    const megan: Actor = { person: person('megan'), tenantId: TENANT, roles: ['SOC.Responder'] };
    const adele: Actor = { person: person('adele'), tenantId: TENANT, roles: ['SOC.Approver'] };
    const created = await requestForensics(service, megan, 'ws-fin-041', 'forensics for incident 2302');
    assert.ok(!('refuse' in created));
    const approved = await service.approve(created.request.id, adele, 'ok');
    assert.equal(approved.outcome, 'execute');
    assert.equal((await service.peek(created.request.id))?.execution?.instanceId, 'executor');
    await service.markChecking(created.request.id, 'timeout');
    // What the tenant's tracker read (on another instance) before the executor sent once more.
    const judged = (await service.peek(created.request.id))!;
    assert.ok(await service.markResent(created.request.id));
    const concluded = await service.markExecutionFailed(
      created.request.id,
      { kind: 'interrupted', code: 'NotConfirmedByDefender' },
      judged,
    );
    assert.equal(concluded, undefined, 'the re-send is not overwritten');
    assert.equal((await service.peek(created.request.id))?.state, 'executing');
    // About the send as it stands now, the conclusion is taken.
    const now = (await service.peek(created.request.id))!;
    const failed = await service.markExecutionFailed(
      created.request.id,
      { kind: 'interrupted', code: 'NotConfirmedByDefender' },
      now,
    );
    assert.equal(failed?.state, 'interrupted');
  });
});
