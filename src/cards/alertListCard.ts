import type { AlertListQuery } from '../defender/alertListQuery';
import { describeAlertQuery } from '../defender/alertListQuery';
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
  const { heading, qualifiers } = describeAlertQuery(query);
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
