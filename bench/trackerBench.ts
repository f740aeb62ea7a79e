/*
 * The tracking part of `npm run bench` (issue 9): a whole simulated day, replayed in seconds on a fake clock shared
 * by the Defender simulator (action lifecycles, tokens), the approval records and the client-side limiter. 20
 * actions wait all day on offline devices; 10 more are approved at random times on online devices and finish a
 * minute or two later. Alongside, the alert poller's call every 15 s goes through the same limiter and quota.
 * Measured: Defender calls spent on tracking per hour (the simulator's own count), the worst delay between
 * Defender's final status and the card showing it (in tracking rounds), and the poll's wait for its quota slot
 * with and without the tracked actions — what tracking can take from alert notifications.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStorage } from 'botbuilder';
import { ActionExecutor } from '../src/approvals/actionExecutor';
import { ActionTracker, trackingInterval } from '../src/approvals/actionTracker';
import { DEFAULT_APPROVAL_POLICY } from '../src/approvals/approvalPolicy';
import { ApprovalService } from '../src/approvals/approvalService';
import type { ApprovalRequest, ResponseActionKind } from '../src/approvals/approvalTypes';
import { fromBotbuilderStorage } from '../src/bot/storageContract';
import type { DefenderAuth } from '../src/defender/defenderClient';
import { HttpDefenderClient } from '../src/defender/defenderClient';
import { compare } from '../src/http/odata';
import { SlidingWindowLimiter } from '../src/http/slidingWindowLimiter';
import { DEMO_APPLICATION_PERMISSIONS, DEMO_DELEGATED_PERMISSIONS } from '../src/demo/demoConstants';
import { HttpClient } from '../src/http/httpClient';
import { createLogger } from '../src/logging/logger';
import { loadOrCreateDevCertificates } from '../src/simulator/certs';
import { demoSeedPath, loadSeedFile } from '../src/simulator/seed/loadSeed';
import { startSimulatorServer } from '../src/simulator/simulatorServer';
import { throttleCounter } from './throttleCounter';
import { FakeLimiterClock } from '../test/support/fakeLimiterClock';
import { mulberry32 } from '../test/support/seededRandom';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TRACKER_TICK_MS = 5_000;
const POLL_INTERVAL_MS = 15_000;
const BOT_ID = '6b1f2c64-0d6e-4c55-9a57-8e2f3a9c0b11';
const BOT_SECRET = 'bench-tracker-secret-0123456789';

/** The figures of one simulated day. */
export interface TrackerDayFigures {
  trackingCallsPerHour: number;
  worstHourTrackingCalls: number;
  /** Worst time from Defender's final status to the card showing it, and the same in tracking rounds then. */
  worstDelayMs: number;
  worstDelayRounds: number;
  finished: number;
  stillPending: number;
  /** The poll's mean and worst wait for a quota slot, in ms. */
  pollWaitMeanMs: number;
  pollWaitMaxMs: number;
  polls: number;
  defender429s: number;
}

