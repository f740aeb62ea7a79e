import type { Alert, Evidence } from '../defender/schemas';
import type { Translator } from '../i18n/translator';
import { ENGLISH, severityLabel, statusLabel } from './labels';
import type { CardColor } from './labels';
import type { AlertsPageData } from './payloads';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import template from './templates/alertDetail.json';
import { clip, clipLine, formatAge, formatTimestamp } from './text';
import { words } from './words';
import { investigateButton } from './investigationCard';
import { entitiesOfAlert } from '../investigation/investigableEntities';

/** Evidence items shown on the card; the rest are one click away in the portal. */
export const EVIDENCE_ON_CARD = 5;
const MITRE_ID = /^T\d{4}(\.\d{3})?$/;
const ALERT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const MACHINE_ID = /^[0-9a-f]{40}$/;

/** What the alert card shows; `back` adds "Back to list" when the card was opened from a list. */
export interface AlertCardInput {
  alert: Alert;
  now: Date;
  back?: AlertsPageData | undefined;
}

/** Portal deep link built only from a validated alert id (never from other alert data). */
export function alertPortalUrl(alertId: string): string {
  if (!ALERT_ID.test(alertId)) throw new RangeError('unexpected alert id format');
  return `https://security.microsoft.com/alerts/${encodeURIComponent(alertId)}`;
}

/** The alert card: title, severity, status, category, MITRE, device, user, times, description, evidence. */
export function toAlertCard(input: AlertCardInput, i18n: Translator = ENGLISH): AdaptiveCardJson {
  const { alert, now } = input;
  const w = words(i18n, 'card.alert', [
    'status',
    'category',
    'mitre',
    'device',
    'user',
    'assignedTo',
    'created',
    'lastActivity',
    'updated',
    'detection',
    'incident',
    'threat',
    'resolved',
    'classification',
    'alertPrefix',
    'description',
    'deviceDetails',
    'isolateDevice',
    'backToList',
  ]);
  const user = alert.relatedUser?.userName
    ? `${alert.relatedUser.domainName ? `${alert.relatedUser.domainName}\\` : ''}${alert.relatedUser.userName}`
    : null;
  const techniques = alert.mitreTechniques.filter((t) => MITRE_ID.test(t));
  const status = statusLabel(alert.status, i18n);
  const created = i18n.t('card.alert.timeWithAge', {
    time: formatTimestamp(alert.alertCreationTime, i18n),
    age: formatAge(alert.alertCreationTime, now, i18n),
  });
  const facts: { label: string; value: string; color: CardColor }[] = [
    { label: w.status, value: status.text, color: status.color },
    { label: w.category, value: clipLine(alert.category, 80), color: 'default' },
    { label: w.mitre, value: techniques.length > 0 ? techniques.join(', ') : '—', color: 'default' },
    {
      label: w.device,
      value: clipLine(alert.computerDnsName, 120, i18n.t('card.common.noDevice')),
      color: 'default',
    },
    { label: w.user, value: clipLine(user, 120), color: 'default' },
    {
      label: w.assignedTo,
      value: clipLine(alert.assignedTo, 120, i18n.t('card.common.unassigned')),
      color: 'default',
    },
    { label: w.created, value: created, color: 'default' },
    { label: w.lastActivity, value: formatTimestamp(alert.lastEventTime, i18n), color: 'default' },
    { label: w.updated, value: formatTimestamp(alert.lastUpdateTime, i18n), color: 'default' },
    { label: w.detection, value: clipLine(alert.detectionSource, 80), color: 'default' },
    { label: w.incident, value: alert.incidentId !== null ? String(alert.incidentId) : '—', color: 'default' },
  ];
  if (alert.threatFamilyName)
    facts.push({ label: w.threat, value: clipLine(alert.threatFamilyName, 80), color: 'attention' });
  if (alert.status === 'Resolved') {
    facts.push({ label: w.resolved, value: formatTimestamp(alert.resolvedTime, i18n), color: 'good' });
    if (alert.classification)
      facts.push({ label: w.classification, value: clipLine(alert.classification, 60), color: 'default' });
  }

  const evidence = alert.evidence.slice(0, EVIDENCE_ON_CARD).map(toEvidenceLine);
  const hasDevice = alert.machineId !== null && MACHINE_ID.test(alert.machineId);
  return renderCard(template, {
    w,
    severity: severityLabel(alert.severity, i18n),
    title: clipLine(alert.title, 250),
    alertId: clipLine(alert.id, 130),
    facts,
    hasDescription: Boolean(alert.description && alert.description.trim()),
    description: clip(alert.description, 1500),
    evidenceHeading:
      alert.evidence.length > EVIDENCE_ON_CARD
        ? i18n.t('card.alert.evidenceFirst', { shown: EVIDENCE_ON_CARD, total: alert.evidence.length })
        : i18n.t('card.alert.evidence', { count: alert.evidence.length }),
    evidence,
    actions: [
      { type: 'Action.OpenUrl', title: i18n.t('card.common.openInDefender'), url: alertPortalUrl(alert.id) },
      ...(hasDevice
        ? [
            { type: 'Action.Execute', title: w.deviceDetails, verb: 'device.show', data: { device: alert.machineId } },
            // Acting on the alert's device goes through the same confirmation and approval as a typed command.
            {
              type: 'Action.Execute',
              title: w.isolateDevice,
              verb: 'action.prepare',
              data: { kind: 'isolate', device: alert.machineId },
            },
          ]
        : []),
      ...investigateButton(entitiesOfAlert(alert), { kind: 'alert', id: alert.id }, i18n),
      ...(input.back ? [{ type: 'Action.Execute', title: w.backToList, verb: 'alerts.page', data: input.back }] : []),
    ],
  });
}

/** One evidence item as "kind + main value + secondary value", all untrusted text. */
function toEvidenceLine(item: Evidence): { kind: string; primary: string; secondary: string } {
  const kind = clipLine(item.entityType, 30);
  switch (item.entityType) {
    case 'File':
      return {
        kind,
        primary: clipLine(item.fileName, 200),
        secondary: clipLine([item.filePath, item.sha256 ?? item.sha1].filter(Boolean).join('  '), 300, ''),
      };
    case 'Process':
      return { kind, primary: clipLine(item.fileName, 200), secondary: clip(item.processCommandLine, 400, '') };
    case 'Ip':
      return { kind, primary: clipLine(item.ipAddress, 60), secondary: '' };
    case 'Url':
      return { kind, primary: clipLine(item.url, 300), secondary: '' };
    case 'User':
      return {
        kind,
        primary: clipLine(
          item.userPrincipalName ??
            (item.accountName ? `${item.domainName ? `${item.domainName}\\` : ''}${item.accountName}` : null),
          200,
        ),
        secondary: '',
      };
    case 'Registry':
      return { kind, primary: clipLine(item.registryKey, 300), secondary: clipLine(item.registryValue, 200, '') };
    default:
      return {
        kind,
        primary: clipLine(item.fileName ?? item.url ?? item.ipAddress ?? item.accountName, 200),
        secondary: '',
      };
  }
}
