import assert from 'node:assert/strict';
import type { z } from 'zod';
import {
  alertDigestSummary,
  alertNotificationSummary,
  DEFENDER_ALERTS_URL,
  DIGEST_ROWS,
  toAlertDigestCard,
  toAlertNoticeCard,
  toAlertNotificationCard,
} from '../../src/cards/alertNotificationCards';
import {
  actionPrepareDataSchema,
  alertAssignDataSchema,
  alertOpenDataSchema,
  incidentOpenDataSchema,
} from '../../src/cards/payloads';
import type { AdaptiveCardJson } from '../../src/cards/renderCard';
import { MAX_CARD_BYTES } from '../../src/cards/renderCard';
import { alertSchema } from '../../src/defender/schemas';
import type { Alert } from '../../src/defender/schemas';
import { anAlert } from '../fixtures/builders';
import { assertValidAdaptiveCard, markdownEffects, markdownSurfaces, textRuns } from '../fixtures/adaptiveCards';
import { demoSeed } from '../support/demoTenant';

const now = new Date('2026-11-22T08:00:00Z');
const SUBSCRIPTION = 'High alerts · device group Finance-Workstations';

// The demo tenant's alerts, parsed as the product parses Defender's answers.
const demoAlerts: Alert[] = demoSeed.alerts.map((a) => alertSchema.parse(a));
/** A demo alert with a valid device id, still open. */
const openDemoAlert = demoAlerts.find((a) => a.status === 'New' && a.machineId && a.relatedUser?.userName)!;
/** A demo alert that was resolved with a classification. */
const resolvedDemoAlert = demoAlerts.find((a) => a.status === 'Resolved' && a.classification === 'TruePositive')!;

// Attacker-controlled text as it appears in malware names, command lines and device names (the demo seed carries
// the same kinds in evidence, e.g. "**bold**_creds.log" and "Invoice_[Open](…" file names).
const EVIL_LINK = 'Invoice_[Open](https://evil.example/x).pdf.exe [x](http://evil.example)';
const EVIL_MARKDOWN =
  '**URGENT** `rm -rf` <at>CEO</at> [click](https://evil.example) ![img](https://evil.example/i.png)';
const EVIL_TEMPLATE = '{{alert.id}} ${alertId} ${$root.portalUrl} ${if(true, "x", "y")}';
const EVIL_DEVICE = 'ws-[pwn](https://evil.example).corp.contoso.com';
const HUGE = 'A'.repeat(120_000);

/** A demo alert whose every Defender text is hostile. */
function hostile(alert: Alert, overrides: Partial<Alert> = {}): Alert {
  return {
    ...alert,
    title: `${EVIL_MARKDOWN} ${EVIL_TEMPLATE}\u0000\u202E ${EVIL_LINK} ${HUGE}`,
    category: `${EVIL_MARKDOWN} ${HUGE}`,
    computerDnsName: `${EVIL_DEVICE}${HUGE}`,
    assignedTo: `${EVIL_MARKDOWN} ${EVIL_TEMPLATE}`,
    classification: EVIL_LINK,
    relatedUser: { userName: `${EVIL_MARKDOWN}${HUGE}`, domainName: EVIL_TEMPLATE },
    mitreTechniques: ['T1059.001', '[x](https://evil.example)', '${T1000}', 'T1027'],
    ...overrides,
  };
}

/**
 * The costliest text per character in a card's JSON: a lone surrogate is written as a 6-byte `\udXXX` escape
 * (quotes and backslashes take 2, CJK 3 bytes).
 */
const COSTLY = '\ud800"\\中'.repeat(100);

/** An alert built to make a card as large as it can get. */
function worstCase(i: number): Alert {
  return anAlert({
    id: `${String(i).padStart(4, '0')}${'x'.repeat(124)}`,
    title: COSTLY,
    category: COSTLY,
    computerDnsName: COSTLY,
    assignedTo: COSTLY,
    classification: COSTLY,
    status: 'Resolved',
    relatedUser: { userName: COSTLY, domainName: COSTLY },
    mitreTechniques: Array.from({ length: 300 }, (_, k) => `T${1000 + k}.${String(k).padStart(3, '0')}`),
  });
}

const STRINGS_TO_HIDE = ['evil.example', 'URGENT', '<at>', 'pwn', '{{', '${'];

