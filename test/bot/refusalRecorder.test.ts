import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { AuditEntryInput } from '../../src/audit/auditEntry';
import type { AuditSink } from '../../src/approvals/auditSink';
import { claimedFacts } from '../../src/bot/inboundActivity';
import { RefusalRecorder } from '../../src/bot/refusalRecorder';
import { createLogger } from '../../src/logging/logger';

/*
 * The bound on refusal records: a flood of forged or foreign requests must not fill the disk with fsynced audit
 * lines, and must not vanish either — what is not recorded one by one is counted, per tenant, in the trail.
 */

class RecordingAuditSink implements AuditSink {
  readonly entries: AuditEntryInput[] = [];
  append(entry: AuditEntryInput): Promise<unknown> {
    this.entries.push(entry);
    return Promise.resolve(entry);
  }
}

function refusalFrom(tenantId: string) {
  return {
    reason: 'tenantNotServed' as const,
    facts: claimedFacts({ type: 'message', id: 'a1', conversation: { id: 'c', tenantId }, from: { id: '29:x' } }),
  };
}

describe('RefusalRecorder', () => {
  it('records each refusal up to the bound per minute, then counts the rest per tenant into the trail', async () => {
    let now = Date.parse('2026-01-01T10:00:00Z');
    const audit = new RecordingAuditSink();
    const lines: string[] = [];
    const log = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
          done();
        },
      }),
    });
    const recorder = new RefusalRecorder({ audit, now: () => new Date(now), logger: log, maxPerMinute: 3 });

    for (const tenant of ['t-a', 't-a', 't-a', 't-a', 't-a', 't-b', 't-b'])
      await recorder.record(refusalFrom(tenant), log);
    assert.equal(lines.length, 7, 'every refusal is logged');
    assert.deepEqual(
      audit.entries.map((e) => [e.type, e.tenantId, (e.detail as { reason: string }).reason]),
      [
        ['request.refused', 't-a', 'tenantNotServed'],
        ['request.refused', 't-a', 'tenantNotServed'],
        ['request.refused', 't-a', 'tenantNotServed'],
      ],
    );

    now += 61_000;
    await recorder.record(refusalFrom('t-c'), log);
    assert.deepEqual(
      audit.entries.slice(3).map((e) => [e.tenantId, e.detail]),
      [
        ['t-a', { reason: 'volumeCapped', refusals: 2, since: '2026-01-01T10:00:00.000Z' }],
        ['t-b', { reason: 'volumeCapped', refusals: 2, since: '2026-01-01T10:00:00.000Z' }],
        [
          't-c',
          {
            reason: 'tenantNotServed',
            activityType: 'message',
            teamsUserId: '29:x',
          },
        ],
      ],
    );
  });
});
