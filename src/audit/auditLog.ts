import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { AuditEntry, AuditEntryInput } from './auditEntry';
import { parseAuditInput, toAuditLine } from './auditEntryLine';
import { AuditError } from './auditError';
import { GENESIS_HASH } from './auditHash';
import { type AuditQuery, parseAuditQuery } from './auditQuery';
import type { AuditTrail } from './auditTrail';
import { parseAuditLine } from './parseAuditLine';
import { readCompleteLines } from './readCompleteLines';
import { readLinesBackward } from './readLinesBackward';
import { type AuditHead, type AuditVerification, verifyAuditChain } from './verifyAuditChain';

/** Name of the JSON Lines file inside the log's directory. */
export const AUDIT_FILE_NAME = 'audit.jsonl';

/** How far back the tail is searched for the last complete line when opening. */
const TAIL_CHUNK_BYTES = 64 * 1024;

const NEWLINE = 0x0a;

/** Files open for appending in this process: a second writer would fork the chain. */
const openPaths = new Set<string>();

/** The one logging call the log makes; the product's pino Logger fits, and tests can record it. */
export interface AuditLogLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** How to open an AuditLog. */
export interface AuditLogOptions {
  /** Directory of `audit.jsonl` (created with mode 0700 if missing). */
  dir: string;
  /** Source of `at`; injectable so tests and the approval clock agree. Defaults to the system clock. */
  clock?: () => Date;
  /** Where a repaired torn tail is reported. */
  logger?: AuditLogLogger;
}

/**
 * The audit trail: an append-only JSON Lines file (`<dir>/audit.jsonl`) a SIEM can ingest as is, every line
 * chained to the previous one by sha256 so edits and deletions are detectable (`verify`).
 *
 * - Durable: the file is opened with O_APPEND, each entry is one `write` of one line followed by fdatasync
 *   before `append` resolves. Approvals are human-paced, so an fsync per entry costs nothing that matters and
 *   an acknowledged entry is never lost.
 * - Ordered: appends are serialised in-process, so lines never interleave, `seq` increases by exactly one and
 *   the chain is linear. On open the last line is read to continue `seq` and the chain; a torn last line
 *   (a crash mid-write, never acknowledged) is moved to `audit.jsonl.torn-<time>` and cut off.
 * - Fails closed: if a write or fsync fails, the log refuses further appends until reopened (the file may end
 *   in a partial line that reopening repairs); callers must treat a rejected `append` as "not audited".
 * - One writer: a second open of the same file in this process is refused; several processes must not share
 *   it (several instances share one chain in Blob Storage instead: BlobAuditLog, chosen by openAuditLog).
 * - Tokens never enter: an entry whose serialised form contains anything shaped like a JWT is refused.
 */
export class AuditLog implements AuditTrail {
  /** The JSON Lines file itself: the export a SIEM ingests. */
  readonly exportPath: string;

  private head: AuditHead;
  /** Bytes of complete, fsynced lines: readers stop here and never see a line being written. */
  private committedBytes: number;
  private queue: Promise<unknown> = Promise.resolve();
  private failure: unknown;
  private closed = false;

  private constructor(
    private readonly handle: fs.FileHandle,
    exportPath: string,
    head: AuditHead,
    committedBytes: number,
    private readonly clock: () => Date,
  ) {
    this.exportPath = exportPath;
    this.head = head;
    this.committedBytes = committedBytes;
  }

