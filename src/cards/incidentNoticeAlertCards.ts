import type { Alert } from '../defender/schemas';
import type { Translator } from '../i18n/translator';
import { ENGLISH, LABEL_TABLES, severityLabel, statusLabel } from './labels';
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
export function toSourcedAlertNoticeCard(input: SourcedAlertNoticeInput, i18n: Translator = ENGLISH): AdaptiveCardJson {
  const { alert } = input;
  const details = [
    alert.category ? i18n.t('card.sourced.category', { category: clipLine(alert.category, 80) }) : undefined,
    i18n.t('card.sourced.assignedTo', { owner: clipLine(alert.assignedTo, 120, i18n.t('card.sourced.noOne')) }),
    alert.incidentId === null
      ? i18n.t('card.sourced.noIncident')
      : i18n.t('card.sourced.incident', { id: String(alert.incidentId) }),
  ].filter((part): part is string => part !== undefined);
  return renderCard(alertTemplate, {
    w: { subscription: i18n.t('card.common.subscription'), showIncident: i18n.t('card.sourced.showIncident') },
    severity: severityLabel(alert.severity, i18n),
    title: clipLine(alert.title, 250, i18n.t('card.notify.untitled')),
    status: statusLabel(alert.status, i18n),
    createdLine: i18n.t('card.sourced.created', {
      source: sourceLabel(input.serviceSource),
      created: created(alert, input.now, i18n),
    }),
    details: details.join(' · '),
    incidentId: incidentIdOf(alert),
    subscription: clipLine(input.subscription, 200),
  });
}

/** The personal notice: severity, source and time only, refreshed into the person's view of its incident. */
export function toSourcedAlertPersonalNoticeCard(
  input: SourcedAlertPersonalNoticeInput,
  i18n: Translator = ENGLISH,
): AdaptiveCardJson {
  if (input.refreshUserIds.length > MAX_REFRESH_USERS)
    throw new RangeError(`a refresh can list at most ${MAX_REFRESH_USERS} users`);
  const known = LABEL_TABLES.severity?.includes(input.alert.severity) ?? false;
  const incidentId = incidentIdOf(input.alert);
  const card = renderCard(personalTemplate, {
    w: {
      showIncident: i18n.t('card.sourced.showIncident'),
      newPrefix: i18n.t(known ? 'card.notify.newPrefix' : 'card.notify.newPrefixPlain'),
      newSuffix: i18n.t('card.notify.newSuffix'),
    },
    incidentId,
    refreshUserIds: input.refreshUserIds,
    severity: known ? severityLabel(input.alert.severity, i18n) : { text: '', color: 'default' },
    createdLine: i18n.t('card.sourced.personalLine', {
      source: sourceLabel(input.serviceSource),
      created: created(input.alert, input.now, i18n),
    }),
    subscription: clipLine(input.subscription, 200),
    hint: i18n.t(incidentId === '' ? 'card.sourced.hintNoIncident' : 'card.sourced.hint'),
  });
  // Templating leaves `"refresh": null` where `$when` dropped it; Teams wants no refresh at all then.
  if (card.refresh === null) delete card.refresh;
  return card;
}

/** A Defender source in words. */
export function sourceLabel(serviceSource: string): string {
  return Object.hasOwn(SOURCES, serviceSource) ? SOURCES[serviceSource]! : 'Microsoft Defender';
}

function created(alert: Alert, now: Date, i18n: Translator): string {
  return i18n.t('card.alert.timeWithAge', {
    time: formatTimestamp(alert.alertCreationTime, i18n),
    age: formatAge(alert.alertCreationTime, now, i18n),
  });
}

/** The incident the Show button opens ('' for none); only an id the `incident.open` schema accepts. */
function incidentIdOf(alert: Alert): string {
  if (alert.incidentId === null) return '';
  const id = String(alert.incidentId);
  return incidentOpenDataSchema.shape.incidentId.safeParse(id).success ? id : '';
}
