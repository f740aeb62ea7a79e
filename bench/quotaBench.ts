/*
 * The quota part of `npm run bench` (alone: `npm run bench -- quota`): 300 "show high alerts" from 30 people within
 * one minute, at Defender's real quota (100 calls/min and 1,500/h, sliding, enforced by the simulator with 429s).
 * Every command must be answered (at once, or with a queued notice and its answer posted later into the same chat),
 * the last answer should come close to the earliest the quota allows, and Defender must never answer 429. The bot
 * runs in demo mode against the simulator in this process; its posts go to a Bot Connector here that records them.
 * These figures are set by pacing, not by CPU: the run takes about two and a half minutes of real time.
 * Beside it, at the same time and each on its own simulator: the same 300 calls spread over three instances (three
 * Defender clients with their own limiters, as a load balancer spreads people) sharing the tenant's quota through
 * their membership, and, for contrast, three instances that each believe the whole quota is theirs (before sharing).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { startApp } from '../src/app';
import { SINGLE_INSTANCE } from '../src/background/membership';
import { HttpDefenderClient } from '../src/defender/defenderClient';
import { createDefenderLimiter } from '../src/http/slidingWindowLimiter';
import { isAppError } from '../src/errors';
import { loadConfig } from '../src/config/config';
import { DEMO_APPLICATION_PERMISSIONS, DEMO_BOT_ID, DEMO_DELEGATED_PERMISSIONS } from '../src/demo/demoConstants';
import { createLogger } from '../src/logging/logger';
import { loadOrCreateDevCertificates } from '../src/simulator/certs';
import { demoSeedPath, loadSeedFile } from '../src/simulator/seed/loadSeed';
import type { Seed, SeedUser } from '../src/simulator/seed/seedSchema';
import { startSimulatorServer } from '../src/simulator/simulatorServer';
import { FakeCluster } from '../test/defender/fakeCluster';
import { startSimulatorWithUser } from '../test/defender/simulatorWithUser';
import { throttleCounter } from './throttleCounter';

const PEOPLE = 30;
const COMMANDS = 300;
const SPREAD_MS = 60_000;
const QUOTA = { perMinute: 100, perHour: 1_500 };

/** What the quota bench measured. */
export interface QuotaFigures {
  commands: number;
  people: number;
  answered: number;
  queuedNotices: number;
  refused: number;
  /** From the first command sent to the last answer posted. */
  lastAnswerSeconds: number;
  /** The earliest the last of these commands could have been sent to Defender under its quota. */
  quotaAllowsSeconds: number;
  throttled: number;
  defenderCalls: number;
  turnsNotAnswered200: number;
  slowestTurnMs: number;
  /** Three instances sharing the tenant's quota. */
  shared: InstancesFigures;
  /** Three instances each spending the whole quota, as before sharing. */
  unshared: InstancesFigures;
}

/** What several instances' Defender clients did with one tenant's calls, read from Defender's own log. */
export interface InstancesFigures {
  instances: number;
  calls: number;
  answered: number;
  /** Refused by the bot's own limiter (waited too long), or given up after Defender's 429s. */
  refused: number;
  defenderCalls: number;
  throttled: number;
  lastAnswerSeconds: number;
  quotaAllowsSeconds: number;
}

interface Post {
  conversationId: string;
  at: number;
  kind: 'answer' | 'notice' | 'refusal';
}

