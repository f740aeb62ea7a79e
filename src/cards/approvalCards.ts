import type {
  ActionApprovalRequest,
  ApprovalRequest,
  ApprovalState,
  DeviceSnapshot,
  IncidentApprovalRequest,
  ResponseActionKind,
} from '../approvals/approvalTypes';
import { isActionRequest } from '../approvals/approvalTypes';
import { isActionSupported } from '../approvals/osSupport';
import type { MessageKey } from '../i18n/catalogues';
import type { Translator } from '../i18n/translator';
import type { CardColor, Label } from './labels';
import {
  ENGLISH,
  classificationLabel,
  determinationLabel,
  deviceValueLabel,
  graphSeverityLabel,
  healthLabel,
  incidentStatusLabel,
  osLabel,
} from './labels';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import { stampCard } from './customerStamp';
import confirmTemplate from './templates/actionConfirm.json';
import approvalTemplate from './templates/approval.json';
import listTemplate from './templates/recordList.json';
import { clip, clipLine, formatAge, formatTimestamp, formatUntil } from './text';
import { words } from './words';

/** What each action is called on cards. */
export const ACTION_NAMES: Record<ResponseActionKind, { title: string; verb: string }> = {
  isolate: { title: 'Isolate device', verb: 'isolate' },
  unisolate: { title: 'Release from isolation', verb: 'release from isolation' },
  restrictCodeExecution: { title: 'Restrict app execution', verb: 'restrict app execution on' },
  unrestrictCodeExecution: { title: 'Remove app restriction', verb: 'remove the app restriction on' },
  runAntiVirusScan: { title: 'Antivirus scan', verb: 'scan' },
  collectInvestigationPackage: {
    title: 'Collect investigation package',
    verb: 'collect an investigation package from',
  },
  stopAndQuarantineFile: { title: 'Stop and quarantine file', verb: 'stop and quarantine a file on' },
};

/**
 * What a request is called on cards and lists: the action's title and what it is for (a device's name, or the
 * incident's number and title).
 */
export function requestTitle(request: ApprovalRequest, i18n: Translator = ENGLISH): { title: string; subject: string } {
  if (isActionRequest(request)) return { title: actionTitle(request.kind, i18n), subject: request.device.name };
  return {
    title: i18n.t('card.action.resolveIncident'),
    subject: i18n.t('card.action.incidentSubject', { id: request.incident.id, title: request.incident.title }),
  };
}

/** The reasons the policies give (src/approvals/approvalPolicy.ts, src/incidents/resolutionPolicy.ts), as stored. */
const RISK_NOTES: { pattern: RegExp; say: (match: RegExpExecArray, i18n: Translator) => string }[] = [
  {
    pattern: /^Low-impact action: no approval needed by policy$/,
    say: (_, i18n) => i18n.t('approvals.risk.lowImpact'),
  },
  { pattern: /^High-value device$/, say: (_, i18n) => i18n.t('approvals.risk.highValue') },
  { pattern: /^Device tagged (.+)$/, say: (m, i18n) => i18n.t('approvals.risk.tagged', { tag: m[1]! }) },
  { pattern: /^Standard policy$/, say: (_, i18n) => i18n.t('approvals.risk.standard') },
  {
    pattern: /^Every resolution needs an approver \(policy\)$/,
    say: (_, i18n) => i18n.t('approvals.risk.everyResolution'),
  },
  {
    pattern: /^(High|Medium|Low|Informational) severity incident$/,
    say: (m, i18n) =>
      i18n.t('approvals.risk.severity', { severity: graphSeverityLabel(m[1]!.toLowerCase(), i18n).text }),
  },
  {
    pattern: /^Resolved as (True positive|False positive|Informational, expected activity)$/,
    say: (m, i18n) =>
      i18n.t('approvals.risk.resolvedAs', {
        classification: classificationLabel(CLASSIFICATION_BY_NAME[m[1]!] ?? '', i18n).text,
      }),
  },
];

const CLASSIFICATION_BY_NAME: Record<string, string> = {
  'True positive': 'truePositive',
  'False positive': 'falsePositive',
  'Informational, expected activity': 'informationalExpectedActivity',
};

