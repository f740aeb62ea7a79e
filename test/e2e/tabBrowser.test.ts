import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { RunningApp } from '../../src/app';
import { BotClient, visibleText } from '../support/botClient';
import { actionData } from '../support/cardData';
import { demoSeed, persona, personalChat } from '../support/demoTenant';
import { requireTool } from '../support/requiredTool';
import { startTestApp, testConfig } from '../support/testApp';

/** Debian's Chromium, or CHROMIUM_PATH (.ci/run sets it to the one it installed). */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const SCREENSHOTS = path.resolve(__dirname, '../../../docs/screenshots');

/** What the bot sent to "Teams": the test's connector, a real HTTP server recording posts and card updates. */
interface Recorded {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

function startConnectorRecorder(
  roster: { aadObjectId: string; name: string }[],
): Promise<{ url: string; seen: Recorded[]; close(): Promise<void> }> {
  const seen: Recorded[] = [];
  const server = http.createServer((req, res) => {
    // Teams' "get member": the team's roster answers for its people, 404 for anyone else.
    const member = /\/v3\/conversations\/[^/]+\/members\/([^/?]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && member) {
      const person = roster.find((p) => p.aadObjectId === decodeURIComponent(member[1]!));
      res.writeHead(person ? 200 : 404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          person
            ? { id: `29:${person.aadObjectId}`, aadObjectId: person.aadObjectId, name: person.name }
            : {
                error: { code: 'MemberNotFoundInConversation', message: 'The member is not part of the conversation.' },
              },
        ),
      );
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', path: req.url ?? '', body: text ? (JSON.parse(text) as never) : {} });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: randomUUID() }));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}/_connector`,
        seen,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

/**
 * The SOC console tab in real Chromium, inside the demo Teams host page (src/simulator/teams) that answers the
 * teams-js protocol with tokens from the Entra emulator: what each persona sees, approving from the tab (exactly one
 * Defender action, sent with the approver's token, the chat's card updated), a decision on a card reaching the tab,
 * themes, the page outside Teams, accessibility (axe-core: no serious or critical violation).
 */
describe('SOC console tab in a browser (demo Teams host page)', function () {
  this.timeout(180_000);
  let app: RunningApp;
  let browser: Browser;
  let connector: Awaited<ReturnType<typeof startConnectorRecorder>>;
  let bot: BotClient;
  const pageErrors: string[] = [];
  /** Every Content Security Policy violation any frame reported (the tab's CSP must need no exception). */
  const cspViolations: string[] = [];
  const megan = persona('Megan');
  const adele = persona('Adele');
  const isaiah = persona('Isaiah');
  const alex = persona('Alex');

  before(async function () {
    requireTool(this, {
      present: fs.existsSync(CHROMIUM),
      what: `Chromium (${CHROMIUM})`,
      install: 'apt-get install chromium, or set CHROMIUM_PATH',
    });
    connector = await startConnectorRecorder(
      [adele, megan, alex, isaiah].map((p) => ({ aadObjectId: p.aadObjectId, name: p.displayName })),
    );
    app = await startTestApp(testConfig({ TEAMS_HOST_PORT: '0' }), {
      teamsHost: true,
      simulatorTimings: { pendingMs: 100, inProgressMs: 100, timeoutMs: 5_000 },
      actionPollIntervalMs: 200,
    });
    bot = new BotClient(app.url, `28:${randomUUID()}`, 'en-US', connector.url);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
    });
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
    await connector?.close();
  });

  /** A page of the host signed in as `who`, loopback only (nothing leaves the machine). */
  async function openHost(
    who: { aadObjectId: string },
    options: { theme?: string; locale?: string; place?: string } = {},
  ): Promise<{ page: Page; tab: Frame }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.route('**/*', (route) => {
      const host = new URL(route.request().url()).hostname;
      return host === '127.0.0.1' || host === 'localhost' ? route.continue() : route.abort();
    });
    const query = new URLSearchParams({
      persona: who.aadObjectId,
      theme: options.theme ?? 'default',
      locale: options.locale ?? 'en-us',
      place: options.place ?? 'personal',
    });
    await page.goto(`${app.teamsHost!.url}?${query.toString()}`);
    const tab = await tabFrame(page);
    await tab.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
    return { page, tab };
  }

  async function tabFrame(page: Page): Promise<Frame> {
    for (let i = 0; i < 200; i++) {
      const frame = page.frames().find((f) => f.url().startsWith(`${app.url}/tab/`));
      if (frame) return frame;
      await page.waitForTimeout(50);
    }
    assert.fail('the host never framed the tab');
  }

  /** Megan asks for an action in her personal chat and confirms it: the approval request's id. */
  async function request(command: string): Promise<string> {
    const chat = personalChat(megan);
    const replies = await bot.say(command, megan, chat);
    const confirm = actionData(replies, 'action.confirm');
    assert.ok(confirm, `no confirmation card: ${visibleText(replies).slice(0, 300)}`);
    const view = await bot.execute('action.confirm', { ...confirm, reason: 'Beaconing seen by the SOC' }, megan, chat);
    const id = /"(A-[A-Za-z0-9_-]{12})"/.exec(JSON.stringify(view.value))?.[1];
    assert.ok(id, 'an approval id');
    await app.idle();
    return id;
  }

  async function axeViolations(frame: Frame): Promise<string[]> {
    // Evaluated through the DevTools protocol, as a browser extension would: the page's CSP stays as served.
    await frame.evaluate(AXE_SOURCE);
    const result = await frame.evaluate<{ violations: { id: string; impact: string }[] }>('axe.run()');
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact})`);
  }

  it('outside Teams, the page says what it is and how to open it instead of failing blank', async () => {
    const page = await browser.newPage({ locale: 'pt-BR' });
    await page.goto(`${app.url}/tab/`);
    await page.waitForSelector('body[data-state="outsideTeams"]', { timeout: 15_000 });
    const words = await page.locator('body').innerText();
    assert.match(words, /Teams/);
    assert.equal(await page.getAttribute('html', 'lang'), 'pt-BR');
    assert.ok(words.trim().length > 60, `an explanation, not a blank page: ${words}`);
    await page.close();
  });

  it('each persona sees what its roles allow: an analyst has no decisions and no audit, an admin has both', async () => {
    const id = await request('isolate device vm-qa-test-01');
    const { page: alexPage, tab: alexTab } = await openHost(alex);
    const alexRow = alexTab.locator(`[data-testid="approval-row"][data-approval-id="${id}"]`);
    await alexRow.waitFor();
    assert.equal(await alexRow.locator('[data-decision="approve"]').count(), 0, 'no Approve for an analyst');
    assert.equal(await alexTab.locator('[data-testid="tab-audit"]').count(), 0, 'no Audit view for an analyst');
    assert.deepEqual(await axeViolations(alexTab), []);
    await alexPage.close();

    const { page: meganPage, tab: meganTab } = await openHost(megan);
    const own = meganTab.locator(`[data-testid="approval-row"][data-approval-id="${id}"]`);
    await own.waitFor();
    assert.equal(await own.locator('[data-decision="approve"]').count(), 0, 'no Approve on one’s own request');
    await meganPage.close();

    const { page, tab } = await openHost(adele);
    await tab.locator(`[data-testid="approval-row"][data-approval-id="${id}"] [data-decision="approve"]`).waitFor();
    assert.equal(await tab.locator('[data-testid="tab-audit"]').count(), 1);
    assert.match(await tab.locator('[data-testid="viewer"]').innerText(), /Adele Vance · Contoso Ltd/);
    await page.close();
  });

  it('approving from the tab executes exactly once, with the approver’s token, and updates the card in the chat', async () => {
    const id = await request('isolate device ws-eng-021');
    const { page, tab } = await openHost(adele);
    const row = tab.locator(`[data-testid="approval-row"][data-approval-id="${id}"]`);
    await row.locator('[data-decision="approve"]').click();
    const dialog = tab.locator('[data-testid="decision-dialog"]');
    await dialog.locator('[data-testid="dialog-text"] textarea').fill('Confirmed from the console');
    const updatesBefore = connector.seen.filter((r) => r.method === 'PUT').length;
    await dialog.locator('[data-testid="dialog-confirm"]').click();
    await tab
      .locator('[data-testid="status"]')
      .filter({ hasText: /Defender/ })
      .waitFor({ timeout: 15_000 });
    await app.idle();
    const actions = app
      .demo!.simulator.defender.state.machineActions(demoSeed.tenant.id)
      .filter((a) => (a.requestorComment ?? '').includes(id));
    assert.equal(actions.length, 1, 'exactly one isolation');
    assert.equal(actions[0]!.requestor, adele.userPrincipalName);
    await row.waitFor({ state: 'detached', timeout: 20_000 });
    const updates = connector.seen.filter((r) => r.method === 'PUT').slice(updatesBefore);
    assert.ok(
      updates.some((u) => JSON.stringify(u.body).includes(id) && JSON.stringify(u.body).includes('Adele Vance')),
      'the request’s card in Megan’s chat was updated to show the approval',
    );
    await page.close();
  });

  it('a decision made on a card reaches the open tab', async () => {
    const id = await request('collect investigation package from ws-hr-009');
    const { page, tab } = await openHost(adele);
    const row = tab.locator(`[data-testid="approval-row"][data-approval-id="${id}"]`);
    await row.waitFor();
    const rejected = await bot.execute(
      'approval.reject',
      { approvalId: id, comment: 'Not needed' },
      isaiah,
      personalChat(isaiah),
    );
    assert.equal(rejected.statusCode, 200);
    await row.waitFor({ state: 'detached', timeout: 30_000 });
    await page.close();
  });

  it('follows Teams’ theme as it changes (light, dark, high contrast), readable in each', async () => {
    await request('restrict apps on ws-hr-012');
    const { page, tab } = await openHost(adele);
    const background = async () => String(await tab.evaluate('getComputedStyle(document.body).backgroundColor'));
    const colours: Record<string, string> = {};
    for (const [theme, file] of [
      ['default', 'tab-light.png'],
      ['dark', 'tab-dark.png'],
      ['contrast', 'tab-contrast.png'],
    ] as const) {
      await page.getByLabel('Theme').selectOption(theme);
      await tab.waitForSelector(`body[data-theme="${theme}"]`, { timeout: 10_000 });
      await page.waitForTimeout(200);
      colours[theme] = await background();
      assert.deepEqual(await axeViolations(tab), [], `axe in ${theme}`);
      const shot = await page.screenshot();
      assert.ok(shot.length > 10_000);
      if (process.env.UPDATE_SCREENSHOTS === '1') {
        fs.mkdirSync(SCREENSHOTS, { recursive: true });
        fs.writeFileSync(path.join(SCREENSHOTS, file), shot);
      }
    }
    assert.equal(new Set(Object.values(colours)).size, 3, `three backgrounds: ${JSON.stringify(colours)}`);
    await page.close();
  });

  it('shows the audit trail with its chain verified and exports the filtered range as JSON Lines', async () => {
    await request('collect investigation package from ws-fin-043');
    const { page, tab } = await openHost(adele);
    await tab.locator('[data-testid="tab-audit"]').click();
    await tab.locator('[data-testid="audit-device"] input').fill('ws-fin-043.corp.contoso.com');
    await tab.locator('[data-testid="audit-search"]').click();
    // The view opens on the newest entries; the search replaces them with the device's.
    let rows: string[] = [];
    for (let i = 0; i < 150; i++) {
      rows = await tab.locator('[data-testid="audit-row"]').allInnerTexts();
      if (rows.length > 0 && rows.every((r) => r.includes('ws-fin-043'))) break;
      await page.waitForTimeout(100);
    }
    assert.ok(rows.length > 0 && rows.every((r) => r.includes('ws-fin-043')), rows.join('\n'));
    assert.match(await tab.locator('body').innerText(), /Chain verified: \d+ entries/);
    assert.deepEqual(await axeViolations(tab), []);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      tab.locator('[data-testid="audit-export"]').click(),
    ]);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'audit-')), 'audit.jsonl');
    await download.saveAs(file);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    assert.ok(lines.length >= rows.length);
    for (const line of lines)
      assert.equal((JSON.parse(line) as { device?: { name: string } }).device?.name, 'ws-fin-043.corp.contoso.com');
    await page.close();
  });

  it('in a channel tab, shows the channel’s subscriptions and lets an admin add one', async () => {
    const channel = { id: 'team-soc', conversationType: 'channel' as const, tenantId: demoSeed.tenant.id };
    await bot.say('subscribe to high alerts', adele, channel);
    await bot.execute('command.view', { command: 'subscribe to high alerts' }, adele, channel);
    const { page, tab } = await openHost(adele, { place: 'channel:team-soc' });
    await tab.locator('[data-testid="tab-subscriptions"]').click();
    await tab.locator('[data-testid="subscription-row"]').first().waitFor({ timeout: 15_000 });
    const before = await tab.locator('[data-testid="subscription-row"]').count();
    assert.deepEqual(await axeViolations(tab), []);
    await tab.locator('#sub-severities-Medium').check();
    await tab.locator('[data-testid="subscription-add"]').click();
    await tab.locator('[data-testid="subscription-row"]').nth(before).waitFor({ timeout: 15_000 });
    assert.equal(await tab.locator('[data-testid="subscription-row"]').count(), before + 1);
    await page.close();
  });

  it('raised no error and no Content Security Policy violation in any page', () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(cspViolations, []);
  });
});
