import type { Alert } from '../defender/schemas';
import { alertPortalUrl } from './alertCard';
import type { Translator } from '../i18n/translator';
import { ENGLISH, classificationLabel, severityLabel, statusLabel } from './labels';
import type { Label } from './labels';
import { alertOpenDataSchema } from './payloads';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import digestTemplate from './templates/alertDigest.json';
import noticeTemplate from './templates/alertNotice.json';
import notificationTemplate from './templates/alertNotification.json';
import { clipLine, formatAge, formatTimestamp } from './text';

/*
 * The cards of proactive alert notifications. The bot reads alerts with its application identity, which sees
 * every alert. Channel and group-chat cards are one shared record for everyone there, so they carry no `refresh`
 * (it would make each viewer's Teams client call the bot, and Defender, whenever the card is seen). The personal
 * notice carries no alert content at all and lets Teams replace it with the person's own view.
 */

/** Rows on a digest card; the rest are counted ("and 35 more") and one click away in the portal. */
export const DIGEST_ROWS = 25;

/** MITRE technique ids shown on a notification; more are summarised as "+N more". */
export const NOTIFICATION_MITRE_IDS = 8;

/** Defender's alert queue: the only link a digest needs, built from nothing the alerts contain. */
export const DEFENDER_ALERTS_URL = 'https://security.microsoft.com/alerts';

/** Teams refreshes a card automatically for at most 60 listed users. */
const MAX_REFRESH_USERS = 60;
const MITRE_ID = /^T\d{4}(\.\d{3})?$/;
const MACHINE_ID = /^[0-9a-f]{40}$/;
/** Row text bounded in bytes as well as characters: 25 rows of CJK or escaped text must still fit 28 KB. */
const ROW_TITLE = { chars: 110, bytes: 250 };
const ROW_DEVICE = { chars: 60, bytes: 90 };

/** Severities in the order a SOC triages them (digest rows and counts). */
const SEVERITY_ORDER = ['High', 'Medium', 'Low', 'Informational', 'UnSpecified'];
/** Severities that read well in a sentence ("New High alert"); others are left out of it. */
const NAMED_SEVERITIES = ['High', 'Medium', 'Low', 'Informational'];

/** Defender's classification values as the label table's (Graph) keys; unknown values are shown as sent (in a TextRun). */
const CLASSIFICATIONS: Record<string, string> = {
  TruePositive: 'truePositive',
  FalsePositive: 'falsePositive',
  InformationalExpectedActivity: 'informationalExpectedActivity',
  Unknown: 'unknown',
};

/** One new or changed alert, posted to a channel or group chat that subscribed. */
export interface AlertNotificationInput {
  alert: Alert;
  now: Date;
  /** What the subscription is, in the bot's words ("High alerts · device group Finance-Workstations"). */
  subscription: string;
}

/** A burst of alerts for one subscription, summarised in one message. */
export interface AlertDigestInput {
  /** Defender for Endpoint alerts, and alerts from other Defender sources (Graph alerts_v2, with `serviceSource`). */
  alerts: (Alert & { serviceSource?: string | undefined })[];
  now: Date;
  subscription: string;
  /** The burst's span in the bot's words, completing "14 alerts …" (e.g. "in 2 minutes"). */
  windowLabel: string;
}

/** A new alert for a personal subscription: only what the application identity may reveal to anyone. */
export interface AlertNoticeInput {
  alertId: string;
  severity: Alert['severity'];
  createdTime: string | null;
  now: Date;
  subscription: string;
  /** Who Teams refreshes the card for (the chat's user); at most 60. */
  refreshUserIds: string[];
}

