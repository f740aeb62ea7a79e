import assert from 'node:assert/strict';
import { toAlertCard } from '../../src/cards/alertCard';
import { toAlertListCard } from '../../src/cards/alertListCard';
import { toChoiceCard } from '../../src/cards/choiceCard';
import { deriveIsolationState, toDeviceCard } from '../../src/cards/deviceCard';
import { toHelpCard } from '../../src/cards/helpCard';
import { toNoticeCard } from '../../src/cards/noticeCard';
import { CardTemplateError, MAX_CARD_BYTES, renderCard } from '../../src/cards/renderCard';
import { english } from '../../src/commands/phrasebook';
import { aMachine, aMachineAction, anAlert, anEvidence } from '../fixtures/builders';
import { assertValidAdaptiveCard, markdownEffects, markdownSurfaces, textRuns } from '../fixtures/adaptiveCards';

const now = new Date('2026-11-22T08:00:00Z');
// Attacker-controlled strings as they appear in real malware names, command lines and device names.
const EVIL_LINK = 'Invoice_[Open](https://evil.example/x).pdf.exe';
const EVIL_MARKDOWN =
  '**URGENT** `rm -rf` <at>CEO</at> [click](https://evil.example) ![img](https://evil.example/i.png)';
const EVIL_DEVICE = 'ws-[pwn](https://evil.example).corp.contoso.com';
const HUGE = 'A'.repeat(120_000);

function hostileAlert(i = 0) {
  return anAlert({
    id: `da63841290038283886${i}_1364969609`,
    title: `${EVIL_MARKDOWN} ${HUGE}`,
    description: `${EVIL_LINK}\n\n${EVIL_MARKDOWN}\u0000\u202E${HUGE}`,
    category: EVIL_MARKDOWN,
    computerDnsName: EVIL_DEVICE,
    assignedTo: EVIL_MARKDOWN,
    relatedUser: { userName: EVIL_MARKDOWN, domainName: 'CONTOSO' },
    threatFamilyName: EVIL_LINK,
    mitreTechniques: ['T1059.001', '[x](https://evil.example)'],
    evidence: Array.from({ length: 50 }, (_, k) =>
      k % 2
        ? anEvidence({
            entityType: 'File',
            fileName: EVIL_LINK,
            filePath: `C:\\Users\\${EVIL_MARKDOWN}`,
            sha256: 'f'.repeat(64),
          })
        : anEvidence({
            entityType: 'Process',
            fileName: 'powershell.exe',
            processCommandLine: `powershell -enc ${HUGE} ${EVIL_MARKDOWN}`,
          }),
    ),
  });
}

/** Asserts no attacker string reached a surface a host may render as markdown. */
function assertNoUntrustedMarkdown(card: unknown) {
  for (const surface of markdownSurfaces(card)) {
    for (const marker of ['evil.example', 'URGENT', '<at>', 'pwn']) {
      assert.ok(
        !surface.includes(marker),
        `untrusted text "${marker}" in a markdown surface: ${surface.slice(0, 120)}`,
      );
    }
    assert.deepEqual(markdownEffects(surface), [], `markdown surface renders links or code: ${surface.slice(0, 120)}`);
  }
}