/** Asserts no attacker string reached a surface Teams may render as markdown. */
function assertNoUntrustedMarkdown(card: unknown): void {
  for (const surface of markdownSurfaces(card)) {
    for (const marker of STRINGS_TO_HIDE) {
      assert.ok(!surface.includes(marker), `untrusted "${marker}" in a markdown surface: ${surface.slice(0, 120)}`);
    }
    assert.deepEqual(markdownEffects(surface), [], `markdown surface renders links or code: ${surface.slice(0, 120)}`);
  }
}

function bytes(card: unknown): number {
  return Buffer.byteLength(JSON.stringify(card));
}

interface CardAction {
  type: string;
  title?: string;
  verb?: string;
  data?: unknown;
  url?: string;
}

/** Every action of a card: buttons, row select actions and the refresh action. */
function allActions(card: unknown): CardAction[] {
  const found: CardAction[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const element = node as Record<string, unknown>;
    if (typeof element.type === 'string' && element.type.startsWith('Action.'))
      found.push(element as unknown as CardAction);
    for (const [key, value] of Object.entries(element)) if (key !== 'data') walk(value);
  };
  walk(card);
  return found;
}

const schemas: Record<string, z.ZodType> = {
  'alert.open': alertOpenDataSchema,
  'action.prepare': actionPrepareDataSchema,
  'alert.assignToMe': alertAssignDataSchema,
  'incident.open': incidentOpenDataSchema,
};

/** Each Action.Execute names a verb these cards may use and carries data its schema accepts; links go to Defender. */
function assertActionsValid(card: unknown): void {
  for (const action of allActions(card)) {
    if (action.type === 'Action.OpenUrl') {
      assert.match(action.url ?? '', /^https:\/\/security\.microsoft\.com\/alerts(\/[A-Za-z0-9_-]+)?$/);
      continue;
    }
    assert.equal(action.type, 'Action.Execute');
    const schema = schemas[action.verb ?? ''];
    assert.ok(schema, `unexpected verb ${action.verb}`);
    const parsed = schema.safeParse(action.data);
    assert.ok(parsed.success, `${action.verb} data rejected: ${JSON.stringify(action.data)}`);
  }
}

/** The card's buttons (not row selections or the refresh) as [title, verb, data]. */
function buttons(card: AdaptiveCardJson): [string | undefined, string | undefined, unknown][] {
  return ((card.actions ?? []) as CardAction[]).map((a) => [a.title, a.verb ?? a.url, a.data]);
}

/** Everything a card checks: valid 1.5, within budget, safe text, valid buttons. */
function assertSoundCard(card: AdaptiveCardJson): void {
  assertValidAdaptiveCard(card);
  assert.ok(bytes(card) < MAX_CARD_BYTES, `card is ${bytes(card)} bytes`);
  assertNoUntrustedMarkdown(card);
  assertActionsValid(card);
}

/** The digest's rows that open something (each row is a container holding the one variant that applies). */
function rowsOf(card: AdaptiveCardJson): { selectAction: CardAction }[] {
  return allRowsOf(card).filter((e): e is { selectAction: CardAction } => e.selectAction !== undefined);
}

/** Every digest row, whether it opens something or not. */
function allRowsOf(card: AdaptiveCardJson): { selectAction?: CardAction }[] {
  return (card.body as { items?: { type: string; selectAction?: CardAction }[] }[])
    .filter((e) => e.items?.length === 1 && e.items[0]!.type === 'Container')
    .map((e) => e.items![0]!);
}

