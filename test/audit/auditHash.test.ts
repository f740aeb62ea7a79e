import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { AuditEntry } from '../../src/audit/auditEntry';
import { GENESIS_HASH, hashAuditEntry } from '../../src/audit/auditHash';
import { canonicalJson } from '../../src/audit/canonicalJson';
import { readCompleteLines } from '../../src/audit/readCompleteLines';
import { type AuditHead, verifyAuditChain } from '../../src/audit/verifyAuditChain';
import { useTempDirs } from '../storage/support/tempDir';

/*
 * Known-answer vectors for the audit hash chain. The canonical JSON below is written out by hand from the rule
 * (RFC 8785 for our values: keys sorted by UTF-16 code units, no whitespace, JSON string escapes), and each hash
 * was computed once outside the product:
 *   printf '%s%s' "<prevHash>" '<canonical JSON>' | sha256sum
 * A SIEM or an auditor can check a trail with nothing but this rule, so the product must keep to it exactly.
 */

const ZEROS = '0000000000000000000000000000000000000000000000000000000000000000';
/** printf '%s' payload | sha256sum */
const PAYLOAD_HASH = '239f59ed55e737c77147cf55ad0c1b030b6d7ee748a7426952f9b852d5a935e5';

const FIRST: Omit<AuditEntry, 'hash'> = {
  type: 'approval.requested',
  tenantId: '6f1b0c9e-0000-4000-8000-000000000001',
  actor: { userPrincipalName: 'alice@contoso.com', aadObjectId: 'a1a1a1a1-0000-4000-8000-00000000000a' },
  approvalId: 'appr-1',
  device: { name: 'web-01.contoso.com', id: 'dev-1' },
  action: 'isolate',
  payloadHash: PAYLOAD_HASH,
  seq: 1,
  at: '2024-05-01T08:00:00.000Z',
  id: '00000000-0000-4000-8000-000000000001',
  prevHash: ZEROS,
};
const FIRST_CANONICAL =
  '{"action":"isolate","actor":{"aadObjectId":"a1a1a1a1-0000-4000-8000-00000000000a","userPrincipalName":"alice@contoso.com"},"approvalId":"appr-1","at":"2024-05-01T08:00:00.000Z","device":{"id":"dev-1","name":"web-01.contoso.com"},"id":"00000000-0000-4000-8000-000000000001","payloadHash":"239f59ed55e737c77147cf55ad0c1b030b6d7ee748a7426952f9b852d5a935e5","prevHash":"0000000000000000000000000000000000000000000000000000000000000000","seq":1,"tenantId":"6f1b0c9e-0000-4000-8000-000000000001","type":"approval.requested"}';
const FIRST_HASH = 'cd2470a0aabb207960e777f45f208894c9b55ee44f397297db8536c581155402';

// Detail keys out of order and differing in case, a non-ASCII letter (hashed as UTF-8) and quotes to escape.
const SECOND: Omit<AuditEntry, 'hash'> = {
  type: 'approval.approved',
  tenantId: '6f1b0c9e-0000-4000-8000-000000000001',
  actor: { aadObjectId: 'b2b2b2b2-0000-4000-8000-00000000000b', userPrincipalName: 'bob@contoso.com' },
  approvalId: 'appr-1',
  detail: { b: 'Appel é "ok"', a: null, B: true },
  seq: 2,
  at: '2024-05-01T08:00:01.500Z',
  id: '00000000-0000-4000-8000-000000000002',
  prevHash: FIRST_HASH,
};
const SECOND_CANONICAL =
  '{"actor":{"aadObjectId":"b2b2b2b2-0000-4000-8000-00000000000b","userPrincipalName":"bob@contoso.com"},"approvalId":"appr-1","at":"2024-05-01T08:00:01.500Z","detail":{"B":true,"a":null,"b":"Appel é \\"ok\\""},"id":"00000000-0000-4000-8000-000000000002","prevHash":"cd2470a0aabb207960e777f45f208894c9b55ee44f397297db8536c581155402","seq":2,"tenantId":"6f1b0c9e-0000-4000-8000-000000000001","type":"approval.approved"}';
