import { MAX_INCIDENT_COMMENT_LENGTH } from '../graph/graphSecurityClient';
import type { Incident } from '../graph/graphSchemas';
import { DETERMINATIONS_BY_CLASSIFICATION, isLegalDetermination } from '../graph/graphSchemas';
import type { Classification } from '../graph/graphSchemas';
import { mostSevereFirst, summarizeEvidence } from '../incidents/incidentEvidence';
import type { CardColor } from './labels';
import {
  classificationLabel,
  determinationLabel,
  graphSeverityLabel,
  incidentStatusLabel,
  serviceSourceLabel,
} from './labels';
import type { AdaptiveCardJson } from './renderCard';
import { CardTemplateError, renderCard } from './renderCard';
import template from './templates/incidentDetail.json';
import { formatAge, formatTimestamp } from './text';
import { clipBytes, clipLineBytes, jsonBytes } from './textBytes';

/** Alerts listed on the card, most severe first; the rest are one click away in the portal. */
export const ALERTS_ON_INCIDENT_CARD = 5;
/** Devices listed with their buttons. */
export const DEVICES_ON_INCIDENT_CARD = 5;
/** Users, mailboxes, IPs, URLs and files named per line. */
const EVIDENCE_PER_LINE = 6;
/** The newest comments shown. */
export const COMMENTS_ON_INCIDENT_CARD = 3;
/** Teams refreshes a card automatically for at most 60 listed users. */
const MAX_REFRESH_USERS = 60;

/**
 * The byte budget of the card's free text (bytes of its JSON: a CJK character weighs 3, a quote 2). The fixed part —
 * labels, the device buttons, the triage forms with their classification choices — weighs about 16.6 KB with every
 * list at its maximum (5 alerts, 5 devices, 5 evidence lines, 3 comments). The caps add at most
 * 300 + 200 + 300 + 600 + 200 + 5×250 + 5×150 + 5×500 + 3×(100 + 600) = 8,200 bytes and the refresh list 1,536, so
 * the worst case stays about 2.5 KB under MAX_CARD_BYTES (28 KB); test/cards/incidentCardSize.test.ts renders it.
 * The character caps are what a person reads comfortably; the byte caps only bite on non-Latin or escaped text.
 */
const BYTES = {
  title: 300,
  owner: 200,
  tags: 300,
  notice: 600,
  alertsHeading: 200,
  alertTitle: 250,
  deviceName: 150,
  evidenceLine: 500,
  commentAuthor: 100,
  comment: 600,
  refreshUserIds: 1536,
} as const;

const INCIDENT_ID = /^\d{1,20}$/;
const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MDE_DEVICE_ID = /^[0-9a-f]{40}$/;

/** A line above the facts saying what just happened (or why nothing did). */
export interface IncidentCardNotice {
  text: string;
  color: CardColor;
}

/** What the incident card shows. */
export interface IncidentCardInput {
  /** The incident as Graph returned it, with its alerts (`$expand=alerts`). */
  incident: Incident;
  /** The viewer's tenant, for the portal link (built from ids, never from Graph's text). */
  tenantId: string;
  now: Date;
  notice?: IncidentCardNotice | undefined;
  /** Teams user ids whose view re-reads Graph when the card is shown (Universal Actions `refresh`). */
  refreshUserIds?: readonly string[] | undefined;
}

/** Portal link built only from a validated incident id and tenant id. */
export function incidentPortalUrl(incidentId: string, tenantId: string): string {
  if (!INCIDENT_ID.test(incidentId) || !TENANT_ID.test(tenantId)) throw new RangeError('unexpected id format');
  return `https://security.microsoft.com/incidents/${incidentId}?tid=${tenantId}`;
}

/** "classification/determination", the value of the card's one classification choice. */
export function toClassificationPair(classification: string | null, determination: string | null): string {
  return `${classification ?? 'unknown'}/${determination ?? 'unknown'}`;
}

/** Every pair a person may set, as choices ("True positive: Phishing"); `unknown` (unclassified) is not offered. */
export function classificationChoices(): { title: string; value: string }[] {
  return (Object.keys(DETERMINATIONS_BY_CLASSIFICATION) as Classification[])
    .filter((c) => c !== 'unknown')
    .flatMap((c) =>
      DETERMINATIONS_BY_CLASSIFICATION[c].map((d) => ({
        title: `${classificationLabel(c).text}: ${determinationLabel(d).text}`,
        value: toClassificationPair(c, d),
      })),
    );
}

/**
 * The incident card; should it still exceed the size budget (a field the caps do not cover), the reduced card:
 * no evidence, no comments, and a line sending the person to the portal for them. Throws CardTemplateError only
 * when even that does not fit.
 */
export function toIncidentCard(input: IncidentCardInput): AdaptiveCardJson {
  try {
    return renderIncidentCard(input, 'full');
  } catch (err) {
    if (!(err instanceof CardTemplateError)) throw err;
    return renderIncidentCard(input, 'reduced');
  }
}

