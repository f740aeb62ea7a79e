import { randomUUID } from 'node:crypto';
import type { MachineActionEntity, MachineEntity } from '../seed/seedSchema';
import type { ActionOutcomeFault } from './faultInjector';
import { toODataTimestamp } from './odataDateTime';

/*
 * The machine-action state machine: Pending → InProgress → Succeeded | Failed | TimeOut, or Cancelled by a
 * cancel request (defender-api.md §4.3). Each new action gets a plan with absolute transition times; the
 * state is advanced from the clock whenever anything reads it (and by wake-up timers), so an injected clock
 * drives the lifecycle exactly and timestamps equal the planned transition times. An action for a device that
 * is not Active waits for it (§14.1): it runs once the device comes back, or ends TimeOut after
 * `offlineTimeoutMs`.
 */

/** Durations of the lifecycle phases. */
export interface ActionTimings {
  /** Time a reachable device takes to pick the action up (Pending → InProgress). */
  pendingMs: number;
  /** Time the device takes to carry it out (InProgress → Succeeded/Failed). */
  inProgressMs: number;
  /** Time after which an action scripted to time out (the `TimeOut` fault) ends TimeOut. */
  timeoutMs: number;
  /** Time an action for a device that is not Active waits for it before it ends TimeOut; default 3 days. */
  offlineTimeoutMs?: number;
}

/** How long Defender keeps an action for an offline device Pending before TimeOut (simulator choice, §13). */
export const DEFAULT_OFFLINE_TIMEOUT_MS = 3 * 24 * 60 * 60_000;

/**
 * Defaults: compressed from the 30–90 s the doc examples show so demos stay lively; an offline device's action
 * waits days, as on a real tenant, so the tracker's patience is exercised.
 */
export const DEFAULT_ACTION_TIMINGS: Required<ActionTimings> = {
  pendingMs: 3_000,
  inProgressMs: 5_000,
  timeoutMs: 60_000,
  offlineTimeoutMs: DEFAULT_OFFLINE_TIMEOUT_MS,
};

/** Statuses after which an action never changes again. */
export const FINAL_ACTION_STATUSES: ReadonlySet<MachineActionEntity['status']> = new Set([
  'Succeeded',
  'Failed',
  'TimeOut',
  'Cancelled',
]);

/** HRESULT reported by a Failed action (E_FAIL as a signed 32-bit int); the real values are undocumented. */
export const FAILED_HRESULT = -2147467259;

/**
 * When and how a simulated action ends. `awaitsDevice`: Pending until the device is Active again (then it is
 * replanned as `runs`) or until `timeoutAt`; `stuck` never leaves Pending (fault knob).
 */
export type ActionPlan =
  | { kind: 'runs'; final: 'Succeeded' | 'Failed'; inProgressAt: number; finalAt: number; timeoutAt: number }
  | { kind: 'awaitsDevice'; final: 'Succeeded' | 'Failed'; timeoutAt: number }
  | { kind: 'timesOut'; finalAt: number }
  | { kind: 'stuck' };

/** True for Succeeded, Failed, TimeOut and Cancelled. */
export function isFinalStatus(status: MachineActionEntity['status']): boolean {
  return FINAL_ACTION_STATUSES.has(status);
}

/** True when the device picks actions up: only an Active device reports to the service. */
export function isReachable(machine: Pick<MachineEntity, 'healthStatus'>): boolean {
  return machine.healthStatus === 'Active';
}

/** A plan that runs from `from`; `timeoutAt` is kept for a device that goes away before picking it up. */
function runsFrom(final: 'Succeeded' | 'Failed', from: number, timeoutAt: number, timings: ActionTimings): ActionPlan {
  const inProgressAt = from + timings.pendingMs;
  return { kind: 'runs', final, inProgressAt, finalAt: inProgressAt + timings.inProgressMs, timeoutAt };
}

/**
 * Decides how a new action will go. A device that is not Active does not pick the action up: it waits for the
 * device; a scripted fault overrides the normal success.
 */
export function planAction(
  machine: MachineEntity,
  fault: ActionOutcomeFault | undefined,
  createdAt: number,
  timings: ActionTimings,
): ActionPlan {
  if (fault === 'StuckPending') return { kind: 'stuck' };
  if (fault === 'TimeOut') return { kind: 'timesOut', finalAt: createdAt + timings.timeoutMs };
  const final = fault === 'Failed' ? 'Failed' : 'Succeeded';
  const timeoutAt = createdAt + (timings.offlineTimeoutMs ?? DEFAULT_OFFLINE_TIMEOUT_MS);
  if (!isReachable(machine)) return { kind: 'awaitsDevice', final, timeoutAt };
  return runsFrom(final, createdAt, timeoutAt, timings);
}

/**
 * The plan after the device's health changed at `now` (transitions due until then already applied): a waiting
 * action runs from now when the device is back; an action the device had not picked up yet waits again when
 * it went away. Undefined when the plan stays as it is.
 */
export function replanForHealth(
  action: MachineActionEntity,
  plan: ActionPlan,
  reachable: boolean,
  now: number,
  timings: ActionTimings,
): ActionPlan | undefined {
  if (action.status !== 'Pending') return undefined;
  if (plan.kind === 'awaitsDevice' && reachable) return runsFrom(plan.final, now, plan.timeoutAt, timings);
  if (plan.kind === 'runs' && !reachable) return { kind: 'awaitsDevice', final: plan.final, timeoutAt: plan.timeoutAt };
  return undefined;
}

/** The instants at which a plan changes the action, for wake-up timers. */
export function transitionTimes(plan: ActionPlan): number[] {
  switch (plan.kind) {
    case 'runs':
      return [plan.inProgressAt, plan.finalAt];
    case 'awaitsDevice':
      return [plan.timeoutAt];
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
    case 'awaitsDevice':
      return now >= plan.timeoutAt ? set('TimeOut', plan.timeoutAt) : false;
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