const SECOND_HASH = 'd5cd0547d085d932579bf927e6f29dcc773ccaed4adeffd4026a8691a6fc975c';

/** FIRST with device dev-2, hashed after the same rule. */
const FORGED_HASH = 'b725fd9df53140fd2577d46cd72de8b8e8c0efa15a2ac203374d1d372d736750';
/** sha256 of FIRST_CANONICAL alone, without the previous hash in front. */
const UNLINKED_HASH = 'e449c7f38c1cae1a059482b57438f3790fffbe13e05be6aefc73b7af0fcb1f11';

/** The vector as stored lines (key order as written, not canonical: the verifier must not care). */
function storedLines(): string[] {
  return [JSON.stringify({ ...FIRST, hash: FIRST_HASH }), JSON.stringify({ ...SECOND, hash: SECOND_HASH })];
}

describe('audit hash chain (known-answer vectors)', () => {
  const tempDir = useTempDirs('soc-bot-audit-vectors-');

  /** The lines as a JSON Lines file, read back as the export tool reads it. */
  async function numbered(lines: string[]): Promise<AsyncIterable<[number, string]>> {
    const file = path.join(await tempDir(), 'audit.jsonl');
    await fs.writeFile(file, lines.map((line) => `${line}\n`).join(''));
    return readCompleteLines(file);
  }

  it('starts from 64 zeros', () => {
    assert.equal(GENESIS_HASH, ZEROS);
  });

  it('hashes fixed entries to the SHA-256 worked out with sha256sum over prevHash + canonical JSON', () => {
    assert.equal(canonicalJson(FIRST), FIRST_CANONICAL);
    assert.equal(hashAuditEntry(FIRST), FIRST_HASH);
    assert.equal(canonicalJson(SECOND), SECOND_CANONICAL);
    assert.equal(hashAuditEntry(SECOND), SECOND_HASH);
  });

  it('verifies the known chain', async () => {
    assert.deepEqual(await verifyAuditChain(await numbered(storedLines())), { ok: true, entries: 2 });
    assert.deepEqual(await verifyAuditChain(await numbered(storedLines()), { seq: 2, hash: SECOND_HASH }), {
      ok: true,
      entries: 2,
    });
  });

  it('rejects the known chain tampered with, at the line that gives it away', async () => {
    const [first, second] = storedLines() as [string, string];
    const verdict = async (lines: string[], head?: AuditHead) => verifyAuditChain(await numbered(lines), head);
    const HASH_MISMATCH = 'hash does not match the content';
    // One character of a comment changed, the stored hash kept.
    const edited = second.replace('Appel é', 'Appel e');
    assert.deepEqual(await verdict([first, edited]), { ok: false, line: 2, reason: HASH_MISMATCH });
    // The first line's device changed and its hash replaced by what sha256sum gives for the forged content
    // (printf '%s%s' "<zeros>" '<FIRST_CANONICAL with dev-2>' | sha256sum): the first line holds, the link breaks.
    const device = { id: 'dev-2', name: 'web-01.contoso.com' };
    const forged = JSON.stringify({ ...FIRST, device, hash: FORGED_HASH });
    assert.deepEqual(await verdict([forged, second]), {
      ok: false,
      line: 2,
      reason: 'prevHash does not match the previous line (a line was removed or moved)',
    });
    // A hash of the entry alone (printf '%s' '<FIRST_CANONICAL>' | sha256sum) is not the chain's link.
    const unlinked = JSON.stringify({ ...FIRST, hash: UNLINKED_HASH });
    assert.deepEqual(await verdict([unlinked]), { ok: false, line: 1, reason: HASH_MISMATCH });
    // The last line cut off: a valid shorter chain, caught only against the writer's head.
    assert.deepEqual(await verdict([first], { seq: 2, hash: SECOND_HASH }), {
      ok: false,
      line: 2,
      reason: 'the log ends at seq 1 but entries up to seq 2 were appended',
    });
  });
});
