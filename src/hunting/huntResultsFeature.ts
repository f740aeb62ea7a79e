import type { Lifecycle } from '../composition/lifecycle';
import type { Platform } from '../composition/platform';
import type { CustomerDirectory } from '../customers/customerDirectory';
import { HuntResults } from './huntResultPresenter';
import { HuntResultStore } from './huntResultStore';
import { HuntResultSweeper } from './huntResultSweeper';
import { HttpCsvUploader } from './huntResultUpload';

/**
 * Stored hunt results on the platform's shared Storage (any instance serves any page), its audit trail and HTTP
 * client: the presenter the hunt commands call and the port the bot's card actions and file consent use.
 */
export function installHuntResults(
  platform: Pick<Platform, 'storage' | 'audit' | 'http' | 'logger' | 'now'>,
  partners: { customers?: CustomerDirectory | undefined } = {},
): HuntResults {
  return new HuntResults({
    store: new HuntResultStore({ storage: platform.storage, now: platform.now }),
    audit: platform.audit,
    upload: new HttpCsvUploader(platform.http, platform.logger.child({ component: 'huntResults' })),
    customers: partners.customers,
  });
}

/**
 * Starts the sweep that removes expired hunt results from the shared Storage (hourly, every instance; safe when
 * several sweep at once) and stops it with the app.
 */
export function installHuntResultSweep(
  platform: Pick<Platform, 'storage' | 'logger' | 'now'>,
  lifecycle: Lifecycle,
): HuntResultSweeper {
  const sweeper = new HuntResultSweeper({
    storage: platform.storage,
    store: new HuntResultStore({ storage: platform.storage, now: platform.now }),
    now: platform.now,
    logger: platform.logger.child({ component: 'huntResultSweep' }),
  });
  sweeper.start();
  lifecycle.onStop(() => sweeper.stop());
  return sweeper;
}
