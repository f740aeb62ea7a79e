import { setTimeout as sleep } from 'node:timers/promises';
import type { DefenderAuth, DefenderClient, ResponseActionRequest } from '../defender/defenderClient';
import { and, anyOf, compare } from '../http/odata';
import type { MachineAction } from '../defender/schemas';
import { isAppError } from '../errors';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { ApprovalService } from './approvalService';
import type { GraphAuth, GraphSecurityClient } from '../graph/graphSecurityClient';
import type {
  ActionApprovalRequest,
  ApprovalRequest,
  IncidentApprovalRequest,
  ResponseActionKind,
} from './approvalTypes';
import { executeIncidentResolution } from './incidentResolutionExecutor';
import { isActionRequest } from './approvalTypes';

/** Defender's machine action type for each request kind. */
export const MACHINE_ACTION_TYPE: Record<ResponseActionKind, string> = {
  isolate: 'Isolate',
  unisolate: 'Unisolate',
  restrictCodeExecution: 'RestrictCodeExecution',
  unrestrictCodeExecution: 'UnrestrictCodeExecution',
  runAntiVirusScan: 'RunAntiVirusScan',
  collectInvestigationPackage: 'CollectInvestigationPackage',
  stopAndQuarantineFile: 'StopAndQuarantineFile',
};

/**
 * The Defender `Comment` of an approved action: who asked (via Teams), who approved, the approval id and the
 * reason — so Defender's Action Center tells the whole story. Bounded: Defender keeps comments short.
 */
export function defenderComment(request: ApprovalRequest): string {
  const approvers = request.approvals.map((a) => a.person.userPrincipalName);
  const approved = approvers.length > 0 ? `approved by ${approvers.join(', ')}` : 'auto-approved by policy';
  const text = `Requested by ${request.requester.userPrincipalName} via Teams; ${approved}; approval ${request.id}; reason: ${request.reason}`;
  return text.length > 1000 ? `${text.slice(0, 999)}…` : text;
}

function toDefenderRequest(request: ActionApprovalRequest): ResponseActionRequest {
  const machineId = request.device.id;
  const comment = defenderComment(request);
  switch (request.kind) {
    case 'isolate':
      return { kind: 'isolate', machineId, comment, isolationType: request.parameters.isolationType ?? 'Full' };
    case 'runAntiVirusScan':
      return { kind: 'runAntiVirusScan', machineId, comment, scanType: request.parameters.scanType ?? 'Quick' };
    case 'stopAndQuarantineFile':
      return { kind: 'stopAndQuarantineFile', machineId, comment, sha1: request.parameters.sha1 ?? '' };
    case 'unisolate':
    case 'restrictCodeExecution':
    case 'unrestrictCodeExecution':
    case 'collectInvestigationPackage':
      return { kind: request.kind, machineId, comment };
  }
}

/** How the executor waits for an ambiguous outcome to settle before it concludes Defender has no action. */
export interface ReconcileTimings {
  /**
   * How long after a send whose outcome was ambiguous the bot keeps reading before it concludes Defender has
   * no such action: a request still being processed when the client gave up must have had time to land.
   */
  settleMs: number;
  /** First wait between two reads while checking; doubled each time, at most `settleMs / 4`. */
  firstReadDelayMs: number;
}

/** Defaults: a minute to settle (six times the client timeout of 10 s), first re-read after 1 s. */
export const DEFAULT_RECONCILE_TIMINGS: ReconcileTimings = { settleMs: 60_000, firstReadDelayMs: 1_000 };

/** Actions created this long before the request was sent still count (clock skew between us and Defender). */
const CLOCK_SKEW_MS = 5 * 60_000;
/** How long the approver's token is kept for a single re-send after an ambiguous outcome. */
const HOLD_AUTH_MS = 15 * 60_000;

