/*
 * `npm run bench -- tab`: what the SOC console tab costs (issue 15).
 *  - First load: the tab page's HTML, script and style as served (gzip), beside the budget (150 KB) and the floor any
 *    Teams tab pays, teams-js alone (its minified UMD build, gzipped).
 *  - Time until the approvals queue is usable (rendered, Approve clickable) in headless Chromium inside the demo
 *    Teams host page, with 500 pending requests beside 10 in the same run (goal ≤ 1 s on this machine): from the
 *    queue request, and from the tab frame's start (teams-js start-up, token, /me included).
 *  - Tab API p50/p99 per call (real HTTP, a token from the Entra emulator), beside GET /health on the same server.
 *  - Defender calls per tab load (counted by the simulator), beside the chat's "approvals" command and the device
 *    cards a person would open for the same containments.
 * The bot runs whole, in demo mode, in this process; the pending requests are written into its state before it
 * starts (as a busy team would have left them), so no Defender call is spent making them.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import type { RunningApp } from '../src/app';
import { startApp } from '../src/app';
import { ApprovalService } from '../src/approvals/approvalService';
import { loadConfig } from '../src/config/config';
import { HttpClient } from '../src/http/httpClient';
import { createLogger } from '../src/logging/logger';
import { createStorage } from '../src/storage/createStorage';
import { demoSeedPath, loadSeedFile } from '../src/simulator/seed/loadSeed';
import { BotClient } from '../test/support/botClient';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const API_CALLS = Number(process.env.BENCH_TAB_API_CALLS ?? 100);
const PAGE_LOADS = Number(process.env.BENCH_TAB_PAGE_LOADS ?? 7);
const BUDGET_GZ = 150 * 1024;
const seed = loadSeedFile(demoSeedPath());
const megan = seed.users.find((u) => u.displayName.startsWith('Megan'))!;
const adele = seed.users.find((u) => u.displayName.startsWith('Adele'))!;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const kb = (v: number) => `${(v / 1024).toFixed(1)} KB`;

/** Writes `count` pending requests from Megan, as the chat would have made them, into a fresh data folder. */
async function stateWithPending(count: number): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tab-bench-'));
  const config = loadConfig({ DATA_DIR: dataDir, PLAYGROUND: 'off' }, process.cwd());
  const opened = await createStorage({ kind: 'file' }, dataDir);
  const service = new ApprovalService({
    storage: opened.storage,
    policy: config.approvals,
    audit: { append: () => Promise.resolve(undefined) },
  });
  await service.initialise();
  const actor = {
    person: {
      aadObjectId: megan.aadObjectId,
      userPrincipalName: megan.userPrincipalName,
      displayName: megan.displayName,
    },
    tenantId: seed.tenant.id,
    roles: megan.appRoles,
  };
  // A kind the device's OS cannot run is refused at confirmation, as in chat: keep going until `count` exist.
  for (let i = 0, created = 0; created < count; i++) {
    const machine = seed.machines[i % seed.machines.length]!;
    const draft = await service.createDraft({
      tenantId: seed.tenant.id,
      // Kinds that always wait for an approver (an auto-approved one would start executing).
      kind: (['isolate', 'unisolate', 'restrictCodeExecution', 'collectInvestigationPackage'] as const)[i % 4]!,
      parameters: {},
      device: {
        id: machine.id,
        name: machine.computerDnsName,
        osPlatform: machine.osPlatform,
        deviceValue: machine.deviceValue ?? null,
        tags: machine.machineTags,
        group: machine.rbacGroupName,
        healthStatus: machine.healthStatus,
        lastSeen: machine.lastSeen,
      },
      requester: actor.person,
    });
    if ('request' in (await service.confirmDraft(draft.id, actor, `Bench request ${i + 1}`))) created++;
  }
  await opened.close();
  return dataDir;
}

async function startTabApp(dataDir: string): Promise<RunningApp> {
  const config = loadConfig(
    { DATA_DIR: dataDir, PLAYGROUND: 'off', LOG_LEVEL: 'silent', TEAMS_HOST_PORT: '0', NOTIFY_POLL: 'off' },
    process.cwd(),
  );
  return startApp(
    { ...config, port: 0, demo: config.demo ? { ...config.demo, simulatorPort: 0 } : undefined },
    { teamsHost: true, logger: createLogger({ level: 'silent' }) },
  );
}

/** Bytes on the wire of a gzip-negotiated GET (the body as sent, before any decoding). */
function wireBytes(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        let size = 0;
        res.on('data', (chunk: Buffer) => (size += chunk.length));
        res.on('end', () => resolve(size));
      })
      .on('error', reject);
  });
}

async function tokenFor(app: RunningApp, who: { aadObjectId: string }): Promise<string> {
  const tenant = app.tenant!;
  const client = new HttpClient({ extraCaPem: [tenant.caCertPem] });
  const response = await client.request({
    method: 'POST',
    url: `${tenant.url}/_sim/entra/assertions`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenantId: tenant.tenantId, aadObjectId: who.aadObjectId, audience: tenant.botClientId }),
  });
  return (JSON.parse(response.body) as { token: string }).token;
}

async function defenderCalls(app: RunningApp): Promise<number> {
  const client = new HttpClient({ extraCaPem: [app.tenant!.caCertPem] });
  const response = await client.request({ method: 'GET', url: `${app.tenant!.url}/_sim/stats` });
  return (JSON.parse(response.body) as { defenderCalls: number }).defenderCalls;
}

async function resetStats(app: RunningApp): Promise<void> {
  const client = new HttpClient({ extraCaPem: [app.tenant!.caCertPem] });
  await client.request({ method: 'POST', url: `${app.tenant!.url}/_sim/stats/reset` });
}

