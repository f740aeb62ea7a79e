/*
 * The notifications part of `npm run bench`: how long from an alert appearing in Defender to its card reaching
 * Teams (pushed through POST /api/notify, and found by polling), and how fast one alert fans out to 200
 * subscribed channels through a Bot Connector that enforces Teams' rate limits — against the minimum those
 * limits allow, and with nothing lost. It runs the bot in production mode against the local Entra ID, Defender
 * and Teams emulators, in one process: these figures are set by pacing and polling, not by CPU.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger } from '../src/logging/logger';
import { HttpClient } from '../src/http/httpClient';
import { parseWebhookSecret, signWebhook } from '../src/notifications/notifyWebhookSignature';
import type { SentActivity } from '../src/simulator/channel/sentActivityLog';
import { demoSeed } from '../test/support/demoTenant';
import type { Conversation, ProductionHarness } from '../test/support/productionApp';
import { startProductionHarness } from '../test/support/productionApp';

const CONTOSO = demoSeed.tenant.id;

/** Percentiles of a set of latencies, in ms. */
export interface Latencies {
  samples: number;
  p50: number;
  p99: number;
  lost: number;
}

/** What the notification bench measured. */
export interface NotificationFigures {
  pushed: Latencies;
  polled: Latencies & { pollIntervalMs: number };
  connectorRoundTrip: Latencies;
  fanOut: { conversations: number; seconds: number; minimumSeconds: number; delivered: number; violations: number };
  fanOutThrottled: {
    conversations: number;
    seconds: number;
    delivered: number;
    duplicates: number;
    throttled: number;
    violations: number;
  };
}

/** Percentiles and losses of a set of latencies (shared by the notification benches). */
export function summarize(values: number[], lost: number): Latencies {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  return { samples: sorted.length, p50: at(50), p99: at(99), lost };
}

function postsOfAlert(h: ProductionHarness, alertId: string, since: number): SentActivity[] {
  return h.channel
    .sent()
    .slice(since)
    .filter((s) => s.kind === 'send' && JSON.stringify(s.activity.attachments).includes(alertId));
}

