import { isActionSupported } from '../approvals/osSupport';
import type { ResponseActionKind } from '../approvals/approvalTypes';
import type { AlertListQuery } from '../defender/alertListQuery';
import type { Machine, MachineAction } from '../defender/schemas';
import type { CardColor, Label } from './labels';
import { deviceValueLabel, healthLabel, levelLabel, osLabel } from './labels';
import type { AlertsPageData } from './payloads';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import template from './templates/deviceDetail.json';
import { clipLine, formatAge, formatTimestamp } from './text';

const MACHINE_ID = /^[0-9a-f]{40}$/;

/** Whether a device is isolated, derived from its latest isolate/unisolate actions (no entity field exists). */
export type IsolationState =
  | { kind: 'notIsolated' }
  | { kind: 'isolated'; since: string; by: string | null }
  | { kind: 'isolationPending'; since: string }
  | { kind: 'releasePending'; since: string };

/**
 * Derives isolation from machine actions: the newest Succeeded Isolate/Unisolate decides; a newer one still
 * Pending or InProgress is shown as pending. Failed, TimeOut and Cancelled actions change nothing.
 */
export function deriveIsolationState(actions: MachineAction[]): IsolationState {
  const relevant = actions
    .filter((a) => a.type === 'Isolate' || a.type === 'Unisolate')
    .sort((a, b) => Date.parse(b.creationDateTimeUtc) - Date.parse(a.creationDateTimeUtc));
  for (const action of relevant) {
    if (action.status === 'Pending' || action.status === 'InProgress') {
      return action.type === 'Isolate'
        ? { kind: 'isolationPending', since: action.creationDateTimeUtc }
        : { kind: 'releasePending', since: action.creationDateTimeUtc };
    }
    if (action.status === 'Succeeded') {
      return action.type === 'Isolate'
        ? { kind: 'isolated', since: action.lastUpdateDateTimeUtc ?? action.creationDateTimeUtc, by: action.requestor }
        : { kind: 'notIsolated' };
    }
  }
  return { kind: 'notIsolated' };
}

/** Whether app execution is restricted, from the newest Succeeded restrict/unrestrict action. */
export function deriveRestrictionState(actions: MachineAction[]): 'restricted' | 'unrestricted' | 'pending' {
  const relevant = actions
    .filter((a) => a.type === 'RestrictCodeExecution' || a.type === 'UnrestrictCodeExecution')
    .sort((a, b) => Date.parse(b.creationDateTimeUtc) - Date.parse(a.creationDateTimeUtc));
  for (const action of relevant) {
    if (action.status === 'Pending' || action.status === 'InProgress') return 'pending';
    if (action.status === 'Succeeded') return action.type === 'RestrictCodeExecution' ? 'restricted' : 'unrestricted';
  }
  return 'unrestricted';
}

/** What the device card shows. */
export interface DeviceCardInput {
  machine: Machine;
  isolation: IsolationState;
  openAlerts: number;
  now: Date;
}

/** Portal deep link built only from a validated device id. */
export function devicePortalUrl(machineId: string): string {
  if (!MACHINE_ID.test(machineId)) throw new RangeError('unexpected device id format');
  return `https://security.microsoft.com/machines/${machineId}`;
}

