import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { ActionApprovalRequest } from '../../src/approvals/approvalTypes';
import { toAlertCard } from '../../src/cards/alertCard';
import { toAlertListCard } from '../../src/cards/alertListCard';
import { toAlertNoticeDigestCard } from '../../src/cards/alertNoticeDigestCard';
import { toAlertDigestCard, toAlertNoticeCard, toAlertNotificationCard } from '../../src/cards/alertNotificationCards';
import { toApprovalCard, toConfirmationCard, toRecordListCard } from '../../src/cards/approvalCards';
import { toChoiceCard } from '../../src/cards/choiceCard';
import { stampCard } from '../../src/cards/customerStamp';
import { deriveIsolationState, toDeviceCard } from '../../src/cards/deviceCard';
import { toHelpCard } from '../../src/cards/helpCard';
import { toHuntResultCard } from '../../src/cards/huntResultCard';
import { toIncidentCard } from '../../src/cards/incidentCard';
import { toIncidentListCard } from '../../src/cards/incidentListCard';
import { toSourcedAlertNoticeCard, toSourcedAlertPersonalNoticeCard } from '../../src/cards/incidentNoticeAlertCards';
import { toIncidentNoticeCard, toIncidentPersonalNoticeCard } from '../../src/cards/incidentNoticeCards';
import { toInvestigationCard } from '../../src/cards/investigationCard';
import type { CardColor, Label, LabelFor } from '../../src/cards/labels';
import * as labels from '../../src/cards/labels';
import { LABEL_TABLES } from '../../src/cards/labels';
import { toNoticeCard } from '../../src/cards/noticeCard';
import { toShowMeCard } from '../../src/cards/showMeCard';
import { english } from '../../src/commands/phrasebook';
import { toCustomerListCard, toOffboardConfirmCard } from '../../src/customers/customerCards';
import type { CustomerTenant } from '../../src/customers/customerDirectory';
import type { Incident } from '../../src/graph/graphSchemas';
import { fileStatsSchema, logonUserSchema } from '../../src/defender/entityClient';
import { HuntCommands } from '../../src/hunting/huntCommands';
import type { HuntLibrary } from '../../src/hunting/huntLibrary';
import { parseHuntFile } from '../../src/hunting/huntLibrary';
import { ENGLISH } from '../../src/cards/labels';
import type { Enrichment } from '../../src/investigation/enrichEntity';
import type { HuntResultHeader } from '../../src/hunting/huntResultStore';
import { incidentSchema } from '../../src/graph/graphSchemas';
import { A_DEVICE_SNAPSHOT, aPersonRef, anIsolationRequest } from '../fixtures/approvalRequests';
import { aMachine, aMachineAction, anAlert, anEvidence, anIncidentView } from '../fixtures/builders';
import type { Theme } from './themeHostConfigs';
import { TEAMS_THEMES } from './themeHostConfigs';

/*
 * Every card the bot produces is legible in Teams' light, dark and high-contrast themes: rendered by the real
 * Adaptive Cards library with each theme's host config, every piece of text (TextBlock, TextRun, fact) is read in
 * the colour the renderer gives it on the background of the container it sits in, and must reach WCAG's 4.5:1.
 * Colours are Adaptive Cards' semantic ones only (no "Light"/"Dark" for meaning, no custom styles), and no
 * information is an image alone.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const AC = require('adaptivecards/dist/adaptivecards.js') as {
  AdaptiveCard: new () => AcElement & { hostConfig: unknown; parse(json: unknown, context: unknown): void };
  SerializationContext: new (version: unknown) => unknown;
  Versions: { v1_5: unknown };
  HostConfig: new (config: object) => unknown;
  TextColor: Record<number, string>;
};

/** What the theme walk reads of the library's object model. */
interface AcElement {
  getJsonTypeName(): string;
  getEffectiveStyleDefinition(): {
    backgroundColor?: string;
    foregroundColors: Record<string, { default: string; subtle: string }>;
  };
  getItemCount?(): number;
  getItemAt?(index: number): AcElement;
  getInlineCount?(): number;
  getInlineAt?(index: number): AcElement;
  getActionCount?(): number;
  getActionAt?(index: number): { card?: AcElement } | undefined;
  effectiveColor?: number;
  isSubtle?: boolean;
  text?: string;
  facts?: { name?: string; value?: string }[];
}