/** Waits until the connector accepted `count` cards of the alert; resolves with when the last one arrived. */
async function cardsOf(h: ProductionHarness, alertId: string, since: number, count: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const posts = postsOfAlert(h, alertId, since);
    if (posts.length >= count) return posts;
    if (Date.now() > deadline) return posts;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Runs the notification measurements. */
export async function notificationBench(options: { samples: number; pollIntervalMs: number }) {
  const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
  const h = await startProductionHarness({
    seeds: [demoSeed],
    env: {
      NOTIFY_POLL_INTERVAL_MS: String(options.pollIntervalMs),
      NOTIFY_HMAC_SECRETS: webhookSecret,
      NOTIFY_DIGEST_THRESHOLD: '1000',
      LOG_LEVEL: 'warn',
    },
    // Quiet logs: the figures are the pipeline's, not the debug logger's.
    startOptions: {
      notificationBackoff: { baseMs: 200, maxMs: 2_000, jitter: 0.2 },
      logger: createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, done) => done() }) }),
    },
  });
  const http = new HttpClient({ extraCaPem: [h.caCertPem] });
  try {
    const adele = h.person(demoSeed, 'Adele');
    const machineId = demoSeed.machines.find((m) => m.computerDnsName.startsWith('srv-file-01.'))!.id;
    const subscribe = async (where: Conversation, command: string) => {
      const answer = await h.execute('command.view', { command }, adele, where);
      if (!String(answer.value).startsWith('Subscribed')) throw new Error(`subscribe failed: ${String(answer.value)}`);
    };
    const inject = (title: string, category: string) =>
      h.simulator.defender.state.injectAlert({ title, severity: 'High', category, machineId }, CONTOSO);
    const push = (alertId: string) => {
      const body = JSON.stringify({ alertId });
      const id = `msg_${randomUUID()}`;
      const at = Math.floor(Date.now() / 1000);
      return http.request({
        method: 'POST',
        url: `${h.app.url}/api/notify`,
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(at),
          'webhook-signature': signWebhook(parseWebhookSecret(webhookSecret), id, at, body),
        },
        body,
      });
    };

    // 1. Pushed: alert injected, POST /api/notify at once, card accepted by the connector.
    await subscribe(
      { id: '19:bench-push@thread.tacv2', conversationType: 'channel', tenantId: CONTOSO },
      'subscribe to high alerts category Execution',
    );
    const pushed: number[] = [];
    let pushLost = 0;
    for (let i = 0; i < options.samples; i++) {
      const since = h.channel.sentCount();
      const alert = inject(`Pushed bench alert ${i}`, 'Execution');
      const t0 = performance.now();
      const response = await push(alert.id);
      if (response.status !== 202) throw new Error(`notify answered ${response.status}: ${response.body}`);
      const [card] = await cardsOf(h, alert.id, since, 1, 10_000);
      if (card) pushed.push(performance.now() - t0);
      else pushLost++;
      await new Promise((resolve) => setTimeout(resolve, 260)); // stay within the channel's 8 per 2 s
    }

    // Baseline: the same card posted straight to the connector with the bot's token (what any delivery costs).
    const tokenResponse = await http.request({
      method: 'POST',
      url: `${h.simulator.url}/${CONTOSO}/oauth2/v2.0/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: h.botId,
        client_secret: h.botSecret,
        scope: 'https://api.botframework.com/.default',
      }).toString(),
    });
    const botToken = (JSON.parse(tokenResponse.body) as { access_token: string }).access_token;
    const sample = h.channel
      .sent()
      .filter((s) => s.kind === 'send')
      .at(-1)!.activity;
    const roundTrips: number[] = [];
    for (let i = 0; i < options.samples; i++) {
      const t0 = performance.now();
      const response = await http.request({
        method: 'POST',
        url: `${h.channel.url}/v3/conversations/${encodeURIComponent('19:bench-baseline@thread.tacv2')}/activities`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${botToken}` },
        body: JSON.stringify(sample),
      });
      if (response.status >= 300) throw new Error(`connector answered ${response.status}: ${response.body}`);
      roundTrips.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 260));
    }

    // 2. Polled: the poller finds the alert on its own schedule.
    await subscribe(
      { id: '19:bench-poll@thread.tacv2', conversationType: 'channel', tenantId: CONTOSO },
      'subscribe to high alerts category Persistence',
    );
    const polled: number[] = [];
    let pollLost = 0;
    const pollSamples = Math.max(5, Math.round(options.samples / 2));
    for (let i = 0; i < pollSamples; i++) {
      const since = h.channel.sentCount();
      const t0 = performance.now();
      const alert = inject(`Polled bench alert ${i}`, 'Persistence');
      const [found] = await cardsOf(h, alert.id, since, 1, options.pollIntervalMs * 4);
      if (found) polled.push(performance.now() - t0);
      else pollLost++;
      // Land at evenly spread points of the poll interval (found just after a poll, then wait a share of it), so
      // a few samples cover the whole interval instead of wherever a random draw puts them.
      await new Promise((resolve) => setTimeout(resolve, (i / pollSamples) * options.pollIntervalMs));
    }

    // 3. Fan-out: 200 channels subscribed to one category; one alert; Teams' 30 requests per second per tenant.
    const fanOutTo = async (count: number, category: string, label: string) => {
      const channels = Array.from({ length: count }, (_, i) => ({
        id: `19:${label}-${i}@thread.tacv2`,
        conversationType: 'channel' as const,
        tenantId: CONTOSO,
      }));
      for (const where of channels) await subscribe(where, `subscribe to high alerts category ${category}`);
      const since = h.channel.sentCount();
      const alert = inject(`Fan-out bench alert (${label})`, category);
      const started = Date.now();
      await push(alert.id);
      const posts = await cardsOf(h, alert.id, since, count, 120_000);
      await h.app.notifications.idle();
      const seconds = (Math.max(...posts.map((p) => p.at.getTime())) - started) / 1000;
      const perConversation = new Map<string, number>();
      for (const p of postsOfAlert(h, alert.id, since)) {
        const channel = p.conversationId.split(';')[0]!;
        perConversation.set(channel, (perConversation.get(channel) ?? 0) + 1);
      }
      return {
        seconds,
        delivered: perConversation.size,
        duplicates: [...perConversation.values()].reduce((sum, n) => sum + n - 1, 0),
      };
    };
    const clean = await fanOutTo(200, 'Ransomware', 'fan');
    const violationsClean = h.channel.rateViolations().length;
    h.channel.failShare(0.1, 429, { operations: ['create', 'send', 'update'], retryAfterSeconds: 1 });
    const rejectedBefore = h.channel.rejected().length;
    const throttled = await fanOutTo(200, 'Exfiltration', 'fan429');
    const throttledCount = h.channel.rejected().length - rejectedBefore;
    h.channel.clearFaults();

    const tenantRps = 30;
    const figures: NotificationFigures = {
      pushed: summarize(pushed, pushLost),
      polled: { ...summarize(polled, pollLost), pollIntervalMs: options.pollIntervalMs },
      connectorRoundTrip: summarize(roundTrips, 0),
      fanOut: {
        conversations: 200,
        seconds: clean.seconds,
        // 30 at once, then 30 more as each second of the window frees: the last of 200 goes at 6 s.
        minimumSeconds: Math.ceil(200 / tenantRps) - 1,
        delivered: clean.delivered,
        violations: violationsClean,
      },
      fanOutThrottled: {
        conversations: 200,
        seconds: throttled.seconds,
        delivered: throttled.delivered,
        duplicates: throttled.duplicates + clean.duplicates,
        throttled: throttledCount,
        violations: h.channel.rateViolations().length,
      },
    };
    return figures;
  } finally {
    http.close();
    await h.stop();
  }
}
