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
import type { CardColor, Label } from './labels';
import { classificationLabel, determinationLabel, deviceValueLabel, healthLabel, osLabel } from './labels';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import { stampCard } from './customerStamp';
import confirmTemplate from './templates/actionConfirm.json';
import approvalTemplate from './templates/approval.json';
import listTemplate from './templates/recordList.json';
import { clip, clipLine, formatAge, formatTimestamp, formatUntil } from './text';

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
export function requestTitle(request: ApprovalRequest): { title: string; subject: string } {
  if (isActionRequest(request)) return { title: ACTION_NAMES[request.kind].title, subject: request.device.name };
  return { title: 'Resolve incident', subject: `Incident ${request.incident.id}: ${request.incident.title}` };
}

/** "True positive · Phishing" for Graph's `truePositive` / `phishing`: the same words as the incident card. */
export function resolutionLabel(classification: string, determination: string): string {
  return `${classificationLabel(classification).text} · ${determinationLabel(determination).text}`;
}

/** Where an incident resolution's state reads differently from a device action's. */
const INCIDENT_STATE_LABELS: Partial<Record<ApprovalState, Label>> = {
  executing: { text: 'Resolving in Defender', color: 'accent' },
  succeeded: { text: 'Resolved', color: 'good' },
  alreadyRequested: { text: 'Already resolved', color: 'warning' },
};

const STATE_LABELS: Record<ApprovalState, Label> = {
  pending: { text: 'Awaiting approval', color: 'warning' },
  executing: { text: 'Sending to Defender', color: 'accent' },
  submitted: { text: 'In Defender', color: 'accent' },
  succeeded: { text: 'Succeeded', color: 'good' },
  failed: { text: 'Failed', color: 'attention' },
  timedOut: { text: 'Timed out', color: 'attention' },
  cancelled: { text: 'Cancelled', color: 'default' },
  rejected: { text: 'Rejected', color: 'attention' },
  expired: { text: 'Expired — not executed', color: 'default' },
  withdrawn: { text: 'Withdrawn', color: 'default' },
  alreadyRequested: { text: 'Already requested in Defender', color: 'warning' },
  interrupted: { text: 'Interrupted — not confirmed', color: 'attention' },
};

/** A fact row: our label, an untrusted value (TextRun), a colour. */
interface Fact {
  label: string;
  value: string;
  color: CardColor;
}

function deviceFacts(device: DeviceSnapshot, extra: { isolation?: string; openAlerts?: number } = {}): Fact[] {
  const value = deviceValueLabel(device.deviceValue);
  const health = healthLabel(device.healthStatus);
  return [
    { label: 'OS', value: clipLine(osLabel(device.osPlatform, null, null), 80), color: 'default' },
    { label: 'Health', value: health.text, color: health.color },
    { label: 'Device value', value: value.text, color: value.color },
    { label: 'Tags', value: clipLine(device.tags.join(', '), 200, 'None'), color: 'default' },
    { label: 'Device group', value: clipLine(device.group, 120, 'Unassigned'), color: 'default' },
    ...(extra.isolation ? [{ label: 'Isolation', value: extra.isolation, color: 'default' as const }] : []),
    ...(extra.openAlerts !== undefined
      ? [
          {
            label: 'Open alerts',
            value: String(extra.openAlerts),
            color: (extra.openAlerts > 0 ? 'attention' : 'good') as CardColor,
          },
        ]
      : []),
    { label: 'Last seen', value: formatTimestamp(device.lastSeen), color: 'default' },
  ];
}