describe('alert notification cards', () => {
  describe('notification card', () => {
    it('renders every demo alert as a valid card with schema-valid buttons and no refresh', () => {
      for (const alert of demoAlerts) {
        const card = toAlertNotificationCard({ alert, now, subscription: SUBSCRIPTION });
        assertSoundCard(card);
        assert.equal(card.refresh, undefined, 'a channel card must not be refreshed per viewer');
      }
    });

    it('shows what, where, who, status, assignee, time and subscription of an open alert', () => {
      const alert = { ...openDemoAlert, assignedTo: null, alertCreationTime: '2026-11-22T06:58:00Z' };
      const card = toAlertNotificationCard({ alert, now, subscription: SUBSCRIPTION });
      const runs = textRuns(card);
      const surfaces = markdownSurfaces(card);
      assert.ok(surfaces.includes('High'), 'severity label');
      for (const expected of [
        alert.title,
        alert.computerDnsName!,
        `${alert.relatedUser!.domainName}\\${alert.relatedUser!.userName}`,
        alert.category!,
        alert.mitreTechniques.join(', '),
        'Unassigned',
        'New',
        ' · created 2026-11-22 06:58 UTC (1 h ago)',
        SUBSCRIPTION,
      ]) {
        assert.ok(runs.includes(expected), `missing "${expected}" in ${JSON.stringify(runs)}`);
      }
      assert.ok(!runs.some((r) => r.startsWith(' · ') && !r.includes('created')), 'no classification while open');
      const body = JSON.stringify(card.body);
      // What needs attention is drawn in the one colour legible in every theme that stands out (renderCard).
      assert.match(body, /"text":"High","color":"accent"/);
      assert.match(body, /"text":"New","color":"accent"/);
    });

    it('offers Details, Isolate device, Assign to me and the portal link on an open alert with a device', () => {
      const card = toAlertNotificationCard({ alert: openDemoAlert, now, subscription: SUBSCRIPTION });
      assert.deepEqual(buttons(card), [
        ['Details', 'alert.open', { alertId: openDemoAlert.id }],
        ['Isolate device', 'action.prepare', { kind: 'isolate', device: openDemoAlert.machineId }],
        ['Assign to me', 'alert.assignToMe', { alertId: openDemoAlert.id }],
        ['Open in Microsoft Defender', `https://security.microsoft.com/alerts/${openDemoAlert.id}`, undefined],
      ]);
    });

    it('says Resolved with the classification and offers no Isolate or Assign on a resolved alert', () => {
      const card = toAlertNotificationCard({ alert: resolvedDemoAlert, now, subscription: SUBSCRIPTION });
      assertSoundCard(card);
      assert.match(JSON.stringify(card.body), /"text":"Resolved","color":"default"/);
      assert.ok(textRuns(card).includes(' · True positive'));
      assert.deepEqual(
        buttons(card).map(([title]) => title),
        ['Details', 'Open in Microsoft Defender'],
      );
    });

    it('offers no Isolate without a valid 40-hex device id', () => {
      for (const machineId of [null, 'not-a-device-id', 'A'.repeat(40), '1e5bc9d7e413']) {
        const card = toAlertNotificationCard({
          alert: { ...openDemoAlert, machineId },
          now,
          subscription: SUBSCRIPTION,
        });
        assertSoundCard(card);
        assert.deepEqual(
          buttons(card).map(([title]) => title),
          ['Details', 'Assign to me', 'Open in Microsoft Defender'],
          String(machineId),
        );
      }
    });

    it('keeps hostile alert text verbatim in TextRuns only, never evaluating template syntax', () => {
      for (const alert of demoAlerts.slice(0, 10).map((a) => hostile(a))) {
        const card = toAlertNotificationCard({ alert, now, subscription: `${SUBSCRIPTION} ${EVIL_TEMPLATE}` });
        assertSoundCard(card);
        const runs = textRuns(card);
        const title = runs.find((r) => r.startsWith('**URGENT**')) ?? '';
        assert.ok(title.includes(EVIL_TEMPLATE), 'template syntax in a title is shown literally');
        assert.ok(title.includes(EVIL_LINK), 'links in a title are shown as text');
        assert.ok(title.length <= 250, 'titles are clipped');
        assert.ok(!runs.join('').includes('\u0000') && !runs.join('').includes('\u202E'), 'control characters go');
        assert.ok(runs.includes(`${SUBSCRIPTION} ${EVIL_TEMPLATE}`), 'the subscription is inserted literally');
        assert.ok(runs.includes('T1059.001, T1027'), 'only valid MITRE ids are shown');
        assert.doesNotMatch(JSON.stringify(card), /\[x\]\(https:\/\/evil\.example\)"|\$\{T1000\}/);
      }
    });

    it('stays well under 28 KB in the worst case (long costly text everywhere, 300 MITRE ids, longest id)', () => {
      const card = toAlertNotificationCard({ alert: worstCase(0), now, subscription: COSTLY });
      assertSoundCard(card);
      assert.ok(bytes(card) < MAX_CARD_BYTES / 2, `card is ${bytes(card)} bytes`);
      assert.ok(
        textRuns(card).includes(
          'T1000.000, T1001.001, T1002.002, T1003.003, T1004.004, T1005.005, T1006.006, T1007.007 +292 more',
        ),
      );
    });

    it('refuses an alert id that a button could not carry', () => {
      assert.throws(
        () => toAlertNotificationCard({ alert: anAlert({ id: 'x/../../evil' }), now, subscription: SUBSCRIPTION }),
        RangeError,
      );
    });
  });

  describe('digest card', () => {
    /** n distinct demo-based alerts (the seed has 58; more are copies with new ids). */
    function burst(n: number, shape: (a: Alert) => Alert = (a) => a): Alert[] {
      return Array.from({ length: n }, (_, i) => {
        const alert = demoAlerts[i % demoAlerts.length]!;
        return shape({ ...alert, id: `${alert.id.slice(0, 20)}_${i}` });
      });
    }

    it('summarises one alert as one row that opens it, without "more" or a portal button', () => {
      const [alert] = burst(1);
      const card = toAlertDigestCard({
        alerts: [alert!],
        now,
        subscription: SUBSCRIPTION,
        windowLabel: 'in 2 minutes',
      });
      assertSoundCard(card);
      assert.equal(card.refresh, undefined);
      assert.ok(textRuns(card).includes('1 alert in 2 minutes'));
      const rows = rowsOf(card);
      assert.equal(rows.length, 1);
      assert.deepEqual(rows[0]!.selectAction, {
        type: 'Action.Execute',
        title: 'Open alert',
        verb: 'alert.open',
        data: { alertId: alert!.id },
      });
      assert.deepEqual(buttons(card), []);
      assert.doesNotMatch(JSON.stringify(card), /more/);
    });

    it('opens an alert from another Defender source through its incident, or not at all outside one', () => {
      const [mde] = burst(1);
      const identity = { ...anAlert({ id: 'aa7d3f2e91b04c8d5a_2301', severity: 'High' }), incidentId: 2301 };
      const loose = { ...anAlert({ id: 'aa0000000000000000_1', severity: 'High' }), incidentId: null };
      const card = toAlertDigestCard({
        alerts: [
          { ...identity, serviceSource: 'microsoftDefenderForIdentity' },
          { ...loose, serviceSource: 'microsoftDefenderForOffice365' },
          { ...mde!, severity: 'Low' },
        ],
        now,
        subscription: SUBSCRIPTION,
        windowLabel: 'in 2 minutes',
      });
      assertSoundCard(card);
      assert.deepEqual(
        allRowsOf(card).map((r) => (r.selectAction ? [r.selectAction.verb, r.selectAction.data] : null)),
        [['incident.open', { incidentId: '2301' }], null, ['alert.open', { alertId: mde!.id }]],
      );
    });

    it('shows 25 alerts as 25 rows with no "more" line', () => {
      const card = toAlertDigestCard({
        alerts: burst(25),
        now,
        subscription: SUBSCRIPTION,
        windowLabel: 'in 5 minutes',
      });
      assertSoundCard(card);
      assert.equal(rowsOf(card).length, 25);
      assert.ok(textRuns(card).includes('25 alerts in 5 minutes'));
      assert.deepEqual(buttons(card), []);
    });

    it('caps 60 alerts at 25 rows, most severe first, with "and 35 more" and the portal queue', () => {
      const alerts = burst(60);
      const card = toAlertDigestCard({ alerts, now, subscription: SUBSCRIPTION, windowLabel: 'in 2 minutes' });
      assertSoundCard(card);
      const rows = rowsOf(card);
      assert.equal(rows.length, DIGEST_ROWS);
      assert.ok(markdownSurfaces(card).includes('and 35 more'));
      assert.deepEqual(buttons(card), [['Open alerts in Microsoft Defender', DEFENDER_ALERTS_URL, undefined]]);
      const shownIds = rows.map((r) => (r.selectAction.data as { alertId: string }).alertId);
      const highs = alerts.filter((a) => a.severity === 'High');
      assert.ok(highs.length > 0 && highs.length < DIGEST_ROWS);
      assert.deepEqual(
        new Set(shownIds.slice(0, highs.length)),
        new Set(highs.map((a) => a.id)),
        'every High alert is shown before any other',
      );
    });

    it('counts alerts by severity in the header, in severity order', () => {
      const alerts = [
        anAlert({ id: 'a1', severity: 'Low' }),
        anAlert({ id: 'a2', severity: 'High' }),
        anAlert({ id: 'a3', severity: 'Medium' }),
        anAlert({ id: 'a4', severity: 'High' }),
        anAlert({ id: 'a5', severity: 'SomethingNew' }),
      ];
      const card = toAlertDigestCard({ alerts, now, subscription: SUBSCRIPTION, windowLabel: 'in 1 minute' });
      assertSoundCard(card);
      const counts = (card.body as { type: string; columns?: { items: { text: string; color: string }[] }[] }[])
        .find((e) => e.type === 'ColumnSet')!
        .columns!.map((c) => [c.items[0]!.text, c.items[0]!.color]);
      assert.deepEqual(counts, [
        ['2 High', 'accent'],
        ['1 Medium', 'default'],
        ['1 Low', 'default'],
        ['1 Unknown', 'default'],
      ]);
      assert.equal(
        alertDigestSummary(alerts, 'in 1 minute'),
        '5 alerts in 1 minute: 2 High, 1 Medium, 1 Low, 1 Unknown',
      );
    });

    it('keeps hostile text in TextRuns and 25 rows of the costliest text under 28 KB', () => {
      for (const alerts of [burst(60, (a) => hostile(a)), Array.from({ length: 60 }, (_, i) => worstCase(i))]) {
        const card = toAlertDigestCard({ alerts, now, subscription: COSTLY, windowLabel: COSTLY });
        assertSoundCard(card);
        assert.equal(rowsOf(card).length, DIGEST_ROWS);
      }
      const card = toAlertDigestCard({
        alerts: burst(3, (a) => hostile(a, { title: `${EVIL_TEMPLATE} ${EVIL_LINK} ${HUGE}` })),
        now,
        subscription: '',
        windowLabel: '',
      });
      assertSoundCard(card);
      const title = textRuns(card).find((r) => r.startsWith('{{alert.id}}')) ?? '';
      assert.ok(
        title.startsWith(`${EVIL_TEMPLATE} Invoice_[Open]`),
        'template syntax in a row title is shown literally',
      );
      assert.ok(title.length <= 110, 'row titles are clipped');
    });
  });

  describe('personal notice card', () => {
    const notice = (overrides: Partial<Parameters<typeof toAlertNoticeCard>[0]> = {}) =>
      toAlertNoticeCard({
        alertId: openDemoAlert.id,
        severity: openDemoAlert.severity,
        createdTime: '2026-11-22T07:00:00Z',
        now,
        subscription: SUBSCRIPTION,
        refreshUserIds: ['29:1-alex'],
        ...overrides,
      });

    it('refreshes into the alert for exactly the given users and offers Show', () => {
      const card = notice({ refreshUserIds: ['29:1-alex', '29:1-alex-mobile'] });
      assertSoundCard(card);
      assert.deepEqual(card.refresh, {
        action: { type: 'Action.Execute', title: 'Show', verb: 'alert.open', data: { alertId: openDemoAlert.id } },
        userIds: ['29:1-alex', '29:1-alex-mobile'],
      });
      assert.deepEqual(buttons(card), [['Show', 'alert.open', { alertId: openDemoAlert.id }]]);
    });

    it('says severity, time and subscription, and nothing else about the alert', () => {
      const alert = hostile(openDemoAlert, { title: 'Mimikatz on the CFO laptop', computerDnsName: 'lt-cfo-01' });
      const card = notice({ alertId: alert.id, severity: alert.severity });
      assertSoundCard(card);
      assert.equal(
        textRuns(card).join(''),
        'New High alert for your subscription2026-11-22 07:00 UTC (1 h ago) · Subscription: ' + SUBSCRIPTION,
      );
      const json = JSON.stringify(card);
      for (const secret of [
        alert.title,
        alert.computerDnsName!,
        openDemoAlert.computerDnsName!,
        openDemoAlert.title,
        'jonis',
        alert.category!.slice(0, 20),
      ]) {
        assert.ok(!json.includes(secret), `the notice reveals "${secret}"`);
      }
    });

    it('reads "New alert" for a severity Defender does not define, and copes with no creation time', () => {
      const card = notice({ severity: 'UnSpecified', createdTime: null });
      assertSoundCard(card);
      assert.ok(textRuns(card).join('').startsWith('New alert for your subscriptionUnknown time · '));
    });

    it('refuses more users than Teams refreshes for, and an alert id a button could not carry', () => {
      assert.throws(() => notice({ refreshUserIds: Array.from({ length: 61 }, (_, i) => `29:${i}`) }), RangeError);
      assert.throws(() => notice({ alertId: '../alerts' }), RangeError);
    });
  });

  describe('activity summaries', () => {
    it('summarise an alert as "<severity> alert: <title>", clipped and never empty', () => {
      assert.equal(alertNotificationSummary(openDemoAlert), `High alert: ${openDemoAlert.title}`);
      assert.equal(
        alertNotificationSummary(anAlert({ title: ' \u0000 ', severity: 'Weird' })),
        'Alert: Untitled alert',
      );
      const long = alertNotificationSummary(hostile(openDemoAlert));
      assert.ok(long.length <= 170 && long.startsWith('High alert: **URGENT**'), long);
    });
  });
});