  /** Opens (or creates) the log and positions it after its last entry. */
  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const dir = path.resolve(options.dir);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const filePath = path.join(await fs.realpath(dir), AUDIT_FILE_NAME);
    if (openPaths.has(filePath)) {
      throw new AuditError('logUnavailable', `audit log ${filePath} is already open in this process`);
    }
    openPaths.add(filePath);
    try {
      // a+: O_APPEND for writes, and readable so the tail can be read through the same handle.
      const handle = await fs.open(filePath, 'a+', 0o600);
      try {
        const { head, size } = await readTail(handle, filePath, options.logger);
        return new AuditLog(handle, filePath, head, size, options.clock ?? (() => new Date()));
      } catch (error: unknown) {
        await handle.close();
        throw error;
      }
    } catch (error: unknown) {
      openPaths.delete(filePath);
      throw error;
    }
  }

  /** The last appended entry's seq and hash, e.g. to anchor the chain in another system. */
  get lastEntry(): AuditHead {
    return { ...this.head };
  }

  /** Appends one entry and resolves once it is on disk; rejects (AuditError) if it was not recorded. */
  async append(input: AuditEntryInput): Promise<AuditEntry> {
    // Everything up to the queueing runs synchronously, so queue order (and seq) is call order.
    if (this.closed) throw new AuditError('logUnavailable', 'audit log is closed');
    const parsed = parseAuditInput(input);
    const run = this.queue.then(() => this.appendNow(parsed));
    this.queue = run.catch(() => undefined);
    return await run;
  }

  /**
   * The newest entries first, filtered. Reads the file backwards in 64 KiB chunks and stops once `limit`
   * entries matched, so the usual query costs the same however long the file is; a filter that matches
   * nothing reads the whole file (fine up to tens of MB: ~100k entries).
   */
  async recent(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const { limit, matches: isMatch } = parseAuditQuery(query);
    const matches: AuditEntry[] = [];
    for await (const text of readLinesBackward(this.exportPath, this.committedBytes)) {
      const parsed = parseAuditLine(text);
      if (!parsed.ok) throw new AuditError('corruptLog', `audit log has a line that is ${parsed.reason}; run verify`);
      const entry = parsed.entry;
      if (!isMatch(entry)) continue;
      matches.push(entry);
      if (matches.length >= limit) break;
    }
    return matches;
  }

  /** The lines (exactly as stored, so a SIEM can re-verify hashes) whose `at` is at or after `since`. */
  async *exportSince(since: Date): AsyncGenerator<string> {
    const from = since.getTime();
    for await (const [line, text] of readCompleteLines(this.exportPath, this.committedBytes)) {
      const parsed = parseAuditLine(text);
      if (!parsed.ok) throw new AuditError('corruptLog', `audit log line ${line} is ${parsed.reason}`);
      if (Date.parse(parsed.entry.at) >= from) yield text;
    }
  }

  /**
   * Checks the whole chain, and that the file ends exactly at the last entry this process appended (lines cut
   * off or added behind its back). Runs in the append queue so it sees the whole file with nothing in flight.
   */
  verify(): Promise<AuditVerification> {
    const run = this.queue.then(() => verifyAuditChain(readCompleteLines(this.exportPath), this.head));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Refuses new appends, lets those already queued finish, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.handle.close();
    openPaths.delete(this.exportPath);
  }

  private async appendNow(input: AuditEntryInput): Promise<AuditEntry> {
    if (this.failure !== undefined) {
      throw new AuditError('logUnavailable', 'audit log failed an earlier write; reopen it', { cause: this.failure });
    }
    const unhashed: Omit<AuditEntry, 'hash'> = {
      seq: this.head.seq + 1,
      at: this.clock().toISOString(),
      id: randomUUID(),
      ...input,
      prevHash: this.head.hash,
    };
    const { entry, line } = toAuditLine(unhashed);
    try {
      const { bytesWritten } = await this.handle.write(line, 0, line.length);
      if (bytesWritten !== line.length) throw new Error(`short write: ${bytesWritten} of ${line.length} bytes`);
      await this.handle.datasync();
    } catch (error: unknown) {
      this.failure = error;
      throw new AuditError('logUnavailable', 'audit entry could not be written', { cause: error });
    }
    this.head = { seq: entry.seq, hash: entry.hash };
    this.committedBytes += line.length;
    return structuredClone(entry);
  }
}

/**
 * Finds the last complete line to continue from. Bytes after the last newline are a write that crashed
 * before it was acknowledged: they are saved next to the log for forensics and cut off. A last line that is
 * complete but not a valid entry means the file was damaged: refuse to open rather than start a new chain.
 */
async function readTail(
  handle: fs.FileHandle,
  filePath: string,
  logger: AuditLogLogger | undefined,
): Promise<{ head: AuditHead; size: number }> {
  let size = (await handle.stat()).size;
  if (size === 0) return { head: { seq: 0, hash: GENESIS_HASH }, size };
  let tail = await readBefore(handle, size, TAIL_CHUNK_BYTES);
  if (tail[tail.length - 1] !== NEWLINE) {
    const lastNewline = tail.lastIndexOf(NEWLINE);
    // No newline in a whole chunk is not a torn entry (lines are at most MAX_LINE_BYTES): the file is damaged.
    if (lastNewline === -1 && tail.length < size) {
      throw new AuditError('corruptLog', `audit log ${filePath}: last line is longer than ${TAIL_CHUNK_BYTES} bytes`);
    }
    const tornStart = size - tail.length + lastNewline + 1;
    const tornPath = `${filePath}.torn-${Date.now()}`;
    await fs.writeFile(tornPath, tail.subarray(lastNewline + 1), { mode: 0o600, flag: 'wx' });
    await handle.truncate(tornStart);
    await handle.datasync();
    logger?.warn({ tornPath, bytes: size - tornStart }, 'audit log ended in a torn line; moved it aside');
    size = tornStart;
    if (size === 0) return { head: { seq: 0, hash: GENESIS_HASH }, size };
    tail = await readBefore(handle, size, TAIL_CHUNK_BYTES);
  }
  const body = tail.subarray(0, tail.length - 1);
  const start = body.lastIndexOf(NEWLINE) + 1;
  if (start === 0 && body.length < size - 1) {
    throw new AuditError('corruptLog', `audit log ${filePath}: last line is longer than ${TAIL_CHUNK_BYTES} bytes`);
  }
  const parsed = parseAuditLine(body.subarray(start).toString('utf8'));
  if (!parsed.ok) {
    throw new AuditError('corruptLog', `audit log ${filePath}: last line is ${parsed.reason}; run verify`);
  }
  return { head: { seq: parsed.entry.seq, hash: parsed.entry.hash }, size };
}

async function readBefore(handle: fs.FileHandle, end: number, maxBytes: number): Promise<Buffer> {
  const length = Math.min(end, maxBytes);
  const buffer = Buffer.alloc(length);
  let offset = 0;
  while (offset < length) {
    const { bytesRead } = await handle.read(buffer, offset, length - offset, end - length + offset);
    if (bytesRead === 0) break;
    offset += bytesRead;
  }
  return buffer.subarray(0, offset);
}