/** Replays one day; `withActions: false` runs the poller alone (the baseline). */
export async function trackerDay(options: { withActions: boolean }): Promise<TrackerDayFigures> {
  const start = Date.now();
  const fake = new FakeLimiterClock(start);
  const now = () => new Date(fake.now());
  const seed = loadSeedFile(demoSeedPath());
  const tenantId = seed.tenant.id;
  const certificates = loadOrCreateDevCertificates({ dir: fs.mkdtempSync(path.join(os.tmpdir(), 'bench-certs-')) });
  // Defender's 429s, read from the simulator's own request log.
  const requestLog = throttleCounter();
  const simulator = await startSimulatorServer({
    logger: createLogger({ level: 'debug', destination: requestLog.log }),
    seeds: [seed],
    port: 0,
    certificates,
    // Online devices pick an action up within 45 s and finish it 30 s later; offline ones keep it all day.
    timings: { pendingMs: 45_000, inProgressMs: 30_000, timeoutMs: 3 * DAY },
    // The quota is counted here, by the simulator, at Defender's real numbers.
    rateLimits: { perMinute: 100, perHour: 1_500 },
    now,
  });
  simulator.entra.registerClient({
    clientId: BOT_ID,
    clientSecret: BOT_SECRET,
    displayName: 'bench',
    delegatedPermissions: DEMO_DELEGATED_PERMISSIONS,
    applicationPermissions: DEMO_APPLICATION_PERMISSIONS,
    homeTenantId: tenantId,
  });
  simulator.entra.grantAdminConsent(tenantId, BOT_ID);
  const http = new HttpClient({ extraCaPem: [certificates.caCertPem] });
  const logger = createLogger({ level: 'silent' });

  /** Tokens straight from the emulator, renewed on the fake clock (msal's cache keeps real time). */
  const tokens = new Map<string, { token: string; until: number }>();
  const token = async (key: string, form: Record<string, string>): Promise<string> => {
    const held = tokens.get(key);
    if (held && held.until > fake.now()) return held.token;
    const response = await http.request({
      method: 'POST',
      url: `${simulator.url}/${tenantId}/oauth2/v2.0/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: BOT_ID, client_secret: BOT_SECRET, ...form }).toString(),
    });
    if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${response.body}`);
    const body = JSON.parse(response.body) as { access_token: string; expires_in: number };
    tokens.set(key, { token: body.access_token, until: fake.now() + (body.expires_in - 300) * 1000 });
    return body.access_token;
  };
  const scope = 'https://api.securitycenter.microsoft.com/.default';
  const appAuth = (tid: string): DefenderAuth => ({
    kind: 'application',
    tenantId: tid,
    getAccessToken: () => token('app', { grant_type: 'client_credentials', scope }),
  });
  const megan = seed.users.find((u) => u.displayName.startsWith('Megan'))!;
  const meganAuth: DefenderAuth = {
    kind: 'delegated',
    tenantId,
    getAccessToken: () =>
      token('megan', {
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        requested_token_use: 'on_behalf_of',
        scope,
        assertion: simulator.entra.mintUserAssertion({ tenantId, aadObjectId: megan.aadObjectId, audience: BOT_ID })
          .token,
      }),
  };

  const limiter = new SlidingWindowLimiter({
    windows: [
      { limit: 100, windowMs: 60_000 },
      { limit: 1_500, windowMs: HOUR },
    ],
    maxWaitMs: 60_000,
    backgroundShare: 0.2,
    backgroundMaxWaitMs: 10 * 60_000,
    clock: fake,
  });
  const defender = new HttpDefenderClient({
    baseUrl: simulator.url,
    http,
    limiter,
    logger,
    timeoutMs: 10_000,
    maxRetries: 3,
    maxRetryAfterMs: 10_000,
  });
  const service = new ApprovalService({
    storage: fromBotbuilderStorage(new MemoryStorage()),
    // Every action runs at once with the requester's token: the bench is about what happens after.
    policy: {
      ...DEFAULT_APPROVAL_POLICY,
      autoApproved: ['collectInvestigationPackage', 'runAntiVirusScan'],
      expiryMinutes: 24 * 60,
    },
    audit: { append: () => Promise.resolve() },
    now,
  });
  await service.initialise();
  const executor = new ActionExecutor({ service, defender, logger, now });
  /** When each request's card first showed a final state (fake time). */
  const shownFinal = new Map<string, number>();
  const tracker = new ActionTracker({
    service,
    executor,
    defender,
    publisher: {
      publish: (request: ApprovalRequest) => {
        if (!['submitted', 'executing', 'pending'].includes(request.state) && !shownFinal.has(request.id))
          shownFinal.set(request.id, fake.now());
        return Promise.resolve();
      },
    },
    appAuth,
    logger,
    intervalMs: TRACKER_TICK_MS,
    runInBackground: (_name, task) => void task(),
    now,
    clock: () => fake.now(),
  });

  /** Awaits work that may wait for the limiter: time jumps to the next timer whenever the work stalls. */
  const drive = async <T>(work: Promise<T>): Promise<T> => {
    let done = false;
    const result = work.finally(() => {
      done = true;
    });
    while (!done) {
      await Promise.race([result.catch(() => undefined), sleep(25)]);
      if (!done) fake.fireNext();
    }
    return result;
  };

  /** Creates and executes one action (auto-approved: it runs at once). */
  const act = async (kind: ResponseActionKind, machine: (typeof seed.machines)[number]) => {
    const person = {
      aadObjectId: megan.aadObjectId,
      userPrincipalName: megan.userPrincipalName,
      displayName: megan.displayName,
    };
    const draft = await service.createDraft({
      tenantId,
      kind,
      parameters: kind === 'runAntiVirusScan' ? { scanType: 'Full' } : {},
      device: {
        id: machine.id,
        name: machine.computerDnsName,
        osPlatform: machine.osPlatform,
        deviceValue: machine.deviceValue ?? null,
        tags: machine.machineTags,
        group: machine.rbacGroupName ?? null,
        healthStatus: machine.healthStatus,
        lastSeen: machine.lastSeen,
      },
      requester: person,
    });
    const confirmed = await service.confirmDraft(draft.id, { person, tenantId, roles: ['SOC.Responder'] }, 'bench');
    if ('refuse' in confirmed) throw new Error(`bench request refused: ${confirmed.refuse}`);
    await drive(executor.execute(confirmed.request, meganAuth));
    return confirmed.request.id;
  };

  const windows = seed.machines.filter((m) => m.osPlatform.startsWith('Windows'));
  const offline = windows.slice(0, 10);
  const online = windows.slice(10, 20);
  for (const m of offline) simulator.defender.state.updateMachine(m.id, { healthStatus: 'Inactive' }, tenantId);
  for (const m of online) simulator.defender.state.updateMachine(m.id, { healthStatus: 'Active' }, tenantId);

  const random = mulberry32(9);
  const finishing: { at: number; machine: (typeof online)[number] }[] = options.withActions
    ? online.map((machine) => ({ at: start + Math.floor(random() * (DAY - HOUR)), machine }))
    : [];
  finishing.sort((a, b) => a.at - b.at);
  const finishingIds: string[] = [];
  if (options.withActions) {
    for (const m of offline) {
      await act('collectInvestigationPackage', m);
      await act('runAntiVirusScan', m);
    }
  }
  simulator.defender.resetStats();

  const hourly: number[] = [];
  let lastHourCount = 0;
  const trackingCalls = () => {
    const byApi = simulator.defender.stats().byApi;
    return (byApi['machineActions.list'] ?? 0) + (byApi['machineActions.get'] ?? 0);
  };
  const waits: number[] = [];
  let nextPoll = start;
  let nextTick = start;
  let nextHour = start + HOUR;
  const end = start + DAY;
  while (fake.now() < end) {
    const next = Math.min(nextPoll, nextTick, finishing[0]?.at ?? Infinity, nextHour);
    fake.moveTo(next);
    if (fake.now() >= nextHour) {
      const count = trackingCalls();
      hourly.push(count - lastHourCount);
      lastHourCount = count;
      nextHour += HOUR;
    }
    if (finishing[0] && fake.now() >= finishing[0].at) {
      finishingIds.push(await act('collectInvestigationPackage', finishing.shift()!.machine));
    }
    if (fake.now() >= nextPoll) {
      const asked = fake.now();
      await drive(
        defender.listAlerts(appAuth(tenantId), {
          filter: compare('lastUpdateTime', 'ge', new Date(asked - POLL_INTERVAL_MS)),
          max: 100,
        }),
      );
      waits.push(fake.now() - asked);
      nextPoll = asked + POLL_INTERVAL_MS;
    }
    if (fake.now() >= nextTick) {
      await drive(tracker.round());
      nextTick = fake.now() + TRACKER_TICK_MS;
    }
  }

  // The delay from Defender's final status to the card, in the rounds of the pace then in force.
  let worstDelayMs = 0;
  let worstDelayRounds = 0;
  let finished = 0;
  for (const id of finishingIds) {
    const request = await service.peek(id);
    const actionId = request?.execution?.defenderActionId;
    const action = actionId ? simulator.defender.state.machineAction(actionId, tenantId) : undefined;
    const shown = shownFinal.get(id);
    if (!action || shown === undefined || !['Succeeded', 'Failed', 'TimeOut', 'Cancelled'].includes(action.status))
      continue;
    finished++;
    const finalAt = Date.parse(action.lastUpdateDateTimeUtc);
    const delay = Math.max(0, shown - finalAt);
    // The action's previous change (it went InProgress 30 s before it ended) set the pace.
    const rounds = delay / trackingInterval(30_000, TRACKER_TICK_MS);
    worstDelayMs = Math.max(worstDelayMs, delay);
    worstDelayRounds = Math.max(worstDelayRounds, rounds);
  }
  const open = await service.openRequests();
  const figures: TrackerDayFigures = {
    trackingCallsPerHour: trackingCalls() / 24,
    worstHourTrackingCalls: Math.max(0, ...hourly),
    worstDelayMs,
    worstDelayRounds,
    finished,
    stillPending: open.filter((r) => r.execution?.defenderStatus === 'Pending').length,
    pollWaitMeanMs: waits.reduce((a, b) => a + b, 0) / Math.max(1, waits.length),
    pollWaitMaxMs: Math.max(0, ...waits),
    polls: waits.length,
    defender429s: requestLog.throttled(),
  };
  http.close();
  await simulator.close();
  return figures;
}

/** The printed lines: the day with tracked actions beside the same day with the poller alone. */
export function trackerLines(day: TrackerDayFigures, baseline: TrackerDayFigures): string[] {
  const latency = (f: TrackerDayFigures) => POLL_INTERVAL_MS / 2 + f.pollWaitMeanMs;
  return [
    'action tracking: one simulated day (fake clock) — 20 actions pending all day on offline devices, 10 finishing at random times; Defender quota 100/min, 1,500/h; background share 20 %',
    `Defender calls per hour on tracking      ${day.trackingCallsPerHour.toFixed(1)}   (worst hour ${day.worstHourTrackingCalls}; goal <= 60/h per tenant)`,
    `final status → card, worst              ${(day.worstDelayMs / 1000).toFixed(1)} s = ${day.worstDelayRounds.toFixed(2)} tracking rounds   (goal <= 2; ${day.finished}/10 finished, ${day.stillPending} still pending at the end)`,
    `alert poll wait for its quota slot       mean ${day.pollWaitMeanMs.toFixed(0)} ms, worst ${day.pollWaitMaxMs} ms over ${day.polls} polls (baseline without actions: mean ${baseline.pollWaitMeanMs.toFixed(0)} ms, worst ${baseline.pollWaitMaxMs} ms)`,
    `alert-notification latency ratio         ${(latency(day) / latency(baseline)).toFixed(2)}   (polled: half the 15 s interval plus the wait; goal <= 1.1)`,
    `Defender 429s received                   ${day.defender429s} (baseline ${baseline.defender429s})`,
  ];
}
