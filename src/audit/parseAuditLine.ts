import { type AuditEntry, auditEntrySchema } from './auditEntry';

/** A line read back: the entry, or why it is not one (the reason names fields, never their values). */
export type ParsedAuditLine = { ok: true; entry: AuditEntry } | { ok: false; reason: string };

/** Parses one line of the audit file; the file is an edge like any other, so it is validated. */
export function parseAuditLine(text: string): ParsedAuditLine {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  const parsed = auditEntrySchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(entry)'))];
    return { ok: false, reason: `not an audit entry (${fields.join(', ')})` };
  }
  return { ok: true, entry: parsed.data };
}
