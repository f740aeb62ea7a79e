import type { FileStats, LogonUser, OrgStats } from '../defender/entityClient';
import { toEntityValue } from '../defender/entityValues';
import type { Alert, Machine } from '../defender/schemas';
import type { ListResult } from '../http/restApi';
import type { Translator } from '../i18n/translator';
import type { Enrichment, Section } from '../investigation/enrichEntity';
import type { InvestigableEntity, SourceKind } from '../investigation/investigableEntities';
import { isSourceId } from '../investigation/investigatePayload';
import { ENGLISH, severityLabel, statusLabel } from './labels';
import type { CardColor } from './labels';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import template from './templates/entityInvestigation.json';
import { clipLine, formatTimestamp } from './text';

/** Devices, users and alerts listed per section; the rest are counted ("… and 7 more"). */
export const ROWS_PER_SECTION = 5;
/** Entities offered under a card's "Investigate" button; the rest are counted and can be typed. */
export const ENTITIES_PER_BUTTON = 5;

const ALERT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const MACHINE_ID = /^[0-9a-f]{40}$/i;

interface Row {
  badge: string;
  color: CardColor;
  primary: string;
  secondary: string;
  open: object;
}

interface CardSection {
  title: string;
  problem: string;
  facts: { title: string; value: string }[];
  rows: Row[];
  more: string;
}

/** What an enrichment card shows: one entity's sections as Defender answered them. */
export interface InvestigationCardInput {
  enrichment: Enrichment;
}

/**
 * The enrichment card of one entity: a section per documented endpoint (prevalence, devices, logged-on users,
 * related alerts). A section Defender refused, throttled or did not answer says so; the others still show.
 */
export function toInvestigationCard(input: InvestigationCardInput, i18n: Translator = ENGLISH): AdaptiveCardJson {
  const { enrichment } = input;
  const sections: CardSection[] = [];
  switch (enrichment.kind) {
    case 'ip':
      sections.push(prevalenceSection(enrichment.stats, i18n));
      break;
    case 'file':
    case 'domain':
      sections.push(
        prevalenceSection(enrichment.stats, i18n),
        devicesSection(enrichment.devices, i18n),
        alertsSection(enrichment.alerts, i18n),
      );
      break;
    case 'user':
      sections.push(devicesSection(enrichment.devices, i18n), alertsSection(enrichment.alerts, i18n));
      break;
    case 'device':
      sections.push(
        usersSection(enrichment.users, enrichment.entity.value, i18n),
        alertsSection(enrichment.alerts, i18n),
      );
      break;
  }
  const { entity } = enrichment;
  return renderCard(template, {
    heading: i18n.t('investigation.heading', { kind: entity.kind }),
    label: clipLine(entity.label, 200),
    value: entity.label === entity.value ? '' : clipLine(entity.value, 100),
    sections,
    actions: [],
  });
}

/** The section of a failed read: its title and why, in the viewer's words. */
function failed(title: string, problem: string, i18n: Translator): CardSection {
  return { title, problem: i18n.t('investigation.problem', { problem }), facts: [], rows: [], more: '' };
}

function count(
  value: number | null,
  key: 'investigation.fact.orgCount' | 'investigation.fact.worldwideCount',
  i18n: Translator,
): string {
  return value === null ? i18n.t('investigation.unknown') : i18n.t(key, { count: value });
}

/** Prevalence in the organisation (IP, domain, file), then worldwide and the names a file was seen as (file). */
function prevalenceSection(section: Section<OrgStats | FileStats>, i18n: Translator): CardSection {
  const title = i18n.t('investigation.section.prevalence');
  if (!section.ok) return failed(title, section.problem, i18n);
  const stats = section.value;
  const facts = [
    {
      title: i18n.t('investigation.fact.organization'),
      value: count(stats.organizationPrevalence, 'investigation.fact.orgCount', i18n),
    },
    { title: i18n.t('investigation.fact.orgFirstSeen'), value: formatTimestamp(stats.orgFirstSeen, i18n) },
    { title: i18n.t('investigation.fact.orgLastSeen'), value: formatTimestamp(stats.orgLastSeen, i18n) },
  ];
  if (!('topFileNames' in stats)) return { title, problem: '', facts, rows: [], more: '' };
  facts.push(
    {
      title: i18n.t('investigation.fact.worldwide'),
      value: count(stats.globalPrevalence, 'investigation.fact.worldwideCount', i18n),
    },
    { title: i18n.t('investigation.fact.globalFirstSeen'), value: formatTimestamp(stats.globalFirstObserved, i18n) },
    { title: i18n.t('investigation.fact.globalLastSeen'), value: formatTimestamp(stats.globalLastObserved, i18n) },
  );
  // File names are attacker-chosen: they go in a TextRun row, never in a FactSet (which Teams reads as markdown).
  const rows = stats.topFileNames.slice(0, 3).map((name, i): Row => ({
    badge: i === 0 ? `${i18n.t('investigation.fact.fileNames')}  ` : '',
    color: 'default',
    primary: clipLine(name, 80),
    secondary: '',
    open: noAction(),
  }));
  return { title, problem: '', facts, rows, more: '' };
}

