import { SINGLE_INSTANCE } from '../background/membership';
import type { InstanceLiveness, TenantOwnership } from '../background/membership';
import type { DefenderAuth, DefenderClient } from '../defender/defenderClient';
import { and, anyOf, compare } from '../http/odata';
import type { MachineAction } from '../defender/schemas';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { ActionExecutor } from './actionExecutor';
import type { ApprovalPublisher } from './approvalPublisher';
import type { ApprovalService } from './approvalService';
import type { ApprovalRequest } from './approvalTypes';
import { isActionRequest } from './approvalTypes';

/** Which tenants this instance tracks, and whether the instance that started an execution is alive. */
export type TrackingOwnership = TenantOwnership & InstanceLiveness;

/** An execution still unsettled after this long has lost its in-process worker. */
const STUCK_EXECUTION_MS = 2 * 60_000;
/**
 * An execution whose instance is still alive is left to it this long (its executor holds the approver's token
 * for one re-send that long); after that the tenant's tracker settles it by reading, whoever runs it.
 */
const LIVE_EXECUTOR_GRACE_MS = 15 * 60_000;
/** Actions created this long before the oldest tracked one still match the list filter (clock skew). */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * How long a tenant's tracking waits between two reads, from how recently any of its tracked actions changed
 * status: every base interval at first (an online device picks an action up within a minute or two), then
 * backing off to minutes — an action for an offline device stays Pending for hours or days (§14.1), and one
 * list call per tenant per round covers every action however many there are.
 */
export function trackingInterval(sinceLastChangeMs: number, baseMs: number): number {
  if (sinceLastChangeMs < 60_000) return baseMs;
  if (sinceLastChangeMs < 10 * 60_000) return 6 * baseMs;
  if (sinceLastChangeMs < 60 * 60_000) return 24 * baseMs;
  return 60 * baseMs;
}

/** How the tracker reads Defender and how often. */
export interface ActionTrackerOptions {
  service: ApprovalService;
  executor: ActionExecutor;
  defender: DefenderClient;
  publisher: ApprovalPublisher;
  /** The application identity (read-only): tracking needs no person and must survive restarts. */
  appAuth(tenantId: string): DefenderAuth;
  logger: Logger;
  /** The tick: how often the tracker looks at its work; each tenant is read only when its own interval is due. */
  intervalMs: number;
  /** Runs card updates without holding up the round: a slow conversation must not delay tracking. */
  runInBackground(name: string, task: () => Promise<unknown>): void;
  /** The clock of the stored records and the cards' "pending for…" wording; default real time. */
  now?: () => Date;
  /** The clock that paces the rounds (ms); default real time. A benchmark replays a day with a fake one. */
  clock?: () => number;
  /** Several instances: only the tenant's owner tracks it (default: one instance tracks everything). */
  ownership?: TrackingOwnership;
  /**
   * Partner context: false for an offboarded customer's tenant — its requests are no longer followed (nothing is
   * read there any more; their cards keep the last status they showed). Absent: every tenant is tracked.
   */
  isServed?: (tenantId: string) => Promise<boolean>;
}

/**
 * Follows every submitted action to Defender's final status and keeps the cards in step; expires overdue
 * requests; settles executions whose outcome was ambiguous or interrupted by a restart. Per tenant and round,
 * ONE list call reads every tracked action still Pending or InProgress (documented filters only: `status` and
 * `creationDateTimeUtc`); a tracked action missing from it has reached a final status and is read once by id.
 * Rounds back off per tenant as its actions age (`trackingInterval`), never end before Defender's final status,
 * and run with the application identity inside the background share of Defender's quota. Everything it needs
 * is in the stored requests, so a restart carries on where it stopped. One round at a time.
 */
