import { randomUUID } from 'node:crypto';
import type { MachineActionEntity, MachineEntity } from '../seed/seedSchema';
import type { ActionOutcomeFault } from './faultInjector';
import { toODataTimestamp } from './odataDateTime';

/*
 * The machine-action state machine: Pending → InProgress → Succeeded | Failed | TimeOut, or Cancelled by a
 * cancel request (defender-api.md §4.3). Each new action gets a plan with absolute transition times; the
 * state is advanced from the clock whenever anything reads it (and by wake-up timers), so an injected clock
 * drives the lifecycle exactly and timestamps equal the planned transition times.
 */

/** Durations of the lifecycle phases. */
export interface ActionTimings {
  /** Time a reachable device takes to pick the action up (Pending → InProgress). */
  pendingMs: number;
  /** Time the device takes to carry it out (InProgress → Succeeded/Failed). */
  inProgressMs: number;
  /** Time after which an action an unreachable device never picked up ends TimeOut. */
  timeoutMs: number;
}

/**
 * Defaults: compressed from the 30–90 s the doc examples show so demos stay lively; the timeout is far shorter
 * than a real offline device's (days) for the same reason — rehearsals should reach TimeOut within a minute.
 */
export const DEFAULT_ACTION_TIMINGS: ActionTimings = { pendingMs: 3_000, inProgressMs: 5_000, timeoutMs: 60_000 };

/** Statuses after which an action never changes again. */
export const FINAL_ACTION_STATUSES: ReadonlySet<MachineActionEntity['status']> = new Set([
  'Succeeded',
  'Failed',
  'TimeOut',
  'Cancelled',
]);

/** HRESULT reported by a Failed action (E_FAIL as a signed 32-bit int); the real values are undocumented. */
export const FAILED_HRESULT = -2147467259;

/** When and how a simulated action ends; `stuck` never leaves Pending (fault knob). */
export type ActionPlan =
  | { kind: 'runs'; final: 'Succeeded' | 'Failed'; inProgressAt: number; finalAt: number }
  | { kind: 'timesOut'; finalAt: number }
  | { kind: 'stuck' };

/** True for Succeeded, Failed, TimeOut and Cancelled. */
export function isFinalStatus(status: MachineActionEntity['status']): boolean {
  return FINAL_ACTION_STATUSES.has(status);
}

/**
 * Decides how a new action will go. A device whose healthStatus is not Active never picks the action up and
 * it times out, like a real offline device; a scripted fault overrides the normal success.
 */
export function planAction(
  machine: MachineEntity,
  fault: ActionOutcomeFault | undefined,
  createdAt: number,
  timings: ActionTimings,
): ActionPlan {
  if (fault === 'StuckPending') return { kind: 'stuck' };
  if (fault === 'TimeOut' || machine.healthStatus !== 'Active') {
    return { kind: 'timesOut', finalAt: createdAt + timings.timeoutMs };
  }
  const inProgressAt = createdAt + timings.pendingMs;
  return {
    kind: 'runs',
    final: fault === 'Failed' ? 'Failed' : 'Succeeded',
    inProgressAt,
    finalAt: inProgressAt + timings.inProgressMs,
  };
}

/** The instants at which a plan changes the action, for wake-up timers. */
export function transitionTimes(plan: ActionPlan): number[] {
  switch (plan.kind) {
    case 'runs':
      return [plan.inProgressAt, plan.finalAt];
    case 'timesOut':
      return [plan.finalAt];
    case 'stuck':
      return [];
  }
}

/** Moves `action` to the status its plan prescribes at `now`; returns true when it changed. */
export function advanceAction(action: MachineActionEntity, plan: ActionPlan, now: number): boolean {
  if (isFinalStatus(action.status)) return false;
  const set = (status: MachineActionEntity['status'], at: number): boolean => {
    if (action.status === status) return false;
    action.status = status;
    action.lastUpdateDateTimeUtc = toODataTimestamp(new Date(at));
    if (status === 'Failed') action.errorHResult = FAILED_HRESULT;
    return true;
  };
  switch (plan.kind) {
    case 'runs':
      if (now >= plan.finalAt) return set(plan.final, plan.finalAt);
      if (now >= plan.inProgressAt) return set('InProgress', plan.inProgressAt);
      return false;
    case 'timesOut':
      return now >= plan.finalAt ? set('TimeOut', plan.finalAt) : false;
    case 'stuck':
      return false;
  }
}

/** What a caller asked for; everything else of the entity is derived. */
export interface NewActionRequest {
  type: MachineActionEntity['type'];
  machine: MachineEntity;
  requestor: string;
  comment: string;
  scope: string | null;
  externalId: string | null;
  sha1: string | null;
}

/** A new Pending action with every documented field present (defender-api.md §4.3 example). */
export function newMachineAction(request: NewActionRequest, now: Date): MachineActionEntity {
  const timestamp = toODataTimestamp(now);
  return {
    id: randomUUID(),
    type: request.type,
    title: null,
    requestor: request.requestor,
    requestorComment: request.comment,
    status: 'Pending',
    machineId: request.machine.id,
    computerDnsName: request.machine.computerDnsName,
    creationDateTimeUtc: timestamp,
    lastUpdateDateTimeUtc: timestamp,
    cancellationRequestor: null,
    cancellationComment: null,
    cancellationDateTimeUtc: null,
    errorHResult: 0,
    scope: request.scope,
    externalId: request.externalId,
    // Observed in third-party fixtures for API-submitted actions; unconfirmed (§4.3).
    requestSource: 'PublicApi',
    relatedFileInfo: request.sha1 === null ? null : { fileIdentifier: request.sha1, fileIdentifierType: 'Sha1' },
    commands: [],
    troubleshootInfo: null,
  };
}

/** Marks an action Cancelled on behalf of `requestor`. */
export function cancelAction(action: MachineActionEntity, requestor: string, comment: string, now: Date): void {
  const timestamp = toODataTimestamp(now);
  action.status = 'Cancelled';
  action.cancellationRequestor = requestor;
  action.cancellationComment = comment;
  action.cancellationDateTimeUtc = timestamp;
  action.lastUpdateDateTimeUtc = timestamp;
}