const now = new Date('2026-12-07T02:15:00Z');
const TENANT = '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

/** Every card builder, with inputs that make it show its labels (severities, states, colours of each kind). */
function everyCard(): { name: string; card: unknown }[] {
  const severities = ['High', 'Medium', 'Low', 'Informational', 'UnSpecified'] as const;
  const statuses = ['New', 'InProgress', 'Resolved'] as const;
  const alerts = severities.flatMap((severity, i) =>
    statuses.map((status, j) =>
      anAlert({
        id: `da${i}${j}`,
        severity,
        status,
        evidence: [anEvidence({ entityType: 'File', fileName: 'a.exe' })],
      }),
    ),
  );
  const incident = (id: string, severity: string, status: string): Incident =>
    incidentSchema.parse({
      id,
      displayName: `Ransomware ${id}`,
      severity,
      status,
      assignedTo: null,
      classification: 'truePositive',
      determination: 'malware',
      createdDateTime: '2026-12-06T23:00:00Z',
      lastUpdateDateTime: '2026-12-07T00:15:00Z',
      comments: [{ comment: 'looking', createdByDisplayName: 'Adele', createdDateTime: '2026-12-07T00:10:00Z' }],
      alerts: [],
    });
  const person = aPersonRef;
  const device = A_DEVICE_SNAPSHOT;
  const request = (state: ActionApprovalRequest['state']) => anIsolationRequest(state);
  const customer = {
    tenantId: TENANT,
    name: 'Fabrikam',
    status: 'active',
    requestedBy: person('Elena'),
    requestedAt: '2026-12-01T10:00:00Z',
    consentedAt: '2026-12-01T10:05:00Z',
  } as CustomerTenant;
  const colours: CardColor[] = ['default', 'accent', 'good', 'warning', 'attention'];
  const view = anIncidentView();
  const cards: { name: string; card: unknown }[] = [
    ...alerts.map((alert) => ({ name: `alert ${alert.severity} ${alert.status}`, card: toAlertCard({ alert, now }) })),
    {
      name: 'alert list',
      card: toAlertListCard({
        query: { severities: [], status: { kind: 'all' }, assignedToMe: false },
        page: 0,
        alerts,
        truncated: false,
        now,
      }),
    },
    ...['Active', 'Inactive', 'ImpairedCommunication'].map((healthStatus) => ({
      name: `device ${healthStatus}`,
      card: toDeviceCard({
        machine: aMachine({ healthStatus, riskScore: 'High', exposureLevel: 'Medium', deviceValue: 'High' }),
        isolation: deriveIsolationState([
          aMachineAction({ type: 'Isolate', status: 'Succeeded', creationDateTimeUtc: '2026-12-07T01:00:00Z' }),
        ]),
        openAlerts: 2,
        now,
      }),
    })),
    { name: 'show me', card: toShowMeCard({ requester: 'Adele', command: 'show alerts', refreshUserIds: [] }) },
    {
      name: 'choice',
      card: toChoiceCard({
        heading: 'Which?',
        subject: 'ws',
        text: '…',
        choices: [{ label: 'a', detail: 'b', verb: 'device.show', data: {} }],
      }),
    },
    { name: 'help', card: toHelpCard(english.examples, { welcome: true }) },
    ...colours.map((color) => ({
      name: `notice ${color}`,
      card: toNoticeCard({ heading: 'Heading', text: 'Text', color, reference: 'ref 1' }),
    })),
    {
      name: 'incident list',
      card: toIncidentListCard({
        query: { severities: [], status: 'any', owner: 'anyone' },
        page: 0,
        incidents: ['high', 'medium', 'low', 'informational'].flatMap((severity, i) =>
          ['active', 'inProgress', 'resolved', 'awaitingAction'].map((status, j) =>
            incident(`${i}${j}`, severity, status),
          ),
        ),
        truncated: false,
        now,
      }),
    },
    ...['active', 'resolved'].map((status) => ({
      name: `incident ${status}`,
      card: toIncidentCard({ incident: incident('2301', 'high', status), tenantId: TENANT, now }),
    })),
    ...[0, 2].map((requiredApprovals) => ({
      name: `confirmation ${requiredApprovals}`,
      card: toConfirmationCard({
        draftId: 'D-1',
        kind: 'isolate',
        device,
        isolation: 'Not isolated',
        openAlerts: 1,
        requiredApprovals,
        riskNote: 'Standard policy',
      }),
    })),
    ...(['pending', 'executing', 'succeeded', 'failed', 'rejected', 'expired'] as const).flatMap((state) =>
      (['base', 'approver', 'requester'] as const).map((role) => ({
        name: `approval ${state} ${role}`,
        card: toApprovalCard(request(state), role, now),
      })),
    ),
    {
      name: 'record list',
      card: toRecordListCard({
        heading: 'Actions',
        summary: '5 actions',
        rows: colours.map((color) => ({ title: 't', detail: 'd', status: { text: color, color } })),
      }),
    },
    { name: 'alert notification', card: toAlertNotificationCard({ alert: alerts[0]!, now, subscription: 'High' }) },
    {
      name: 'alert digest',
      card: toAlertDigestCard({ alerts, now, subscription: 'All', windowLabel: 'in 2 minutes' }),
    },
    {
      name: 'alert notice',
      card: toAlertNoticeCard({
        alertId: 'da00',
        severity: 'High',
        createdTime: alerts[0]!.alertCreationTime,
        now,
        subscription: 'High',
        refreshUserIds: [],
      }),
    },
    {
      name: 'personal digest',
      card: toAlertNoticeDigestCard({
        severities: ['High', 'Medium', 'Low'],
        windowLabel: 'in 2 minutes',
        subscription: 'All',
        subscribed: ['High'],
      }),
    },
    { name: 'incident notice', card: toIncidentNoticeCard({ incidentId: '2301', view, now, subscription: 'High' }) },
    {
      name: 'incident personal notice',
      card: toIncidentPersonalNoticeCard({ incidentId: '2301', view, now, subscription: 'High', refreshUserIds: [] }),
    },
    ...(['toSourcedAlertNoticeCard', 'toSourcedAlertPersonalNoticeCard'] as const).map((builder) => {
      const input = {
        alert: anAlert({ severity: 'Medium', status: 'New', category: 'Phishing', incidentId: 2301 }),
        serviceSource: 'microsoftDefenderForOffice365',
        now,
        subscription: 'All',
      };
      return {
        name: builder,
        card:
          builder === 'toSourcedAlertNoticeCard'
            ? toSourcedAlertNoticeCard(input)
            : toSourcedAlertPersonalNoticeCard({ ...input, refreshUserIds: [] }),
      };
    }),
    {
      name: 'customer list',
      card: toCustomerListCard({ rows: [{ customer, conversations: 1, boundHere: true }], now }),
    },
    { name: 'offboard confirmation', card: toOffboardConfirmCard(customer, 2) },
    ...huntingCards(),
  ];
  // A customer's card carries its banner: every card once more, stamped.
  return [
    ...cards,
    ...cards.map(({ name, card }) => ({
      name: `${name} (stamped)`,
      card: stampCard(card as never, { id: TENANT, customerName: 'Fabrikam' }),
    })),
  ];
}