/**
 * The incident card: title, severity, status, owner, classification, the most severe alerts with their source,
 * devices (each with "Device" and response actions through the approval flow), users, mailboxes, other evidence,
 * tags, the newest comments, and the triage forms. Every button carries ids plus `seen` (the incident's
 * `lastUpdateDateTime` shown) and `shown` (the value it changes as shown), so a change made meanwhile is noticed.
 */
function renderIncidentCard(input: IncidentCardInput, detail: 'full' | 'reduced'): AdaptiveCardJson {
  const { incident, now } = input;
  const full = detail === 'full';
  const alerts = mostSevereFirst(incident);
  const evidence = summarizeEvidence(alerts);
  const status = incidentStatusLabel(incident.status);
  const classification = classificationLabel(incident.classification);
  const tags = [...incident.customTags, ...incident.systemTags];
  const sourceCounts = [...evidence.alertsBySource].map(([source, n]) => `${serviceSourceLabel(source).text} ${n}`);
  const facts: { label: string; value: string; color: CardColor }[] = [
    { label: 'Status', value: status.text, color: status.color },
    { label: 'Owner', value: clipLineBytes(incident.assignedTo, 120, BYTES.owner, 'Unassigned'), color: 'default' },
    { label: 'Classification', value: classification.text, color: classification.color },
    { label: 'Determination', value: determinationLabel(incident.determination).text, color: 'default' },
    {
      label: 'Created',
      value: `${formatTimestamp(incident.createdDateTime)} (${formatAge(incident.createdDateTime, now)})`,
      color: 'default',
    },
    { label: 'Tags', value: tags.length > 0 ? clipLineBytes(tags.join(', '), 200, BYTES.tags) : '—', color: 'default' },
  ];
  if (!full) {
    facts.push({
      label: 'Details',
      value: 'Evidence and comments are too long to show here: open the incident in Defender to see them.',
      color: 'warning',
    });
  }
  if (incident.redirectIncidentId && INCIDENT_ID.test(incident.redirectIncidentId)) {
    facts.push({ label: 'Merged into', value: `Incident ${incident.redirectIncidentId}`, color: 'default' });
  }
  const line = (label: string, values: string[]) =>
    values.length === 0
      ? []
      : [
          {
            label,
            value: clipLineBytes(
              values.slice(0, EVIDENCE_PER_LINE).join(', ') +
                (values.length > EVIDENCE_PER_LINE ? ` (+${values.length - EVIDENCE_PER_LINE} more)` : ''),
              600,
              BYTES.evidenceLine,
            ),
          },
        ];
  const comments = full ? incident.comments.slice(-COMMENTS_ON_INCIDENT_CARD).reverse() : [];
  const devices = evidence.devices.slice(0, DEVICES_ON_INCIDENT_CARD);
  return renderCard(template, {
    incidentId: incident.id,
    refreshUserIds: withinBytes((input.refreshUserIds ?? []).slice(0, MAX_REFRESH_USERS), BYTES.refreshUserIds),
    severity: graphSeverityLabel(incident.severity),
    title: clipLineBytes(incident.displayName, 250, BYTES.title),
    updated: formatTimestamp(incident.lastUpdateDateTime),
    notice: input.notice
      ? { text: clipBytes(input.notice.text, 600, BYTES.notice), color: input.notice.color }
      : { text: '', color: 'default' },
    facts,
    alertsHeading: clipLineBytes(
      `Alerts (${alerts.length})` +
        (sourceCounts.length > 0 ? ` · ${sourceCounts.join(' · ')}` : '') +
        (alerts.length > ALERTS_ON_INCIDENT_CARD ? ` · ${ALERTS_ON_INCIDENT_CARD} most severe` : ''),
      BYTES.alertsHeading,
      BYTES.alertsHeading,
    ),
    topAlerts: alerts.slice(0, ALERTS_ON_INCIDENT_CARD).map((alert) => ({
      severity: graphSeverityLabel(alert.severity),
      source: serviceSourceLabel(alert.serviceSource).text,
      title: clipLineBytes(alert.title, 200, BYTES.alertTitle),
    })),
    devicesHeading:
      evidence.devices.length > DEVICES_ON_INCIDENT_CARD
        ? `Devices (first ${DEVICES_ON_INCIDENT_CARD} of ${evidence.devices.length})`
        : `Devices (${evidence.devices.length})`,
    devices: devices.map((device) => ({
      name: clipLineBytes(device.name, 120, BYTES.deviceName),
      machineId: device.mdeDeviceId ?? 'not onboarded to Defender for Endpoint',
      actions:
        device.mdeDeviceId !== null && MDE_DEVICE_ID.test(device.mdeDeviceId) ? deviceActions(device.mdeDeviceId) : [],
    })),
    evidence: full
      ? [
          ...line('Users', evidence.users),
          ...line('Mailboxes', evidence.mailboxes),
          ...line('IPs', evidence.ips),
          ...line('URLs', evidence.urls),
          ...line('Files', evidence.files),
        ]
      : [],
    commentsHeading:
      incident.comments.length > COMMENTS_ON_INCIDENT_CARD
        ? `Comments (newest ${COMMENTS_ON_INCIDENT_CARD} of ${incident.comments.length})`
        : `Comments (${incident.comments.length})`,
    comments: comments.map((c) => ({
      author: clipLineBytes(c.createdByDisplayName, 80, BYTES.commentAuthor, 'Someone'),
      at: formatTimestamp(c.createdDateTime),
      text: clipBytes(c.comment, 500, BYTES.comment),
    })),
    actions: triageActions(incident, input.tenantId),
  });
}