/** A Bot Connector that accepts every post and records which conversation got what, and when. */
async function startRecordingConnector(): Promise<{ url: string; posts: Post[]; close(): void }> {
  const posts: Post[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const conversationId = decodeURIComponent(
        /\/v3\/conversations\/([^/]+)\/activities/.exec(req.url ?? '')?.[1] ?? '',
      );
      const body = Buffer.concat(chunks).toString('utf8');
      const kind = body.includes('request quota for your organisation is in use')
        ? 'notice'
        : body.includes('Defender is busy')
          ? 'refusal'
          : 'answer';
      if (req.method === 'POST' && conversationId) posts.push({ conversationId, at: Date.now(), kind });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: randomUUID() }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/_connector`, posts, close: () => server.close() };
}

/** Runs `send(i)` for command i at i × (60 s / 300): the minute's commands, evenly spread. */
async function spreadOverTheMinute(send: (i: number) => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: COMMANDS }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, (i * SPREAD_MS) / COMMANDS));
      await send(i);
    }),
  );
}

/**
 * When the last call goes out if each goes as early as the quota allows: a call waits for its arrival and for the
 * call `perMinute` before it to leave the sliding minute (the hour holds more than these calls).
 */
export function quotaAllows(sentAt: number[], perMinute: number, windowMs = 60_000): number {
  const out: number[] = [];
  for (const [i, at] of [...sentAt].sort((a, b) => a - b).entries())
    out.push(Math.max(at, i >= perMinute ? out[i - perMinute]! + windowMs : at));
  return out.at(-1) ?? 0;
}

/**
 * The demo tenant plus `count` analysts who see everything, so each bench user has their own tokens (ids starting
 * with `idPrefix`), and the demo bot registered with a secret known to this run only.
 */
export function benchSeed(
  count: number,
  idPrefix: string,
  displayName: string,
): { seed: Seed; analysts: SeedUser[]; botClientSecret: string } {
  const seed = loadSeedFile(demoSeedPath(), { freshen: true });
  const template = seed.users.find((u) => u.deviceGroups.includes('*') && u.defenderPermissions.includes('ViewData'))!;
  const analysts: SeedUser[] = Array.from({ length: count }, (_, i) => ({
    ...template,
    aadObjectId: `${idPrefix}-0000-4000-8000-${String(i).padStart(12, '0')}`,
    userPrincipalName: `${idPrefix}-${i}@contoso.com`,
    displayName: `${displayName} ${i}`,
  }));
  seed.users.push(...analysts);
  const botClientSecret = randomBytes(24).toString('base64url');
  seed.clients.push({
    clientId: DEMO_BOT_ID,
    displayName: 'Defender SOC Bot (bench)',
    clientSecret: botClientSecret,
    delegatedPermissions: DEMO_DELEGATED_PERMISSIONS,
    applicationPermissions: DEMO_APPLICATION_PERMISSIONS,
    disabled: false,
  });
  return { seed, analysts, botClientSecret };
}

/**
 * The same 300 calls from 30 people within a minute, spread round robin over `instances` Defender clients, each with
 * its own limiter at the shipped configuration; `shared` gives them one membership (instance a owns the tenant).
 */
async function instancesRun(instances: number, shared: boolean): Promise<InstancesFigures> {
  const config = loadConfig(
    { PLAYGROUND: 'off', DEFENDER_RATE_LIMIT_PER_MINUTE: String(QUOTA.perMinute) },
    process.cwd(),
  );
  const requestLog = throttleCounter();
  const env = await startSimulatorWithUser({
    rateLimits: QUOTA,
    logger: createLogger({ level: 'debug', destination: requestLog.log }),
  });
  const cluster = new FakeCluster();
  const ids = Array.from({ length: instances }, (_, i) => `instance-${i}`);
  const members = ids.map((id) => (shared ? cluster.join(id) : SINGLE_INSTANCE));
  cluster.setOwner(env.auth.tenantId, ids[0]!);
  const clients = members.map(
    (member) =>
      new HttpDefenderClient({
        baseUrl: env.simulator.url,
        http: env.httpClient,
        // Instances that have been up for a while: nothing of theirs is in Defender's window.
        limiter: createDefenderLimiter(config.defender, { membership: member, ownership: member, joinWaitMs: 0 }),
        logger: createLogger({ level: 'silent' }),
        timeoutMs: config.defender.timeoutMs,
        maxRetries: config.defender.maxRetries,
        maxRetryAfterMs: config.defender.maxRetryAfterMs,
      }),
  );
  try {
    const sentAt: number[] = [];
    const answeredAt: number[] = [];
    let refused = 0;
    const started = Date.now();
    await spreadOverTheMinute(async (i) => {
      sentAt.push(Date.now());
      try {
        await clients[i % instances]!.listAlerts({ ...env.auth, queueKey: `person-${i % PEOPLE}` }, { max: 5 });
        answeredAt.push(Date.now());
      } catch (err) {
        if (!isAppError(err, 'rateLimited')) throw err;
        refused++;
      }
    });
    return {
      instances,
      calls: COMMANDS,
      answered: answeredAt.length,
      refused,
      defenderCalls: env.simulator.defender.stats().defenderCalls,
      throttled: requestLog.throttled(),
      lastAnswerSeconds: (Math.max(...answeredAt) - started) / 1000,
      quotaAllowsSeconds: (quotaAllows(sentAt, QUOTA.perMinute) - started) / 1000,
    };
  } finally {
    await env.close();
  }
}

/** Runs the scenario once, and beside it three instances sharing the quota and three not, and returns the figures. */
export async function quotaBench(): Promise<QuotaFigures> {
  const [single, shared, unshared] = await Promise.all([
    singleInstanceRun(),
    instancesRun(3, true),
    instancesRun(3, false),
  ]);
  return { ...single, shared, unshared };
}

/** The bot itself, one instance, through its HTTP endpoint. */
async function singleInstanceRun(): Promise<Omit<QuotaFigures, 'shared' | 'unshared'>> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-quota-bench-'));
  const { seed, analysts: people, botClientSecret } = benchSeed(PEOPLE, 'dddddddd', 'Quota bench user');

  // Defender's 429s, read from the simulator's own request log.
  const requestLog = throttleCounter();
  const certificates = loadOrCreateDevCertificates({ dir: path.join(dataDir, 'certs') });
  const simulator = await startSimulatorServer({
    seeds: [seed],
    port: 0,
    certificates,
    rateLimits: QUOTA,
    logger: createLogger({ level: 'debug', destination: requestLog.log }),
  });
  const connector = await startRecordingConnector();
  const config = loadConfig(
    {
      PLAYGROUND: 'off',
      LOG_LEVEL: 'silent',
      DATA_DIR: path.join(dataDir, 'bot'),
      DEFENDER_RATE_LIMIT_PER_MINUTE: String(QUOTA.perMinute),
      // Only people's commands spend the quota here, so the figure is theirs alone.
      NOTIFY_POLL: 'off',
    },
    process.cwd(),
  );
  const app = await startApp(
    { ...config, port: 0 },
    {
      simulatedTenant: {
        url: simulator.url,
        caCertPem: certificates.caCertPem,
        tenantId: seed.tenant.id,
        tenantName: seed.tenant.name,
        botClientId: DEMO_BOT_ID,
        botClientSecret,
      },
      logger: createLogger({ level: 'silent' }),
    },
  );

  try {
    const sentAt: number[] = [];
    const turnMs: number[] = [];
    let turnsNotAnswered200 = 0;
    const started = Date.now();
    // From person i mod 30: ten each.
    await spreadOverTheMinute(async (i) => {
      const person = people[i % PEOPLE]!;
      const t0 = Date.now();
      sentAt.push(t0);
      const response = await fetch(`${app.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'message',
          id: randomUUID(),
          channelId: 'msteams',
          serviceUrl: connector.url,
          from: { id: `29:${person.aadObjectId}`, name: person.displayName, aadObjectId: person.aadObjectId },
          recipient: { id: 'bot', name: 'Defender SOC Bot' },
          conversation: { id: `a:${person.aadObjectId}`, conversationType: 'personal', tenantId: seed.tenant.id },
          channelData: { tenant: { id: seed.tenant.id } },
          text: 'show high alerts',
          textFormat: 'plain',
        }),
      });
      await response.text();
      turnMs.push(Date.now() - t0);
      if (response.status !== 200) turnsNotAnswered200++;
    });
    // Every command ends in an answer or a refusal; give up five minutes after the quota would have allowed.
    const deadline = quotaAllows(sentAt, QUOTA.perMinute) + 5 * 60_000;
    const settled = () => connector.posts.filter((p) => p.kind !== 'notice').length >= COMMANDS;
    while (!settled() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    const answers = connector.posts.filter((p) => p.kind === 'answer');
    return {
      commands: COMMANDS,
      people: PEOPLE,
      answered: answers.length,
      queuedNotices: connector.posts.filter((p) => p.kind === 'notice').length,
      refused: connector.posts.filter((p) => p.kind === 'refusal').length,
      lastAnswerSeconds: (Math.max(...answers.map((p) => p.at)) - started) / 1000,
      quotaAllowsSeconds: (quotaAllows(sentAt, QUOTA.perMinute) - started) / 1000,
      throttled: requestLog.throttled(),
      defenderCalls: simulator.defender.stats().defenderCalls,
      turnsNotAnswered200,
      slowestTurnMs: Math.max(...turnMs),
    };
  } finally {
    await app.stop();
    connector.close();
    await simulator.close();
  }
}

