import path from 'node:path';
import { HttpHuntingClient } from '../graph/huntingClient';
import { createDefenderLimiter } from '../http/slidingWindowLimiter';
import { HuntCallCounter } from '../hunting/huntCallCounter';
import type { HuntingPort } from '../hunting/huntCommands';
import { HuntCommands } from '../hunting/huntCommands';
import { loadHuntLibrary } from '../hunting/huntLibrary';
import type { CustomerDirectory } from '../customers/customerDirectory';
import type { HuntResults } from '../hunting/huntResultPresenter';
import { installHuntResultSweep, installHuntResults } from '../hunting/huntResultsFeature';
import type { Lifecycle } from './lifecycle';
import type { Platform } from './platform';

/** Advanced hunting per tenant, as documented: at least 45 calls a minute and 1,500 an hour. */
const HUNTING_CALLS_PER_MINUTE = 45;
const HUNTING_CALLS_PER_HOUR = 1_500;

/** What the hunting feature gives the bot. */
export interface HuntingFeature {
  /** The commands and the `hunt.run` button: SocBotDependencies.hunting. */
  port: HuntingPort;
  /** Stored results: paging, sorting, the CSV (SocBotDependencies.huntResults). */
  results: HuntResults;
  /** Background work, once the server answers: the hourly sweep of expired results. */
  start(): void;
}

/**
 * Advanced hunting from chat: the saved hunts (the shipped `hunts/` folder under `projectRoot`, then HUNTS_DIR; a
 * broken file stops startup with its path), Graph's runHuntingQuery with the person's token under the tenant's
 * hunting budget (its own limiter: the budget is per tenant, apart from Graph's 150 requests a minute; counted per
 * instance), and the results: stored in chunks on the shared state (any instance pages them), owned by who ran the
 * hunt, swept once expired (src/hunting/huntResult*); a CSV is uploaded only where the customer is still served.
 */
export async function installHunting(
  platform: Platform,
  lifecycle: Lifecycle,
  options: { projectRoot: string; customers?: CustomerDirectory | undefined },
): Promise<HuntingFeature> {
  const { config, tenant, http, logger, audit, now } = platform;
  const folders = [
    path.join(options.projectRoot, 'hunts'),
    ...(config.hunting.huntsDir ? [config.hunting.huntsDir] : []),
  ];
  const library = await loadHuntLibrary(folders);
  const limiter = createDefenderLimiter({
    ...config.defender,
    rateLimitPerMinute: HUNTING_CALLS_PER_MINUTE,
    rateLimitPerHour: HUNTING_CALLS_PER_HOUR,
  });
  lifecycle.onStop(() => limiter.close());
  const client = new HttpHuntingClient({
    baseUrl: tenant ? `${tenant.url}/v1.0` : config.graph.apiUrl,
    http,
    limiter,
    logger: logger.child({ component: 'hunting' }),
    maxRetries: config.defender.maxRetries,
    maxRetryAfterMs: config.defender.maxRetryAfterMs,
  });
  const results = installHuntResults(platform, { customers: options.customers });
  const port = new HuntCommands({
    library,
    client,
    presenter: results,
    audit,
    counter: new HuntCallCounter(),
    now,
  });
  logger.info(
    { hunts: library.all().length, adminFolder: config.hunting.huntsDir !== undefined },
    'saved hunts loaded',
  );
  return { port, results, start: () => void installHuntResultSweep(platform, lifecycle) };
}
