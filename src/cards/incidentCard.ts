import { MAX_INCIDENT_COMMENT_LENGTH } from '../graph/graphSecurityClient';
import type { Incident } from '../graph/graphSchemas';
import { DETERMINATIONS_BY_CLASSIFICATION, isLegalDetermination } from '../graph/graphSchemas';
import type { Classification } from '../graph/graphSchemas';
import { mostSevereFirst, summarizeEvidence } from '../incidents/incidentEvidence';
import type { MessageKey } from '../i18n/catalogues';
import type { Translator } from '../i18n/translator';
import type { CardColor } from './labels';
import {
  ENGLISH,
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
import { investigateButton } from './investigationCard';
import { entitiesOfIncident } from '../investigation/investigableEntities';
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
export function classificationChoices(i18n: Translator = ENGLISH): { title: string; value: string }[] {
  return (Object.keys(DETERMINATIONS_BY_CLASSIFICATION) as Classification[])
    .filter((c) => c !== 'unknown')
    .flatMap((c) =>
      DETERMINATIONS_BY_CLASSIFICATION[c].map((d) => ({
        title: i18n.t('card.incident.choice', {
          classification: classificationLabel(c, i18n).text,
          determination: determinationLabel(d, i18n).text,
        }),
        value: toClassificationPair(c, d),
      })),
    );
}

/**
 * The incident card; should it still exceed the size budget (a field the caps do not cover), the reduced card:
 * no evidence, no comments, and a line sending the person to the portal for them. Throws CardTemplateError only
 * when even that does not fit.
 */
export function toIncidentCard(input: IncidentCardInput, i18n: Translator = ENGLISH): AdaptiveCardJson {
  try {
    return renderIncidentCard(input, 'full', i18n);
  } catch (err) {
    if (!(err instanceof CardTemplateError)) throw err;
    return renderIncidentCard(input, 'reduced', i18n);
  }
}

/**
 * The incident card: title, severity, status, owner, classification, the most severe alerts with their source,
 * devices (each with "Device" and response actions through the approval flow), users, mailboxes, other evidence,
 * tags, the newest comments, and the triage forms. Every button carries ids plus `seen` (the incident's
 * `lastUpdateDateTime` shown) and `shown` (the value it changes as shown), so a change made meanwhile is noticed.
 */
function renderIncidentCard(input: IncidentCardInput, detail: 'full' | 'reduced', i18n: Translator): AdaptiveCardJson {
  const { incident, now } = input;
  const full = detail === 'full';
  const alerts = mostSevereFirst(incident);
  const evidence = summarizeEvidence(alerts);
  const status = incidentStatusLabel(incident.status, i18n);
  const classification = classificationLabel(incident.classification, i18n);
  const tags = [...incident.customTags, ...incident.systemTags];
  const sourceCounts = [...evidence.alertsBySource].map(
    ([source, n]) => `${serviceSourceLabel(source, i18n).text} ${i18n.number(n)}`,
  );
  const facts: { label: string; value: string; color: CardColor }[] = [
    { label: i18n.t('card.incident.status'), value: status.text, color: status.color },
    {
      label: i18n.t('card.incident.owner'),
      value: clipLineBytes(incident.assignedTo, 120, BYTES.owner, i18n.t('card.common.unassigned')),
      color: 'default',
    },
    { label: i18n.t('card.incident.classification'), value: classification.text, color: classification.color },
    {
      label: i18n.t('card.incident.determination'),
      value: determinationLabel(incident.determination, i18n).text,
      color: 'default',
    },
    {
      label: i18n.t('card.incident.created'),
      value: i18n.t('card.alert.timeWithAge', {
        time: formatTimestamp(incident.createdDateTime, i18n),
        age: formatAge(incident.createdDateTime, now, i18n),
      }),
      color: 'default',
    },
    {
      label: i18n.t('card.incident.tags'),
      value: tags.length > 0 ? clipLineBytes(tags.join(', '), 200, BYTES.tags) : '—',
      color: 'default',
    },
  ];
  if (!full) {
    facts.push({
      label: i18n.t('card.incident.details'),
      value: i18n.t('card.incident.tooLong'),
      color: 'default',
    });
  }
  if (incident.redirectIncidentId && INCIDENT_ID.test(incident.redirectIncidentId)) {
    facts.push({
      label: i18n.t('card.incident.mergedInto'),
      value: i18n.t('card.incident.incidentNumber', { id: incident.redirectIncidentId }),
      color: 'default',
    });
  }
  const line = (label: string, values: string[]) =>
    values.length === 0
      ? []
      : [
          {
            label,
            value: clipLineBytes(
              values.length > EVIDENCE_PER_LINE
                ? i18n.t('card.incident.more', {
                    shown: values.slice(0, EVIDENCE_PER_LINE).join(', '),
                    count: values.length - EVIDENCE_PER_LINE,
                  })
                : values.join(', '),
              600,
              BYTES.evidenceLine,
            ),
          },
        ];
  const comments = full ? incident.comments.slice(-COMMENTS_ON_INCIDENT_CARD).reverse() : [];
  const devices = evidence.devices.slice(0, DEVICES_ON_INCIDENT_CARD);
  return renderCard(template, {
    w: { refresh: i18n.t('card.common.refresh') },
    subtitle: i18n.t('card.incident.subtitle', {
      id: incident.id,
      updated: formatTimestamp(incident.lastUpdateDateTime, i18n),
    }),
    incidentId: incident.id,
    refreshUserIds: withinBytes((input.refreshUserIds ?? []).slice(0, MAX_REFRESH_USERS), BYTES.refreshUserIds),
    severity: graphSeverityLabel(incident.severity, i18n),
    title: clipLineBytes(incident.displayName, 250, BYTES.title),
    updated: formatTimestamp(incident.lastUpdateDateTime),
    notice: input.notice
      ? { text: clipBytes(input.notice.text, 600, BYTES.notice), color: input.notice.color }
      : { text: '', color: 'default' },
    facts,
    alertsHeading: clipLineBytes(
      i18n.t('card.incident.alertsHeading', { count: alerts.length }) +
        (sourceCounts.length > 0 ? ` · ${sourceCounts.join(' · ')}` : '') +
        (alerts.length > ALERTS_ON_INCIDENT_CARD
          ? i18n.t('card.incident.mostSevere', { count: ALERTS_ON_INCIDENT_CARD })
          : ''),
      BYTES.alertsHeading,
      BYTES.alertsHeading,
    ),
    topAlerts: alerts.slice(0, ALERTS_ON_INCIDENT_CARD).map((alert) => ({
      severity: graphSeverityLabel(alert.severity, i18n),
      source: serviceSourceLabel(alert.serviceSource, i18n).text,
      title: clipLineBytes(alert.title, 200, BYTES.alertTitle),
    })),
    devicesHeading:
      evidence.devices.length > DEVICES_ON_INCIDENT_CARD
        ? i18n.t('card.incident.devicesFirst', { shown: DEVICES_ON_INCIDENT_CARD, total: evidence.devices.length })
        : i18n.t('card.incident.devicesHeading', { count: evidence.devices.length }),
    devices: devices.map((device) => ({
      name: clipLineBytes(device.name, 120, BYTES.deviceName),
      machineId: device.mdeDeviceId ?? i18n.t('card.incident.notOnboarded'),
      actions:
        device.mdeDeviceId !== null && MDE_DEVICE_ID.test(device.mdeDeviceId)
          ? deviceActions(device.mdeDeviceId, i18n)
          : [],
    })),
    evidence: full
      ? [
          ...line(i18n.t('card.incident.users'), evidence.users),
          ...line(i18n.t('card.incident.mailboxes'), evidence.mailboxes),
          ...line(i18n.t('card.incident.ips'), evidence.ips),
          ...line(i18n.t('card.incident.urls'), evidence.urls),
          ...line(i18n.t('card.incident.files'), evidence.files),
        ]
      : [],
    commentsHeading:
      incident.comments.length > COMMENTS_ON_INCIDENT_CARD
        ? i18n.t('card.incident.commentsNewest', { shown: COMMENTS_ON_INCIDENT_CARD, total: incident.comments.length })
        : i18n.t('card.incident.commentsHeading', { count: incident.comments.length }),
    comments: comments.map((c) => ({
      author: clipLineBytes(c.createdByDisplayName, 80, BYTES.commentAuthor, i18n.t('card.common.someone')),
      at: formatTimestamp(c.createdDateTime, i18n),
      text: clipBytes(c.comment, 500, BYTES.comment),
    })),
    actions: triageActions(incident, input.tenantId, i18n),
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
function deviceActions(machineId: string, i18n: Translator): object[] {
  const prepare = (title: string, data: object) => ({ type: 'Action.Execute', title, verb: 'action.prepare', data });
  return [
    { type: 'Action.Execute', title: i18n.t('card.incident.device'), verb: 'device.show', data: { device: machineId } },
    prepare(i18n.t('card.incident.isolate'), { kind: 'isolate', device: machineId }),
    prepare(i18n.t('card.incident.scan'), { kind: 'runAntiVirusScan', device: machineId, scanType: 'Quick' }),
    prepare(i18n.t('card.incident.collect'), { kind: 'collectInvestigationPackage', device: machineId }),
  ];
}

/** A fixed word of the incident card's forms (`card.incident.<word>` in the catalogue). */
type IncidentWord = { [K in MessageKey]: K extends `card.incident.${infer N}` ? N : never }[MessageKey];

/** Assign, status, classify, comment, resolve (a form H-RESOLVE's verb answers) and the portal link. */
function triageActions(incident: Incident, tenantId: string, i18n: Translator): object[] {
  const w = (key: IncidentWord) => i18n.t(`card.incident.${key}`);
  const seen = { incidentId: incident.id, seen: incident.lastUpdateDateTime };
  const shownOwner = incident.assignedTo ?? '';
  const pair = toClassificationPair(incident.classification, incident.determination);
  const choices = classificationChoices(i18n);
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
      w('assign'),
      [
        {
          type: 'Input.Text',
          id: 'assignee',
          label: w('assignTo'),
          placeholder: 'name@contoso.com',
          style: 'Email',
          maxLength: 320,
        },
      ],
      [
        execute(
          w('assignToMe'),
          'incident.assign',
          { ...seen, shown: shownOwner, to: 'me' },
          { associatedInputs: 'none' },
        ),
        execute(w('assign'), 'incident.assign', { ...seen, shown: shownOwner, to: 'typed' }),
      ],
    ),
    execute(w(resolved ? 'reopen' : nextStatus === 'inProgress' ? 'markInProgress' : 'markActive'), 'incident.status', {
      ...seen,
      shown: incident.status,
      status: nextStatus,
    }),
    form(
      w('classify'),
      [
        {
          type: 'Input.ChoiceSet',
          id: 'classification',
          label: w('classificationAndDetermination'),
          style: 'compact',
          isRequired: true,
          errorMessage: w('chooseClassification'),
          ...(isLegalDetermination(incident.classification ?? '', incident.determination ?? '') &&
          incident.classification !== 'unknown'
            ? { value: pair }
            : {}),
          choices,
        },
      ],
      [execute(w('saveClassification'), 'incident.classify', { ...seen, shown: pair })],
    ),
    form(
      w('comment'),
      [
        {
          type: 'Input.Text',
          id: 'commentText',
          label: w('comment'),
          isMultiline: true,
          isRequired: true,
          errorMessage: w('typeComment'),
          maxLength: MAX_INCIDENT_COMMENT_LENGTH,
        },
      ],
      [execute(w('addComment'), 'incident.comment', seen)],
    ),
    ...(resolved
      ? []
      : [
          form(
            w('resolve'),
            [
              {
                type: 'Input.ChoiceSet',
                id: 'resolution',
                label: w('classificationAndDetermination'),
                style: 'compact',
                isRequired: true,
                errorMessage: w('chooseClassification'),
                choices,
              },
              {
                type: 'Input.Text',
                id: 'comment',
                label: w('commentOptional'),
                isMultiline: true,
                maxLength: MAX_INCIDENT_COMMENT_LENGTH,
              },
            ],
            [execute(w('resolveIncident'), 'incident.resolve', seen)],
          ),
        ]),
    ...investigateButton(entitiesOfIncident(incident.alerts ?? []), { kind: 'incident', id: incident.id }, i18n),
    { type: 'Action.OpenUrl', title: w('openInDefender'), url: incidentPortalUrl(incident.id, tenantId) },
  ];
}