/** The shipped saved hunts, read as the bot reads them. */
function shippedHunts(): HuntLibrary {
  const folder = path.resolve(__dirname, '..', '..', '..', 'hunts');
  const hunts = fs
    .readdirSync(folder)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => parseHuntFile(file, fs.readFileSync(path.join(folder, file), 'utf8')));
  return { all: () => hunts } as unknown as HuntLibrary;
}

/** Issue 14's cards: a hunt result (rows, sorted, empty), the hunts library, and every kind of investigation card. */
function huntingCards(): { name: string; card: unknown }[] {
  const header: HuntResultHeader = {
    id: 'H-AAAAAAAAAAAAAAAAAAAAAAAA',
    owner: { tenantId: TENANT, userId: 'u', userTenantId: TENANT },
    title: 'Network connections to 198.51.100.77',
    columns: [
      { name: 'Timestamp', type: 'DateTime' },
      { name: 'DeviceName', type: 'String' },
      { name: 'RemoteIP', type: 'String' },
      { name: 'count_', type: 'Int64' },
      { name: 'Extra', type: 'String' },
    ],
    filledColumns: ['Timestamp', 'DeviceName', 'RemoteIP', 'count_', 'Extra'],
    rowCount: 25,
    truncated: true,
    chunkRowCounts: [25],
    csvBytes: 1000,
    timing: { elapsedMs: 2500, callsThisMinute: 44, callsThisHour: 1400 },
    createdAt: '2026-12-07T01:00:00.000Z',
    expiresAt: '2026-12-08T01:00:00.000Z',
  };
  const rows = Array.from({ length: 10 }, (_, i) => ({
    Timestamp: `2026-12-07T01:${String(i).padStart(2, '0')}:00Z`,
    DeviceName: `ws-fin-04${i}.corp.contoso.com`,
    RemoteIP: '198.51.100.77',
    count_: i,
    Extra: i % 2 === 0 ? '' : 'x',
  }));
  const hunts = new HuntCommands({ library: shippedHunts() } as never);
  const entity = { kind: 'file' as const, value: '6673ca04ad3f28f1aaf1c56dfcc14ffd4d336f7c', label: 'wvgqzp.dll' };
  const machines = { ok: true as const, value: { items: [aMachine()], truncated: true } };
  const alertList = {
    ok: true as const,
    value: {
      items: (['High', 'Medium', 'Low', 'Informational'] as const).map((severity) => anAlert({ severity })),
      truncated: false,
    },
  };
  const stats = fileStatsSchema.parse({
    sha1: entity.value,
    organizationPrevalence: 3,
    orgFirstSeen: '2026-11-20T10:51:40Z',
    orgLastSeen: '2026-12-07T00:00:00Z',
    globalPrevalence: 1500,
    globalFirstObserved: '2023-01-01T00:00:00Z',
    globalLastObserved: '2026-12-07T00:00:00Z',
    topFileNames: ['wvgqzp.dll'],
  });
  const orgStats = { ok: true as const, value: { organizationPrevalence: 2, orgFirstSeen: null, orgLastSeen: null } };
  const users = {
    ok: true as const,
    value: {
      items: [logonUserSchema.parse({ accountName: 'adm-allan', accountDomain: 'CONTOSO', isDomainAdmin: true })],
      truncated: false,
    },
  };
  const enrichments: Enrichment[] = [
    { kind: 'file', entity, stats: { ok: true, value: stats }, devices: machines, alerts: alertList },
    {
      kind: 'file',
      entity,
      stats: { ok: false, problem: 'rateLimited' },
      devices: { ok: false, problem: 'forbidden' },
      alerts: { ok: false, problem: 'timeout' },
    },
    { kind: 'ip', entity: { kind: 'ip', value: '198.51.100.77', label: '198.51.100.77' }, stats: orgStats },
    {
      kind: 'domain',
      entity: { kind: 'domain', value: 'cdn-update.evil.example', label: 'cdn-update.evil.example' },
      stats: orgStats,
      devices: machines,
      alerts: alertList,
    },
    {
      kind: 'user',
      entity: { kind: 'user', value: 'adm-allan', label: 'adm-allan' },
      devices: machines,
      alerts: { ok: false, problem: 'unavailable' },
    },
    { kind: 'device', entity: { kind: 'device', value: aMachine().id, label: 'ws-fin-042' }, users, alerts: alertList },
  ];
  const library = hunts.list(ENGLISH);
  assert.equal(library.kind, 'card');
  return [
    { name: 'hunt result', card: toHuntResultCard({ header, page: 1, rows }) },
    {
      name: 'hunt result sorted',
      card: toHuntResultCard({
        header,
        page: 0,
        rows,
        sort: { column: 'DeviceName', direction: 'desc' },
        sortedLimit: 1000,
      }),
    },
    { name: 'hunt result empty', card: toHuntResultCard({ header: { ...header, rowCount: 0 }, page: 0, rows: [] }) },
    { name: 'hunts library', card: library.card },
    ...enrichments.map((enrichment, i) => ({
      name: `investigation ${enrichment.kind} ${i}`,
      card: toInvestigationCard({ enrichment }),
    })),
  ];
}

