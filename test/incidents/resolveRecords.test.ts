import assert from 'node:assert/strict';
import { MemoryStorage } from 'botbuilder';
import { ActionExecutor } from '../../src/approvals/actionExecutor';
import { ActionTracker } from '../../src/approvals/actionTracker';
import { DEFAULT_APPROVAL_POLICY } from '../../src/approvals/approvalPolicy';
import type { Actor } from '../../src/approvals/approvalService';
import { ApprovalService } from '../../src/approvals/approvalService';
import type { ApprovalRequest, IncidentApprovalRequest } from '../../src/approvals/approvalTypes';
import { executeIncidentResolution } from '../../src/approvals/incidentResolutionExecutor';
import { AppError } from '../../src/errors';
import type { GraphAuth } from '../../src/graph/graphSecurityClient';
import { HttpGraphSecurityClient } from '../../src/graph/graphSecurityClient';
import { HttpClient } from '../../src/http/httpClient';
import { SlidingWindowLimiter } from '../../src/http/slidingWindowLimiter';
import type { AuditEntryInput } from '../../src/audit/auditEntry';
import { fromBotbuilderStorage } from '../../src/bot/storageContract';
import type { DefenderClient } from '../../src/defender/defenderClient';
import { createLogger } from '../../src/logging/logger';

/*
 * The incident-resolution kind of approval record beside the device actions: the same state machine, and a
 * tracker that never treats it as a Defender machine action (it has no device and nothing to follow).
 */

const TENANT = '11111111-2222-4333-8444-555555555555';

function actor(name: string, roles: string[]): Actor {
  return {
    person: {
      aadObjectId: `00000000-0000-4000-8000-${name.padStart(12, '0')}`,
      userPrincipalName: `${name}@contoso.com`,
      displayName: name,
    },
    tenantId: TENANT,
    roles,
  };
}

/** A Defender client that fails the test if anything calls it. */
const untouchableDefender = new Proxy(
  {},
  {
    get: (_target, name) => () => {
      throw new Error(`Defender must not be called (${String(name)})`);
    },
  },
) as DefenderClient;