/** The leading ids whose JSON (with quotes and commas) fits `maxBytes`; the rest simply do not auto-refresh. */
function withinBytes(ids: readonly string[], maxBytes: number): string[] {
  const kept: string[] = [];
  let used = 0;
  for (const id of ids) {
    used += jsonBytes(id) + 3;
    if (used > maxBytes) break;
    kept.push(id);
  }
  return kept;
}

/** "Device" and the response actions of one device: the same confirmation and approval as a typed command. */
function deviceActions(machineId: string): object[] {
  const prepare = (title: string, data: object) => ({ type: 'Action.Execute', title, verb: 'action.prepare', data });
  return [
    { type: 'Action.Execute', title: 'Device', verb: 'device.show', data: { device: machineId } },
    prepare('Isolate', { kind: 'isolate', device: machineId }),
    prepare('Antivirus scan', { kind: 'runAntiVirusScan', device: machineId, scanType: 'Quick' }),
    prepare('Collect package', { kind: 'collectInvestigationPackage', device: machineId }),
  ];
}

/** Assign, status, classify, comment, resolve (a form H-RESOLVE's verb answers) and the portal link. */
function triageActions(incident: Incident, tenantId: string): object[] {
  const seen = { incidentId: incident.id, seen: incident.lastUpdateDateTime };
  const shownOwner = incident.assignedTo ?? '';
  const pair = toClassificationPair(incident.classification, incident.determination);
  const choices = classificationChoices();
  const resolved = incident.status === 'resolved';
  const nextStatus = incident.status === 'inProgress' ? 'active' : resolved ? 'active' : 'inProgress';
  const form = (title: string, body: object[], actions: object[]) => ({
    type: 'Action.ShowCard',
    title,
    card: { type: 'AdaptiveCard', body, actions },
  });
  const execute = (title: string, verb: string, data: object, extra: object = {}) => ({
    type: 'Action.Execute',
    title,
    verb,
    data,
    ...extra,
  });
  return [
    form(
      'Assign',
      [
        {
          type: 'Input.Text',
          id: 'assignee',
          label: 'Assign to (user principal name)',
          placeholder: 'name@contoso.com',
          style: 'Email',
          maxLength: 320,
        },
      ],
      [
        execute(
          'Assign to me',
          'incident.assign',
          { ...seen, shown: shownOwner, to: 'me' },
          { associatedInputs: 'none' },
        ),
        execute('Assign', 'incident.assign', { ...seen, shown: shownOwner, to: 'typed' }),
      ],
    ),
    execute(resolved ? 'Reopen' : nextStatus === 'inProgress' ? 'Mark in progress' : 'Mark active', 'incident.status', {
      ...seen,
      shown: incident.status,
      status: nextStatus,
    }),
    form(
      'Classify',
      [
        {
          type: 'Input.ChoiceSet',
          id: 'classification',
          label: 'Classification and determination',
          style: 'compact',
          isRequired: true,
          errorMessage: 'Choose a classification.',
          ...(isLegalDetermination(incident.classification ?? '', incident.determination ?? '') &&
          incident.classification !== 'unknown'
            ? { value: pair }
            : {}),
          choices,
        },
      ],
      [execute('Save classification', 'incident.classify', { ...seen, shown: pair })],
    ),
    form(
      'Comment',
      [
        {
          type: 'Input.Text',
          id: 'commentText',
          label: 'Comment',
          isMultiline: true,
          isRequired: true,
          errorMessage: 'Type a comment.',
          maxLength: MAX_INCIDENT_COMMENT_LENGTH,
        },
      ],
      [execute('Add comment', 'incident.comment', seen)],
    ),
    ...(resolved
      ? []
      : [
          form(
            'Resolve',
            [
              {
                type: 'Input.ChoiceSet',
                id: 'resolution',
                label: 'Classification and determination',
                style: 'compact',
                isRequired: true,
                errorMessage: 'Choose a classification.',
                choices,
              },
              {
                type: 'Input.Text',
                id: 'comment',
                label: 'Comment (optional)',
                isMultiline: true,
                maxLength: MAX_INCIDENT_COMMENT_LENGTH,
              },
            ],
            [execute('Resolve incident', 'incident.resolve', seen)],
          ),
        ]),
    { type: 'Action.OpenUrl', title: 'Open in Defender', url: incidentPortalUrl(incident.id, tenantId) },
  ];
}
