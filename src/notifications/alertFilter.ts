import type { Alert, Severity } from '../defender/schemas';
import type { SubscriptionFilter } from './subscriptionTypes';
import { followsOf } from './subscriptionTypes';

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
export function describeFilter(filter: SubscriptionFilter): string {
  const severities = new Set<string>(filter.severities);
  const noun = followsOf(filter).length > 1 ? 'alerts and incidents' : followsOf(filter)[0]!;
  let base: string;
  if (severities.size >= SEVERITY_THRESHOLDS.all.length) base = `All ${noun}`;
  else if (severities.size === 3 && ['High', 'Medium', 'Low'].every((s) => severities.has(s)))
    base = `Low, Medium and High ${noun}`;
  else if (severities.size === 2 && severities.has('High') && severities.has('Medium'))
    base = `Medium and High ${noun}`;
  else base = `${filter.severities.join(', ')} ${noun}`;
  const parts = [base];
  if (filter.deviceGroup !== undefined) parts.push(`device group ${filter.deviceGroup}`);
  if (filter.tag !== undefined) parts.push(`tagged ${filter.tag}`);
  if (filter.category !== undefined) parts.push(`category ${filter.category}`);
  return parts.join(' · ');
}
