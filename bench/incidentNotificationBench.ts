/*
 * The incident notifications part of `npm run bench`: how long from a change made in the Defender portal (an
 * incident reassigned) to the card in a subscribed channel showing it, against the poll interval; and one incident
 * that grows alert by alert while 20 channels follow it — one card per channel, updated, never one per alert. The
 * bot runs in production mode against the local Entra ID, Graph and Teams emulators, polling on its own timer.
 */
import { Writable } from 'node:stream';
import { createLogger } from '../src/logging/logger';
import type { SentActivity } from '../src/simulator/channel/sentActivityLog';
import { demoSeed } from '../test/support/demoTenant';
import type { Conversation, ProductionHarness } from '../test/support/productionApp';
import { startProductionHarness } from '../test/support/productionApp';
import type { Latencies } from './notificationBench';
import { summarize } from './notificationBench';

const CONTOSO = demoSeed.tenant.id;

/** What the incident notification bench measured. */
export interface IncidentNotificationFigures {
  pollIntervalMs: number;
  portalChange: Latencies;
  growing: {
    conversations: number;
    alertsAdded: number;
    /** Cards posted for the incident in each conversation (goal: exactly 1 each). */
    cardsPerConversation: number[];
    /** Conversations whose card shows the final alert count. */
    upToDate: number;
    updates: number;
  };
}

/** The text of a card the connector received (its TextBlocks and TextRuns). */
function cardText(sent: SentActivity): string {
  return [...JSON.stringify(sent.activity.attachments).matchAll(/"text":"([^"]*)"/g)].map((m) => m[1]!).join(' ');
}

function isAbout(sent: SentActivity, incidentId: string): boolean {
  return JSON.stringify(sent.activity.attachments).includes(
    `"verb":"incident.open","data":{"incidentId":"${incidentId}"}`,
  );
}

function inConversation(sent: SentActivity, where: Conversation): boolean {
  return sent.conversationId === where.id || sent.conversationId.startsWith(`${where.id};`);
}

async function until<T>(find: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Runs the incident notification measurements. */
export async function incidentNotificationBench(options: {
  samples: number;
  pollIntervalMs: number;
  conversations: number;
  alertsAdded: number;
}): Promise<IncidentNotificationFigures> {
  const h: ProductionHarness = await startProductionHarness({
    seeds: [demoSeed],
    env: {
      NOTIFY_POLL_INTERVAL_MS: String(options.pollIntervalMs),
      NOTIFY_DIGEST_THRESHOLD: '1000',
      GRAPH_RATE_LIMIT_PER_MINUTE: '100000',
      LOG_LEVEL: 'warn',
    },
    startOptions: {
      notificationBackoff: { baseMs: 200, maxMs: 2_000, jitter: 0.2 },
      logger: createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, done) => done() }) }),
    },
  });
  try {
    const adele = h.person(demoSeed, 'Adele');
    const portal = h.simulator.graph.portal;
    const channels: Conversation[] = Array.from({ length: options.conversations }, (_, i) => ({
      id: `19:bench-incidents-${i}@thread.tacv2`,
      conversationType: 'channel',
      tenantId: CONTOSO,
    }));
    for (const where of channels) {
      const answer = await h.execute('command.view', { command: 'subscribe to high incidents' }, adele, where);
      if (!String(answer.value).startsWith('Subscribed')) throw new Error(`subscribe failed: ${String(answer.value)}`);
    }
    const alert = (i: number) => ({
      title: `Bench alert ${i}`,
      severity: 'medium',
      serviceSource: 'microsoftDefenderForIdentity',
      detectionSource: 'microsoftDefenderForIdentity',
    });

    // 1. A growing incident: created High with one alert, then one alert more every poll interval.
    const since = h.channel.sentCount();
    const incident = portal.createIncident(
      { displayName: 'Bench: password spray, then mailbox rules', severity: 'high', alerts: [alert(0)] },
      CONTOSO,
    );
    for (let i = 1; i <= options.alertsAdded; i++) {
      await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs));
      portal.addAlert(incident.id, alert(i), CONTOSO);
    }
    const finalCount = `${options.alertsAdded + 1} alerts`;
    const latestOf = (where: Conversation) => {
      const about = h.channel
        .sent()
        .slice(since)
        .filter((s) => inConversation(s, where) && isAbout(s, incident.id));
      return about.at(-1);
    };
    const showsFinalCount = (where: Conversation) => {
      const latest = latestOf(where);
      return latest !== undefined && cardText(latest).includes(finalCount);
    };
    await until(() => (channels.every(showsFinalCount) ? true : undefined), options.pollIntervalMs * 6 + 30_000);
    const sent = h.channel.sent().slice(since);
    const cardsPerConversation = channels.map(
      (where) => sent.filter((s) => s.kind === 'send' && inConversation(s, where) && isAbout(s, incident.id)).length,
    );
    const upToDate = channels.filter(showsFinalCount).length;
    const updates = sent.filter((s) => s.kind === 'update' && isAbout(s, incident.id)).length;

    // 2. A change made in the portal (reassigned) until the first channel's card shows it.
    const watched = channels[0]!;
    const latencies: number[] = [];
    let lost = 0;
    for (let i = 0; i < options.samples; i++) {
      const owner = `analyst${i}@contoso.com`;
      const mark = h.channel.sentCount();
      const t0 = performance.now();
      portal.updateIncident(incident.id, { assignedTo: owner }, CONTOSO);
      const shown = await until(
        () =>
          h.channel
            .sent()
            .slice(mark)
            .find((s) => s.kind === 'update' && inConversation(s, watched) && cardText(s).includes(owner)),
        options.pollIntervalMs * 4 + 10_000,
      );
      if (shown) latencies.push(performance.now() - t0);
      else lost++;
      // Land at evenly spread points of the poll interval, as the alert bench does.
      await new Promise((resolve) => setTimeout(resolve, (i / options.samples) * options.pollIntervalMs));
    }

    return {
      pollIntervalMs: options.pollIntervalMs,
      portalChange: summarize(latencies, lost),
      growing: {
        conversations: channels.length,
        alertsAdded: options.alertsAdded,
        cardsPerConversation,
        upToDate,
        updates,
      },
    };
  } finally {
    await h.stop();
  }
}

/** The figures as the bench prints them. */
export function incidentNotificationLines(f: IncidentNotificationFigures): string[] {
  const cards = new Map<number, number>();
  for (const n of f.growing.cardsPerConversation) cards.set(n, (cards.get(n) ?? 0) + 1);
  const tally = [...cards.entries()].map(([n, c]) => `${n} card${n === 1 ? '' : 's'}: ${c} conversations`).join(', ');
  return [
    `incident notifications (bot in production mode against the Entra, Graph and Teams emulators; polling every ${f.pollIntervalMs / 1000} s)`,
    `${'change in the portal → card updated in a channel'.padEnd(52)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'samples'.padStart(9)}${'lost'.padStart(6)}`,
    `${'incident reassigned'.padEnd(52)}${f.portalChange.p50.toFixed(0).padStart(9)}${f.portalChange.p99.toFixed(0).padStart(9)}${String(f.portalChange.samples).padStart(9)}${String(f.portalChange.lost).padStart(6)}`,
    `  (a poll every ${f.pollIntervalMs} ms: expected about half of it at p50, at most one interval plus delivery at p99)`,
    `one incident growing by ${f.growing.alertsAdded} alerts, ${f.growing.conversations} channels subscribed: ${tally}   (goal 1 card each)`,
    `  cards showing the final alert count ${f.growing.upToDate}/${f.growing.conversations}; card updates sent ${f.growing.updates}`,
  ];
}
