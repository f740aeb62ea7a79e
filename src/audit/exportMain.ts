/*
 * `node dist/src/audit/exportMain.js [--dir DIR] [--since ISO-DATE] [--verify]`: prints the audit trail's
 * JSON Lines to stdout for a SIEM or a ticket, or checks its hash chain. Read-only: safe while the bot runs
 * (a line being appended is not printed until it is complete). Meant for `npm run audit:export`.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadDataDir } from '../config/config';
import { environmentWithFiles } from '../config/envFiles';
import { AUDIT_FILE_NAME } from './auditLog';
import { parseAuditLine } from './parseAuditLine';
import { readCompleteLines } from './readCompleteLines';
import { verifyAuditChain } from './verifyAuditChain';

const USAGE = `Usage: node dist/src/audit/exportMain.js [options]
  --dir DIR        directory of ${AUDIT_FILE_NAME} (default DATA_DIR/audit, DATA_DIR read as the bot reads it:
                   the environment, then env/.env.<ENV_NAME>[.user]; default .data)
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
  const file = path.resolve(values.dir ?? path.join(dataDir(), 'audit'), AUDIT_FILE_NAME);
  if (values.verify) {
    const result = await verifyAuditChain(readCompleteLines(file));
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return result.ok ? 0 : 1;
  }
  const since = values.since === undefined ? Number.NEGATIVE_INFINITY : Date.parse(values.since);
  if (Number.isNaN(since)) {
    process.stderr.write(`--since is not a date: use ISO 8601, e.g. 2024-05-01T00:00:00Z\n`);
    return 2;
  }
  for await (const [line, text] of readCompleteLines(file)) {
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

/** The bot's DATA_DIR, from the same environment and env files, resolved against the project folder as it is. */
function dataDir(): string {
  const root = path.resolve(__dirname, '..', '..', '..');
  return loadDataDir(environmentWithFiles(process.env, path.join(root, 'env')), root);
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
