import type { MachineEntity } from '../seed/seedSchema';
import { alertCollection, parseAlertQuery, visibleAlerts } from './alertsEndpoints';
import { entityResult } from './apiContext';
import type { ApiContext, ApiResult } from './apiContext';
import { DefenderApiError } from './defenderError';
import { MACHINE_FIELDS } from './entityFields';
import { applyFilter, pageOf, parseEntityQuery, parseListQuery } from './odataQuery';
import type { ListQuery } from './odataQuery';
import { authorize, inScope } from './rbac';
import type { DeviceScope } from './rbac';

const MACHINE_QUERY = { fields: MACHINE_FIELDS, expandable: [] } as const;

/** The documented 404 for a device id or name that does not resolve (common-errors.md example). */
export function machineNotFound(key: string): DefenderApiError {
  return new DefenderApiError(404, 'ResourceNotFound', `Machine ${key} was not found`);
}

/** Resolves `{id}` (device id or computer name); a device outside the caller's groups is "not found". */
export function findVisibleMachine(ctx: ApiContext, scope: DeviceScope, key: string): MachineEntity {
  const machine = ctx.store.machineByIdOrName(key);
  if (machine === undefined || !inScope(scope, machine.rbacGroupName)) throw machineNotFound(key);
  return machine;
}

/** `GET /api/machines`. */
export function listMachines(ctx: ApiContext): ApiResult {
  const scope = authorize(ctx.caller, 'machines.read', (oid) => ctx.store.findUser(oid));
  const query = parseListQuery(ctx.query, MACHINE_QUERY);
  // get-machines.md: "If no recent machines are found, returns 404". Applied to a tenant without machines only;
  // a filter that matches nothing is an ordinary empty page.
  if (ctx.store.machines().length === 0) {
    throw new DefenderApiError(404, 'ResourceNotFound', 'No machines were found');
  }
  return machineCollection(
    ctx,
    ctx.store.machines().filter((m) => inScope(scope, m.rbacGroupName)),
    query,
  );
}

/** Parses list options for machine collections. */
export function parseMachineQuery(ctx: ApiContext): ListQuery {
  return parseListQuery(ctx.query, MACHINE_QUERY);
}

/** A page of machines in the `#Machines` collection shape (shared by /machines and the entity endpoints). */
export function machineCollection(ctx: ApiContext, machines: readonly MachineEntity[], query: ListQuery): ApiResult {
  const page = pageOf(applyFilter(machines, query), query, ctx.pageSize, ctx.selfLink);
  return {
    status: 200,
    body: {
      '@odata.context': `${ctx.apiBase}/$metadata#Machines`,
      value: page.value,
      ...(page.nextLink === undefined ? {} : { '@odata.nextLink': page.nextLink }),
    },
  };
}

/** `GET /api/machines/{id or computer name}`. */
export function getMachine(ctx: ApiContext): ApiResult {
  const scope = authorize(ctx.caller, 'machines.read', (oid) => ctx.store.findUser(oid));
  parseEntityQuery(ctx.query, MACHINE_QUERY);
  return entityResult(ctx, 'Machines', findVisibleMachine(ctx, scope, ctx.params[0] ?? ''));
}

function machineAlerts(ctx: ApiContext) {
  // get-machine-related-alerts.md requires the alert permissions, not the machine ones.
  const scope = authorize(ctx.caller, 'alerts.read', (oid) => ctx.store.findUser(oid));
  const query = parseAlertQuery(ctx);
  const machine = findVisibleMachine(ctx, scope, ctx.params[0] ?? '');
  return { query, alerts: visibleAlerts(ctx, scope).filter((a) => a.machineId === machine.id) };
}

/** `GET /api/machines/{id}/alerts`. */
export function listMachineAlerts(ctx: ApiContext): ApiResult {
  const { query, alerts } = machineAlerts(ctx);
  return alertCollection(ctx, alerts, query);
}

/** `GET /api/machines/{id}/alerts/$count`: a bare number that honours `$filter` (odata samples, §2.1). */
export function countMachineAlerts(ctx: ApiContext): ApiResult {
  const { query, alerts } = machineAlerts(ctx);
  return {
    status: 200,
    text: String(applyFilter(alerts, query).length),
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  };
}