/** What the requester confirms: the device, the policy that will apply, the reason input. */
export function toConfirmationCard(input: {
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
}): AdaptiveCardJson {
  const name = ACTION_NAMES[input.kind];
  const policyText =
    input.requiredApprovals === 0
      ? `${input.riskNote}. It runs as soon as you confirm, with your own Defender permissions.`
      : `Needs ${input.requiredApprovals} approver${input.requiredApprovals === 1 ? '' : 's'} other than you (${input.riskNote}). Nothing is sent to Defender until then.`;
  const facts = deviceFacts(input.device, { isolation: input.isolation, openAlerts: input.openAlerts });
  if (input.sha1) facts.unshift({ label: 'File SHA1', value: input.sha1, color: 'default' });
  return renderCard(confirmTemplate, {
    heading: `${name.title}?`,
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
    confirmTitle: input.requiredApprovals === 0 ? 'Run now' : 'Request approval',
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
export function toApprovalCard(request: ApprovalRequest, view: ApprovalView, now: Date): AdaptiveCardJson {
  const name = requestTitle(request);
  const action = isActionRequest(request)
    ? [
        name.title,
        request.parameters.isolationType ? `${request.parameters.isolationType} isolation` : undefined,
        request.parameters.scanType ? `${request.parameters.scanType} scan` : undefined,
      ]
        .filter(Boolean)
        .join(' · ')
    : `Resolve as ${resolutionLabel(request.parameters.classification, request.parameters.determination)}`;
  const facts: Fact[] = [
    { label: 'Action', value: action, color: 'default' },
    {
      label: 'Requested by',
      value: clipLine(`${request.requester.displayName} (${request.requester.userPrincipalName})`, 160),
      color: 'default',
    },
    isActionRequest(request)
      ? { label: 'Reason', value: clip(request.reason, 500), color: 'default' }
      : { label: 'Comment', value: clip(request.reason, 500, 'None'), color: 'default' },
    {
      label: 'Approvals',
      value:
        request.requiredApprovals === 0
          ? 'None needed (policy)'
          : `${request.approvals.length} of ${request.requiredApprovals} · ${request.riskNote}`,
      color: 'default',
    },
  ];
  if (isActionRequest(request) && request.parameters.sha1)
    facts.push({ label: 'File SHA1', value: request.parameters.sha1, color: 'default' });
  if (request.state === 'pending') {
    facts.push({
      label: 'Expires',
      value: `${formatTimestamp(request.expiresAt)} (${formatUntil(request.expiresAt, now)})`,
      color: 'default',
    });
  }
  if (request.execution?.defenderActionId) {
    facts.push({ label: 'Defender action', value: request.execution.defenderActionId, color: 'default' });
  }
  const existing = request.execution?.existing;
  if (existing) {
    // Defender's data: a fact value (a TextRun, never parsed as markdown).
    facts.push({
      label: 'Already requested by',
      value: `${clipLine(existing.requestor, 120, 'someone else')}${existing.createdAt ? `, ${formatAge(existing.createdAt, now)}` : ''}`,
      color: 'default',
    });
  }
  if (!isActionRequest(request)) facts.push(...incidentFacts(request));
  else if (view === 'approver') facts.push(...deviceFacts(request.device));

  const decisions = [
    ...request.approvals.map((a) => ({
      verdict: 'Approved by',
      color: 'good',
      who: clipLine(a.person.displayName, 80),
      when: formatAge(a.at, now),
      comment: clip(a.comment, 300, ''),
    })),
    ...(request.rejection
      ? [
          {
            verdict: 'Rejected by',
            color: 'attention',
            who: clipLine(request.rejection.person.displayName, 80),
            when: formatAge(request.rejection.at, now),
            comment: clip(request.rejection.comment, 300, ''),
          },
        ]
      : []),
    ...(request.execution && request.state !== 'pending'
      ? [
          {
            verdict: 'Executed with the permissions of',
            color: 'default',
            who: clipLine(request.execution.by.displayName, 80),
            when: formatAge(request.execution.startedAt, now),
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
      execute('Approve', 'approval.approve', { approvalId: request.id }, 'auto');
      execute('Reject', 'approval.reject', { approvalId: request.id }, 'auto');
    } else if (view === 'requester') {
      execute('Withdraw request', 'approval.withdraw', { approvalId: request.id });
    } else if (view === 'base') {
      execute('Review', 'approval.view', { approvalId: request.id });
    }
  }
  if (
    request.state === 'submitted' &&
    ['Pending', 'InProgress'].includes(request.execution?.defenderStatus ?? '') &&
    view === 'requester'
  ) {
    execute('Cancel action in Defender', 'approval.cancelAction', { approvalId: request.id });
  }
  if (request.state === 'submitted' && view === 'base') execute('Refresh', 'approval.view', { approvalId: request.id });
  if (isActionRequest(request) && request.state === 'succeeded' && request.kind === 'isolate') {
    execute('Release from isolation', 'action.prepare', { kind: 'unisolate', device: request.device.id });
  }
  if (isActionRequest(request) && request.state === 'succeeded' && request.kind === 'restrictCodeExecution') {
    execute('Remove app restriction', 'action.prepare', { kind: 'unrestrictCodeExecution', device: request.device.id });
  }

  const card = renderCard(approvalTemplate, {
    heading: `${name.title} request`,
    status: request.execution?.checking
      ? { text: 'Checking with Defender…', color: 'warning' }
      : ((isActionRequest(request) ? undefined : INCIDENT_STATE_LABELS[request.state]) ?? STATE_LABELS[request.state]),
    deviceName: clipLine(name.subject, 200),
    approvalId: request.id,
    facts,
    statusDetail: statusDetail(request, now),
    decisions,
    showDecision: view === 'approver' && request.state === 'pending',
    commentLabel: 'Comment (required to reject)',
    actions,
  });
  // Wherever it is posted or refreshed, the card says which tenant (customer) it acts in, and its buttons say it too.
  return stampCard(card, { id: request.tenantId, customerName: request.customerName });
}

/** The incident as the requester saw it: Defender's data, shown as fact values (TextRuns, never markdown). */
function incidentFacts(request: IncidentApprovalRequest): Fact[] {
  const incident = request.incident;
  return [
    {
      label: 'Severity',
      value: clipLine(incident.severity, 40),
      color: incident.severity.toLowerCase() === 'high' ? 'attention' : 'default',
    },
    { label: 'Status when asked', value: clipLine(incident.status, 40), color: 'default' },
    { label: 'Assigned to', value: clipLine(incident.assignedTo, 120, 'Unassigned'), color: 'default' },
    { label: 'Last updated', value: formatTimestamp(incident.lastUpdateDateTime), color: 'default' },
  ];
}

/** What happened to an incident resolution, in words. */
function incidentStatusDetail(request: IncidentApprovalRequest): string {
  const execution = request.execution;
  switch (request.state) {
    case 'pending': {
      const refused =
        request.refusedByDefender.length > 0
          ? `Microsoft Defender refused ${request.refusedByDefender.map((p) => p.displayName).join(', ')}: no permission to change this incident. Another approver can approve.`
          : '';
      const notSent = request.notSent
        ? `${request.notSent.by.displayName}'s approval could not be sent: their sign-in to Microsoft Graph did not complete (${request.notSent.code}). Nothing was changed; approve again after signing in, or another approver can.`
        : '';
      return [refused, notSent].filter(Boolean).join(' ');
    }
    case 'executing':
      return 'Approved. Resolving the incident in Microsoft Defender…';
    case 'succeeded':
      return `The incident is resolved in Microsoft Defender, with the approver's permissions.${
        execution?.commentAdded === false ? ' The comment naming this approval could not be added.' : ''
      }`;
    case 'alreadyRequested': {
      const found = execution?.alreadyResolved;
      const as =
        found?.classification && found.determination
          ? ` as ${resolutionLabel(found.classification, found.determination)}`
          : '';
      return `Someone resolved the incident meanwhile${as}${
        found?.assignedTo ? ` (assigned to ${found.assignedTo})` : ''
      }: nothing was overwritten.`;
    }
    case 'interrupted':
      return 'The bot could not confirm that Microsoft Defender resolved the incident: look at the incident before asking again.';
    case 'rejected':
      return 'Rejected: nothing was changed in Microsoft Defender.';
    case 'expired':
      return 'Nobody approved it in time: nothing was changed in Microsoft Defender.';
    case 'withdrawn':
      return 'The requester withdrew it: nothing was changed in Microsoft Defender.';
    case 'failed':
      if (execution?.changedSinceRequested)
        return `The incident changed after this request was made (${execution.changedSinceRequested.join(', ')}): nothing was overwritten. Open the incident and ask again if the resolution still fits.`;
      return `Microsoft Defender did not resolve the incident (${execution?.failure ?? request.state}). Nothing else will be sent for this request.`;
    case 'submitted':
    case 'timedOut':
    case 'cancelled':
      return `Microsoft Defender did not resolve the incident (${execution?.failure ?? request.state}). Nothing else will be sent for this request.`;
  }
}

function statusDetail(request: ApprovalRequest, now: Date): string {
  if (!isActionRequest(request)) return incidentStatusDetail(request);
  const status = request.execution?.defenderStatus;
  const existing = request.execution?.existing;
  switch (request.state) {
    case 'pending':
      return request.refusedByDefender.length > 0
        ? `Microsoft Defender refused ${request.refusedByDefender.map((p) => p.displayName).join(', ')}: the approver lacks permission in Defender for this device. Another approver can approve.`
        : '';
    case 'executing':
      return request.execution?.checking
        ? "Microsoft Defender's answer did not arrive in time, so the bot is reading Defender to see whether the action was created. It is never sent twice: this card shows the real state in a moment."
        : 'Approved. Sending to Microsoft Defender…';
    case 'submitted':
      return [
        existing
          ? 'Microsoft Defender was already running this action for the device (see "Already requested by"), so no second one was sent; this card follows that action.'
          : '',
        `Microsoft Defender status: ${status ?? 'Pending'}.`,
        pendingNote(request, now),
        'This card follows it to the end.',
      ]
        .filter(Boolean)
        .join(' ');
    case 'succeeded':
      return 'Microsoft Defender completed the action.';
    case 'failed':
      if (request.execution?.failure === 'OsPlatformNotSupported')
        return "Microsoft Defender refused it: this action is not supported on the device's operating system. Nothing ran.";
      return `The action did not complete (${request.execution?.failure ?? status ?? 'Failed'}). Nothing else will run for this request.`;
    case 'timedOut':
      return 'Microsoft Defender gave up: the device did not respond in time (is it offline?).';
    case 'cancelled':
      return 'The action was cancelled in Microsoft Defender before it ran.';
    case 'rejected':
      return 'Rejected: nothing was sent to Microsoft Defender.';
    case 'expired':
      return 'Nobody approved it in time: nothing was sent to Microsoft Defender.';
    case 'withdrawn':
      return 'The requester withdrew it: nothing was sent to Microsoft Defender.';
    case 'alreadyRequested':
      return 'The same action is already pending for this device in Microsoft Defender; this request did not send another.';
    case 'interrupted':
      return 'Microsoft Defender has no record of this action after the bot could not confirm it was sent (Defender did not answer, or the bot restarted). Nothing runs for this request: request it again if it is still needed.';
  }
}

/**
 * How long a Pending action has waited, and the likely reason: Defender hands an action to the device when it
 * next checks in, so a device that is offline keeps it Pending for hours or days (it runs when it reconnects).
 */
function pendingNote(request: ActionApprovalRequest, now: Date): string {
  if (request.execution?.defenderStatus !== 'Pending') return '';
  const since = request.execution.defenderCreatedAt ?? request.execution.startedAt;
  const waited = now.getTime() - Date.parse(since);
  if (!(waited >= 5 * 60_000)) return '';
  const device = request.device;
  const offline = device.healthStatus !== null && device.healthStatus !== 'Active';
  const lastSeen = device.lastSeen ? ` It was last seen ${formatAge(device.lastSeen, now)}` : '';
  return `Pending for ${formatDuration(waited)}: Defender is waiting for the device to pick it up.${lastSeen}${
    offline ? ' and looks offline' : ''
  }${lastSeen || offline ? '.' : ''} It runs when the device reconnects; it can be cancelled until then.`;
}

/** "12 min", "3 h 5 min", "2 days 4 h". */
function formatDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  return `${Math.floor(hours / 24)} days${hours % 24 ? ` ${hours % 24} h` : ''}`;
}

/** One row of a list card. */
export interface RecordRow {
  title: string;
  detail: string;
  status: Label;
  select?: { verb: string; data: object } | undefined;
}

/** A list of records: machine actions of a device, pending approvals, audit entries. */
export function toRecordListCard(input: {
  heading: string;
  subject?: string;
  summary: string;
  rows: RecordRow[];
}): AdaptiveCardJson {
  return renderCard(listTemplate, {
    heading: input.heading,
    subject: clipLine(input.subject, 200, ''),
    summary: input.summary,
    rows: input.rows.slice(0, 25).map((row) => ({
      title: clipLine(row.title, 200),
      detail: clipLine(row.detail, 300, ''),
      status: row.status,
      hasSelect: row.select !== undefined,
      select: row.select ? { type: 'Action.Execute', title: 'Open', verb: row.select.verb, data: row.select.data } : {},
    })),
    actions: [],
  });
}
