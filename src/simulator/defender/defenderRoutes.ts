import { getAlert, listAlerts, updateAlert } from './alertsEndpoints';
import type { ApiHandler } from './apiContext';
import {
  getDomainStatistics,
  getFile,
  getFileStatistics,
  getIpStatistics,
  listDomainAlerts,
  listDomainMachines,
  listFileAlerts,
  listFileMachines,
  listMachineLogonUsers,
  listUserAlerts,
  listUserMachines,
} from './entityEndpoints';
import { cancelMachineAction, getMachineAction, listMachineActions } from './machineActionsEndpoints';
import { countMachineAlerts, getMachine, listMachineAlerts, listMachines } from './machinesEndpoints';
import { RESPONSE_ACTIONS, requestMachineAction } from './responseActions';
import type { ResponseActionName } from './responseActions';

/**
 * Stable names of the simulated APIs. Rate limits are counted per name (each documented endpoint has its own
 * 100/min + 1,500/h quota, §7.1) and `stats().byApi` is keyed by them; 'unmatched' counts unknown routes.
 */
export type DefenderApiName =
  | 'alerts.list'
  | 'alerts.get'
  | 'alerts.update'
  | 'machines.list'
  | 'machines.get'
  | 'machines.alerts'
  | 'machines.alertsCount'
  | `machines.${Uncapitalize<ResponseActionName>}`
  | 'machineActions.list'
  | 'machineActions.get'
  | 'machineActions.cancel'
  | 'machines.logonUsers'
  | 'files.get'
  | 'files.stats'
  | 'files.machines'
  | 'files.alerts'
  | 'ips.stats'
  | 'domains.stats'
  | 'domains.machines'
  | 'domains.alerts'
  | 'users.alerts'
  | 'users.machines'
  | 'unmatched';

type Method = 'GET' | 'POST' | 'PATCH';

interface RouteDef {
  api: DefenderApiName;
  method: Method;
  /** Literal segments match case-insensitively (ASP.NET routing); ':id' takes any one segment. */
  pattern: readonly string[];
  handler: ApiHandler;
}

function uncapitalize<T extends string>(name: T): Uncapitalize<T> {
  return `${name.charAt(0).toLowerCase()}${name.slice(1)}` as Uncapitalize<T>;
}

const ACTION_ROUTES: RouteDef[] = (Object.keys(RESPONSE_ACTIONS) as ResponseActionName[]).map((name) => ({
  api: `machines.${uncapitalize(name)}`,
  method: 'POST',
  pattern: ['machines', ':id', name],
  handler: requestMachineAction(name),
}));