/**
 * A request's risk note in the reader's language. Requests keep the policy's English note as stored (the audit
 * trail and requests stored before this reads them unchanged); the card says it in its reader's words, and a note
 * it does not know (a future policy's) as stored.
 */
export function riskNoteText(note: string, i18n: Translator = ENGLISH): string {
  const later = /^(.*) \(policy at approval time\)$/.exec(note);
  if (later) return i18n.t('approvals.risk.atApproval', { note: riskNoteText(later[1]!, i18n) });
  for (const { pattern, say } of RISK_NOTES) {
    const match = pattern.exec(note);
    if (match) return say(match, i18n);
  }
  return note;
}

/** A response action's name in the viewer's language ("Isolar dispositivo"). */
export function actionTitle(kind: ResponseActionKind, i18n: Translator = ENGLISH): string {
  return i18n.t(`card.action.${kind}`);
}

/** "True positive · Phishing" for Graph's `truePositive` / `phishing`: the same words as the incident card. */
export function resolutionLabel(classification: string, determination: string, i18n: Translator = ENGLISH): string {
  return `${classificationLabel(classification, i18n).text} · ${determinationLabel(determination, i18n).text}`;
}

/** Where an incident resolution's state reads differently from a device action's. */
const INCIDENT_STATE_LABELS: Partial<Record<ApprovalState, { key: MessageKey; color: CardColor }>> = {
  executing: { key: 'card.state.incidentExecuting', color: 'accent' },
  succeeded: { key: 'card.state.incidentSucceeded', color: 'good' },
  alreadyRequested: { key: 'card.state.incidentAlreadyRequested', color: 'warning' },
};

/** Colours of the approval states (the words are `card.state.<state>` in the catalogue). */
export const STATE_COLORS: Record<ApprovalState, CardColor> = {
  pending: 'warning',
  executing: 'accent',
  submitted: 'accent',
  succeeded: 'good',
  failed: 'attention',
  timedOut: 'attention',
  cancelled: 'default',
  rejected: 'attention',
  expired: 'default',
  withdrawn: 'default',
  alreadyRequested: 'warning',
  interrupted: 'attention',
};

/** An approval request's state as a label in the viewer's language. */
export function approvalStateLabel(request: ApprovalRequest, i18n: Translator = ENGLISH): Label {
  const incident = isActionRequest(request) ? undefined : INCIDENT_STATE_LABELS[request.state];
  if (incident) return { text: i18n.t(incident.key), color: incident.color };
  return { text: i18n.t(`card.state.${request.state}`), color: STATE_COLORS[request.state] };
}

/** A fact row: our label, an untrusted value (TextRun), a colour. */
interface Fact {
  label: string;
  value: string;
  color: CardColor;
}

function deviceFacts(
  device: DeviceSnapshot,
  i18n: Translator,
  extra: { isolation?: string; openAlerts?: number } = {},
): Fact[] {
  const value = deviceValueLabel(device.deviceValue, i18n);
  const health = healthLabel(device.healthStatus, i18n);
  const none = i18n.t('card.common.none');
  return [
    {
      label: i18n.t('card.approval.os'),
      value: clipLine(osLabel(device.osPlatform, null, null, i18n), 80),
      color: 'default',
    },
    { label: i18n.t('card.device.health'), value: health.text, color: health.color },
    { label: i18n.t('card.device.value'), value: value.text, color: value.color },
    { label: i18n.t('card.device.tags'), value: clipLine(device.tags.join(', '), 200, none), color: 'default' },
    {
      label: i18n.t('card.device.group'),
      value: clipLine(device.group, 120, i18n.t('card.common.unassigned')),
      color: 'default',
    },
    ...(extra.isolation
      ? [{ label: i18n.t('card.approval.isolation'), value: extra.isolation, color: 'default' as const }]
      : []),
    ...(extra.openAlerts !== undefined
      ? [
          {
            label: i18n.t('card.device.openAlerts'),
            value: i18n.number(extra.openAlerts),
            color: (extra.openAlerts > 0 ? 'attention' : 'good') as CardColor,
          },
        ]
      : []),
    { label: i18n.t('card.device.lastSeen'), value: formatTimestamp(device.lastSeen, i18n), color: 'default' },
  ];
}

