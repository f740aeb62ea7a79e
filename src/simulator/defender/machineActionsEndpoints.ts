import { z } from 'zod';
import type { MachineActionEntity } from '../seed/seedSchema';
import { entityResult } from './apiContext';
import type { ApiContext, ApiResult } from './apiContext';
import { DefenderApiError } from './defenderError';
import { MACHINE_ACTION_FIELDS } from './entityFields';
import { cancelAction, isFinalStatus } from './machineActions';
import { applyFilter, pageOf, parseEntityQuery, parseListQuery } from './odataQuery';
import { authorize, inScope, operationForActionType } from './rbac';
import type { DeviceScope } from './rbac';
import { parseJsonBody, requireParameter } from './requestBody';

const ACTION_QUERY = { fields: MACHINE_ACTION_FIELDS, expandable: [] } as const;

const cancelSchema = z.strictObject({ Comment: z.string().nullable().optional() });

function actionVisible(ctx: ApiContext, scope: DeviceScope, action: MachineActionEntity): boolean {
  return inScope(scope, ctx.store.machine(action.machineId)?.rbacGroupName);
}

function actionNotFound(id: string): DefenderApiError {
  return new DefenderApiError(404, 'ResourceNotFound', `Machine action ${id} was not found`);
}

/**
 * The answer to a user-context action on a device outside the user's device groups; 403 or 404 is
 * unconfirmed (§13), hence the switch.
 */
export function outOfScopeActionError(ctx: ApiContext, machineId: string): DefenderApiError {
  return ctx.behaviour.outOfScopeActionStatus === 404
    ? new DefenderApiError(404, 'ResourceNotFound', `Machine ${machineId} was not found`)
    : new DefenderApiError(403, 'Forbidden', `The user has no access to machine ${machineId} (device group scope).`);
}

/** `GET /api/machineactions`: newest first, filtered to devices the caller can see. */
export function listMachineActions(ctx: ApiContext): ApiResult {
  const scope = authorize(ctx.caller, 'machines.read', (oid) => ctx.store.findUser(oid));
  const query = parseListQuery(ctx.query, ACTION_QUERY);
  const visible = ctx.store.actions().filter((a) => actionVisible(ctx, scope, a));
  const page = pageOf(applyFilter(visible, query), query, ctx.pageSize, ctx.selfLink);
  return {
    status: 200,
    body: {
      '@odata.context': `${ctx.apiBase}/$metadata#MachineActions`,
      value: page.value,
      ...(page.nextLink === undefined ? {} : { '@odata.nextLink': page.nextLink }),
    },
  };
}

/** `GET /api/machineactions/{id}`. */
export function getMachineAction(ctx: ApiContext): ApiResult {
  const scope = authorize(ctx.caller, 'machines.read', (oid) => ctx.store.findUser(oid));
  parseEntityQuery(ctx.query, ACTION_QUERY);
  const id = ctx.params[0] ?? '';
  const action = ctx.store.action(id);
  if (action === undefined || !actionVisible(ctx, scope, action)) throw actionNotFound(id);
  return entityResult(ctx, 'MachineActions', action);
}

/**
 * `POST /api/machineactions/{id}/cancel` `{ "Comment": "..." }` → 200 + the action (cancel-machine-action.md).
 * The action is looked up first because the permission needed is that of its type (§8.1); a final action
 * cannot be cancelled (400).
 */
export function cancelMachineAction(ctx: ApiContext): ApiResult {
  const id = ctx.params[0] ?? '';
  const action = ctx.store.action(id);
  if (action === undefined) throw actionNotFound(id);
  const scope = authorize(ctx.caller, operationForActionType(action.type), (oid) => ctx.store.findUser(oid));
  const body = parseJsonBody(ctx.body, cancelSchema);
  const comment = requireParameter('Comment', body.Comment);
  if (!actionVisible(ctx, scope, action)) throw outOfScopeActionError(ctx, action.machineId);
  if (isFinalStatus(action.status)) {
    throw new DefenderApiError(
      400,
      'BadRequest',
      `Machine action ${action.id} is already ${action.status} and can no longer be cancelled`,
    );
  }
  const requestor = ctx.caller.kind === 'user' ? ctx.caller.upn : ctx.caller.appId;
  cancelAction(action, requestor, comment, ctx.now);
  return entityResult(ctx, 'MachineActions', action);
}
