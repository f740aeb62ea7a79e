import type { Alert } from '../defender/schemas';
import { severityLabel, statusLabel } from './labels';
import { incidentOpenDataSchema } from './payloads';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import alertTemplate from './templates/incidentNoticeAlert.json';
import personalTemplate from './templates/incidentNoticeAlertPersonal.json';
import { clipLine, formatAge, formatTimestamp } from './text';

/*
 * Notifications of alerts from Defender sources other than Defender for Endpoint (Identity, Office 365, Cloud
 * Apps, Entra ID Protection…), read from Graph alerts_v2. The MDE API does not know them, so their cards carry
 * no MDE buttons (details, isolate, assign): they say their source and open their incident (`incident.open`),
 * the place Defender XDR groups them. An alert not yet in an incident gets no button; its card is the view.
 */

/** Teams refreshes a card automatically for at most 60 listed users. */
const MAX_REFRESH_USERS = 60;

/** Graph's serviceSource values in words; others read "Microsoft Defender". */
const SOURCES: Record<string, string> = {
  microsoftDefenderForEndpoint: 'Microsoft Defender for Endpoint',
  microsoftDefenderForIdentity: 'Microsoft Defender for Identity',
  microsoftDefenderForOffice365: 'Microsoft Defender for Office 365',
  microsoftDefenderForCloudApps: 'Microsoft Defender for Cloud Apps',
  microsoftDefenderForCloud: 'Microsoft Defender for Cloud',
  azureAdIdentityProtection: 'Microsoft Entra ID Protection',
  microsoft365Defender: 'Microsoft Defender XDR',
  microsoftDefenderXDR: 'Microsoft Defender XDR',
  microsoftAppGovernance: 'App governance',
  dataLossPrevention: 'Microsoft Purview Data Loss Prevention',
  microsoftInsiderRiskManagement: 'Microsoft Purview Insider Risk Management',
  microsoftSentinel: 'Microsoft Sentinel',
};

/** An alert of another Defender source for a channel or group chat. */
export interface SourcedAlertNoticeInput {
  alert: Alert;
  /** Graph's serviceSource. */
  serviceSource: string;
  now: Date;
  /** What the subscription is, in the bot's words. */
  subscription: string;
}

/** The same for a personal chat: who Teams refreshes it for (the chat's user; at most 60). */
export interface SourcedAlertPersonalNoticeInput extends SourcedAlertNoticeInput {
  refreshUserIds: string[];
}

/** The shared card: severity, title, status, source, category, owner, and Show incident when it has one. */
export function toSourcedAlertNoticeCard(input: SourcedAlertNoticeInput): AdaptiveCardJson {
  const { alert } = input;
  const details = [
    alert.category ? `Category ${clipLine(alert.category, 80)}` : undefined,
    `Assigned to ${clipLine(alert.assignedTo, 120, 'no one')}`,
    alert.incidentId === null ? 'Not in an incident yet' : `Incident ${alert.incidentId}`,
  ].filter((part): part is string => part !== undefined);
  return renderCard(alertTemplate, {
    severity: severityLabel(alert.severity),
    title: clipLine(alert.title, 250, 'Untitled alert'),
    status: statusLabel(alert.status),
    source: sourceLabel(input.serviceSource),
    created: created(alert, input.now),
    details: details.join(' · '),
    incidentId: incidentIdOf(alert),
    subscription: clipLine(input.subscription, 200),
  });
}

/** The personal notice: severity, source and time only, refreshed into the person's view of its incident. */
export function toSourcedAlertPersonalNoticeCard(input: SourcedAlertPersonalNoticeInput): AdaptiveCardJson {
  if (input.refreshUserIds.length > MAX_REFRESH_USERS)
    throw new RangeError(`a refresh can list at most ${MAX_REFRESH_USERS} users`);
  const severity = severityLabel(input.alert.severity);
  const incidentId = incidentIdOf(input.alert);
  const card = renderCard(personalTemplate, {
    incidentId,
    refreshUserIds: input.refreshUserIds,
    severity: severity.text === 'Unknown' ? { text: '', color: 'default' } : severity,
    source: sourceLabel(input.serviceSource),
    created: created(input.alert, input.now),
    subscription: clipLine(input.subscription, 200),
    hint:
      incidentId === ''
        ? 'It is not in an incident yet: open it in the Microsoft Defender portal.'
        : 'What you see of it depends on your own Microsoft Defender role: select Show incident to open it.',
  });
  // Templating leaves `"refresh": null` where `$when` dropped it; Teams wants no refresh at all then.
  if (card.refresh === null) delete card.refresh;
  return card;
}

/** A Defender source in words. */
export function sourceLabel(serviceSource: string): string {
  return Object.hasOwn(SOURCES, serviceSource) ? SOURCES[serviceSource]! : 'Microsoft Defender';
}

function created(alert: Alert, now: Date): string {
  return `${formatTimestamp(alert.alertCreationTime)} (${formatAge(alert.alertCreationTime, now)})`;
}

/** The incident the Show button opens ('' for none); only an id the `incident.open` schema accepts. */
function incidentIdOf(alert: Alert): string {
  if (alert.incidentId === null) return '';
  const id = String(alert.incidentId);
  return incidentOpenDataSchema.shape.incidentId.safeParse(id).success ? id : '';
}
