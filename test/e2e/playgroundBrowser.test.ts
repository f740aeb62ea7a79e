import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { RunningApp } from '../../src/app';
import { freePort } from '../support/playgroundDriver';
import { requireTool } from '../support/requiredTool';
import { startTestApp, testConfig } from '../support/testApp';

/** Debian's Chromium, or CHROMIUM_PATH (.ci/run sets it to the one it installed). */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * The Agents Playground's own web client in headless Chromium (Debian's, never a downloaded browser): the
 * bot's cards are rendered by Microsoft's Adaptive Cards renderer and clicked like a person would.
 * Where Chromium is missing it fails in CI (CI=true) and is skipped locally; .ci/run installs it.
 */
describe('Agents Playground in a browser', function () {
  this.timeout(120_000);
  let app: RunningApp;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  before(async function () {
    requireTool(this, {
      present: fs.existsSync(CHROMIUM),
      what: `Chromium (${CHROMIUM})`,
      install: 'apt-get install chromium, or set CHROMIUM_PATH',
    });
    const port = await freePort();
    app = await startTestApp(testConfig({ PLAYGROUND: 'on', PLAYGROUND_PORT: String(port) }));
    context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 1000 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // Nothing leaves the machine: only loopback requests are allowed.
    await page.route('**/*', (route) => {
      const host = new URL(route.request().url()).hostname;
      return host === '127.0.0.1' || host === 'localhost' ? route.continue() : route.abort();
    });
    await page.goto(app.playground!.url, { waitUntil: 'networkidle' });
  });
  after(async () => {
    await context?.close();
    await app?.stop();
  });

  it('renders the alert list card, pages with Show more and opens an alert in place', async () => {
    await page.getByRole('textbox').fill('show high alerts');
    await page.getByRole('button', { name: 'Send Message' }).click();
    const card = page
      .locator('.ac-adaptiveCard')
      .filter({ hasText: /Unresolved · \d+ alerts/ })
      .last();
    await card.waitFor({ timeout: 20_000 });
    assert.match(await card.innerText(), /Unresolved · \d+ alerts · showing 1–10/);

    await card.getByRole('button', { name: 'Show more' }).click();
    await page.locator('.ac-adaptiveCard').filter({ hasText: 'showing 11–' }).last().waitFor({ timeout: 20_000 });

    const row = page
      .locator('.ac-adaptiveCard')
      .filter({ hasText: 'showing 11–' })
      .last()
      .locator('.ac-selectable')
      .first();
    const title = (await row.innerText()).split('\n').find((line) => line.length > 20) ?? '';
    await row.click();
    const detail = page.locator('.ac-adaptiveCard').filter({ hasText: 'Back to list' }).last();
    await detail.waitFor({ timeout: 20_000 });
    assert.ok((await detail.innerText()).includes(title.trim()), `alert card shows "${title}"`);
    assert.deepEqual(pageErrors, []);
  });
});