/** What the requester confirms: the device, the policy that will apply, the reason input. */
export function toConfirmationCard(
  input: {
    draftId: string;
    kind: ResponseActionKind;
    device: DeviceSnapshot;
    isolation: string;
    openAlerts: number;
    requiredApprovals: number;
    riskNote: string;
    isolationType?: 'Full' | 'Selective' | undefined;
    scanType?: 'Quick' | 'Full' | undefined;
    sha1?: string | undefined;
    reason?: string | undefined;
  },
  i18n: Translator = ENGLISH,
): AdaptiveCardJson {
  const policyText =
    input.requiredApprovals === 0
      ? i18n.t('card.approval.policyNow', { riskNote: riskNoteText(input.riskNote, i18n) })
      : i18n.t('card.approval.policyApprovers', {
          count: input.requiredApprovals,
          riskNote: riskNoteText(input.riskNote, i18n),
        });
  const facts = deviceFacts(input.device, i18n, { isolation: input.isolation, openAlerts: input.openAlerts });
  if (input.sha1) facts.unshift({ label: i18n.t('card.approval.fileSha1'), value: input.sha1, color: 'default' });
  return renderCard(confirmTemplate, {
    w: words(i18n, 'card.approval', [
      'isolation',
      'isolationFull',
      'isolationSelective',
      'scan',
      'quickScan',
      'fullScan',
      'reasonLabel',
      'reasonPlaceholder',
      'reasonError',
    ]),
    cancel: i18n.t('card.common.cancel'),
    heading: i18n.t('card.approval.question', { action: actionTitle(input.kind, i18n) }),
    deviceName: clipLine(input.device.name, 200),
    facts,
    policyText,
    policyColor: input.requiredApprovals >= 2 ? 'attention' : 'default',
    // Selective isolation is offered only where it runs (Windows); elsewhere the isolation is Full.
    showIsolationType:
      input.kind === 'isolate' && isActionSupported('isolate', input.device.osPlatform, { isolationType: 'Selective' }),
    isolationType: input.isolationType ?? 'Full',
    showScanType: input.kind === 'runAntiVirusScan',
    scanType: input.scanType ?? 'Quick',
    reason: clip(input.reason, 500, ''),
    confirmTitle: i18n.t(input.requiredApprovals === 0 ? 'card.approval.runNow' : 'card.approval.requestApproval'),
    draftId: input.draftId,
  });
}

/**
 * Who sees which variant of an approval card: `base` is posted for everyone (Review button for clients
 * without automatic refresh), `approver` and `requester` carry their buttons, `readonly` has none.
 */
export type ApprovalView = 'base' | 'approver' | 'requester' | 'readonly';

/**
 * The approval card. `base` is what is posted (status only, a Review button for clients without automatic
 * refresh); `approver` adds the comment box and Approve / Reject; `requester` adds Withdraw. Every button
 * carries only the approval id: the server re-reads the request on each click.
 */
