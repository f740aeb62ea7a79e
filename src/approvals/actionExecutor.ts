import type { DefenderAuth, DefenderClient, ResponseActionRequest } from '../defender/defenderClient';
import { and, compare } from '../defender/odata';
import type { MachineAction } from '../defender/schemas';
import { isAppError } from '../errors';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { ApprovalService } from './approvalService';
import type { ApprovalRequest, ResponseActionKind } from './approvalTypes';

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

function toDefenderRequest(request: ApprovalRequest): ResponseActionRequest {
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

/**
 * Sends an approved request to Defender once, with the executing person's own delegated token (so Defender's
 * RBAC and device groups decide for them), and records what Defender answered. An answer that leaves open
 * whether Defender accepted the action (5xx, timeout, a crash) is reconciled by looking for the action that
 * carries this approval's id in its comment — never by sending it again.
 */
export class ActionExecutor {
  constructor(private readonly options: { service: ApprovalService; defender: DefenderClient; logger: Logger }) {}

  /** Executes a request the service moved to `executing`; resolves with the recorded outcome. */
  async execute(request: ApprovalRequest, auth: DefenderAuth): Promise<ApprovalRequest | undefined> {
    const { service, defender, logger } = this.options;
    const log = logger.child({ approvalId: request.id });
    let action: MachineAction;
    try {
      action = await defender.submitAction(auth, toDefenderRequest(request));
    } catch (err) {
      if (isAppError(err, 'forbidden')) {
        log.warn('Defender refused the executing approver (403)');
        return service.markExecutionFailed(request.id, { kind: 'forbidden', code: 'Forbidden' });
      }
      if (isAppError(err, 'badRequest') && err.details.upstreamCode === 'ActiveRequestAlreadyExists') {
        const existing = await this.findPending(request, auth).catch(() => undefined);
        return service.markExecutionFailed(request.id, {
          kind: 'duplicate',
          code: 'ActiveRequestAlreadyExists',
          ...(existing ? { existingActionId: existing.id } : {}),
        });
      }
      if (isAppError(err) && err.details.uncertain) {
        log.warn({ code: err.code }, 'Defender answer uncertain; reconciling');
        return this.reconcile(request, auth);
      }
      log.warn({ err: serializeError(err) }, 'Defender did not accept the action');
      const code = isAppError(err) ? (err.details.upstreamCode ?? err.code) : 'internal';
      return service.markExecutionFailed(request.id, { kind: 'failed', code });
    }
    // Defender may answer a duplicate with the action already pending instead of a 400 (defender-api.md §4.4).
    if (!(action.requestorComment ?? '').includes(request.id)) {
      return service.markExecutionFailed(request.id, {
        kind: 'duplicate',
        code: 'ExistingPendingAction',
        existingActionId: action.id,
      });
    }
    log.info({ defenderActionId: action.id, status: action.status }, 'action submitted to Defender');
    return service.markSubmitted(request.id, action.id, action.status);
  }

  /**
   * Settles a request left in `executing` (an uncertain answer, or a restart between the decision and
   * Defender's answer): if Defender has an action carrying this approval's id, adopt it; otherwise the
   * request ends as interrupted (asking again is safe, repeating blindly is not).
   */
  async reconcile(request: ApprovalRequest, auth: DefenderAuth): Promise<ApprovalRequest | undefined> {
    const { service, defender } = this.options;
    const actions = await defender.listMachineActions(auth, {
      filter: and(
        compare('machineId', 'eq', request.device.id),
        compare('type', 'eq', MACHINE_ACTION_TYPE[request.kind]),
      ),
      max: 50,
    });
    const ours = actions.items.find((a) => (a.requestorComment ?? '').includes(request.id));
    if (ours) return service.markSubmitted(request.id, ours.id, ours.status);
    return service.markExecutionFailed(request.id, { kind: 'interrupted', code: 'NotConfirmedByDefender' });
  }

  private async findPending(request: ApprovalRequest, auth: DefenderAuth): Promise<MachineAction | undefined> {
    const actions = await this.options.defender.listMachineActions(auth, {
      filter: and(
        compare('machineId', 'eq', request.device.id),
        compare('type', 'eq', MACHINE_ACTION_TYPE[request.kind]),
      ),
      max: 50,
    });
    return actions.items.find((a) => a.status === 'Pending' || a.status === 'InProgress');
  }
}