describe('cards', () => {
  it('render the alert card from hostile data: valid 1.5, under 28 KB, attacker text only in TextRuns', () => {
    const card = toAlertCard({ alert: hostileAlert(), now });
    assertValidAdaptiveCard(card);
    assert.ok(Buffer.byteLength(JSON.stringify(card)) < MAX_CARD_BYTES);
    assertNoUntrustedMarkdown(card);
    const runs = textRuns(card).join('\n');
    assert.ok(runs.includes('Invoice_[Open](https://evil.example/x).pdf.exe'), 'file names are shown verbatim');
    assert.ok(!runs.includes('\u0000') && !runs.includes('\u202E'), 'control and bidi characters are removed');
    const mitre = JSON.stringify(card);
    assert.ok(!mitre.includes('[x](https://evil.example)'), 'MITRE ids are validated, not echoed');
  });

  it('render the alert list from hostile data, 10 rows per page with paging buttons', () => {
    const alerts = Array.from({ length: 23 }, (_, i) => hostileAlert(i));
    const card = toAlertListCard({
      query: { severities: ['High'], status: { kind: 'unresolved' }, assignedToMe: false },
      page: 1,
      alerts,
      truncated: false,
      now,
    });
    assertValidAdaptiveCard(card);
    assert.ok(Buffer.byteLength(JSON.stringify(card)) < MAX_CARD_BYTES);
    assertNoUntrustedMarkdown(card);
    const rows = (card.body as { selectAction?: { verb: string } }[]).filter(
      (e) => e.selectAction?.verb === 'alert.open',
    );
    assert.equal(rows.length, 10);
    const actions = (card.actions as { title: string; data: { page: number } }[]).map((a) => [a.title, a.data.page]);
    assert.deepEqual(actions, [
      ['Previous', 0],
      ['Show more', 2],
    ]);
    assert.match(JSON.stringify(card.body), /23 alerts · showing 11–20/);
  });

  it('render the device card with the isolation state derived from actions', () => {
    const machine = aMachine({ computerDnsName: EVIL_DEVICE, machineTags: [EVIL_MARKDOWN], rbacGroupName: EVIL_LINK });
    const isolation = deriveIsolationState([
      aMachineAction({ type: 'Unisolate', status: 'Succeeded', creationDateTimeUtc: '2026-11-20T00:00:00Z' }),
      aMachineAction({
        type: 'Isolate',
        status: 'Succeeded',
        creationDateTimeUtc: '2026-11-21T00:00:00Z',
        lastUpdateDateTimeUtc: '2026-11-21T00:01:00Z',
      }),
      aMachineAction({ type: 'Unisolate', status: 'Failed', creationDateTimeUtc: '2026-11-21T12:00:00Z' }),
    ]);
    assert.equal(isolation.kind, 'isolated');
    const card = toDeviceCard({ machine, isolation, openAlerts: 3, now });
    assertValidAdaptiveCard(card);
    assertNoUntrustedMarkdown(card);
    assert.match(JSON.stringify(card), /Isolated since 2026-11-21/);
    assert.match(JSON.stringify(card), /Show 3 open alerts/);
  });

  it('derive isolation: pending actions show as pending, no history means not isolated', () => {
    assert.equal(deriveIsolationState([]).kind, 'notIsolated');
    assert.equal(
      deriveIsolationState([aMachineAction({ type: 'Isolate', status: 'Pending' })]).kind,
      'isolationPending',
    );
    assert.equal(
      deriveIsolationState([
        aMachineAction({ type: 'Isolate', status: 'Succeeded', creationDateTimeUtc: '2026-11-20T00:00:00Z' }),
        aMachineAction({ type: 'Unisolate', status: 'InProgress', creationDateTimeUtc: '2026-11-21T00:00:00Z' }),
      ]).kind,
      'releasePending',
    );
    assert.equal(deriveIsolationState([aMachineAction({ type: 'Isolate', status: 'Cancelled' })]).kind, 'notIsolated');
  });

  it('keep the help card free of angle brackets, which renderers swallow as HTML', () => {
    for (const surface of markdownSurfaces(toHelpCard(english.examples, { welcome: false }))) {
      assert.doesNotMatch(surface, /<[a-z]/i, surface);
    }
  });

  it('render help, choice and notice cards as valid 1.5', () => {
    for (const card of [
      toHelpCard(english.examples, { welcome: true }),
      toChoiceCard({
        heading: '2 devices have this name',
        subject: EVIL_DEVICE,
        text: 'Which one?',
        choices: [{ label: EVIL_DEVICE, detail: EVIL_MARKDOWN, verb: 'device.show', data: { device: 'a'.repeat(40) } }],
      }),
      toNoticeCard({ heading: 'Permission needed', text: 'No.', reference: 'ref 1' }),
    ]) {
      assertValidAdaptiveCard(card);
      assertNoUntrustedMarkdown(card);
    }
  });

  it('refuse to render a template binding that has no data instead of leaving ${...} in the card', () => {
    assert.throws(
      () => renderCard({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: '${missing}' }] }, {}),
      CardTemplateError,
    );
  });

  it('insert data literally: ${...} inside alert text is not evaluated', () => {
    const card = toAlertCard({ alert: anAlert({ title: 'echo ${HOME} ${1+1}' }), now });
    assert.ok(textRuns(card).includes('echo ${HOME} ${1+1}'));
  });
});