export function toApprovalCard(
  request: ApprovalRequest,
  view: ApprovalView,
  now: Date,
  i18n: Translator = ENGLISH,
): AdaptiveCardJson {
  const name = requestTitle(request, i18n);
  const w = words(i18n, 'card.approval', [
    'action',
    'requestedBy',
    'reason',
    'comment',
    'approvals',
    'fileSha1',
    'expires',
    'defenderAction',
    'alreadyRequestedBy',
    'approvedBy',
    'rejectedBy',
    'executedBy',
    'approve',
    'reject',
    'withdraw',
    'review',
    'cancelInDefender',
    'commentLabel',
    'commentPlaceholder',
    'approvalPrefix',
  ]);
  const action = isActionRequest(request)
    ? [
        name.title,
        request.parameters.isolationType
          ? i18n.t('card.approval.isolationType', { type: request.parameters.isolationType })
          : undefined,
        request.parameters.scanType
          ? i18n.t('card.approval.scanType', { type: request.parameters.scanType })
          : undefined,
      ]
        .filter(Boolean)
        .join(' · ')
    : i18n.t('card.approval.resolveAs', {
        resolution: resolutionLabel(request.parameters.classification, request.parameters.determination, i18n),
      });
  const facts: Fact[] = [
    { label: w.action, value: action, color: 'default' },
    {
      label: w.requestedBy,
      value: clipLine(`${request.requester.displayName} (${request.requester.userPrincipalName})`, 160),
      color: 'default',
    },
    isActionRequest(request)
      ? { label: w.reason, value: clip(request.reason, 500), color: 'default' }
      : { label: w.comment, value: clip(request.reason, 500, i18n.t('card.common.none')), color: 'default' },
    {
      label: w.approvals,
      value:
        request.requiredApprovals === 0
          ? i18n.t('card.approval.noneNeeded')
          : i18n.t('card.approval.approvalsOf', {
              count: request.approvals.length,
              required: request.requiredApprovals,
              riskNote: riskNoteText(request.riskNote, i18n),
            }),
      color: 'default',
    },
  ];
  if (isActionRequest(request) && request.parameters.sha1)
    facts.push({ label: w.fileSha1, value: request.parameters.sha1, color: 'default' });
  if (request.state === 'pending') {
    facts.push({
      label: w.expires,
      value: i18n.t('card.alert.timeWithAge', {
        time: formatTimestamp(request.expiresAt, i18n),
        age: formatUntil(request.expiresAt, now, i18n),
      }),
      color: 'default',
    });
  }
  if (request.execution?.defenderActionId) {
    facts.push({ label: w.defenderAction, value: request.execution.defenderActionId, color: 'default' });
  }
  const existing = request.execution?.existing;
  if (existing) {
    // Defender's data: a fact value (a TextRun, never parsed as markdown).
    facts.push({
      label: w.alreadyRequestedBy,
      value: existing.createdAt
        ? i18n.t('card.approval.byWhen', {
            who: clipLine(existing.requestor, 120, i18n.t('card.approval.someoneElse')),
            when: formatAge(existing.createdAt, now, i18n),
          })
        : clipLine(existing.requestor, 120, i18n.t('card.approval.someoneElse')),
      color: 'default',
    });
  }
  if (!isActionRequest(request)) facts.push(...incidentFacts(request, i18n));
  else if (view === 'approver') facts.push(...deviceFacts(request.device, i18n));

  const decisions = [
    ...request.approvals.map((a) => ({
      verdict: w.approvedBy,
      color: 'good',
      who: clipLine(a.person.displayName, 80),
      when: formatAge(a.at, now, i18n),
      comment: clip(a.comment, 300, ''),
    })),
    ...(request.rejection
      ? [
          {
            verdict: w.rejectedBy,
            color: 'attention',
            who: clipLine(request.rejection.person.displayName, 80),
            when: formatAge(request.rejection.at, now, i18n),
            comment: clip(request.rejection.comment, 300, ''),
          },
        ]
      : []),
    ...(request.execution && request.state !== 'pending'
      ? [
          {
            verdict: w.executedBy,
            color: 'default',
            who: clipLine(request.execution.by.displayName, 80),
            when: formatAge(request.execution.startedAt, now, i18n),
            comment: '',
          },
        ]
      : []),
  ];

  const actions: object[] = [];
  const execute = (title: string, verb: string, data: object, inputs: 'auto' | 'none' = 'none') =>
    actions.push({ type: 'Action.Execute', title, verb, data, associatedInputs: inputs });
  if (request.state === 'pending') {
    if (view === 'approver') {
      execute(w.approve, 'approval.approve', { approvalId: request.id }, 'auto');
      execute(w.reject, 'approval.reject', { approvalId: request.id }, 'auto');
    } else if (view === 'requester') {
      execute(w.withdraw, 'approval.withdraw', { approvalId: request.id });
    } else if (view === 'base') {
      execute(w.review, 'approval.view', { approvalId: request.id });
    }
  }
  if (
    request.state === 'submitted' &&
    ['Pending', 'InProgress'].includes(request.execution?.defenderStatus ?? '') &&
    view === 'requester'
  ) {
    execute(w.cancelInDefender, 'approval.cancelAction', { approvalId: request.id });
  }
  if (request.state === 'submitted' && view === 'base')
    execute(i18n.t('card.common.refresh'), 'approval.view', { approvalId: request.id });
  if (isActionRequest(request) && request.state === 'succeeded' && request.kind === 'isolate') {
    execute(actionTitle('unisolate', i18n), 'action.prepare', { kind: 'unisolate', device: request.device.id });
  }
  if (isActionRequest(request) && request.state === 'succeeded' && request.kind === 'restrictCodeExecution') {
    execute(actionTitle('unrestrictCodeExecution', i18n), 'action.prepare', {
      kind: 'unrestrictCodeExecution',
      device: request.device.id,
    });
  }

  const card = renderCard(approvalTemplate, {
    w: { ...w, refresh: i18n.t('card.common.refresh') },
    heading: i18n.t('card.approval.heading', { action: name.title }),
    status: request.execution?.checking
      ? { text: i18n.t('card.state.checking'), color: 'accent' }
      : approvalStateLabel(request, i18n),
    deviceName: clipLine(name.subject, 200),
    approvalId: request.id,
    facts,
    statusDetail: statusDetail(request, now, i18n),
    decisions,
    showDecision: view === 'approver' && request.state === 'pending',
    commentLabel: w.commentLabel,
    actions,
  });
  // Wherever it is posted or refreshed, the card says which tenant (customer) it acts in, and its buttons say it too.
  return stampCard(card, { id: request.tenantId, customerName: request.customerName }, i18n);
}

