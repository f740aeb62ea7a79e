import type { AlertListQuery } from '../defender/alertListQuery';
import { statusesOf } from '../defender/alertListQuery';
import type { Alert } from '../defender/schemas';
import type { Translator } from '../i18n/translator';
import { ENGLISH, severityLabel, statusLabel } from './labels';
import type { AlertsPageData } from './payloads';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import template from './templates/alertList.json';
import { clipLine, formatAge } from './text';
import { words } from './words';

/** Rows per card; the issue asks for 10 with "Show more". */
export const ALERTS_PER_PAGE = 10;

/** Everything the alert list card shows; `alerts` is the whole sorted result, the card slices its page. */
export interface AlertListCardInput {
  query: AlertListQuery;
  page: number;
  alerts: Alert[];
  /** Defender had more matches than the bot fetched. */
  truncated: boolean;
  /** The device the list is scoped to, as resolved (shown in the heading). */
  deviceName?: string | undefined;
  now: Date;
}

/** The alert list card: heading with the total, 10 rows per page, Show more / Previous. */
export function toAlertListCard(input: AlertListCardInput, i18n: Translator = ENGLISH): AdaptiveCardJson {
  const { query, alerts, now } = input;
  const pageCount = Math.max(1, Math.ceil(alerts.length / ALERTS_PER_PAGE));
  const page = Math.min(Math.max(0, input.page), pageCount - 1);
  const first = page * ALERTS_PER_PAGE;
  const rows = alerts.slice(first, first + ALERTS_PER_PAGE);
  const { heading, qualifiers } = describeAlertQuery(query, i18n);
  const total = input.truncated
    ? i18n.t('card.alertList.totalMore', { count: i18n.number(alerts.length) })
    : i18n.t('card.alertList.total', { count: alerts.length });
  const showing =
    rows.length > 0 && alerts.length > ALERTS_PER_PAGE
      ? i18n.t('card.alertList.showing', { first: first + 1, last: first + rows.length })
      : '';
  const here: AlertsPageData = { query, page };

  return renderCard(template, {
    w: words(i18n, 'card.alertList', ['devicePrefix', 'openAlert', 'previous', 'showMore']),
    heading,
    subject: input.deviceName ? clipLine(input.deviceName, 120) : '',
    summary: `${qualifiers.join(' · ')} · ${total}${showing}`,
    emptyText: i18n.t('card.alertList.empty'),
    rows: rows.map((alert) => ({
      alertId: alert.id,
      severity: severityLabel(alert.severity, i18n),
      title: clipLine(alert.title, 200),
      device: clipLine(alert.computerDnsName, 80, i18n.t('card.common.noDevice')),
      status: statusLabel(alert.status, i18n),
      age: formatAge(alert.alertCreationTime, now, i18n),
      assignee: clipLine(alert.assignedTo, 80, i18n.t('card.common.unassigned')),
    })),
    back: here,
    hasNext: page < pageCount - 1,
    next: { query, page: page + 1 },
    hasPrevious: page > 0,
    previous: { query, page: Math.max(0, page - 1) },
  });
}

/** Newest first by creation time (Defender documents no `$orderby`, so the bot sorts). */
export function sortNewestFirst(alerts: Alert[]): Alert[] {
  return [...alerts].sort((a, b) => Date.parse(b.alertCreationTime) - Date.parse(a.alertCreationTime));
}

/**
 * A query in the viewer's words: the heading ("High alerts", "Alertas de gravidade Alta") and the qualifiers
 * ("Unresolved", "assigned to you", "created since 7 Dec 2026, 00:00" in the viewer's time zone). Severities and
 * statuses go through the label tables, never Defender's raw names.
 */
export function describeAlertQuery(
  query: AlertListQuery,
  i18n: Translator = ENGLISH,
): { heading: string; qualifiers: string[] } {
  const and = new Intl.ListFormat(i18n.locale, { type: 'conjunction' });
  const or = new Intl.ListFormat(i18n.locale, { type: 'disjunction' });
  const heading =
    query.severities.length > 0
      ? i18n.t('card.alertList.heading', {
          severities: and.format(query.severities.map((s) => severityLabel(s, i18n).text)),
        })
      : i18n.t('card.alertList.headingAll');
  const qualifiers: string[] = [];
  const statuses = statusesOf(query.status);
  qualifiers.push(
    query.status.kind === 'unresolved'
      ? i18n.t('card.alertList.unresolved')
      : statuses
        ? or.format(statuses.map((s) => statusLabel(s, i18n).text))
        : i18n.t('card.alertList.anyStatus'),
  );
  if (query.assignedToMe) qualifiers.push(i18n.t('card.alertList.assignedToYou'));
  if (query.sinceHours !== undefined)
    qualifiers.push(i18n.t('card.alertList.createdWithin', windowOf(query.sinceHours)));
  if (query.since !== undefined)
    qualifiers.push(i18n.t('card.alertList.createdSince', { time: i18n.dateTime(query.since) }));
  if (query.until !== undefined) qualifiers.push(i18n.t('card.alertList.before', { time: i18n.dateTime(query.until) }));
  return { heading, qualifiers };
}

/** "last N hours" in its largest whole unit (a week, 3 days, 24 h, 30 min). */
function windowOf(hours: number): { unit: 'minutes' | 'hours' | 'days' | 'weeks'; count: number } {
  if (hours < 1) return { unit: 'minutes', count: Math.round(hours * 60) };
  if (hours % 168 === 0) return { unit: 'weeks', count: hours / 168 };
  if (hours % 24 === 0 && hours >= 48) return { unit: 'days', count: hours / 24 };
  return { unit: 'hours', count: hours };
}
