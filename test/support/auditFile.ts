import fs from 'node:fs';
import path from 'node:path';

/** The audit trail of a test app as a SIEM reads it: every line of DATA_DIR/audit/audit.jsonl, parsed. */
export function readAuditFile<T = Record<string, unknown>>(dataDir: string): T[] {
  const file = path.join(dataDir, 'audit', 'audit.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}