/** The incident as the requester saw it: Defender's data, shown as fact values (TextRuns, never markdown). */
function incidentFacts(request: IncidentApprovalRequest, i18n: Translator): Fact[] {
  const incident = request.incident;
  const severity = graphSeverityLabel(incident.severity, i18n);
  return [
    { label: i18n.t('card.approval.severity'), value: severity.text, color: severity.color },
    {
      label: i18n.t('card.approval.statusWhenAsked'),
      value: incidentStatusLabel(incident.status, i18n).text,
      color: 'default',
    },
    {
      label: i18n.t('card.alert.assignedTo'),
      value: clipLine(incident.assignedTo, 120, i18n.t('card.common.unassigned')),
      color: 'default',
    },
    {
      label: i18n.t('card.approval.lastUpdated'),
      value: formatTimestamp(incident.lastUpdateDateTime, i18n),
      color: 'default',
    },
  ];
}

/** What happened to an incident resolution, in words. */
function incidentStatusDetail(request: IncidentApprovalRequest, i18n: Translator): string {
  const execution = request.execution;
  const failed = () => i18n.t('card.detail.incidentFailed', { failure: execution?.failure ?? request.state });
  switch (request.state) {
    case 'pending': {
      const refused =
        request.refusedByDefender.length > 0
          ? i18n.t('card.detail.incidentRefused', {
              people: request.refusedByDefender.map((p) => p.displayName).join(', '),
            })
          : '';
      const notSent = request.notSent
        ? i18n.t('card.detail.incidentNotSent', { person: request.notSent.by.displayName, code: request.notSent.code })
        : '';
      return [refused, notSent].filter(Boolean).join(' ');
    }
    case 'executing':
      return i18n.t('card.detail.incidentExecuting');
    case 'succeeded':
      return (
        i18n.t('card.detail.incidentSucceeded') +
        (execution?.commentAdded === false ? i18n.t('card.detail.incidentCommentMissing') : '')
      );
    case 'alreadyRequested': {
      const found = execution?.alreadyResolved;
      const as =
        found?.classification && found.determination
          ? resolutionLabel(found.classification, found.determination, i18n)
          : undefined;
      const owner = found?.assignedTo ? i18n.t('card.detail.incidentAssignedTo', { owner: found.assignedTo }) : '';
      const sentence = as
        ? i18n.t('card.detail.incidentAlreadyResolvedAs', { resolution: `${as}${owner}` })
        : i18n.t('card.detail.incidentAlreadyResolved', { owner });
      return sentence;
    }
    case 'interrupted':
      return i18n.t('card.detail.incidentInterrupted');
    case 'rejected':
      return i18n.t('card.detail.incidentRejected');
    case 'expired':
      return i18n.t('card.detail.incidentExpired');
    case 'withdrawn':
      return i18n.t('card.detail.incidentWithdrawn');
    case 'failed':
      if (execution?.changedSinceRequested)
        return i18n.t('card.detail.incidentChanged', { fields: execution.changedSinceRequested.join(', ') });
      return failed();
    case 'submitted':
    case 'timedOut':
    case 'cancelled':
      return failed();
  }
}

