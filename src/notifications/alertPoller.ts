import { z } from 'zod';
import type { DefenderAuth, DefenderClient } from '../defender/defenderClient';
import { compare } from '../defender/odata';
import { AppError, isAppError } from '../errors';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { Storage } from '../storage/storage';
import { readItem, updateItem } from '../storage/updateItem';
import type { AlertIntake } from './alertIntake';
import { versionOf } from './alertIntake';

/** How the poller reads Defender. */
export interface AlertPollerOptions {
  defender: DefenderClient;
  /** The application identity (Alert.Read.All): reading for everyone, never acting. */
  appAuth(tenantId: string): DefenderAuth;
  intake: AlertIntake;
  storage: Storage;
  /** Tenants to poll now (those with subscriptions). */
  tenants(): string[];
  intervalMs: number;
  /** Each poll re-reads this far behind the watermark, for alerts Defender indexes late. */
  overlapMs: number;
  logger: Logger;
  now?: () => Date;
}

/** Alerts read per poll; more than this changed within one interval is caught up on the next polls. */
const MAX_PER_POLL = 5_000;
/** Longest pause after failures (429 honours Retry-After, up to this). */
const MAX_BACKOFF_MS = 5 * 60_000;

const stateSchema = z.object({ watermark: z.string(), lastPollAt: z.string().optional() });

/**
 * Polls Defender for alerts updated since a durable watermark (minus an overlap window), per tenant with
 * subscriptions, with the application identity, and hands every alert to the intake, which ignores versions it
 * already has. The watermark only moves after the intake has queued a batch, so a crash re-reads, never skips.
 * Failures back off (Retry-After on 429, exponential on 5xx) without stopping other tenants.
 */
export class AlertPoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly backoffUntil = new Map<string, { until: number; failures: number }>();
  private readonly now: () => Date;

  constructor(private readonly options: AlertPollerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Polls every `intervalMs` from now on. */
  start(): void {
    this.schedule(0);
  }

  /** Stops polling and waits for the current round. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One round over every tenant (exposed for tests and the demo). */
  async round(): Promise<void> {
    for (const tenantId of this.options.tenants()) {
      const pause = this.backoffUntil.get(tenantId);
      if (pause && pause.until > Date.now()) continue;
      try {
        await this.poll(tenantId);
        this.backoffUntil.delete(tenantId);
      } catch (err) {
        const failures = (pause?.failures ?? 0) + 1;
        const retryAfterMs =
          isAppError(err, 'rateLimited') && typeof err.details.retryAfterSeconds === 'number'
            ? err.details.retryAfterSeconds * 1000
            : 0;
        const delay = Math.min(MAX_BACKOFF_MS, Math.max(retryAfterMs, this.options.intervalMs * 2 ** failures));
        this.backoffUntil.set(tenantId, { until: Date.now() + delay, failures });
        this.options.logger.warn(
          { tenantId, failures, retryInMs: delay, err: serializeError(err) },
          'alert poll failed; backing off',
        );
      }
    }
  }

  /** Reads one tenant's changed alerts and moves its watermark. */
  async poll(tenantId: string): Promise<number> {
    const key = `notify/${tenantId.toLowerCase()}/poller`;
    const state = await readItem(this.options.storage, key, parseState);
    const now = this.now();
    // First poll of a tenant: start from now (minus the overlap); subscriptions are not retroactive.
    const watermark = state?.watermark ?? new Date(now.getTime() - this.options.overlapMs).toISOString();
    const since = new Date(Date.parse(watermark) - this.options.overlapMs);
    const { items } = await this.options.defender.listAlerts(this.options.appAuth(tenantId), {
      filter: compare('lastUpdateTime', 'ge', since),
      max: MAX_PER_POLL,
    });
    await this.options.intake.ingest(tenantId, items);
    const newest = items.reduce(
      (latest, alert) => Math.max(latest, Date.parse(versionOf(alert))),
      Date.parse(watermark),
    );
    // Never beyond now: an alert stamped in the future (clock skew) must not make the poller skip real ones.
    const next = new Date(Math.min(newest, now.getTime())).toISOString();
    await updateItem(this.options.storage, key, parseState, () => ({ watermark: next, lastPollAt: now.toISOString() }));
    return items.length;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.round()
        .catch((err: unknown) => this.options.logger.error({ err: serializeError(err) }, 'alert poll round failed'))
        .finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
    this.timer.unref();
  }
}

function parseState(raw: unknown): z.infer<typeof stateSchema> {
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('internal', 'stored poller state does not parse');
  return parsed.data;
}
