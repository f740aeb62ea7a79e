import type { AuditSink } from '../approvals/auditSink';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { claimedFacts, InboundRefusalReason } from './inboundActivity';

/** Why the bot refused a request at its edge (the approval flow audits its own refusals as `approval.refused`). */
export type RefusalReason =
  | InboundRefusalReason
  /** The activity's tenant is not one this deployment serves. */
  | 'tenantNotServed'
  /** A card action whose verb the bot never registered (a forged button). */
  | 'unknownVerb'
  /** Card data that fails its verb's schema (tampered or forged). */
  | 'cardDataInvalid'
  /** An SSO token that failed validation (wrong audience, expired, someone else's…). */
  | 'ssoTokenRejected'
  /** A sign-in page's one-time code that is unknown, used, or issued to someone else. */
  | 'signInCodeRejected'
  /** The assertion held for a sender belongs to someone else. */
  | 'assertionNotSender'
  /** A command or card named a customer tenant this conversation is not bound to (partner context). */
  | 'customerNotBound';

/** One refusal: why, and what the activity claimed about itself (untrusted, already reduced to safe strings). */
export interface Refusal {
  reason: RefusalReason;
  facts: ReturnType<typeof claimedFacts>;
  /** The command id a refused message asked for, e.g. `alerts.list`. */
  command?: string | undefined;
  /** The AppError code behind the refusal, when there is one. */
  code?: string | undefined;
  /** Where an activity failed its schema: a path of field names, never a value. */
  issue?: string | undefined;
}

/** Tenant id under which refusals that name no (usable) tenant are audited. */
export const UNKNOWN_TENANT = 'unknown';

/** How an audit record of a refusal is bounded. */
export interface RefusalRecorderOptions {
  audit: AuditSink;
  now: () => Date;
  /** Where a failed audit write of counts (written from a timer, outside any turn) is reported. */
  logger: Logger;
  /** Refusal records written per minute at most before counting starts (default 120). */
  maxPerMinute?: number;
}

const WINDOW_MS = 60_000;
/** Tenants whose excess refusals are counted separately; the rest are counted under UNKNOWN_TENANT. */
const MAX_COUNTED_TENANTS = 100;

/**
 * Makes every refusal at the bot's edge visible twice: one warn line (with the turn's correlation id, never a
 * payload or a token) and one `request.refused` audit record — who as far as the activity says, what, why.
 *
 * Volume is bounded, never silently: a flood of forged or foreign requests could otherwise fill the disk with
 * fsynced audit lines. At most `maxPerMinute` records are written per minute; beyond that each refusal is still
 * logged, and counted per tenant, and when the minute is over one `request.refused` record per tenant with
 * reason `volumeCapped` says how many were not recorded one by one (at most 101 such records a minute).
 */
export class RefusalRecorder {
  private readonly maxPerMinute: number;
  private windowStart = Number.NEGATIVE_INFINITY;
  private written = 0;
  private readonly uncounted = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RefusalRecorderOptions) {
    this.maxPerMinute = options.maxPerMinute ?? 120;
  }

  /** Logs the refusal once and audits it; resolves when the record is durable (or could not be written). */
  async record(refusal: Refusal, log: Logger): Promise<void> {
    const { facts } = refusal;
    const detail = definedOnly({
      reason: refusal.reason,
      activityType: facts.type,
      invokeName: facts.invokeName,
      verb: facts.verb,
      command: refusal.command,
      code: refusal.code,
      issue: refusal.issue,
      teamsUserId: facts.fromId,
      claimedAadObjectId: facts.fromAadObjectId,
    });
    const tenantId = facts.tenantId ?? UNKNOWN_TENANT;
    log.warn({ ...detail, tenantId, activityId: facts.activityId }, 'request refused');
    const startedWindow = this.roll();
    if (startedWindow) await this.writeCounts(startedWindow, log);
    if (this.written >= this.maxPerMinute) {
      this.count(tenantId);
      return;
    }
    this.written += 1;
    await this.append(tenantId, detail, log);
  }

  /** Starts a new window when the current one is over; returns the counts of the one that ended. */
  private roll(): { counts: Map<string, number>; since: number } | undefined {
    const now = this.options.now().getTime();
    // A clock set back (tests, a corrected host clock) starts a new window rather than extending the old one.
    if (now >= this.windowStart && now - this.windowStart < WINDOW_MS) return undefined;
    const ended = { counts: new Map(this.uncounted), since: this.windowStart };
    this.windowStart = now;
    this.written = 0;
    this.uncounted.clear();
    return ended.counts.size > 0 ? ended : undefined;
  }

  private count(tenantId: string): void {
    const key = this.uncounted.has(tenantId) || this.uncounted.size < MAX_COUNTED_TENANTS ? tenantId : UNKNOWN_TENANT;
    this.uncounted.set(key, (this.uncounted.get(key) ?? 0) + 1);
    // Nothing may wait for the next refusal to be recorded: the counts are written when the minute ends.
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      const ended = { counts: new Map(this.uncounted), since: this.windowStart };
      this.uncounted.clear();
      void this.writeCounts(ended, this.options.logger);
    }, WINDOW_MS).unref();
  }

  private async writeCounts(ended: { counts: Map<string, number>; since: number }, log: Logger): Promise<void> {
    for (const [tenantId, refusals] of ended.counts) {
      const since = Number.isFinite(ended.since) ? new Date(ended.since).toISOString() : null;
      await this.append(tenantId, { reason: 'volumeCapped', refusals, since }, log);
    }
  }

  private async append(tenantId: string, detail: Record<string, string | number | null>, log: Logger): Promise<void> {
    try {
      await this.options.audit.append({ type: 'request.refused', tenantId, actor: { system: 'bot' }, detail });
    } catch (err) {
      // Fail closed: the request stays refused; the failure is what an operator must see.
      log.error({ err: serializeError(err) }, 'a refusal could not be audited');
    }
  }
}

function definedOnly(fields: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined));
}
