import { z } from 'zod';
import type { MachineActionEntity } from '../seed/seedSchema';
import { entityResult } from './apiContext';
import type { ApiContext, ApiHandler, ApiResult } from './apiContext';
import { DefenderApiError } from './defenderError';
import { outOfScopeActionError } from './machineActionsEndpoints';
import { isFinalStatus, newMachineAction, planAction, transitionTimes } from './machineActions';
import { machineNotFound } from './machinesEndpoints';
import { authorize, inScope } from './rbac';
import type { DefenderOperation } from './rbac';
import { enumParameter, parseJsonBody, requireParameter } from './requestBody';

/*
 * The response-action POSTs of defender-api.md §4.1. Body parameter names are PascalCase and case-sensitive;
 * Comment is required everywhere. Checks run in the order a client meets them: token permission and Defender
 * role (403), body (400), device (404 / out-of-scope), platform (400), an action already running (400).
 */

const SHA1 = /^[0-9a-fA-F]{40}$/;

/** Every action body parameter is an optional nullable string; requiredness is checked afterwards. */
function bodySchema(...names: string[]) {
  return z.strictObject(Object.fromEntries(names.map((name) => [name, z.string().nullable().optional()])));
}

/** A parsed action body. */
type ActionBody = z.infer<ReturnType<typeof bodySchema>>;

/** What the body contributes to the new action. */
interface ActionDetails {
  scope: string | null;
  sha1: string | null;
}

interface ActionSpec {
  type: MachineActionEntity['type'];
  operation: DefenderOperation;
  schema: ReturnType<typeof bodySchema>;
  details: (body: ActionBody) => ActionDetails;
  /** Restrict/unrestrict app execution exists on Windows only (OsPlatformNotSupported elsewhere). */
  windowsOnly?: boolean;
}

const noDetails = (): ActionDetails => ({ scope: null, sha1: null });

/** Route segment (as documented, matched case-insensitively) → action definition. */
export const RESPONSE_ACTIONS = {
  isolate: {
    type: 'Isolate',
    operation: 'machines.isolate',
    schema: bodySchema('Comment', 'IsolationType'),
    details: (body) => {
      const type = body.IsolationType;
      // IsolationType is optional and defaults to Full (isolate-machine.md); the action's scope reports it.
      const scope =
        type === undefined || type === null
          ? 'Full'
          : enumParameter('IsolationType', type, ['Full', 'Selective', 'UnManagedDevice']);
      return { scope, sha1: null };
    },
  },
  unisolate: { type: 'Unisolate', operation: 'machines.isolate', schema: bodySchema('Comment'), details: noDetails },
  restrictCodeExecution: {
    type: 'RestrictCodeExecution',
    operation: 'machines.restrictExecution',
    schema: bodySchema('Comment'),
    details: noDetails,
    windowsOnly: true,
  },
  unrestrictCodeExecution: {
    type: 'UnrestrictCodeExecution',
    operation: 'machines.restrictExecution',
    schema: bodySchema('Comment'),
    details: noDetails,
    windowsOnly: true,
  },
  runAntiVirusScan: {
    type: 'RunAntiVirusScan',
    operation: 'machines.scan',
    schema: bodySchema('Comment', 'ScanType'),
    details: (body) => ({
      scope: enumParameter('ScanType', requireParameter('ScanType', body.ScanType), ['Quick', 'Full']),
      sha1: null,
    }),
  },
  collectInvestigationPackage: {
    type: 'CollectInvestigationPackage',
    operation: 'machines.collectForensics',
    schema: bodySchema('Comment'),
    details: noDetails,
  },
  StopAndQuarantineFile: {
    type: 'StopAndQuarantineFile',
    operation: 'machines.stopAndQuarantine',
    schema: bodySchema('Comment', 'Sha1'),
    details: (body) => {
      const sha1 = requireParameter('Sha1', body.Sha1);
      if (!SHA1.test(sha1)) {
        throw new DefenderApiError(400, 'InvalidHashValue', `Hash value ${sha1} is not a valid Sha1`);
      }
      return { scope: null, sha1: sha1.toLowerCase() };
    },
  },
} satisfies Record<string, ActionSpec>;

/** Names of the response-action route segments. */
export type ResponseActionName = keyof typeof RESPONSE_ACTIONS;

/** The answer to a second action of a type while one is not final, in the tenant's duplicate mode (§4.4). */
function duplicateAnswer(ctx: ApiContext, running: MachineActionEntity): ApiResult {
  const message = 'Action is already in progress';
  switch (ctx.behaviour.duplicateAction) {
    case 'returnExisting':
      return entityResult(ctx, 'MachineActions', running, 201);
    case 'activeRequestCode':
    case 'reject':
      throw new DefenderApiError(400, 'ActiveRequestAlreadyExists', message);
    case 'documented':
      throw new DefenderApiError(400, 'BadRequest', message);
  }
}

/**
 * Handler for `POST /api/machines/{id}/<action>`. The device must be named by its id (the docs only promise
 * computer names for GET). Unisolate/unrestrict of a device that is not isolated/restricted are accepted and
 * succeed, as the real API accepts them.
 */
export function requestMachineAction(name: ResponseActionName): ApiHandler {
  const spec: ActionSpec = RESPONSE_ACTIONS[name];
  return (ctx: ApiContext) => {
    const scope = authorize(ctx.caller, spec.operation, (oid) => ctx.store.findUser(oid));
    const body = parseJsonBody(ctx.body, spec.schema);
    const comment = requireParameter('Comment', body.Comment);
    const details = spec.details(body);
    const key = ctx.params[0] ?? '';
    const machine = ctx.store.machine(key);
    if (machine === undefined) throw machineNotFound(key);
    if (!inScope(scope, machine.rbacGroupName)) throw outOfScopeActionError(ctx, key);
    if (spec.windowsOnly === true && !machine.osPlatform.toLowerCase().startsWith('windows')) {
      throw new DefenderApiError(
        400,
        'OsPlatformNotSupported',
        `OS Platform ${machine.osPlatform} isn't supported for this action`,
      );
    }
    const running = ctx.store
      .actions()
      .find((a) => a.machineId === machine.id && a.type === spec.type && !isFinalStatus(a.status));
    if (running !== undefined) return duplicateAnswer(ctx, running);
    const action = newMachineAction(
      {
        type: spec.type,
        machine,
        requestor: ctx.caller.kind === 'user' ? ctx.caller.upn : ctx.caller.appId,
        comment,
        scope: details.scope,
        // No request parameter for externalId is documented (§4.3), so the simulator never sets it.
        externalId: null,
        sha1: details.sha1,
      },
      ctx.now,
    );
    const outcome = ctx.faults.takeActionOutcome(action, ctx.caller.tenantId);
    const plan = planAction(machine, outcome, ctx.now.getTime(), ctx.timings);
    ctx.store.addAction(action, plan);
    ctx.scheduleWakeUps(transitionTimes(plan));
    return entityResult(ctx, 'MachineActions', action, 201);
  };
}