/** A list section: the first rows, then "… and N more" (or "more than N" when Defender had further pages). */
function listSection<T>(
  title: string,
  section: Section<ListResult<T>>,
  toRow: (item: T) => Row,
  i18n: Translator,
): CardSection {
  if (!section.ok) return failed(title, section.problem, i18n);
  const { items, truncated } = section.value;
  const rest = items.length - ROWS_PER_SECTION;
  const more =
    items.length === 0
      ? i18n.t('investigation.none')
      : truncated
        ? i18n.t('investigation.moreThan', { count: Math.max(rest, 0) })
        : rest > 0
          ? i18n.t('investigation.more', { count: rest })
          : '';
  return { title, problem: '', facts: [], rows: items.slice(0, ROWS_PER_SECTION).map(toRow), more };
}

function devicesSection(section: Section<ListResult<Machine>>, i18n: Translator): CardSection {
  return listSection(
    i18n.t('investigation.section.devices'),
    section,
    (machine) => ({
      badge: '',
      color: 'default',
      primary: clipLine(machine.computerDnsName, 120),
      secondary: i18n.t('investigation.deviceDetail', {
        platform: clipLine(machine.osPlatform, 40),
        time: formatTimestamp(machine.lastSeen, i18n),
      }),
      open: MACHINE_ID.test(machine.id)
        ? execute(i18n.t('investigation.openDevice'), 'device.show', { device: machine.id })
        : noAction(),
    }),
    i18n,
  );
}

function alertsSection(section: Section<ListResult<Alert>>, i18n: Translator): CardSection {
  return listSection(
    i18n.t('investigation.section.alerts'),
    section,
    (alert) => {
      const severity = severityLabel(alert.severity, i18n);
      return {
        badge: `${severity.text}  `,
        color: severity.color,
        primary: clipLine(alert.title, 150),
        secondary: i18n.t('investigation.alertDetail', {
          status: statusLabel(alert.status, i18n).text,
          time: formatTimestamp(alert.alertCreationTime, i18n),
        }),
        open: ALERT_ID.test(alert.id)
          ? execute(i18n.t('investigation.openAlert'), 'alert.open', { alertId: alert.id })
          : noAction(),
      };
    },
    i18n,
  );
}

function usersSection(section: Section<ListResult<LogonUser>>, machineId: string, i18n: Translator): CardSection {
  return listSection(
    i18n.t('investigation.section.users'),
    section,
    (user) => {
      const data = investigateData(
        { kind: 'user', value: user.accountName, label: user.accountName },
        'device',
        machineId,
      );
      return {
        badge: '',
        color: 'default',
        primary: clipLine(user.accountDomain ? `${user.accountDomain}\\${user.accountName}` : user.accountName, 120),
        secondary: i18n.t('investigation.userDetail', {
          admin: user.isDomainAdmin ? 'yes' : 'no',
          time: formatTimestamp(user.lastSeen, i18n),
        }),
        open: data ? execute(i18n.t('investigation.investigateUser'), 'entity.investigate', data) : noAction(),
      };
    },
    i18n,
  );
}

/** An Action.Execute (row or button). */
function execute(title: string, verb: string, data: object): object {
  return { type: 'Action.Execute', title, verb, data };
}

/** A row with nothing to open: an empty ToggleVisibility does nothing and keeps the template's binding filled. */
function noAction(): object {
  return { type: 'Action.ToggleVisibility', targetElements: [] };
}

/**
 * The `entity.investigate` data naming `entity` of the card `sourceKind`/`sourceId`, or null when the value is not
 * canonical for its kind (then no button is offered: the server would refuse it).
 */
export function investigateData(
  entity: InvestigableEntity,
  sourceKind: SourceKind,
  sourceId: string,
): { kind: string; source: { kind: SourceKind; id: string }; entity: string } | null {
  const value = entity.kind === 'device' ? entity.value : toEntityValue(entity.kind, entity.value);
  if (value === null) return null;
  return { kind: entity.kind, source: { kind: sourceKind, id: sourceId }, entity: value };
}

/**
 * The "Investigate" button of an alert, device or incident card: an Action.ShowCard listing its first entities,
 * each an `entity.investigate` button naming the card by id; none when the card has no entity (spread into `actions`).
 */
export function investigateButton(
  entities: readonly InvestigableEntity[],
  source: { kind: SourceKind; id: string },
  i18n: Translator = ENGLISH,
): object[] {
  if (!isSourceId(source.kind, source.id)) return [];
  const buttons = entities.slice(0, ENTITIES_PER_BUTTON).flatMap((entity) => {
    const data = investigateData(entity, source.kind, source.id);
    if (!data) return [];
    return [
      execute(
        clipLine(i18n.t('investigation.entityButton', { kind: entity.kind, label: shortLabel(entity) }), 60),
        'entity.investigate',
        data,
      ),
    ];
  });
  if (buttons.length === 0) return [];
  const rest = entities.length - ENTITIES_PER_BUTTON;
  const button = {
    type: 'Action.ShowCard',
    title: i18n.t('investigation.investigate'),
    card: {
      type: 'AdaptiveCard',
      body: [
        { type: 'TextBlock', text: i18n.t('investigation.chooseEntity'), wrap: true, size: 'Small' },
        ...(rest > 0
          ? [
              {
                type: 'TextBlock',
                text: i18n.t('investigation.moreEntities', { count: rest }),
                wrap: true,
                isSubtle: true,
                size: 'Small',
              },
            ]
          : []),
      ],
      actions: buttons,
    },
  };
  return [button];
}

/** A button's label: a file's name (else its hash's first digits), else the value. */
function shortLabel(entity: InvestigableEntity): string {
  if (entity.kind === 'file' && entity.label === entity.value) return `${entity.value.slice(0, 12)}…`;
  return clipLine(entity.label, 40);
}