/**
 * Sends an approved request to Defender once, with the executing person's own delegated token (so Defender's
 * RBAC and device groups decide for them), and records what Defender answered. The rule for writes
 * (src/http/writeOutcome.ts) is applied here for response actions:
 * - an ambiguous answer (timeout, reset, 5xx) marks the request "checking" and the device's recent actions of
 *   that type are read until the one carrying this approval's id shows up (adopted) or the outcome has settled
 *   without it — only then is it sent once more under the same approval, audited; a second ambiguous send that
 *   settles without an action ends the request as not confirmed, never as a third send;
 * - Defender's answer that the same action is already running (400 in either documented form, or the running
 *   action returned) makes the request follow that action instead of sending another.
 */
export class ActionExecutor {
  private readonly timings: ReconcileTimings;
  private readonly now: () => Date;
  /**
   * Sends being checked in this process: the approver's delegated auth (only it may send again, never the
   * application identity) and when the send went out, by the wall clock (settling is about network time).
   */
  private readonly held = new Map<string, { auth: DefenderAuth; sentAt: number }>();
  /** Requests whose POST is on its way (queued for the quota included): nothing may be concluded about them. */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly options: {
      service: ApprovalService;
      defender: DefenderClient;
      logger: Logger;
      /** Brings the cards up to date while a send is being checked ("Checking with Defender…"). */
      publish?: (request: ApprovalRequest) => void;
      timings?: Partial<ReconcileTimings>;
      /** The clock of the stored records (lastSentAt after a restart); default real time. */
      now?: () => Date;
    },
  ) {
    this.timings = { ...DEFAULT_RECONCILE_TIMINGS, ...options.timings };
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Executes an incident resolution the service moved to `executing`, with the approver's Graph token (the
   * approvals domain has one executor; incidentResolutionExecutor.ts holds the Graph side).
   */
  async executeIncidentResolution(
    request: IncidentApprovalRequest,
    graph: GraphSecurityClient,
    auth: GraphAuth,
  ): Promise<ApprovalRequest | undefined> {
    // Guarded like a send of an action: the tracker leaves an execution of this process alone while it runs (it
    // may wait minutes for Graph's quota), instead of calling it interrupted under its feet.
    this.inFlight.add(request.id);
    try {
      return await executeIncidentResolution(
        { service: this.options.service, graph, logger: this.options.logger },
        request,
        auth,
      );
    } finally {
      this.inFlight.delete(request.id);
    }
  }

  /** True while this process is executing the request (its send or its reconciliation is running). */
  isExecuting(requestId: string): boolean {
    return this.inFlight.has(requestId);
  }

  /** Executes a request the service moved to `executing`; resolves with the recorded outcome. */
  execute(request: ActionApprovalRequest, auth: DefenderAuth): Promise<ApprovalRequest | undefined> {
    // The execution outlives the click that started it: it may queue for Defender's quota like any work, not
    // only the few seconds a click's answer may wait (the click's ticket says so while it is being answered).
    const executing: DefenderAuth = { ...auth, maxWaitMs: undefined, onQueued: undefined };
    return this.send(request, executing);
  }

  private async send(request: ActionApprovalRequest, auth: DefenderAuth): Promise<ApprovalRequest | undefined> {
    const { service, logger } = this.options;
    const log = logger.child({ approvalId: request.id });
    let action: MachineAction;
    // While a send is in flight nothing else may conclude anything about this request (the tracker's recover()).
    this.inFlight.add(request.id);
    try {
      action = await this.submitWhenAdmitted(request, auth);
    } catch (err) {
      this.inFlight.delete(request.id);
      return this.afterFailedSend(request, auth, err, log);
    }
    this.inFlight.delete(request.id);
    // Defender may answer a duplicate with the action already pending instead of a 400 (defender-api.md §4.4).
    if (!(action.requestorComment ?? '').includes(request.id)) {
      return service.markSubmitted(request.id, action, { found: 'existing', requestor: action.requestor ?? null });
    }
    this.held.delete(request.id);
    log.info({ defenderActionId: action.id, status: action.status }, 'action submitted to Defender');
    return service.markSubmitted(request.id, action, { found: 'accepted' });
  }

  /** What a send that did not get a 2xx leads to: refused, following a running action, checked, or failed. */
  private async afterFailedSend(
    request: ActionApprovalRequest,
    auth: DefenderAuth,
    err: unknown,
    log: Logger,
  ): Promise<ApprovalRequest | undefined> {
    const { service } = this.options;
    if (isAppError(err, 'forbidden')) {
      log.warn('Defender refused the executing approver (403)');
      return service.markExecutionFailed(request.id, { kind: 'forbidden', code: 'Forbidden' });
    }
    if (isAppError(err) && err.details.duplicateAction) {
      log.info('Defender already runs this action for the device; following it');
      return this.followRunning(request, auth);
    }
    if (isAppError(err) && err.details.uncertain) {
      log.warn({ code: err.code }, 'Defender answer ambiguous; checking what Defender has');
      // Settling is counted from now, when the client gave up, not from before any queue or retry wait.
      this.held.set(request.id, { auth, sentAt: Date.now() });
      const checking = await service.markChecking(request.id, err.code);
      if (!checking || !isActionRequest(checking)) return undefined;
      this.options.publish?.(checking);
      return this.settle(checking, auth);
    }
    log.warn({ err: serializeError(err) }, 'Defender did not accept the action');
    const code = isAppError(err) ? (err.details.upstreamCode ?? err.code) : 'internal';
    return service.markExecutionFailed(request.id, { kind: 'failed', code });
  }

  /**
   * The POST, sent again only when Defender provably did nothing: a quota refusal (our own limiter's, or a 429
   * whose Retry-After was longer than the client waits by itself) is waited out, a few times at most.
   */
  private async submitWhenAdmitted(request: ActionApprovalRequest, auth: DefenderAuth): Promise<MachineAction> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.options.defender.submitAction(auth, toDefenderRequest(request));
      } catch (err) {
        if (!isAppError(err, 'rateLimited') || attempt >= 3) throw err;
        const waitMs = Math.min(5 * 60_000, 1000 * (err.details.retryAfterSeconds ?? 30));
        this.options.logger.warn({ approvalId: request.id, waitMs }, 'Defender quota reached; the action waits');
        await sleep(waitMs);
      }
    }
  }

  /**
   * Reads until the ambiguous send is settled one way or the other, while the approver waits: a found action
   * is adopted, a settled absence leads to one more send. Gives up to the tracker (which keeps reconciling each
   * round, but never sends) when Defender cannot be read for a while.
   */
  private async settle(request: ActionApprovalRequest, readAuth: DefenderAuth): Promise<ApprovalRequest | undefined> {
    const giveUpAt = Date.now() + 3 * this.timings.settleMs;
    let delay = this.timings.firstReadDelayMs;
    for (;;) {
      try {
        const settled = await this.reconcile(request, readAuth, { mayResend: true });
        if (settled) return settled;
      } catch (err) {
        this.options.logger.warn(
          { approvalId: request.id, err: serializeError(err) },
          'could not read Defender while checking',
        );
      }
      if (Date.now() >= giveUpAt) return request;
      await sleep(delay);
      delay = Math.min(delay * 2, Math.max(this.timings.firstReadDelayMs, this.timings.settleMs / 4));
      const current = await this.options.service.get(request.id);
      if (!current || current.state !== 'executing' || !isActionRequest(current)) return current;
      request = current;
    }
  }

  /**
   * Settles a request left in `executing` — an ambiguous send, or a restart between the decision and
   * Defender's answer — by reading Defender (`readAuth` may be the application identity: reads only). Resolves
   * with the new state, or undefined while it is too early to tell (or a send is still in flight). Throws when
   * Defender cannot be read. Only the executor's own settle loop (`mayResend`), holding the approver's token
   * from their click, may send once more; the tracker never does.
   */
  async reconcile(
    request: ActionApprovalRequest,
    readAuth: DefenderAuth,
    options: { mayResend?: boolean } = {},
  ): Promise<ApprovalRequest | undefined> {
    const { service } = this.options;
    if (this.inFlight.has(request.id)) return undefined;
    const ours = await this.findOurs(request, readAuth);
    if (ours) {
      this.held.delete(request.id);
      return service.markSubmitted(request.id, ours, { found: 'reconciled' });
    }
    if (this.inFlight.has(request.id)) return undefined;
    let held = this.held.get(request.id);
    const sinceSent = held
      ? Date.now() - held.sentAt
      : this.now().getTime() -
        Date.parse(request.execution?.lastSentAt ?? request.execution?.startedAt ?? request.stateChangedAt);
    if (sinceSent < this.timings.settleMs) return undefined;
    // The approver's token is used for a re-send only shortly after their click, never hours later.
    if (held && sinceSent > HOLD_AUTH_MS) held = undefined;
    if (options.mayResend && held && request.execution?.checking && (request.execution.attempts ?? 1) < 2) {
      this.inFlight.add(request.id);
      const resent = await service.markResent(request.id).catch((err: unknown) => {
        this.inFlight.delete(request.id);
        throw err;
      });
      if (!resent || !isActionRequest(resent)) {
        this.inFlight.delete(request.id);
        return service.get(request.id);
      }
      this.options.logger.warn(
        { approvalId: request.id },
        'Defender has no such action after settling; sending once more',
      );
      this.options.publish?.(resent);
      return this.send(resent, held.auth);
    }
    if (held && !options.mayResend && (request.execution?.attempts ?? 1) < 2) {
      // The executor's own loop may still send once more: the tracker leaves this request to it for now.
      return undefined;
    }
    this.held.delete(request.id);
    return service.markExecutionFailed(request.id, { kind: 'interrupted', code: 'NotConfirmedByDefender' }, request);
  }

  /** Defender runs the same action already: follow it (ours after all, or someone else's running one). */
  private async followRunning(
    request: ActionApprovalRequest,
    auth: DefenderAuth,
  ): Promise<ApprovalRequest | undefined> {
    const { service, logger } = this.options;
    let ours: MachineAction | undefined;
    let running: MachineAction | undefined;
    try {
      ours = await this.findOurs(request, auth);
      running = ours ? undefined : (await this.recentActions(request, auth, { runningOnly: true }))[0];
    } catch (err) {
      // Unknown whose action runs: check like after an ambiguous answer (never a blind second send).
      logger.warn({ approvalId: request.id, err: serializeError(err) }, 'could not read the running action');
      this.held.set(request.id, { auth, sentAt: Date.now() });
      const checking = await service.markChecking(request.id, 'duplicateUnread');
      if (!checking || !isActionRequest(checking)) return service.get(request.id);
      this.options.publish?.(checking);
      return this.settle(checking, auth);
    }
    if (ours) return service.markSubmitted(request.id, ours, { found: 'reconciled' });
    if (running)
      return service.markSubmitted(request.id, running, { found: 'existing', requestor: running.requestor ?? null });
    return service.markExecutionFailed(request.id, { kind: 'duplicate', code: 'ActionAlreadyInProgress' });
  }

  private async findOurs(request: ActionApprovalRequest, auth: DefenderAuth): Promise<MachineAction | undefined> {
    const actions = await this.recentActions(request, auth, { runningOnly: false });
    return actions.find((a) => (a.requestorComment ?? '').includes(request.id));
  }

  /**
   * The device's actions of this request's type created since the request was approved (less the clock skew),
   * or only those still running: one list call with documented filters only (§4.2).
   */
  private async recentActions(
    request: ActionApprovalRequest,
    auth: DefenderAuth,
    options: { runningOnly: boolean },
  ): Promise<MachineAction[]> {
    const since = Date.parse(request.execution?.startedAt ?? request.stateChangedAt) - CLOCK_SKEW_MS;
    const result = await this.options.defender.listMachineActions(auth, {
      filter: and(
        compare('machineId', 'eq', request.device.id),
        compare('type', 'eq', MACHINE_ACTION_TYPE[request.kind]),
        options.runningOnly
          ? anyOf('status', ['Pending', 'InProgress'])
          : compare('creationDateTimeUtc', 'ge', new Date(since)),
      ),
      max: 200,
    });
    return result.items;
  }
}