describe('incident resolution records', () => {
  let service: ApprovalService;
  let audit: AuditEntryInput[];
  const megan = actor('megan', ['SOC.Responder']);
  const adele = actor('adele', ['SOC.Approver']);

  beforeEach(async () => {
    audit = [];
    service = new ApprovalService({
      storage: fromBotbuilderStorage(new MemoryStorage()),
      policy: DEFAULT_APPROVAL_POLICY,
      audit: { append: (entry) => Promise.resolve(audit.push(entry)) },
    });
    await service.initialise();
  });

  const create = (incidentId = '2301') =>
    service.createIncidentRequest({
      tenantId: TENANT,
      incident: {
        id: incidentId,
        title: 'Multi-stage incident',
        severity: 'high',
        status: 'inProgress',
        classification: 'unknown',
        determination: 'unknown',
        assignedTo: 'megan@contoso.com',
        lastUpdateDateTime: '2026-12-06T10:00:00Z',
      },
      parameters: { classification: 'truePositive', determination: 'phishing', comment: 'contained' },
      requester: megan.person,
      riskNote: 'High severity incident',
    });
  const request = async (incidentId = '2301') => {
    const result = await create(incidentId);
    assert.ok('created' in result, 'a new request');
    return result.created;
  };

  it('needs one approver other than the requester, and audits the incident instead of a device', async () => {
    const created = await request();
    assert.equal(created.state, 'pending');
    assert.equal(created.requiredApprovals, 1);
    assert.equal((await service.approve(created.id, megan, '')).outcome, 'refused');
    const approved = await service.approve(created.id, adele, 'ok');
    assert.equal(approved.outcome, 'execute');
    const requested = audit.find((e) => e.type === 'approval.requested');
    assert.equal(requested?.action, 'resolveIncident');
    assert.equal(requested?.device, undefined);
    assert.deepEqual((requested?.detail as Record<string, unknown>).incidentId, '2301');
    assert.equal(requested?.payloadHash, created.payloadHash);
    assert.notEqual((await request('2302')).payloadHash, created.payloadHash, 'each request hashes its own id');
  });

  it('ends an execution cut off by a restart as not confirmed, without asking Defender or re-sending', async () => {
    const created = await request();
    await service.approve(created.id, adele, 'ok');
    const published: ApprovalRequest[] = [];
    const logger = createLogger({ level: 'silent' });
    const tracker = new ActionTracker({
      service,
      executor: new ActionExecutor({ service, defender: untouchableDefender, logger }),
      defender: untouchableDefender,
      publisher: { publish: (r) => Promise.resolve(void published.push(r)) },
      appAuth: () => ({ kind: 'application', tenantId: TENANT, getAccessToken: () => Promise.resolve('unused') }),
      logger,
      intervalMs: 1_000,
      runInBackground: (_name, task) => void task(),
    });
    const settled = await tracker.recover(0);
    assert.deepEqual(
      settled.map((r) => [r.id, r.state, r.execution?.failure]),
      [[created.id, 'interrupted', 'NotConfirmed']],
    );
    await tracker.round({ force: true });
    assert.equal((await service.get(created.id))?.state, 'interrupted');
    assert.deepEqual(
      published.map((r) => r.state),
      ['interrupted'],
    );
  });
  it('files one open request per incident, also when asked twice at once; a final one frees the incident', async () => {
    const [first, second] = await Promise.all([create('2310'), create('2310')]);
    const created = [first, second].filter((r) => 'created' in r);
    const existing = [first, second].filter((r) => 'existing' in r);
    assert.equal(created.length, 1, 'exactly one request is created');
    assert.equal(existing.length, 1);
    assert.equal(
      (existing[0] as { existing: ApprovalRequest }).existing.id,
      (created[0] as { created: ApprovalRequest }).created.id,
    );
    assert.equal((await service.openRequests()).filter((r) => r.state === 'pending').length, 1);
    const id = (created[0] as { created: ApprovalRequest }).created.id;
    await service.withdraw(id, megan);
    assert.equal((await service.get(id))?.state, 'withdrawn');
    const again = await create('2310');
    assert.ok('created' in again, 'a withdrawn request no longer holds the incident');
  });

  it('offers approvers no request the audit trail could not record, and leaves the incident free', async () => {
    let failNext = true;
    service = new ApprovalService({
      storage: fromBotbuilderStorage(new MemoryStorage()),
      policy: DEFAULT_APPROVAL_POLICY,
      audit: {
        append: (entry) => {
          if (failNext) {
            failNext = false;
            return Promise.reject(new Error('audit store unavailable'));
          }
          return Promise.resolve(void audit.push(entry));
        },
      },
    });
    await service.initialise();
    await assert.rejects(create('2311'), /audit store unavailable/);
    assert.deepEqual(await service.openRequests(), []);
    const retried = await create('2311');
    assert.ok('created' in retried, 'the incident is not held by the request that was never recorded');
  });
  it('an approver whose Graph sign-in fails sends nothing: pending again, and they may approve again', async () => {
    const created = await request('2312');
    const approved = await service.approve(created.id, adele, 'ok');
    assert.equal(approved.outcome, 'execute');
    const logger = createLogger({ level: 'silent' });
    const graph = new HttpGraphSecurityClient({
      // Never reached: the approver's token fails before any request is built.
      baseUrl: 'https://127.0.0.1:9/v1.0',
      http: new HttpClient(),
      limiter: new SlidingWindowLimiter({ windows: [{ limit: 100, windowMs: 60_000 }], maxWaitMs: 0 }),
      logger,
      timeoutMs: 1_000,
      maxRetries: 0,
      maxRetryAfterMs: 0,
    });
    const noToken: GraphAuth = {
      kind: 'delegated',
      tenantId: TENANT,
      getAccessToken: () => Promise.reject(new AppError('consentRequired', 'admin consent missing for Graph')),
    };
    const after = await executeIncidentResolution(
      { service, graph, logger },
      approved.request as IncidentApprovalRequest,
      noToken,
    );
    assert.equal(after?.state, 'pending');
    assert.equal(after?.notSent?.by.userPrincipalName, adele.person.userPrincipalName);
    assert.deepEqual(after?.approvals, []);
    assert.deepEqual(after?.refusedByDefender, [], 'not refused by Defender: Defender never saw it');
    assert.equal((await service.approve(created.id, adele, 'after signing in')).outcome, 'execute');
  });
});