/** The channel card of one alert: what, where, who, status, and the buttons to act on it. */
export function toAlertNotificationCard(input: AlertNotificationInput, i18n: Translator = ENGLISH): AdaptiveCardJson {
  const { alert, now } = input;
  const alertId = validAlertId(alert.id);
  const resolved = alert.status === 'Resolved';
  const user = alert.relatedUser?.userName
    ? `${alert.relatedUser.domainName ? `${alert.relatedUser.domainName}\\` : ''}${alert.relatedUser.userName}`
    : null;
  const techniques = [...new Set(alert.mitreTechniques.filter((t) => MITRE_ID.test(t)))];
  const shownTechniques = techniques.slice(0, NOTIFICATION_MITRE_IDS).join(', ');
  const hiddenTechniques = techniques.length - NOTIFICATION_MITRE_IDS;

  const facts: { label: string; value: string }[] = [
    { label: i18n.t('card.alert.device'), value: clipLine(alert.computerDnsName, 120, i18n.t('card.common.noDevice')) },
    ...(user ? [{ label: i18n.t('card.alert.user'), value: clipLine(user, 120) }] : []),
    { label: i18n.t('card.alert.category'), value: clipLine(alert.category, 80) },
    ...(techniques.length > 0
      ? [
          {
            label: 'MITRE',
            value:
              hiddenTechniques > 0
                ? i18n.t('card.notify.moreTechniques', { shown: shownTechniques, count: hiddenTechniques })
                : shownTechniques,
          },
        ]
      : []),
    {
      label: i18n.t('card.alert.assignedTo'),
      value: clipLine(alert.assignedTo, 120, i18n.t('card.common.unassigned')),
    },
  ];
  const machineId = alert.machineId !== null && MACHINE_ID.test(alert.machineId) ? alert.machineId : null;

  return renderCard(notificationTemplate, {
    w: {
      subscription: i18n.t('card.common.subscription'),
      details: i18n.t('card.notify.details'),
      isolateDevice: i18n.t('card.alert.isolateDevice'),
      assignToMe: i18n.t('card.notify.assignToMe'),
      openInDefender: i18n.t('card.common.openInDefender'),
    },
    severity: severityLabel(alert.severity, i18n),
    title: clipLine(alert.title, 250, i18n.t('card.notify.untitled')),
    status: statusLabel(alert.status, i18n),
    classification: resolved ? classificationText(alert.classification, i18n) : '',
    createdLine: i18n.t('card.notify.created', {
      created: i18n.t('card.alert.timeWithAge', {
        time: formatTimestamp(alert.alertCreationTime, i18n),
        age: formatAge(alert.alertCreationTime, now, i18n),
      }),
    }),
    facts,
    subscription: clipLine(input.subscription, 200),
    alertId,
    machineId: machineId ?? '',
    // A resolved alert needs no containment or owner; its card is a record of the outcome.
    canIsolate: machineId !== null && !resolved,
    canAssign: !resolved,
    portalUrl: alertPortalUrl(alertId),
  });
}

/**
 * What a digest row opens for the clicker: a Defender for Endpoint alert its alert card; an alert from another source
 * (identity, Office 365…) has no MDE alert to open, so its incident, or nothing while it is in no incident yet.
 */
function rowTarget(
  alert: Alert & { serviceSource?: string | undefined },
  i18n: Translator,
): { verb: string; title: string; data: object } | null {
  const fromEndpoint = alert.serviceSource === undefined || alert.serviceSource === 'microsoftDefenderForEndpoint';
  if (fromEndpoint)
    return { verb: 'alert.open', title: i18n.t('card.alertList.openAlert'), data: { alertId: validAlertId(alert.id) } };
  if (alert.incidentId === null) return null;
  return {
    verb: 'incident.open',
    title: i18n.t('card.incidentList.openIncident'),
    data: { incidentId: String(alert.incidentId) },
  };
}

/** The channel card of a burst: a header with counts by severity, one clickable row per alert (25 at most). */
export function toAlertDigestCard(input: AlertDigestInput, i18n: Translator = ENGLISH): AdaptiveCardJson {
  const { now } = input;
  const alerts = sortForTriage(input.alerts);
  const shown = alerts.slice(0, DIGEST_ROWS);
  const more = alerts.length - shown.length;
  return renderCard(digestTemplate, {
    w: { subscription: i18n.t('card.common.subscription'), openAlerts: i18n.t('card.notify.openAlerts') },
    heading: digestHeading(alerts.length, input.windowLabel, i18n),
    counts: severityCounts(alerts, i18n).map(({ label, count }) => ({
      text: i18n.t('card.notify.count', { count: i18n.number(count), severity: label.text }),
      color: label.color,
    })),
    rows: shown.map((alert) => ({
      open: rowTarget(alert, i18n),
      severity: severityLabel(alert.severity, i18n),
      title: clipLineBytes(alert.title, ROW_TITLE.chars, ROW_TITLE.bytes, i18n.t('card.notify.untitled')),
      device: clipLineBytes(alert.computerDnsName, ROW_DEVICE.chars, ROW_DEVICE.bytes, i18n.t('card.common.noDevice')),
      status: statusLabel(alert.status, i18n),
      age: formatAge(alert.alertCreationTime, now, i18n),
    })),
    moreText: more > 0 ? i18n.t('card.notify.andMore', { count: more }) : '',
    alertsUrl: DEFENDER_ALERTS_URL,
    subscription: clipLineBytes(input.subscription, 200, 400, '—'),
  });
}

/**
 * The personal-chat card of a new alert: severity and time only, a Show button, and a `refresh` so Teams
 * replaces it with the alert as the person's own Defender role shows it (or a refusal) when they look at it.
 */
