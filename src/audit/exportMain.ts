/*
 * `node dist/src/audit/exportMain.js [--dir DIR] [--since ISO-DATE] [--verify]`: prints the audit trail's
 * JSON Lines to stdout for a SIEM or a ticket, or checks its hash chain. Read-only: safe while the bot runs
 * (a line being appended is not printed until it is complete). Meant for `npm run audit:export`.
 * Reads the shared chain in Blob Storage when STORAGE_* is configured as the bot reads it (unless --dir is
 * given), else DATA_DIR/audit/audit.jsonl.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadDataDir, loadStorageConfig } from '../config/config';
import { environmentWithFiles } from '../config/envFiles';
import { createAuditAppendBlobs } from '../storage/auditAppendBlob';
import { AUDIT_FILE_NAME } from './auditLog';
import { parseAuditLine } from './parseAuditLine';
import { readCompleteLines } from './readCompleteLines';
import { readSegmentLines } from './readSegmentLines';
import { verifyAuditChain } from './verifyAuditChain';

const USAGE = `Usage: node dist/src/audit/exportMain.js [options]
  --dir DIR        directory of ${AUDIT_FILE_NAME} (default: the bot's trail, settings read as the bot reads
                   them: the environment, then env/.env.<ENV_NAME>[.user]. With STORAGE_CONNECTION_STRING or
                   STORAGE_ACCOUNT_URL the shared chain in Blob Storage, else DATA_DIR/audit; DATA_DIR default .data)
  --since DATE     only entries at or after this ISO 8601 date/time (default: all)
  --verify         check the hash chain instead of printing; exit code 1 if it is broken`;

/** Exit codes: 0 done, 1 the chain is broken or a line is not an entry, 2 bad arguments. */
async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        dir: { type: 'string' },
        since: { type: 'string' },
        verify: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error: unknown) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const readLines = auditLines(values.dir);
  if (values.verify) {
    const result = await verifyAuditChain(readLines());
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return result.ok ? 0 : 1;
  }
  const since = values.since === undefined ? Number.NEGATIVE_INFINITY : Date.parse(values.since);
  if (Number.isNaN(since)) {
    process.stderr.write(`--since is not a date: use ISO 8601, e.g. 2024-05-01T00:00:00Z\n`);
    return 2;
  }
  for await (const [line, text] of readLines()) {
    const parsed = parseAuditLine(text);
    if (!parsed.ok) {
      process.stderr.write(`line ${line} is ${parsed.reason}; stopping (run --verify)\n`);
      return 1;
    }
    if (Date.parse(parsed.entry.at) >= since && !process.stdout.write(`${text}\n`)) {
      // Respect back-pressure when piped into a slow consumer.
      await new Promise((resolve) => process.stdout.once('drain', resolve));
    }
  }
  return 0;
}

/** The trail's lines: the file in --dir, else where the bot keeps it (same environment and env files). */
function auditLines(dir: string | undefined): () => AsyncGenerator<[number, string]> {
  const root = path.resolve(__dirname, '..', '..', '..');
  if (dir !== undefined) return () => readCompleteLines(path.resolve(dir, AUDIT_FILE_NAME));
  const env = environmentWithFiles(process.env, path.join(root, 'env'));
  const storage = loadStorageConfig(env);
  if (storage.kind === 'blob') {
    const segments = createAuditAppendBlobs(storage);
    return () => readSegmentLines(segments);
  }
  const file = path.join(loadDataDir(env, root), 'audit', AUDIT_FILE_NAME);
  return () => readCompleteLines(file);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`audit export failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