/** Opens the host page as Adele `loads` times; the tab's own marks say when the queue was asked for and usable. */
async function queueUsable(
  browser: Browser,
  app: RunningApp,
  loads: number,
): Promise<{ fromRequest: number[]; fromStart: number[]; rows: number }> {
  const fromRequest: number[] = [];
  const fromStart: number[] = [];
  let rows = 0;
  for (let i = 0; i < loads; i++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.route('**/*', (route) =>
      new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
    );
    await page.goto(`${app.teamsHost!.url}?persona=${adele.aadObjectId}`);
    let frame = page.frames().find((f) => f.url().startsWith(`${app.url}/tab/`));
    for (let j = 0; !frame && j < 200; j++) {
      await page.waitForTimeout(25);
      frame = page.frames().find((f) => f.url().startsWith(`${app.url}/tab/`));
    }
    if (!frame) throw new Error('the tab was never framed');
    await frame.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
    const marks = await frame.evaluate<[number, number]>(
      `[performance.getEntriesByName('soc-console:queue-requested')[0].startTime, performance.getEntriesByName('soc-console:queue-usable')[0].startTime]`,
    );
    fromRequest.push(marks[1] - marks[0]);
    fromStart.push(marks[1]);
    rows = await frame.locator('[data-testid="approval-row"] [data-decision="approve"]').count();
    await page.close();
  }
  return { fromRequest, fromStart, rows };
}

async function apiLatency(app: RunningApp, token: string, pathAndQuery: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < API_CALLS; i++) {
    const started = performance.now();
    const response = await fetch(`${app.url}${pathAndQuery}`, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${pathAndQuery} answered ${response.status}`);
    times.push(performance.now() - started);
  }
  return times;
}

/** The tab part of the benchmark: printed lines. */
export async function runTabBench(): Promise<string[]> {
  const lines: string[] = ['SOC console tab (issue 15)'];
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  const apps: RunningApp[] = [];
  try {
    const [small, large] = await Promise.all([stateWithPending(10), stateWithPending(500)]);
    const smallApp = await startTabApp(small);
    apps.push(smallApp);
    const app = await startTabApp(large);
    apps.push(app);

    // First load.
    const assets = ['/tab/', '/tab/tab.js', '/tab/tab.css'];
    const sizes = await Promise.all(assets.map((a) => wireBytes(`${app.url}${a}`)));
    const total = sizes.reduce((a, b) => a + b, 0);
    const teamsJs = gzipSync(fs.readFileSync(require.resolve('@microsoft/teams-js/dist/umd/MicrosoftTeams.min.js')), {
      level: 9,
    }).length;
    lines.push(
      `  first load (HTML + JS + CSS, gzip on the wire): ${kb(total)} (${assets.map((a, i) => `${a} ${kb(sizes[i]!)}`).join(', ')}); budget ${kb(BUDGET_GZ)}`,
      `    baseline: teams-js alone (minified UMD, gzip) ${kb(teamsJs)}`,
    );

    // Queue usable in the browser, 10 vs 500 pending.
    for (const [label, running] of [
      ['10 pending', smallApp],
      ['500 pending', app],
    ] as const) {
      await queueUsable(browser, running, 1); // warm the server and the browser's cache of the page
      const run = await queueUsable(browser, running, PAGE_LOADS);
      lines.push(
        `  queue usable, ${label} (${run.rows} Approve buttons): from the queue request p50 ${ms(percentile(run.fromRequest, 50))} p99 ${ms(percentile(run.fromRequest, 99))}; from the tab's start p50 ${ms(percentile(run.fromStart, 50))} p99 ${ms(percentile(run.fromStart, 99))} (${PAGE_LOADS} loads)`,
      );
    }

    // Tab API latency.
    const token = await tokenFor(app, adele);
    lines.push(`  tab API, ${API_CALLS} sequential calls each (Adele, 500 pending):`);
    const calls: [string, string][] = [
      ['GET /health (baseline)', '/health'],
      ['GET /api/tab/me', '/api/tab/me'],
      ['GET /api/tab/approvals (500 items)', '/api/tab/approvals'],
      ['GET /api/tab/actions', '/api/tab/actions'],
      ['GET /api/tab/audit (verify chain)', '/api/tab/audit'],
      ['GET /api/tab/subscriptions', '/api/tab/subscriptions?channelId=team-soc'],
    ];
    for (const [name, url] of calls) {
      const times = await apiLatency(app, token, url);
      lines.push(
        `    ${name.padEnd(38)} p50 ${ms(percentile(times, 50)).padStart(9)}  p99 ${ms(percentile(times, 99)).padStart(9)}`,
      );
    }

    // Defender calls per tab load vs the chat.
    await resetStats(app);
    await queueUsable(browser, app, 1);
    const tabCalls = await defenderCalls(app);
    await resetStats(app);
    const bot = new BotClient(app.url, 'bench-bot');
    const adeleUser = { id: `29:${adele.aadObjectId}`, name: adele.displayName, aadObjectId: adele.aadObjectId };
    const chat = {
      id: `a:bench-${adele.aadObjectId}`,
      conversationType: 'personal' as const,
      tenantId: seed.tenant.id,
    };
    await bot.say('approvals', adeleUser, chat);
    const approvalsCalls = await defenderCalls(app);
    await resetStats(app);
    await bot.say('device ws-fin-042', adeleUser, chat);
    const deviceCalls = await defenderCalls(app);
    lines.push(
      `  Defender calls per tab load (me + queue + actions): ${tabCalls}; the chat's "approvals" command: ${approvalsCalls}; one "device <name>" card (isolation state): ${deviceCalls}`,
    );
  } finally {
    for (const running of apps) await running.stop();
    await browser.close();
  }
  return lines;
}
