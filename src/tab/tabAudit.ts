import { z } from 'zod';
import type { AuditEntry } from '../audit/auditEntry';
import type { AuditQuery } from '../audit/auditQuery';
import { parseAuditQuery } from '../audit/auditQuery';
import type { AuditTrail } from '../audit/auditTrail';
import type { AuditVerification } from '../audit/verifyAuditChain';
import { parseAuditLine } from '../audit/parseAuditLine';
import type { AuditResponse, TabAuditEntry } from './tabApiTypes';
import type { TabApiAnswer } from '../server/tabRoutes';
import { TabRefusal } from './tabRefusal';

/** Entries the Audit view shows at most (narrow the filter or export for more). */
export const AUDIT_VIEW_LIMIT = 200;
/** How far back an export with no start date reaches (before its end date, or now). */
const DEFAULT_EXPORT_DAYS = 30;
/** How long one verification of the whole chain is shown before the next search verifies again. */
const VERIFY_REUSE_MS = 60_000;

const text = z.string().trim().min(1).max(256);
const filterSchema = z.object({
  user: text.optional(),
  device: text.optional(),
  action: z
    .string()
    .trim()
    .regex(/^[A-Za-z.]{1,64}$/)
    .optional(),
  from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
});

/**
 * The tab's view of the audit trail: the viewer's tenant only, filtered by person, device, action and dates; the
 * whole trail's hash chain verified on every search (so a broken chain is never hidden by a filter); the filtered
 * range exported as JSON Lines exactly as stored (each line keeps its hash and seq, for a SIEM to check).
 */
export class TabAuditSearch {
  private verification: { result: Promise<AuditVerification>; settledAt?: number } | undefined;

  constructor(
    private readonly audit: AuditTrail,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The newest matching entries (at most 200) and the chain's verification. */
  async search(tenantId: string, query: Record<string, string | undefined>): Promise<AuditResponse> {
    const filter = this.queryOf(tenantId, query, AUDIT_VIEW_LIMIT + 1);
    const [entries, chain] = await Promise.all([this.audit.recent(filter), this.verified()]);
    return {
      entries: entries.slice(0, AUDIT_VIEW_LIMIT).map(toTabEntry),
      truncated: entries.length > AUDIT_VIEW_LIMIT,
      chain,
    };
  }

  /**
   * The chain's verification, at most once a minute and one at a time: verifying reads (and, for the file trail,
   * holds appends behind) the whole trail, so repeated searches share one run instead of queueing many.
   */
  private verified(): Promise<AuditVerification> {
    const now = this.clock();
    const last = this.verification;
    // One at a time: a run still going is shared, however long it takes; a finished one for a minute.
    if (last && (last.settledAt === undefined || now - last.settledAt < VERIFY_REUSE_MS)) return last.result;
    const result = this.audit.verify();
    const run: { result: Promise<AuditVerification>; settledAt?: number } = { result };
    this.verification = run;
    result.then(
      () => (run.settledAt = this.clock()),
      // A failed read is not remembered: the next search tries again (unless a newer run replaced this one).
      () => {
        if (this.verification === run) this.verification = undefined;
      },
    );
    return result;
  }

  /** The matching entries oldest first, one stored line each, as `audit.jsonl`. */
  export(tenantId: string, query: Record<string, string | undefined>, now: Date): TabApiAnswer {
    const filter = this.queryOf(tenantId, query, 1);
    const end = filter.until ? Date.parse(filter.until) : now.getTime();
    const since = filter.since ?? new Date(end - DEFAULT_EXPORT_DAYS * 86_400_000).toISOString();
    const { matches } = parseAuditQuery({ ...filter, since, limit: 1 });
    const audit = this.audit;
    async function* lines(): AsyncGenerator<string> {
      for await (const line of audit.exportSince(new Date(since))) {
        const parsed = parseAuditLine(line);
        if (parsed.ok && matches(parsed.entry)) yield `${line}\n`;
      }
    }
    return {
      status: 200,
      headers: {
        'content-type': 'application/x-ndjson; charset=utf-8',
        'content-disposition': 'attachment; filename="audit.jsonl"',
        'cache-control': 'no-store',
      },
      lines: lines(),
    };
  }

  private queryOf(tenantId: string, query: Record<string, string | undefined>, limit: number): AuditQuery {
    const blank = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v);
    const parsed = filterSchema.safeParse({
      user: blank(query.user),
      device: blank(query.device),
      action: blank(query.action),
      from: blank(query.from),
      to: blank(query.to),
    });
    if (!parsed.success)
      throw new TabRefusal(400, 'badFilter', 'Filter by a user, a device, an action and ISO dates (YYYY-MM-DD).');
    const { user, device, action, from, to } = parsed.data;
    // A date alone means that whole day: from its start, to the end of the `to` day.
    const instant = (v: string, endOfDay = false) =>
      v.length === 10
        ? new Date(Date.parse(`${v}T00:00:00Z`) + (endOfDay ? 86_400_000 : 0)).toISOString()
        : new Date(v).toISOString();
    return {
      limit,
      tenantId,
      ...(user ? { userPrincipalName: user } : {}),
      ...(device ? { deviceName: device } : {}),
      ...(action ? { action } : {}),
      ...(from ? { since: instant(from) } : {}),
      ...(to ? { until: instant(to, true) } : {}),
    };
  }
}

function toTabEntry(entry: AuditEntry): TabAuditEntry {
  return {
    seq: entry.seq,
    at: entry.at,
    type: entry.type,
    actor: 'userPrincipalName' in entry.actor ? entry.actor.userPrincipalName : 'bot',
    ...(entry.approvalId ? { approvalId: entry.approvalId } : {}),
    ...(entry.device ? { device: entry.device.name } : {}),
    ...(entry.action ? { action: entry.action } : {}),
    ...(entry.detail !== undefined
      ? { detail: typeof entry.detail === 'string' ? entry.detail : JSON.stringify(entry.detail) }
      : {}),
  };
}