/** A text the renderer draws: where it sits, what it says, its colour and background as the host config gives. */
interface DrawnText {
  where: string;
  text: string;
  foreground: string;
  background: string;
}

/** Parses the card with the theme's host config and lists every text the renderer would draw. */
function drawnTexts(card: unknown, theme: Theme): DrawnText[] {
  const parsed = new AC.AdaptiveCard();
  parsed.hostConfig = new AC.HostConfig(theme.hostConfig);
  parsed.parse(card, new AC.SerializationContext(AC.Versions.v1_5));
  const out: DrawnText[] = [];
  const config = theme.hostConfig as { factSet: { title: { color: string }; value: { color: string } } };
  const walk = (element: AcElement): void => {
    const style = element.getEffectiveStyleDefinition();
    const background = style.backgroundColor ?? '#ffffff';
    const type = element.getJsonTypeName();
    if ((type === 'TextBlock' || type === 'TextRun') && element.effectiveColor !== undefined) {
      const colour = AC.TextColor[element.effectiveColor]!.toLowerCase();
      const shades = style.foregroundColors[colour]!;
      out.push({
        where: `${type} ${colour}${element.isSubtle ? ' subtle' : ''}`,
        text: element.text ?? '',
        foreground: element.isSubtle ? shades.subtle : shades.default,
        background,
      });
    }
    if (type === 'FactSet')
      for (const fact of element.facts ?? [])
        for (const [part, colour] of [
          ['title', config.factSet.title.color],
          ['value', config.factSet.value.color],
        ] as const)
          out.push({
            where: `fact ${part}`,
            text: (part === 'title' ? fact.name : fact.value) ?? '',
            foreground: style.foregroundColors[colour.toLowerCase()]!.default,
            background,
          });
    for (let i = 0; i < (element.getItemCount?.() ?? 0); i++) walk(element.getItemAt!(i));
    for (let i = 0; i < (element.getInlineCount?.() ?? 0); i++) walk(element.getInlineAt!(i));
    for (let i = 0; i < (element.getActionCount?.() ?? 0); i++) {
      const shown = element.getActionAt!(i)?.card;
      if (shown) walk(shown);
    }
  };
  walk(parsed);
  return out;
}

