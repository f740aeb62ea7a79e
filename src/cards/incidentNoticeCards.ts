import type { Translator } from '../i18n/translator';
import { ENGLISH, LABEL_TABLES, incidentStatusLabel as graphIncidentStatusLabel, severityLabel } from './labels';
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
export function toIncidentNoticeCard(input: IncidentNoticeInput, i18n: Translator = ENGLISH): AdaptiveCardJson {
  const { view } = input;
  return renderCard(noticeTemplate, {
    w: { subscription: i18n.t('card.common.subscription'), show: i18n.t('card.incidentNotice.show') },
    incidentId: validIncidentId(input.incidentId),
    prefix: i18n.t('card.incidentNotice.prefix', { id: input.incidentId }),
    severity: severityLabel(view.severity, i18n),
    title: clipLine(view.title, 250, i18n.t('card.incidentNotice.untitled')),
    status: incidentStatusLabel(view.status, i18n),
    line: i18n.t('card.incidentNotice.line', {
      alerts: i18n.t('card.incidentList.alerts', { count: view.alertCount }),
      owner: view.assignedTo
        ? i18n.t('card.incidentNotice.assignedTo', { owner: clipLine(view.assignedTo, 120) })
        : i18n.t('card.incidentNotice.unassigned'),
      created: created(view, input.now, i18n),
    }),
    subscription: clipLine(input.subscription, 200),
  });
}

/** The personal notice of an incident: severity and status, Show, and a refresh into the person's own view. */
export function toIncidentPersonalNoticeCard(
  input: IncidentPersonalNoticeInput,
  i18n: Translator = ENGLISH,
): AdaptiveCardJson {
  if (input.refreshUserIds.length > MAX_REFRESH_USERS)
    throw new RangeError(`a refresh can list at most ${MAX_REFRESH_USERS} users`);
  const known = LABEL_TABLES.severity?.includes(input.view.severity) ?? false;
  const id = validIncidentId(input.incidentId);
  return renderCard(personalTemplate, {
    w: {
      show: i18n.t('card.incidentNotice.show'),
      prefix: i18n.t(known ? 'card.incidentNotice.personalPrefix' : 'card.incidentNotice.personalPrefixPlain', { id }),
      suffix: i18n.t('card.incidentNotice.personalSuffix', { id }),
      line: i18n.t('card.incidentNotice.personalLine', { created: created(input.view, input.now, i18n) }),
      explain: i18n.t('card.incidentNotice.explain'),
    },
    incidentId: id,
    refreshUserIds: input.refreshUserIds,
    severity: known ? severityLabel(input.view.severity, i18n) : { text: '', color: 'default' },
    status: incidentStatusLabel(input.view.status, i18n),
    subscription: clipLine(input.subscription, 200),
  });
}

/** Activity summary (the toast) of an incident card: "High incident 2301: <title>" in a channel, less in a chat. */
export function incidentNoticeSummary(
  incidentId: string,
  view: IncidentView,
  personal: boolean,
  i18n: Translator = ENGLISH,
): string {
  const known = LABEL_TABLES.severity?.includes(view.severity) ?? false;
  return i18n.t(personal ? 'card.summary.personalIncident' : 'card.summary.incident', {
    known: known ? 'yes' : 'no',
    severity: severityLabel(view.severity, i18n).text,
    id: incidentId,
    title: clipLine(view.title, 150, i18n.t('card.summary.untitledIncident')),
  });
}

/** An incident status in words and colour (the label table's, in the viewer's language). */
export function incidentStatusLabel(status: string, i18n: Translator = ENGLISH): Label {
  return graphIncidentStatusLabel(status, i18n);
}

function created(view: IncidentView, now: Date, i18n: Translator): string {
  return i18n.t('card.alert.timeWithAge', {
    time: formatTimestamp(view.createdDateTime, i18n),
    age: formatAge(view.createdDateTime, now, i18n),
  });
}

/** A button may only carry an id the `incident.open` schema accepts. */
function validIncidentId(incidentId: string): string {
  if (!incidentOpenDataSchema.shape.incidentId.safeParse(incidentId).success)
    throw new RangeError('unexpected incident id format');
  return incidentId;
}
