import { GENESIS_HASH, hashAuditEntry } from './auditHash';
import { parseAuditLine } from './parseAuditLine';

/** The result of checking the hash chain: how many entries, or the first line that breaks it (1-based). */
export type AuditVerification = { ok: true; entries: number } | { ok: false; line: number; reason: string };

/** The last entry a writer knows it appended; lets `verify` also detect lines cut off the end. */
export interface AuditHead {
  seq: number;
  hash: string;
}

/**
 * Walks the lines in order and checks every link: each line parses, `seq` equals its line number, `prevHash`
 * equals the previous line's `hash`, and `hash` is recomputed from the content. Editing a line fails at that
 * line; deleting, inserting or reordering lines fails at the first line after the change. Cutting lines off
 * the end leaves a valid shorter chain: only `expectedHead` (the writer's own memory, or a copy kept in the
 * SIEM) can reveal that.
 */
export async function verifyAuditChain(
  lines: AsyncIterable<[number, string]>,
  expectedHead?: AuditHead,
): Promise<AuditVerification> {
  let previousHash = GENESIS_HASH;
  let entries = 0;
  for await (const [line, text] of lines) {
    const parsed = parseAuditLine(text);
    if (!parsed.ok) return { ok: false, line, reason: parsed.reason };
    const { hash, ...rest } = parsed.entry;
    if (rest.seq !== line) return { ok: false, line, reason: `seq ${rest.seq} where ${line} was expected` };
    if (rest.prevHash !== previousHash) {
      return { ok: false, line, reason: 'prevHash does not match the previous line (a line was removed or moved)' };
    }
    if (hashAuditEntry(rest) !== hash) return { ok: false, line, reason: 'hash does not match the content' };
    previousHash = hash;
    entries = line;
  }
  if (expectedHead && (expectedHead.seq !== entries || expectedHead.hash !== previousHash)) {
    return {
      ok: false,
      line: entries + 1,
      reason: `the log ends at seq ${entries} but entries up to seq ${expectedHead.seq} were appended`,
    };
  }
  return { ok: true, entries };
}
