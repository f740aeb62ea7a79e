import type { DefenderAuth, DefenderClient } from '../defender/defenderClient';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { ActionExecutor } from './actionExecutor';
import type { ApprovalPublisher } from './approvalPublisher';
import type { ApprovalService } from './approvalService';
import type { ApprovalRequest } from './approvalTypes';

/** An execution still unsettled after this long has lost its in-process worker. */
const STUCK_EXECUTION_MS = 2 * 60_000;

/** How the tracker reads Defender and how often. */
export interface ActionTrackerOptions {
  service: ApprovalService;
  executor: ActionExecutor;
  defender: DefenderClient;
  publisher: ApprovalPublisher;
  /** The application identity (read-only): tracking needs no person and must survive restarts. */
  appAuth(tenantId: string): DefenderAuth;
  logger: Logger;
  /** Time between two rounds of status checks. */
  intervalMs: number;
  /** Runs card updates without holding up the round: a slow conversation must not delay tracking. */
  runInBackground(name: string, task: () => Promise<unknown>): void;
}

/**
 * Follows every submitted action to Defender's final status and keeps the cards in step; expires overdue
 * requests; after a restart, settles requests that were executing when the process stopped. One round at a
 * time (no overlapping polls), and a failed check only waits for the next round.
 */
export class ActionTracker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: ActionTrackerOptions) {}

  /** Settles interrupted executions, then polls every `intervalMs`. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.recover(0);
    this.schedule();
  }

  /** Stops polling and waits for the current round. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One round: expiries, then the status of every submitted action. Exposed for tests. */
  async round(): Promise<void> {
    const { service, logger } = this.options;
    for (const expired of await service.expireDue()) this.publish(expired);
    // An execution whose Defender answer never got recorded (a failure while reconciling) is settled later.
    await this.recover(STUCK_EXECUTION_MS);
    for (const request of await service.openRequests()) {
      if (request.state !== 'submitted' || !request.execution?.defenderActionId) continue;
      try {
        const action = await this.options.defender.getMachineAction(
          this.options.appAuth(request.tenantId),
          request.execution.defenderActionId,
        );
        if (action.status !== request.execution.defenderStatus) {
          const updated = await service.markStatus(request.id, action.status);
          if (updated) this.publish(updated);
        }
      } catch (err) {
        logger.warn({ approvalId: request.id, err: serializeError(err) }, 'could not read the action status');
      }
    }
  }

  /**
   * Requests left `executing` for at least `minAgeMs` (0 at start-up: the process that was executing them is
   * gone): adopt Defender's action if it exists, else mark them interrupted.
   */
  async recover(minAgeMs: number): Promise<ApprovalRequest[]> {
    const settled: ApprovalRequest[] = [];
    for (const request of await this.options.service.openRequests()) {
      if (request.state !== 'executing') continue;
      if (Date.now() - Date.parse(request.execution?.startedAt ?? request.stateChangedAt) < minAgeMs) continue;
      try {
        const updated = await this.options.executor.reconcile(request, this.options.appAuth(request.tenantId));
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
