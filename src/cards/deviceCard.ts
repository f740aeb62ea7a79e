import { isActionSupported } from '../approvals/osSupport';
import type { ResponseActionKind } from '../approvals/approvalTypes';
import type { AlertListQuery } from '../defender/alertListQuery';
import type { Machine, MachineAction } from '../defender/schemas';
import type { Translator } from '../i18n/translator';
import type { CardColor, Label } from './labels';
import { ENGLISH, deviceValueLabel, healthLabel, levelLabel, osLabel } from './labels';
import type { AlertsPageData } from './payloads';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import template from './templates/deviceDetail.json';
import { clipLine, formatAge, formatTimestamp } from './text';
import { investigateButton } from './investigationCard';
import { entitiesOfDevice } from '../investigation/investigableEntities';
import { words } from './words';

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
export function toDeviceCard(input: DeviceCardInput, i18n: Translator = ENGLISH): AdaptiveCardJson {
  const { machine, now } = input;
  const w = words(i18n, 'card.device', [
    'health',
    'risk',
    'exposure',
    'value',
    'lastSeen',
    'ipAddresses',
    'tags',
    'group',
    'openAlerts',
    'id',
  ]);
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
    os: clipLine(osLabel(machine.osPlatform, machine.version, machine.osBuild, i18n), 120),
    isolation: isolationLabel(input.isolation, now, i18n),
    facts: [
      fact(w.health, healthLabel(machine.healthStatus, i18n)),
      fact(w.risk, levelLabel(machine.riskScore, i18n)),
      fact(w.exposure, levelLabel(machine.exposureLevel, i18n)),
      fact(w.value, deviceValueLabel(machine.deviceValue, i18n)),
      fact(
        w.lastSeen,
        i18n.t('card.alert.timeWithAge', {
          time: formatTimestamp(machine.lastSeen, i18n),
          age: formatAge(machine.lastSeen, now, i18n),
        }),
      ),
      fact(
        w.ipAddresses,
        clipLine(
          [...new Set([machine.lastIpAddress, ...ips].filter((x): x is string => Boolean(x)))].slice(0, 6).join(', '),
          200,
        ),
      ),
      fact(w.tags, clipLine(machine.machineTags.join(', '), 200, i18n.t('card.common.none'))),
      fact(w.group, clipLine(machine.rbacGroupName, 120, i18n.t('card.common.unassigned'))),
      fact(
        w.openAlerts,
        input.openAlerts === 0
          ? { text: i18n.t('card.common.none'), color: 'good' }
          : { text: i18n.number(input.openAlerts), color: 'attention' },
      ),
      fact(w.id, machine.id),
    ],
    actions: deviceActions(machine, input, alertsQuery, i18n),
  });
}

/**
 * The device card's buttons: its alerts, the portal, and the response actions its operating system supports
 * (osSupport.ts; each one asks for approval). An action Defender cannot run there is never offered.
 */
function deviceActions(
  machine: Machine,
  input: DeviceCardInput,
  alertsQuery: AlertsPageData,
  i18n: Translator,
): object[] {
  const supported = (kind: ResponseActionKind) => isActionSupported(kind, machine.osPlatform);
  const prepare = (title: string, kind: ResponseActionKind) => ({
    type: 'Action.Execute',
    title,
    verb: 'action.prepare',
    data: { kind, device: machine.id },
  });
  const isolationKind: ResponseActionKind = input.isolation.kind === 'isolated' ? 'unisolate' : 'isolate';
  const isolation = supported(isolationKind)
    ? [prepare(i18n.t(isolationKind === 'unisolate' ? 'card.device.release' : 'card.device.isolate'), isolationKind)]
    : [];
  const more = (
    [
      ['card.device.scan', 'runAntiVirusScan'],
      ['card.device.collect', 'collectInvestigationPackage'],
      ['card.device.restrict', 'restrictCodeExecution'],
      ['card.device.unrestrict', 'unrestrictCodeExecution'],
    ] as const
  )
    .filter(([, kind]) => supported(kind))
    .map(([title, kind]) => prepare(i18n.t(title), kind));
  return [
    {
      type: 'Action.Execute',
      title:
        input.openAlerts > 0
          ? i18n.t('card.device.showOpenAlerts', { count: input.openAlerts })
          : i18n.t('card.device.showAlerts'),
      verb: 'alerts.page',
      data: alertsQuery,
    },
    ...isolation,
    ...(more.length > 0
      ? [
          {
            type: 'Action.ShowCard',
            title: i18n.t('card.device.moreActions'),
            card: { type: 'AdaptiveCard', actions: more },
          },
        ]
      : []),
    ...(/^[0-9a-f]{40}$/i.test(machine.id)
      ? investigateButton(entitiesOfDevice(machine), { kind: 'device', id: machine.id.toLowerCase() }, i18n)
      : []),
    { type: 'Action.OpenUrl', title: i18n.t('card.common.openInDefender'), url: devicePortalUrl(machine.id) },
  ];
}

function isolationLabel(state: IsolationState, now: Date, i18n: Translator): Label {
  switch (state.kind) {
    case 'notIsolated':
      return { text: i18n.t('card.device.notIsolated'), color: 'good' };
    case 'isolated':
      return {
        text: i18n.t('card.device.isolatedSince', {
          time: formatTimestamp(state.since, i18n),
          age: formatAge(state.since, now, i18n),
        }),
        color: 'attention',
      };
    case 'isolationPending':
      return {
        text: i18n.t('card.device.isolationPending', { age: formatAge(state.since, now, i18n) }),
        color: 'default',
      };
    case 'releasePending':
      return {
        text: i18n.t('card.device.releasePending', { age: formatAge(state.since, now, i18n) }),
        color: 'default',
      };
  }
}
