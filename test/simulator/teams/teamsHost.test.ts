import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { BrowserContext, Frame, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { loadOrCreateDevCertificates } from '../../../src/simulator/certs';
import { demoSeedPath, loadSeedFile } from '../../../src/simulator/seed/loadSeed';
import { startSimulatorServer } from '../../../src/simulator/simulatorServer';
import type { SimulatorServer } from '../../../src/simulator/simulatorServer';
import type { TeamsHost } from '../../../src/simulator/teams/teamsHost';
import { startTeamsHost } from '../../../src/simulator/teams/teamsHost';
import type { TeamsPersona, TeamsTeam } from '../../../src/simulator/teams/teamsHostTypes';
import { requireTool } from '../../support/requiredTool';

/** Debian's Chromium, or CHROMIUM_PATH (.ci/run sets it to the one it installed). */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const TENANT_ID = '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const BOT_CLIENT_ID = '7d1e5a2b-8c4f-4e9a-b3d6-0f2a9c8e1b54';
const ALEX: TeamsPersona = {
  aadObjectId: '00000000-0000-0000-0000-0000000000020',
  displayName: 'Alex Wilber',
  userPrincipalName: 'alexw@contoso.com',
};
const ADELE: TeamsPersona = {
  aadObjectId: '00000000-0000-0000-0000-0000000000022',
  displayName: 'Adele Vance',
  userPrincipalName: 'adelev@contoso.com',
  teamRole: 'owner',
};
/** Not in the seed: the emulator refuses to mint for them. Their name also proves the page escapes what it shows. */
const GHOST: TeamsPersona = {
  aadObjectId: '0badc0de-0000-4000-8000-000000000099',
  displayName: 'Ghost <img src=x id=injected> User',
  userPrincipalName: 'ghost@contoso.com',
};
const TEAM: TeamsTeam = {
  id: '19:soc-general@thread.tacv2',
  name: 'SOC',
  aadGroupId: '5e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
  channels: [
    { id: '19:soc-general@thread.tacv2', name: 'General' },
    { id: '19:soc-triage@thread.tacv2', name: 'Triage' },
  ],
};

/** What the fixture tab page saw through teams-js (window.__fixture in the tab's frame). */
interface FixtureState {
  done: boolean;
  initialized?: boolean;
  error?: string;
  context?: {
    app: { theme: string; locale: string; host: { name: string; clientType: string } };
    page: { id: string; frameContext: string };
    user: { id: string; displayName?: string; userPrincipalName?: string; tenant?: { id: string } };
    channel?: { id: string; displayName?: string };
    team?: { internalId: string; groupId?: string; displayName?: string };
  };
  token?: string;
  tokenError?: { isError: boolean; message: string };
  themes: string[];
  saved?: boolean;
  href: string;
}

/*
 * The tab the host embeds in these tests: a page on another origin that loads teams-js' own UMD build and records
 * what it sees. Its origin list comes from /settings.json, as the real tab's does; `?origins=none` leaves it out.
 */
const FIXTURE_TAB_SCRIPT = `(async () => {
  const state = (window.__fixture = { done: false, themes: [], href: location.href });
  try {
    const settings = await (await fetch('/settings.json')).json();
    const origins = new URLSearchParams(location.search).get('origins') === 'none' ? [] : settings.validMessageOrigins;
    await microsoftTeams.app.initialize(origins);
    state.initialized = true;
    state.context = await microsoftTeams.app.getContext();
    microsoftTeams.app.registerOnThemeChangeHandler((theme) => state.themes.push(theme));
    try {
      state.token = await microsoftTeams.authentication.getAuthToken();
    } catch (err) {
      state.tokenError = { isError: err instanceof Error, message: err.message };
    }
    if (new URLSearchParams(location.search).get('probe') === 'openLink') {
      void microsoftTeams.app.openLink('https://teams.microsoft.com/l/chat/0/0?users=alexw@contoso.com');
    }
    microsoftTeams.app.notifySuccess();
  } catch (err) {
    state.error = String((err && err.message) || err);
  }
  state.done = true;
})();`;

const FIXTURE_CONFIG_SCRIPT = `(async () => {
  const state = (window.__fixture = { done: false, themes: [], href: location.href });
  const settings = await (await fetch('/settings.json')).json();
  await microsoftTeams.app.initialize(settings.validMessageOrigins);
  state.context = await microsoftTeams.app.getContext();
  microsoftTeams.pages.config.registerOnSaveHandler((saveEvent) => {
    state.saved = true;
    saveEvent.notifySuccess();
  });
  await microsoftTeams.pages.config.setConfig({
    contentUrl: location.origin + '/tab/?view=channel',
    entityId: 'soc-console-channel',
    suggestedDisplayName: 'SOC console',
  });
  microsoftTeams.pages.config.setValidityState(true);
  microsoftTeams.app.notifySuccess();
  state.done = true;
})();`;

function fixturePage(title: string, script: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<script src="/teams.js"></script><script src="/${script}"></script></head>
<body><main><h1>${title}</h1></main></body></html>`;
}

/** Serves the fixture tab, its config page and teams-js' UMD build on 127.0.0.1 (another origin than the host). */
async function startFixtureTab(
  validMessageOrigins: () => string[],
): Promise<{ origin: string; close(): Promise<void> }> {
  const teamsJs = fs.readFileSync(require.resolve('@microsoft/teams-js/dist/umd/MicrosoftTeams.min.js'), 'utf8');
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const send = (type: string, body: string): void => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    };
    if (pathname === '/tab/') return send('text/html', fixturePage('Fixture tab', 'tab.js'));
    if (pathname === '/config') return send('text/html', fixturePage('Fixture config', 'config.js'));
    if (pathname === '/teams.js') return send('text/javascript', teamsJs);
    if (pathname === '/tab.js') return send('text/javascript', FIXTURE_TAB_SCRIPT);
    if (pathname === '/config.js') return send('text/javascript', FIXTURE_CONFIG_SCRIPT);
    if (pathname === '/settings.json')
      return send('application/json', JSON.stringify({ validMessageOrigins: validMessageOrigins() }));
    res.writeHead(404);
    res.end();
    return undefined;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    origin,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function decodeJwt(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('demo Teams host (simulator/teams)', function () {
  this.timeout(120_000);
  let certificateDir: string;
  let simulator: SimulatorServer;
  let caPem: string;
  let fixture: { origin: string; close(): Promise<void> };
  let teamsHost: TeamsHost;
  let hostOrigin = '';
  let context: BrowserContext | undefined;
  let page: Page;
  const logLines: string[] = [];
  const pageErrors: string[] = [];

  before(async function () {
    requireTool(this, {
      present: fs.existsSync(CHROMIUM),
      what: `Chromium (${CHROMIUM})`,
      install: 'apt-get install chromium, or set CHROMIUM_PATH',
    });
    certificateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-teams-host-'));
    const certificates = loadOrCreateDevCertificates({ dir: certificateDir });
    caPem = certificates.caCertPem;
    simulator = await startSimulatorServer({ seeds: [loadSeedFile(demoSeedPath())], port: 0, certificates });
    fixture = await startFixtureTab(() => [hostOrigin]);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    teamsHost = await startTeamsHost({
      tabUrl: `${fixture.origin}/tab/`,
      configUrl: `${fixture.origin}/config`,
      entra: { url: simulator.url, caPem },
      tenantId: TENANT_ID,
      botClientId: BOT_CLIENT_ID,
      personas: [ALEX, ADELE, GHOST],
      team: TEAM,
      logger: pino({ level: 'debug' }, sink),
    });
    hostOrigin = teamsHost.origin;
    context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // Nothing leaves the machine (teams-js would fetch its CDN origin list): only loopback requests are allowed.
    await context.route('**/*', (route) => {
      const host = new URL(route.request().url()).hostname;
      return host === '127.0.0.1' ? route.continue() : route.abort();
    });
  });

  after(async () => {
    await context?.close();
    await teamsHost?.stop();
    await fixture?.close();
    await simulator?.close();
    if (certificateDir) fs.rmSync(certificateDir, { recursive: true, force: true });
  });

  /** The tab's frame once its fixture script finished, optionally waiting for a condition on what it saw. */
  async function tabState(
    condition: string = 'true',
    arg: unknown = null,
  ): Promise<{ frame: Frame; state: FixtureState }> {
    const frame = page.frames().find((f) => f.url().startsWith(fixture.origin));
    assert.ok(frame, 'the host page embeds the tab');
    // Strings, evaluated in the tab's frame (the test program has no DOM types).
    await frame.waitForFunction(
      `(() => { const state = window.__fixture; const value = ${JSON.stringify(arg)}; return Boolean(state && state.done) && Boolean(${condition}); })()`,
      undefined,
      { timeout: 20_000 },
    );
    const state = await frame.evaluate<FixtureState>('window.__fixture');
    return { frame, state };
  }

  async function openHost(query: Record<string, string> = {}): Promise<void> {
    await page.goto(`${teamsHost.url}?${new URLSearchParams(query).toString()}`);
  }

  it('answers initialize and getContext as Teams does for the personal tab', async () => {
    await openHost({ persona: ALEX.aadObjectId });
    const { state } = await tabState();
    assert.equal(state.error, undefined);
    assert.equal(state.initialized, true);
    const ctx = state.context!;
    assert.equal(ctx.user.id, ALEX.aadObjectId);
    assert.equal(ctx.user.displayName, ALEX.displayName);
    assert.equal(ctx.user.userPrincipalName, ALEX.userPrincipalName);
    assert.equal(ctx.user.tenant?.id, TENANT_ID);
    assert.equal(ctx.app.theme, 'default');
    assert.equal(ctx.app.locale, 'en-us');
    assert.equal(ctx.app.host.name, 'Teams');
    assert.equal(ctx.app.host.clientType, 'web');
    assert.equal(ctx.page.frameContext, 'content');
    assert.equal(ctx.page.id, 'soc-console');
    assert.equal(ctx.channel, undefined, 'a personal tab has no channel');
    assert.equal(ctx.team, undefined, 'a personal tab has no team');
    await page.locator('#status').getByText('The personal tab is ready').waitFor();
    assert.equal(
      await page
        .locator('#unanswered-list li')
        .allTextContents()
        .then((l) => l.join(', ')),
      '',
    );
  });

  it("gives getAuthToken the persona's token minted by the Entra emulator for the bot", async () => {
    await openHost({ persona: ALEX.aadObjectId });
    const { state } = await tabState();
    assert.ok(state.token, `a token, not ${JSON.stringify(state.tokenError)}`);
    const claims = decodeJwt(state.token);
    assert.equal(claims.aud, BOT_CLIENT_ID);
    assert.equal(claims.tid, TENANT_ID);
    assert.equal(claims.oid, ALEX.aadObjectId);
    assert.equal(claims.scp, 'access_as_user');
    assert.ok(!page.url().includes(state.token), 'the token is not in the host URL');
    assert.ok(!logLines.join('').includes(state.token), 'the token is not logged');
  });

  it('gives the channel tab the channel and team of its place', async () => {
    const triage = TEAM.channels[1]!;
    await openHost({ persona: ADELE.aadObjectId, place: `channel:${triage.id}` });
    const { state } = await tabState();
    const ctx = state.context!;
    assert.equal(ctx.page.frameContext, 'content');
    assert.equal(ctx.channel?.id, triage.id);
    assert.equal(ctx.channel?.displayName, 'Triage');
    assert.equal(ctx.team?.internalId, TEAM.id);
    assert.equal(ctx.team?.groupId, TEAM.aadGroupId);
    assert.equal(ctx.team?.displayName, TEAM.name);
    assert.equal(ctx.user.id, ADELE.aadObjectId);
  });

  it("fires the tab's theme handler when the host switches theme, and reports the theme in a reload", async () => {
    await openHost({ persona: ALEX.aadObjectId });
    await tabState();
    await page.getByLabel('Theme').selectOption('dark');
    await page.getByLabel('Theme').selectOption('contrast');
    const { state } = await tabState('state.themes.length >= 2');
    assert.deepEqual(state.themes, ['dark', 'contrast']);
    await page.reload();
    const reloaded = await tabState();
    assert.equal(reloaded.state.context?.app.theme, 'contrast', 'the theme stays chosen (address bar)');
  });

  it('reloads the tab as the other person when the persona changes, with their context and token', async () => {
    await openHost({ persona: ALEX.aadObjectId });
    await tabState();
    await page.getByLabel('Signed in as').selectOption(ADELE.aadObjectId);
    const { state } = await tabState('state.context && state.context.user.id === value', ADELE.aadObjectId);
    assert.equal(state.context?.user.userPrincipalName, ADELE.userPrincipalName);
    assert.equal(decodeJwt(state.token!).oid, ADELE.aadObjectId);
  });

  it('reloads the tab in the chosen language', async () => {
    await openHost({ persona: ALEX.aadObjectId });
    await tabState();
    await page.getByLabel('Language').selectOption('pt-br');
    const { state } = await tabState("state.context && state.context.app.locale === 'pt-br'");
    assert.equal(state.context?.app.locale, 'pt-br');
  });

  it('fails getAuthToken, as teams-js surfaces it, for a persona the emulator does not know', async () => {
    await openHost({ persona: GHOST.aadObjectId });
    const { state } = await tabState();
    assert.equal(state.token, undefined);
    assert.deepEqual(state.tokenError, { isError: true, message: 'user_not_found' });
    assert.equal(state.context?.user.displayName, GHOST.displayName);
  });

  it('shows names from its options as text, never as markup', async () => {
    await openHost({ persona: GHOST.aadObjectId });
    const option = page.locator('#persona option', { hasText: 'Ghost' });
    assert.equal(await option.textContent(), `${GHOST.displayName} (${GHOST.userPrincipalName})`);
    assert.equal(await page.locator('#injected').count(), 0);
  });

  it('is refused by teams-js when the tab does not list the http host origin in app.initialize', async () => {
    // The same host and tab, but the tab passes no origins: teams-js only trusts https parents of its own list.
    const strictHost = await startTeamsHost({
      tabUrl: `${fixture.origin}/tab/?origins=none`,
      entra: { url: simulator.url, caPem },
      tenantId: TENANT_ID,
      botClientId: BOT_CLIENT_ID,
      personas: [ALEX],
      team: TEAM,
    });
    try {
      await page.goto(strictHost.url);
      const frame = page.frames().find((f) => f.url().startsWith(fixture.origin));
      assert.ok(frame);
      await frame.waitForFunction('Boolean(window.__fixture)');
      await page.waitForTimeout(3_000);
      const state = await frame.evaluate<FixtureState>('window.__fixture');
      assert.equal(state.initialized, undefined, 'initialize must not resolve');
      assert.equal(state.done, false);
      await page.locator('#status').getByText(`must list ${strictHost.origin}`).waitFor({ timeout: 10_000 });
    } finally {
      await strictHost.stop();
    }
  });

  it('lists the calls it does not answer (app.openLink is executeDeepLink)', async () => {
    const probeHost = await startTeamsHost({
      tabUrl: `${fixture.origin}/tab/?probe=openLink`,
      entra: { url: simulator.url, caPem },
      tenantId: TENANT_ID,
      botClientId: BOT_CLIENT_ID,
      personas: [ALEX],
      team: TEAM,
    });
    try {
      hostOrigin = probeHost.origin;
      await page.goto(probeHost.url);
      await tabState();
      await page.locator('#unanswered-list li', { hasText: 'executeDeepLink' }).waitFor({ state: 'attached' });
      assert.equal(await page.locator('#unanswered-count').textContent(), '1');
    } finally {
      hostOrigin = teamsHost.origin;
      await probeHost.stop();
    }
  });

  it('adds a configurable tab to a channel: config page, Save, then the saved contentUrl in the channel', async () => {
    const general = TEAM.channels[0]!;
    await openHost({ persona: ADELE.aadObjectId, place: `configure:${general.id}` });
    const configFrame = await tabState();
    assert.equal(configFrame.state.context?.page.frameContext, 'settings');
    assert.equal(configFrame.state.context?.channel?.id, general.id);
    const save = page.getByRole('button', { name: 'Save' });
    await save.waitFor();
    assert.equal(await save.isEnabled(), true, 'setValidityState(true) enables Save');
    await save.click();
    const { state } = await tabState("state.href.includes('view=channel')");
    assert.equal(state.context?.page.frameContext, 'content');
    assert.equal(state.context?.page.id, 'soc-console-channel');
    assert.equal(state.context?.channel?.id, general.id);
    assert.equal(await page.getByLabel('Open the tab in').inputValue(), `channel:${general.id}`);
    assert.equal(
      await page
        .locator('#unanswered-list li')
        .allTextContents()
        .then((l) => l.join(', ')),
      '',
    );
  });

  it('mints tokens only for its own page: same origin, JSON, a known persona', async () => {
    const post = (headers: Record<string, string>, body: unknown) =>
      fetch(`${teamsHost.origin}/token`, { method: 'POST', headers, body: JSON.stringify(body) });
    const json = { 'content-type': 'application/json' };
    assert.equal((await post(json, { personaId: ALEX.aadObjectId })).status, 403, 'no Origin');
    assert.equal(
      (await post({ ...json, origin: 'http://127.0.0.1:1' }, { personaId: ALEX.aadObjectId })).status,
      403,
      'another origin',
    );
    const own = { origin: teamsHost.origin };
    assert.equal((await post({ ...own, 'content-type': 'text/plain' }, { personaId: ALEX.aadObjectId })).status, 415);
    assert.equal((await post({ ...own, ...json }, { personaId: 'someone-else' })).status, 404);
    const ok = await post({ ...own, ...json }, { personaId: ALEX.aadObjectId });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    assert.equal(decodeJwt(((await ok.json()) as { token: string }).token).oid, ALEX.aadObjectId);
  });

  it("serves its page with a CSP that frames only the tab's origin", async () => {
    const response = await fetch(teamsHost.url);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, new RegExp(`frame-src ${fixture.origin.replace(/[.:/]/g, '\\$&')}(;|$)`));
    assert.deepEqual(pageErrors, []);
  });

  it('has labelled controls reachable by keyboard and no serious accessibility violation', async () => {
    await openHost({ persona: ALEX.aadObjectId });
    await tabState();
    await page.locator('body').focus();
    const focused: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      await page.keyboard.press('Tab');
      focused.push(await page.evaluate<string>("document.activeElement ? document.activeElement.id : ''"));
    }
    assert.deepEqual(focused, ['persona', 'theme', 'locale', 'place']);
    const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    await page.evaluate(axeSource);
    const violations = await page.evaluate<string[]>(
      `axe.run(document, { iframes: false }).then((r) => r.violations.map((v) => v.id + ' (' + v.impact + ')'))`,
    );
    assert.deepEqual(
      violations.filter((v) => /serious|critical/.test(v)),
      [],
    );
  });
});