/** An sRGB colour from #RRGGBB or #AARRGGBB (the host config's form), alpha-blended over `under`. */
function rgb(hex: string, under?: [number, number, number]): [number, number, number] {
  const digits = hex.replace('#', '');
  const alpha = digits.length === 8 ? parseInt(digits.slice(0, 2), 16) / 255 : 1;
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(digits.slice(digits.length - 6 + i, digits.length - 4 + i), 16));
  const base = under ?? [255, 255, 255];
  return [r!, g!, b!].map((c, i) => c * alpha + base[i]! * (1 - alpha)) as [number, number, number];
}

/** WCAG 2 contrast ratio of a text colour over a background. */
export function contrast(foreground: string, background: string): number {
  const bg = rgb(background);
  const luminance = (c: [number, number, number]) => {
    const [r, g, b] = c.map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [a, b] = [luminance(rgb(foreground, bg)), luminance(bg)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

const SEMANTIC_COLOURS = new Set(['default', 'accent', 'good', 'warning', 'attention']);
const CONTAINER_STYLES = new Set(['default', 'emphasis', 'accent', 'good', 'attention', 'warning']);

/** Colours, styles and images in a card's JSON that the semantic rules forbid. */
function offences(card: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}[${i}]`));
    if (node === null || typeof node !== 'object') return;
    const element = node as Record<string, unknown>;
    const type = typeof element.type === 'string' ? element.type : '';
    if (typeof element.color === 'string' && !SEMANTIC_COLOURS.has(element.color.toLowerCase()))
      found.push(`${path} ${type} color ${element.color}`);
    if (
      /^(?:Container|Column|ColumnSet|Table|TableCell)$/.test(type) &&
      typeof element.style === 'string' &&
      !CONTAINER_STYLES.has(element.style.toLowerCase())
    )
      found.push(`${path} ${type} style ${element.style}`);
    if (element.backgroundImage !== undefined) found.push(`${path} ${type} backgroundImage`);
    if (type === 'Image' && !(typeof element.altText === 'string' && element.altText.trim().length > 0))
      found.push(`${path} Image without altText`);
    for (const [key, value] of Object.entries(element)) if (key !== 'data') walk(value, `${path}.${key}`);
  };
  walk(card, '$');
  return found;
}

describe('cards in Teams’ light, dark and high-contrast themes', () => {
  const cards = everyCard();

  it('uses only Adaptive Cards’ semantic colours, no custom styles, no image-only information', () => {
    const found = cards.flatMap(({ name, card }) => offences(card).map((o) => `${name}: ${o}`));
    assert.deepEqual(found, []);
  });

  it('gives every label a semantic colour', () => {
    for (const [table, values] of Object.entries(LABEL_TABLES)) {
      const labelFor = (labels as unknown as Record<string, LabelFor>)[`${table}Label`];
      if (!labelFor) continue;
      for (const value of [...values, 'SomethingNew']) {
        const label: Label = labelFor(value);
        assert.ok(SEMANTIC_COLOURS.has(label.color), `${table}.${value}: ${label.color}`);
      }
    }
  });

  for (const theme of TEAMS_THEMES) {
    it(`draws every text at 4.5:1 or more in the ${theme.name} theme`, () => {
      const failures = new Set<string>();
      let drawn = 0;
      for (const { name, card } of cards)
        for (const text of drawnTexts(card, theme)) {
          drawn++;
          const ratio = contrast(text.foreground, text.background);
          if (ratio < 4.5)
            failures.add(`${name}: ${text.where} ${text.foreground} on ${text.background} = ${ratio.toFixed(2)}`);
        }
      assert.ok(drawn > 500, `${drawn} texts read`);
      assert.deepEqual([...failures], []);
    });
  }

  it('reads the text of issue 14’s cards (hunt results, the hunts library, investigations) in every theme', () => {
    const hunting = cards.filter(({ name }) => /^(?:hunt|investigation)/.test(name));
    assert.ok(hunting.length >= 20, `${hunting.length} hunting cards`);
    for (const theme of TEAMS_THEMES)
      for (const { name, card } of hunting) assert.ok(drawnTexts(card, theme).length >= 3, `${name} in ${theme.name}`);
  });

  it('measures contrast as WCAG does', () => {
    assert.equal(contrast('#000000', '#ffffff').toFixed(2), '21.00');
    assert.equal(contrast('#ffffff', '#ffffff').toFixed(2), '1.00');
    assert.equal(contrast('#767676', '#ffffff').toFixed(2), '4.54');
    assert.equal(contrast('#80000000', '#ffffff').toFixed(2), contrast('#7f7f7f', '#ffffff').toFixed(2), 'alpha');
  });
});
