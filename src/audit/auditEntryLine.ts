import { type AuditEntry, type AuditEntryInput, auditEntryInputSchema } from './auditEntry';
import { AuditError } from './auditError';
import { hashAuditEntry } from './auditHash';
import { containsJwt } from './containsJwt';

/** Largest line accepted; entries are a few hundred bytes, so anything bigger is a payload that slipped in. */
export const MAX_LINE_BYTES = 16 * 1024;

/** Validates what a caller passes to `append` (every AuditTrail): strict schema, and never anything like a JWT. */
export function parseAuditInput(input: AuditEntryInput): AuditEntryInput {
  const parsed = auditEntryInputSchema.safeParse(input);
  if (!parsed.success) {
    // Paths and codes only: zod messages may quote the refused value, which could be a secret.
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(entry)'}: ${issue.code}`);
    throw new AuditError('invalidEntry', `audit entry refused (${problems.join('; ')})`);
  }
  if (containsJwt(JSON.stringify(parsed.data))) throw tokenRefused();
  return parsed.data;
}

/** Hashes an entry and serialises it as the one line that is stored, checked once more before it is written. */
export function toAuditLine(unhashed: Omit<AuditEntry, 'hash'>): { entry: AuditEntry; line: Buffer } {
  const entry: AuditEntry = { ...unhashed, hash: hashAuditEntry(unhashed) };
  const line = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
  // Checked again on the final line: defence in depth, and before anything reaches storage.
  if (containsJwt(line.toString('utf8'))) throw tokenRefused();
  if (line.length > MAX_LINE_BYTES) {
    throw new AuditError('invalidEntry', `audit entry is ${line.length} bytes; the limit is ${MAX_LINE_BYTES}`);
  }
  return { entry, line };
}

function tokenRefused(): AuditError {
  return new AuditError('tokenInEntry', 'audit entry refused: it contains something shaped like a JWT');
}
