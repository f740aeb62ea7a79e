import type { Alert, Severity } from '../defender/schemas';
import type { SubscriptionFilter } from './subscriptionTypes';
import { followsOf } from './subscriptionTypes';
import { severityLabel } from '../cards/labels';
import type { Translator } from '../i18n/translator';
import { translatorFor } from '../i18n/translator';

/** Severities a subscription word means: a threshold ("medium" = Medium and High), "all" = everything. */
export const SEVERITY_THRESHOLDS: Record<'high' | 'medium' | 'low' | 'all', Severity[]> = {
  high: ['High'],
  medium: ['High', 'Medium'],
  low: ['High', 'Medium', 'Low'],
  all: ['High', 'Medium', 'Low', 'Informational', 'UnSpecified'],
};

/** What an alert's device carries that filters may test (tags come from the device, not the alert). */
export interface AlertContext {
  machineTags: string[];
}

/** True when the alert matches every part of the filter; device group, tag and category ignore case. */
export function matchesFilter(alert: Alert, filter: SubscriptionFilter, context: AlertContext): boolean {
  if (!(filter.severities as string[]).includes(alert.severity)) return false;
  const same = (a: string | null | undefined, b: string) => (a ?? '').toLowerCase() === b.toLowerCase();
  if (filter.deviceGroup !== undefined && !same(alert.rbacGroupName, filter.deviceGroup)) return false;
  if (filter.category !== undefined && !same(alert.category, filter.category)) return false;
  if (filter.tag !== undefined && !context.machineTags.some((t) => same(t, filter.tag!))) return false;
  return true;
}

/** The filter in words, for replies and card footers: "High and Medium alerts · device group Finance". */
export function describeFilter(filter: SubscriptionFilter, i18n: Translator = translatorFor('en')): string {
  const severities = new Set<string>(filter.severities);
  const follows = followsOf(filter);
  const what = follows.length > 1 ? 'both' : follows[0]!;
  const range =
    severities.size >= SEVERITY_THRESHOLDS.all.length
      ? 'all'
      : severities.size === 3 && ['High', 'Medium', 'Low'].every((s) => severities.has(s))
        ? 'low'
        : severities.size === 2 && severities.has('High') && severities.has('Medium')
          ? 'medium'
          : 'other';
  const list = filter.severities.map((s) => severityLabel(s, i18n).text).join(', ');
  const parts = [i18n.t('notify.filter.base', { range, what, list })];
  if (filter.deviceGroup !== undefined) parts.push(i18n.t('notify.filter.deviceGroup', { name: filter.deviceGroup }));
  if (filter.tag !== undefined) parts.push(i18n.t('notify.filter.tag', { name: filter.tag }));
  if (filter.category !== undefined) parts.push(i18n.t('notify.filter.category', { name: filter.category }));
  return parts.join(' · ');
}
