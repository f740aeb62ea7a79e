import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { FIRST_LOAD_BUDGET_BYTES, buildTab, type BuildTabReport } from '../../../scripts/buildTab';
import { requireTool } from '../../support/requiredTool';

/** Debian's Chromium, or CHROMIUM_PATH (.ci/run sets it to the one it installed). */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const AXE = require.resolve('axe-core/axe.min.js');

/** The server's policy for the tab (issue 15): nothing inline, scripts and styles from the page's own origin. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:";

/** Where teams-js fetches its list of Teams origins at load (internal/constants.js, validOriginsCdnEndpoint). */
const TEAMS_JS_CDN = 'https://res.cdn.office.net/teams-js/validDomains/';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/**
 * Serves a built dist/tab folder under /tab/ on 127.0.0.1 with the strict CSP, plus `/tab/settings.json` with no
 * extra origins (production's answer). `/frame` is a page on the same server that frames the tab and never answers
 * teams-js: what a tab sees when something other than Teams embeds it.
 */
async function serveTab(dir: string) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/frame') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>not Teams</title><iframe src="/tab/" title="tab"></iframe>');
      return;
    }
    res.setHeader('Content-Security-Policy', CSP);
    if (url.pathname === '/tab/settings.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ validMessageOrigins: [] }));
      return;
    }
    const name = url.pathname === '/tab/' ? 'index.html' : url.pathname.replace(/^\/tab\//, '');
    const file = path.join(dir, path.basename(name));
    if (!url.pathname.startsWith('/tab/') || !fs.existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('tab page build (scripts/buildTab) and its page outside Teams, in Chromium', function () {
  this.timeout(120_000);
  let outDir: string;
  let report: BuildTabReport;

  before(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tab-build-'));
    report = await buildTab({ outDir });
  });
  after(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('bundles both pages, minified, with source maps as separate files', () => {
    for (const file of ['index.html', 'config.html', 'tab.js', 'config.js', 'tab.css', 'tab.js.map', 'config.js.map']) {
      assert.ok(fs.existsSync(path.join(outDir, file)), `${file} is built`);
    }
    const js = fs.readFileSync(path.join(outDir, 'tab.js'), 'utf8');
    assert.ok(/\/\/# sourceMappingURL=tab\.js\.map\s*$/.test(js.slice(-100)), 'tab.js points at its map');
    assert.ok(!js.includes('/** '), 'minified: no doc comments left');
    const map = JSON.parse(fs.readFileSync(path.join(outDir, 'tab.js.map'), 'utf8')) as { sources: string[] };
    assert.ok(map.sources.some((source) => source.endsWith('src/tab/web/tabMain.ts')));
  });

  it('stays within the first-load budget of 150 KB gzipped (JS + CSS)', () => {
    assert.ok(report.firstLoadGzipBytes > 10_000, 'the measure covers the real bundle');
    assert.ok(
      report.firstLoadGzipBytes <= FIRST_LOAD_BUDGET_BYTES,
      `first load is ${report.firstLoadGzipBytes} bytes gzipped`,
    );
  });

  it('puts no inline script or style in its pages (the CSP allows neither)', () => {
    for (const page of ['index.html', 'config.html']) {
      const html = fs.readFileSync(path.join(outDir, page), 'utf8');
      for (const tag of html.match(/<script\b[^>]*>/g) ?? []) assert.match(tag, /\bsrc=/, `${page}: ${tag}`);
      assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i, page);
    }
  });

  describe('outside Teams', () => {
    let browser: Browser;
    let server: Awaited<ReturnType<typeof serveTab>>;

    before(async function () {
      requireTool(this, {
        present: fs.existsSync(CHROMIUM),
        what: `Chromium (${CHROMIUM})`,
        install: 'apt-get install chromium, or set CHROMIUM_PATH',
      });
      server = await serveTab(outDir);
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      });
    });
    after(async () => {
      await browser?.close();
      await server?.close();
    });

    /** A page whose script/style CSP violations are collected (connect-src is teams-js' CDN prefetch, see below). */
    async function open(locale: string): Promise<{ page: Page; violations: string[] }> {
      const context = await browser.newContext({ locale });
      const page = await context.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        const text = message.text();
        // teams-js prefetches its list of Teams origins from a CDN when loaded; connect-src 'self' blocks that and
        // teams-js falls back to its built-in list. Every other violation (script, style) fails the test.
        if (/Content Security Policy/.test(text) && !text.includes(TEAMS_JS_CDN)) violations.push(text);
      });
      page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));
      await page.route('**/*', (route) =>
        new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
      );
      return { page, violations };
    }

    it('opened directly, explains in the browser language that it is a Teams tab, accessibly', async () => {
      const { page, violations } = await open('en-US');
      await page.goto(`${server.origin}/tab/`);
      await page.waitForSelector('body[data-state]');
      assert.equal(await page.getAttribute('body', 'data-state'), 'outsideTeams');
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      assert.equal(await page.locator('h1').count(), 1);
      assert.match(await page.innerText('main'), /Microsoft Teams/);
      assert.match(await page.innerText('main'), /npm start/);
      await page.evaluate(fs.readFileSync(AXE, 'utf8'));
      const serious = await page.evaluate<string[]>(
        `axe.run().then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id))`,
      );
      assert.deepEqual(serious, []);
      assert.deepEqual(violations, []);
      await page.context().close();
    });

    it('speaks Portuguese to a pt-BR browser', async () => {
      const { page, violations } = await open('pt-BR');
      await page.goto(`${server.origin}/tab/`);
      await page.waitForSelector('body[data-state="outsideTeams"]');
      assert.equal(await page.getAttribute('html', 'lang'), 'pt-BR');
      assert.match(await page.innerText('main'), /Microsoft Teams/);
      assert.doesNotMatch(await page.innerText('main'), /How to open it/);
      assert.deepEqual(violations, []);
      await page.context().close();
    });

    it('the configuration page, opened directly, explains itself too', async () => {
      const { page, violations } = await open('en-US');
      await page.goto(`${server.origin}/tab/config.html`);
      await page.waitForSelector('body[data-state]');
      assert.equal(await page.getAttribute('body', 'data-state'), 'outsideTeams');
      assert.deepEqual(violations, []);
      await page.context().close();
    });

    it('framed by a page that never answers teams-js, gives up after the timeout and explains, never blank', async () => {
      const { page } = await open('en-US');
      await page.goto(`${server.origin}/frame`);
      const frame = page.frameLocator('iframe');
      const started = Date.now();
      await frame.locator('body[data-state="outsideTeams"]').waitFor({ state: 'attached', timeout: 15_000 });
      assert.ok(Date.now() - started >= 3_000, 'it waited for the host first');
      assert.equal(await frame.locator('h1').count(), 1);
      await page.context().close();
    });
  });
});