const ROUTES: readonly RouteDef[] = [
  { api: 'alerts.list', method: 'GET', pattern: ['alerts'], handler: listAlerts },
  { api: 'alerts.get', method: 'GET', pattern: ['alerts', ':id'], handler: getAlert },
  { api: 'alerts.update', method: 'PATCH', pattern: ['alerts', ':id'], handler: updateAlert },
  { api: 'machines.list', method: 'GET', pattern: ['machines'], handler: listMachines },
  { api: 'machines.get', method: 'GET', pattern: ['machines', ':id'], handler: getMachine },
  { api: 'machines.alerts', method: 'GET', pattern: ['machines', ':id', 'alerts'], handler: listMachineAlerts },
  {
    api: 'machines.alertsCount',
    method: 'GET',
    pattern: ['machines', ':id', 'alerts', '$count'],
    handler: countMachineAlerts,
  },
  {
    api: 'machines.logonUsers',
    method: 'GET',
    pattern: ['machines', ':id', 'logonusers'],
    handler: listMachineLogonUsers,
  },
  ...ACTION_ROUTES,
  { api: 'machineActions.list', method: 'GET', pattern: ['machineactions'], handler: listMachineActions },
  { api: 'machineActions.get', method: 'GET', pattern: ['machineactions', ':id'], handler: getMachineAction },
  {
    api: 'machineActions.cancel',
    method: 'POST',
    pattern: ['machineactions', ':id', 'cancel'],
    handler: cancelMachineAction,
  },
  { api: 'files.get', method: 'GET', pattern: ['files', ':id'], handler: getFile },
  { api: 'files.stats', method: 'GET', pattern: ['files', ':id', 'stats'], handler: getFileStatistics },
  { api: 'files.machines', method: 'GET', pattern: ['files', ':id', 'machines'], handler: listFileMachines },
  { api: 'files.alerts', method: 'GET', pattern: ['files', ':id', 'alerts'], handler: listFileAlerts },
  { api: 'ips.stats', method: 'GET', pattern: ['ips', ':id', 'stats'], handler: getIpStatistics },
  { api: 'domains.stats', method: 'GET', pattern: ['domains', ':id', 'stats'], handler: getDomainStatistics },
  { api: 'domains.machines', method: 'GET', pattern: ['domains', ':id', 'machines'], handler: listDomainMachines },
  { api: 'domains.alerts', method: 'GET', pattern: ['domains', ':id', 'alerts'], handler: listDomainAlerts },
  { api: 'users.alerts', method: 'GET', pattern: ['users', ':id', 'alerts'], handler: listUserAlerts },
  { api: 'users.machines', method: 'GET', pattern: ['users', ':id', 'machines'], handler: listUserMachines },
];

/** The result of routing one request. */
export type RouteMatch =
  | { kind: 'route'; api: DefenderApiName; handler: ApiHandler; params: string[] }
  | { kind: 'methodNotAllowed'; allow: Method[] }
  | { kind: 'notFound' };

function matchPattern(pattern: readonly string[], segments: readonly string[]): string[] | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: string[] = [];
  for (let i = 0; i < pattern.length; i += 1) {
    const expected = pattern[i] ?? '';
    const actual = segments[i] ?? '';
    if (expected === ':id') {
      if (actual === '') return undefined;
      params.push(actual);
    } else if (expected.toLowerCase() !== actual.toLowerCase()) {
      return undefined;
    }
  }
  return params;
}

/** Finds the route for the decoded path segments after `/api` (or `/api/v1.0`). */
export function matchDefenderRoute(method: string, segments: readonly string[]): RouteMatch {
  const allow: Method[] = [];
  for (const route of ROUTES) {
    const params = matchPattern(route.pattern, segments);
    if (params === undefined) continue;
    if (route.method === method) return { kind: 'route', api: route.api, handler: route.handler, params };
    allow.push(route.method);
  }
  return allow.length > 0 ? { kind: 'methodNotAllowed', allow } : { kind: 'notFound' };
}

/** `/api/...` or `/api/v1.0/...` split into its prefix and decoded segments; undefined for other paths. */
export interface ApiPath {
  /** `/api` or `/api/v1.0` exactly as the caller spelled it, for links that mirror the request. */
  prefix: string;
  segments: string[];
}

/** Recognises the Defender API's path shapes (§1.1: `/api/x` = latest, `/api/v1.0/x` pinned). */
export function splitApiPath(pathname: string): ApiPath | undefined {
  const raw = pathname.split('/');
  // raw[0] is the empty string before the leading slash.
  if (raw[0] !== '' || raw[1]?.toLowerCase() !== 'api') return undefined;
  let rest = raw.slice(2);
  let prefix = `/${raw[1]}`;
  if (rest[0]?.toLowerCase() === 'v1.0') {
    prefix = `${prefix}/${rest[0]}`;
    rest = rest.slice(1);
  }
  if (rest.length > 0 && rest[rest.length - 1] === '') rest = rest.slice(0, -1);
  const segments: string[] = [];
  for (const segment of rest) {
    try {
      segments.push(decodeURIComponent(segment));
    } catch {
      segments.push('\u0000'); // undecodable: matches no route and no entity
    }
  }
  return { prefix, segments };
}