/** The device card: OS, health, risk, exposure, value, last seen, IPs, tags, group, isolation, open alerts. */
export function toDeviceCard(input: DeviceCardInput): AdaptiveCardJson {
  const { machine, now } = input;
  const fact = (label: string, value: Label | string): { label: string; value: string; color: CardColor } =>
    typeof value === 'string' ? { label, value, color: 'default' } : { label, value: value.text, color: value.color };
  const ips = machine.ipAddresses
    .filter((ip) => ip.operationalStatus !== 'Down' && ip.type !== 'SoftwareLoopback')
    .map((ip) => ip.ipAddress);
  const alertsQuery: AlertsPageData = {
    query: {
      severities: [],
      status: { kind: 'unresolved' },
      assignedToMe: false,
      device: machine.id,
    } satisfies AlertListQuery,
    page: 0,
  };
  return renderCard(template, {
    name: clipLine(machine.computerDnsName, 200),
    os: clipLine(osLabel(machine.osPlatform, machine.version, machine.osBuild), 120),
    isolation: isolationLabel(input.isolation, now),
    facts: [
      fact('Health', healthLabel(machine.healthStatus)),
      fact('Risk', levelLabel(machine.riskScore)),
      fact('Exposure', levelLabel(machine.exposureLevel)),
      fact('Device value', deviceValueLabel(machine.deviceValue)),
      fact('Last seen', `${formatTimestamp(machine.lastSeen)} (${formatAge(machine.lastSeen, now)})`),
      fact(
        'IP addresses',
        clipLine(
          [...new Set([machine.lastIpAddress, ...ips].filter((x): x is string => Boolean(x)))].slice(0, 6).join(', '),
          200,
        ),
      ),
      fact('Tags', clipLine(machine.machineTags.join(', '), 200, 'None')),
      fact('Device group', clipLine(machine.rbacGroupName, 120, 'Unassigned')),
      fact(
        'Open alerts',
        input.openAlerts === 0
          ? { text: 'None', color: 'good' }
          : { text: String(input.openAlerts), color: 'attention' },
      ),
      fact('Device id', machine.id),
    ],
    actions: deviceActions(machine, input, alertsQuery),
  });
}

/**
 * The device card's buttons: its alerts, the portal, and the response actions its operating system supports
 * (osSupport.ts; each one asks for approval). An action Defender cannot run there is never offered.
 */
function deviceActions(machine: Machine, input: DeviceCardInput, alertsQuery: AlertsPageData): object[] {
  const supported = (kind: ResponseActionKind) => isActionSupported(kind, machine.osPlatform);
  const prepare = (title: string, kind: ResponseActionKind) => ({
    type: 'Action.Execute',
    title,
    verb: 'action.prepare',
    data: { kind, device: machine.id },
  });
  const isolationKind: ResponseActionKind = input.isolation.kind === 'isolated' ? 'unisolate' : 'isolate';
  const isolation = supported(isolationKind)
    ? [prepare(isolationKind === 'unisolate' ? 'Release from isolation' : 'Isolate', isolationKind)]
    : [];
  const more = (
    [
      ['Antivirus scan', 'runAntiVirusScan'],
      ['Collect investigation package', 'collectInvestigationPackage'],
      ['Restrict app execution', 'restrictCodeExecution'],
      ['Remove app restriction', 'unrestrictCodeExecution'],
    ] as const
  )
    .filter(([, kind]) => supported(kind))
    .map(([title, kind]) => prepare(title, kind));
  return [
    {
      type: 'Action.Execute',
      title:
        input.openAlerts > 0
          ? `Show ${input.openAlerts} open alert${input.openAlerts === 1 ? '' : 's'}`
          : 'Show alerts',
      verb: 'alerts.page',
      data: alertsQuery,
    },
    ...isolation,
    ...(more.length > 0
      ? [{ type: 'Action.ShowCard', title: 'More actions', card: { type: 'AdaptiveCard', actions: more } }]
      : []),
    { type: 'Action.OpenUrl', title: 'Open in Microsoft Defender', url: devicePortalUrl(machine.id) },
  ];
}

function isolationLabel(state: IsolationState, now: Date): Label {
  switch (state.kind) {
    case 'notIsolated':
      return { text: 'Not isolated', color: 'good' };
    case 'isolated':
      return {
        text: `Isolated since ${formatTimestamp(state.since)} (${formatAge(state.since, now)})`,
        color: 'attention',
      };
    case 'isolationPending':
      return { text: `Isolation requested ${formatAge(state.since, now)}, not yet applied`, color: 'warning' };
    case 'releasePending':
      return {
        text: `Release from isolation requested ${formatAge(state.since, now)}, not yet applied`,
        color: 'warning',
      };
  }
}