/** The figures as the bench prints them. */
export function quotaLines(f: QuotaFigures): string[] {
  return [
    `Defender quota: ${f.commands} "show high alerts" from ${f.people} people within one minute, at 100 calls/min and 1,500/h (sliding, 429 beyond)`,
    `answers delivered                    ${f.answered}/${f.commands} (${((100 * f.answered) / f.commands).toFixed(1)} %)   (goal 100 %)`,
    `  queued notices ${f.queuedNotices}, refused ${f.refused}, turns not answered 200 ${f.turnsNotAnswered200}, slowest turn ${f.slowestTurnMs} ms`,
    `time until the last answer           ${f.lastAnswerSeconds.toFixed(1)} s   (quota allows ${f.quotaAllowsSeconds.toFixed(1)} s: ${(f.lastAnswerSeconds / f.quotaAllowsSeconds).toFixed(2)}×, goal <= 1.10×)`,
    `Defender 429s received               ${f.throttled}   (goal 0; ${f.defenderCalls} Defender calls)`,
    instancesLine('3 instances sharing the tenant', f.shared),
    instancesLine('3 instances, each the whole quota', f.unshared),
  ];
}

function instancesLine(name: string, f: InstancesFigures): string {
  return `${name.padEnd(37)}calls ${f.defenderCalls}, 429s ${f.throttled}   (goal 0), answered ${f.answered}/${f.calls}, refused ${f.refused}, last answer ${f.lastAnswerSeconds.toFixed(1)} s (quota allows ${f.quotaAllowsSeconds.toFixed(1)} s)`;
}
