import { severityLabel } from './labels';
import type { Label } from './labels';
import { incidentOpenDataSchema } from './payloads';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import noticeTemplate from './templates/incidentNotice.json';
import personalTemplate from './templates/incidentNoticePersonal.json';
import { clipLine, formatAge, formatTimestamp } from './text';

/*
 * The cards of incident notifications: one per incident and conversation, updated in place as the incident grows.
 * Read with the application identity, so a shared card (channel, group chat) is minimal — severity, id, title,
 * alert count, status, owner — and its Show button opens the incident as the viewer's own Graph token shows it
 * (`incident.open`). The personal notice shows severity and status only and refreshes into the person's view.
 */

/** Teams refreshes a card automatically for at most 60 listed users. */
const MAX_REFRESH_USERS = 60;

/** Graph's incident statuses in words; anything else reads "Unknown". */
const INCIDENT_STATUSES: Record<string, Label> = {
  active: { text: 'Active', color: 'attention' },
  inProgress: { text: 'In progress', color: 'warning' },
  awaitingAction: { text: 'Awaiting action', color: 'warning' },
  resolved: { text: 'Resolved', color: 'good' },
  redirected: { text: 'Merged into another incident', color: 'default' },
};

/** What an incident card shows (the notifications keep one per conversation; severity in Defender's words). */
export interface IncidentView {
  title: string;
  severity: string;
  status: string;
  assignedTo: string | null;
  alertCount: number;
  createdDateTime: string;
}

/** One incident for a channel or group chat that subscribed. */
export interface IncidentNoticeInput {
  incidentId: string;
  view: IncidentView;
  now: Date;
  /** What the subscription is, in the bot's words ("High incidents"). */
  subscription: string;
}

/** One incident for a personal chat: who Teams refreshes it for (the chat's user; at most 60). */
export interface IncidentPersonalNoticeInput extends IncidentNoticeInput {
  refreshUserIds: string[];
}

/** The shared card of an incident: what, how many alerts, status and owner, and Show. */
export function toIncidentNoticeCard(input: IncidentNoticeInput): AdaptiveCardJson {
  const { view } = input;
  return renderCard(noticeTemplate, {
    incidentId: validIncidentId(input.incidentId),
    severity: severityLabel(view.severity),
    title: clipLine(view.title, 250, 'Untitled incident'),
    status: incidentStatusLabel(view.status),
    alerts: `${view.alertCount} ${view.alertCount === 1 ? 'alert' : 'alerts'}`,
    owner: view.assignedTo ? `assigned to ${clipLine(view.assignedTo, 120)}` : 'unassigned',
    created: created(view, input.now),
    subscription: clipLine(input.subscription, 200),
  });
}

/** The personal notice of an incident: severity and status, Show, and a refresh into the person's own view. */
export function toIncidentPersonalNoticeCard(input: IncidentPersonalNoticeInput): AdaptiveCardJson {
  if (input.refreshUserIds.length > MAX_REFRESH_USERS)
    throw new RangeError(`a refresh can list at most ${MAX_REFRESH_USERS} users`);
  const severity = severityLabel(input.view.severity);
  return renderCard(personalTemplate, {
    incidentId: validIncidentId(input.incidentId),
    refreshUserIds: input.refreshUserIds,
    severity: severity.text === 'Unknown' ? { text: '', color: 'default' } : severity,
    status: incidentStatusLabel(input.view.status),
    created: created(input.view, input.now),
    subscription: clipLine(input.subscription, 200),
  });
}

/** Activity summary (the toast) of an incident card: "High incident 2301: <title>" in a channel, less in a chat. */
export function incidentNoticeSummary(incidentId: string, view: IncidentView, personal: boolean): string {
  const severity = severityLabel(view.severity);
  const what = `${severity.text === 'Unknown' ? 'Incident' : `${severity.text} incident`} ${incidentId}`;
  return personal ? `${what} for your subscription` : `${what}: ${clipLine(view.title, 150, 'Untitled incident')}`;
}

/** An incident status in words and colour. */
export function incidentStatusLabel(status: string): Label {
  return Object.hasOwn(INCIDENT_STATUSES, status) ? INCIDENT_STATUSES[status]! : { text: 'Unknown', color: 'default' };
}

function created(view: IncidentView, now: Date): string {
  return `${formatTimestamp(view.createdDateTime)} (${formatAge(view.createdDateTime, now)})`;
}

/** A button may only carry an id the `incident.open` schema accepts. */
function validIncidentId(incidentId: string): string {
  if (!incidentOpenDataSchema.shape.incidentId.safeParse(incidentId).success)
    throw new RangeError('unexpected incident id format');
  return incidentId;
}