export class ActionTracker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => Date;
  /** When each tenant was last read (pacing clock). In memory: after a restart every tenant is read at once. */
  private readonly lastRead = new Map<string, number>();
  /** The "pending for…" wording last shown per request, so a card is refreshed when it changes. */
  private readonly shownWaiting = new Map<string, string>();

  private readonly clock: () => number;
  private readonly ownership: TrackingOwnership;

  constructor(private readonly options: ActionTrackerOptions) {
    this.now = options.now ?? (() => new Date());
    this.clock = options.clock ?? Date.now;
    this.ownership = options.ownership ?? SINGLE_INSTANCE;
  }

  /** This instance has just taken a tenant over: read its actions in the next round, whatever the pace. */
  tenantGained(tenantId: string): void {
    this.lastRead.delete(tenantId.toLowerCase());
  }

  /** The open requests of the tenants this instance owns (read once per round; none read when it owns none). */
  private async ownedOpenRequests(): Promise<ApprovalRequest[]> {
    if (!this.ownership.ownsAny()) return [];
    const open = (await this.options.service.openRequests()).filter((request) => this.ownership.owns(request.tenantId));
    const isServed = this.options.isServed;
    if (!isServed) return open;
    const served = await Promise.all(open.map((request) => isServed(request.tenantId)));
    return open.filter((_, i) => served[i]);
  }

  /** Settles interrupted executions, then polls every `intervalMs`. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.recover(0, await this.ownedOpenRequests());
    this.schedule();
  }

  /** Stops polling and waits for the current round. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /**
   * One round: expiries, settling of stuck executions, then each tenant whose read is due (every tenant when
   * `force`: tests and `trackNow`). Exposed for tests.
   */
  async round(options: { force?: boolean } = {}): Promise<void> {
    // One read of the open requests per round (each step below re-reads a record only when it changes it); with
    // several instances, each tracks the tenants it owns.
    const open = await this.ownedOpenRequests();
    for (const expired of await this.options.service.expireDue(open)) this.publish(expired);
    // An execution whose outcome is still unknown after a while is settled here (the executor gave up waiting).
    await this.recover(STUCK_EXECUTION_MS, open);
    const byTenant = new Map<string, ApprovalRequest[]>();
    for (const request of open) {
      if (request.state !== 'submitted' || !isActionRequest(request) || !request.execution?.defenderActionId) continue;
      const tenant = request.tenantId.toLowerCase();
      byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), request]);
    }
    for (const tenant of this.lastRead.keys()) if (!byTenant.has(tenant)) this.lastRead.delete(tenant);
    for (const [tenant, requests] of byTenant) {
      // The pace follows the newest change among the tenant's actions, a new action included: read again one
      // interval after the last read, the interval growing with the time since anything changed.
      const lastChange = Math.max(
        ...requests.map((r) => Date.parse(r.execution?.statusChangedAt ?? r.stateChangedAt) || 0),
      );
      const interval = trackingInterval(this.now().getTime() - lastChange, this.options.intervalMs);
      const lastRead = this.lastRead.get(tenant);
      if (!options.force && lastRead !== undefined && this.clock() < lastRead + interval) continue;
      this.lastRead.set(tenant, this.clock());
      await this.trackTenant(requests);
    }
  }

  /** One tenant's read: one list call for everything still running, one GET per action that has just ended. */
  private async trackTenant(requests: ApprovalRequest[]): Promise<void> {
    const { defender, logger, service } = this.options;
    const first = requests[0]!;
    const auth = this.options.appAuth(first.tenantId);
    const oldest = Math.min(
      ...requests.map((r) => Date.parse(r.execution?.defenderCreatedAt ?? r.execution?.startedAt ?? r.createdAt)),
    );
    let running: Map<string, MachineAction>;
    try {
      const result = await defender.listMachineActions(auth, {
        filter: and(
          anyOf('status', ['Pending', 'InProgress']),
          compare('creationDateTimeUtc', 'ge', new Date(oldest - CLOCK_SKEW_MS)),
        ),
        max: 10_000,
      });
      // A truncated list (over 10,000 actions in flight) only costs a GET for each tracked action it missed.
      running = new Map(result.items.map((a) => [a.id.toLowerCase(), a]));
    } catch (err) {
      logger.warn({ tenantId: first.tenantId, err: serializeError(err) }, 'could not list the actions in flight');
      return;
    }
    for (const request of requests) {
      const actionId = request.execution!.defenderActionId!;
      try {
        // Not among the running ones: it has ended, so its final status is read once, by id.
        const current = running.get(actionId.toLowerCase()) ?? (await defender.getMachineAction(auth, actionId));
        // Fenced: a tenant lost while reading is not written for (its new owner reads it again).
        if (!this.ownership.owns(request.tenantId)) return;
        if (current.status !== request.execution?.defenderStatus) {
          const updated = await service.markStatus(request.id, current.status);
          if (updated) this.publish(updated);
        } else {
          this.refreshWaiting(request);
        }
      } catch (err) {
        logger.warn({ approvalId: request.id, err: serializeError(err) }, 'could not read the action status');
      }
    }
  }

  /** Refreshes a card when its "pending for…" wording changes (hourly, then daily): no Defender call. */
  private refreshWaiting(request: ApprovalRequest): void {
    const wording = waitingWording(request, this.now());
    if (wording === undefined || this.shownWaiting.get(request.id) === wording) return;
    this.shownWaiting.set(request.id, wording);
    this.publish(request);
  }

  /**
   * Requests left `executing` for at least `minAgeMs` (0 at start-up: the process that was executing them is
   * gone): adopt Defender's action if it exists; once the outcome has settled without one, mark them not
   * confirmed (only the executor, holding the approver's token, may send again). An incident resolution is
   * never tracked or read here (the tracker holds no Graph token and a PATCH is final when Graph answers): one
   * whose execution was cut off is ended as not confirmed, and its card asks people to look at the incident.
   */
  async recover(minAgeMs: number, open?: ApprovalRequest[]): Promise<ApprovalRequest[]> {
    const settled: ApprovalRequest[] = [];
    for (const request of open ?? (await this.ownedOpenRequests())) {
      if (request.state !== 'executing') continue;
      const since = request.execution?.lastSentAt ?? request.execution?.startedAt ?? request.stateChangedAt;
      const age = this.now().getTime() - Date.parse(since);
      const executor = await this.executorState(request);
      // An execution whose instance is known to be gone is settled now; one of this instance's own after the
      // executor's settle loop has given up; a live other instance's is left to it (its send may be in flight).
      if (executor === 'gone' ? false : age < minAgeMs) continue;
      if (executor === 'alive' && age < LIVE_EXECUTOR_GRACE_MS) continue;
      if (!this.ownership.owns(request.tenantId)) continue;
      // This process is executing it right now (an incident resolution waiting for Graph): not interrupted.
      if (executor === 'mine' && this.options.executor.isExecuting(request.id)) continue;
      try {
        const updated = isActionRequest(request)
          ? await this.options.executor.reconcile(request, this.options.appAuth(request.tenantId))
          : await this.options.service.markExecutionFailed(request.id, { kind: 'interrupted', code: 'NotConfirmed' });
        if (updated) {
          settled.push(updated);
          this.publish(updated);
        }
      } catch (err) {
        this.options.logger.warn(
          { approvalId: request.id, err: serializeError(err) },
          'could not settle an interrupted execution',
        );
      }
    }
    return settled;
  }

  /**
   * Who is executing the request: this instance (its executor guards its own sends), another live instance, or
   * one that is gone (its lease expired or was released). An unreadable liveness counts as alive.
   */
  private async executorState(request: ApprovalRequest): Promise<'mine' | 'alive' | 'gone'> {
    const executor = request.execution?.instanceId;
    if (executor === undefined || executor === this.ownership.instanceId) return 'mine';
    return (await this.ownership.isAlive(executor).catch(() => true)) ? 'alive' : 'gone';
  }

  private publish(request: ApprovalRequest): void {
    this.options.runInBackground(`publish ${request.id}`, () => this.options.publisher.publish(request));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.round()
        .catch((err: unknown) =>
          this.options.logger.error({ err: serializeError(err) }, 'action tracking round failed'),
        )
        .finally(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }
}

/**
 * The coarse "pending for" wording of a request whose action has waited at least an hour ("1 h", "5 h",
 * "2 days"); undefined before that. It changes at most hourly, which bounds card refreshes.
 */
export function waitingWording(request: ApprovalRequest, now: Date): string | undefined {
  const since = Date.parse(request.execution?.defenderCreatedAt ?? request.execution?.startedAt ?? '');
  const hours = Math.floor((now.getTime() - since) / 3_600_000);
  if (!Number.isFinite(hours) || hours < 1) return undefined;
  return hours < 48 ? `${hours} h` : `${Math.floor(hours / 24)} days`;
}