function statusDetail(request: ApprovalRequest, now: Date, i18n: Translator): string {
  if (!isActionRequest(request)) return incidentStatusDetail(request, i18n);
  const status = request.execution?.defenderStatus;
  const existing = request.execution?.existing;
  switch (request.state) {
    case 'pending':
      return request.refusedByDefender.length > 0
        ? i18n.t('card.detail.refused', { people: request.refusedByDefender.map((p) => p.displayName).join(', ') })
        : '';
    case 'executing':
      return i18n.t(request.execution?.checking ? 'card.detail.checking' : 'card.detail.executing');
    case 'submitted':
      return [
        existing ? i18n.t('card.detail.existing') : '',
        i18n.t('card.detail.defenderStatus', { status: status ?? 'Pending' }),
        pendingNote(request, now, i18n),
        i18n.t('card.detail.follows'),
      ]
        .filter(Boolean)
        .join(' ');
    case 'succeeded':
      return i18n.t('card.detail.succeeded');
    case 'failed':
      if (request.execution?.failure === 'OsPlatformNotSupported') return i18n.t('card.detail.osNotSupported');
      return i18n.t('card.detail.failed', { failure: request.execution?.failure ?? status ?? 'Failed' });
    case 'timedOut':
      return i18n.t('card.detail.timedOut');
    case 'cancelled':
      return i18n.t('card.detail.cancelled');
    case 'rejected':
      return i18n.t('card.detail.rejected');
    case 'expired':
      return i18n.t('card.detail.expired');
    case 'withdrawn':
      return i18n.t('card.detail.withdrawn');
    case 'alreadyRequested':
      return i18n.t('card.detail.alreadyRequested');
    case 'interrupted':
      return i18n.t('card.detail.interrupted');
  }
}

/**
 * How long a Pending action has waited, and the likely reason: Defender hands an action to the device when it
 * next checks in, so a device that is offline keeps it Pending for hours or days (it runs when it reconnects).
 */
function pendingNote(request: ActionApprovalRequest, now: Date, i18n: Translator): string {
  if (request.execution?.defenderStatus !== 'Pending') return '';
  const since = request.execution.defenderCreatedAt ?? request.execution.startedAt;
  const waited = now.getTime() - Date.parse(since);
  if (!(waited >= 5 * 60_000)) return '';
  const device = request.device;
  const offline = device.healthStatus !== null && device.healthStatus !== 'Active' ? 'yes' : 'no';
  return device.lastSeen
    ? i18n.t('card.detail.pending', {
        waited: formatDuration(waited, i18n),
        lastSeen: formatAge(device.lastSeen, now, i18n),
        offline,
      })
    : i18n.t('card.detail.pendingUnseen', { waited: formatDuration(waited, i18n), offline });
}

/** "12 min", "3 h 5 min", "2 days 4 h". */
function formatDuration(ms: number, i18n: Translator): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return i18n.t('card.duration.minutes', { minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return i18n.t('card.duration.hours', { hours, minutes: minutes % 60 });
  return i18n.t('card.duration.days', { days: Math.floor(hours / 24), hours: hours % 24 });
}

/** One row of a list card. */
export interface RecordRow {
  title: string;
  detail: string;
  status: Label;
  select?: { verb: string; data: object } | undefined;
}

/** A list of records: machine actions of a device, pending approvals, audit entries. */
export function toRecordListCard(
  input: {
    heading: string;
    subject?: string;
    summary: string;
    rows: RecordRow[];
  },
  i18n: Translator = ENGLISH,
): AdaptiveCardJson {
  return renderCard(listTemplate, {
    heading: input.heading,
    subject: clipLine(input.subject, 200, ''),
    summary: input.summary,
    rows: input.rows.slice(0, 25).map((row) => ({
      title: clipLine(row.title, 200),
      detail: clipLine(row.detail, 300, ''),
      status: row.status,
      hasSelect: row.select !== undefined,
      select: row.select
        ? { type: 'Action.Execute', title: i18n.t('card.record.open'), verb: row.select.verb, data: row.select.data }
        : {},
    })),
    actions: [],
  });
}