export function toAlertNoticeCard(input: AlertNoticeInput, i18n: Translator = ENGLISH): AdaptiveCardJson {
  if (input.refreshUserIds.length > MAX_REFRESH_USERS)
    throw new RangeError(`a refresh can list at most ${MAX_REFRESH_USERS} users`);
  const severity = severityLabel(input.severity, i18n);
  const created = input.createdTime
    ? i18n.t('card.alert.timeWithAge', {
        time: formatTimestamp(input.createdTime, i18n),
        age: formatAge(input.createdTime, input.now, i18n),
      })
    : i18n.t('card.notify.unknownTime');
  return renderCard(noticeTemplate, {
    w: {
      show: i18n.t('card.notify.show'),
      newPrefix: i18n.t(isKnownSeverity(input.severity) ? 'card.notify.newPrefix' : 'card.notify.newPrefixPlain'),
      newSuffix: i18n.t('card.notify.newSuffix'),
      explain: i18n.t('card.notify.explain'),
    },
    alertId: validAlertId(input.alertId),
    refreshUserIds: input.refreshUserIds,
    // Only severities Defender defines get a word ("New High alert"); anything else reads "New alert".
    severity: isKnownSeverity(input.severity) ? severity : { text: '', color: 'default' },
    createdLine: i18n.t('card.notify.createdLine', { created }),
    subscription: clipLine(input.subscription, 200),
  });
}

/** Activity summary (the notification/toast text) for one alert: "High alert: <title>", never empty. */
export function alertNotificationSummary(alert: Alert, i18n: Translator = ENGLISH): string {
  return i18n.t('card.summary.alert', {
    known: isKnownSeverity(alert.severity) ? 'yes' : 'no',
    severity: severityLabel(alert.severity, i18n).text,
    title: clipLine(alert.title, 150, i18n.t('card.notify.untitled')),
  });
}

/** Activity summary for a digest: "14 alerts in 2 minutes: 3 High, 11 Medium". */
export function alertDigestSummary(alerts: Alert[], windowLabel: string, i18n: Translator = ENGLISH): string {
  const counts = severityCounts(alerts, i18n).map(({ label, count }) =>
    i18n.t('card.notify.count', { count, severity: label.text }),
  );
  const heading = digestHeading(alerts.length, windowLabel, i18n);
  return counts.length > 0 ? i18n.t('card.summary.digest', { heading, counts: counts.join(', ') }) : heading;
}

/** Activity summary for a personal notice: severity only, like its card ("New High alert for your subscription"). */
export function alertNoticeSummary(severity: Alert['severity'], i18n: Translator = ENGLISH): string {
  return i18n.t('card.summary.personalAlert', {
    known: isKnownSeverity(severity) ? 'yes' : 'no',
    severity: severityLabel(severity, i18n).text,
  });
}

function digestHeading(count: number, windowLabel: string, i18n: Translator = ENGLISH): string {
  const label = clipLineBytes(windowLabel, 60, 120, '');
  return i18n.t('card.notify.heading', { count, window: label }).trimEnd();
}

function isKnownSeverity(severity: string): boolean {
  return NAMED_SEVERITIES.includes(severity);
}

function classificationText(classification: string | null, i18n: Translator): string {
  if (!classification) return '';
  return Object.hasOwn(CLASSIFICATIONS, classification)
    ? classificationLabel(CLASSIFICATIONS[classification], i18n).text
    : clipLine(classification, 60, '');
}

/** Counts per severity label, most severe first, non-zero only. */
function severityCounts(alerts: Alert[], i18n: Translator = ENGLISH): { label: Label; count: number }[] {
  const counts = new Map<string, { label: Label; count: number }>();
  for (const alert of sortForTriage(alerts)) {
    const label = severityLabel(alert.severity, i18n);
    const entry = counts.get(label.text) ?? { label, count: 0 };
    entry.count += 1;
    counts.set(label.text, entry);
  }
  return [...counts.values()];
}

/** Most severe first, then newest: when rows are capped, the least urgent are the ones left out. */
function sortForTriage(alerts: Alert[]): Alert[] {
  const rank = (severity: string) => {
    const index = SEVERITY_ORDER.indexOf(severity);
    return index === -1 ? SEVERITY_ORDER.length : index;
  };
  const time = (alert: Alert) => {
    const value = Date.parse(alert.alertCreationTime);
    return Number.isNaN(value) ? 0 : value;
  };
  return [...alerts].sort((a, b) => rank(a.severity) - rank(b.severity) || time(b) - time(a));
}

/** A button may only carry an id the `alert.open` schema accepts; anything else is not a Defender alert id. */
function validAlertId(alertId: string): string {
  if (!alertOpenDataSchema.shape.alertId.safeParse(alertId).success) throw new RangeError('unexpected alert id format');
  return alertId;
}

/** Bytes a string adds to the card's JSON (UTF-8, with JSON escapes). */
function jsonBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text)) - 2;
}

/** `clipLine`, then shortened by whole code points until its JSON form fits `maxBytes`. */
function clipLineBytes(value: string | null | undefined, maxChars: number, maxBytes: number, empty: string): string {
  const text = clipLine(value, maxChars, empty);
  if (jsonBytes(text) <= maxBytes) return text;
  const points = Array.from(text);
  let low = 0;
  let high = points.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (jsonBytes(`${points.slice(0, middle).join('')}…`) <= maxBytes) low = middle;
    else high = middle - 1;
  }
  return `${points.slice(0, low).join('').trimEnd()}…`;
}
