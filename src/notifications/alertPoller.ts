import type { DefenderAuth, DefenderClient } from '../defender/defenderClient';
import type { Alert } from '../defender/schemas';
import { and, compare } from '../http/odata';
import type { Logger } from '../logging/logger';
import type { Storage } from '../storage/storage';
import type { AlertIntake } from './alertIntake';
import { versionOf } from './alertIntake';
import { ChangePoller } from './changePoller';

/** How the poller reads Defender. */
export interface AlertPollerOptions {
  defender: DefenderClient;
  /** The application identity (Alert.Read.All): reading for everyone, never acting. */
  appAuth(tenantId: string): DefenderAuth;
  intake: AlertIntake;
  storage: Storage;
  /** Tenants to poll now: those with subscriptions whose background work this instance owns. */
  tenants(): string[] | Promise<string[]>;
  /**
   * Fencing: whether this instance still owns the tenant when the watermark is about to move (default yes). A
   * poll whose tenant was lost meanwhile does not commit; the new owner re-reads from the old watermark.
   */
  stillOwns?(tenantId: string): boolean;
  intervalMs: number;
  /** Each poll re-reads this far behind the watermark, for alerts Defender indexes late. */
  overlapMs: number;
  /** Alerts read per request (default 5000); a window with more is cut short until it fits. */
  maxAlerts?: number;
  logger: Logger;
  now?: () => Date;
}

/**
 * Polls Defender for Endpoint for alerts updated since a durable watermark (minus an overlap window), per tenant
 * with subscriptions, with the application identity, and hands every alert to the intake, which ignores versions
 * it already has (the watermark, fencing and back-off are the ChangePoller's).
 */
export class AlertPoller extends ChangePoller<Alert> {
  constructor(options: AlertPollerOptions) {
    const { defender, intake, maxAlerts, ...rest } = options;
    const appAuth = (tenantId: string) => options.appAuth(tenantId);
    super({
      ...rest,
      ...(maxAlerts === undefined ? {} : { maxItems: maxAlerts }),
      feed: {
        name: 'alert',
        stateKey: (tenantId) => `notify/${tenantId.toLowerCase()}/poller`,
        read: (tenantId, since, before, max) =>
          defender.listAlerts(appAuth(tenantId), {
            filter: and(
              compare('lastUpdateTime', 'ge', since),
              before ? compare('lastUpdateTime', 'lt', before) : undefined,
            ),
            max,
          }),
        versionOf,
        take: (tenantId, alerts) => intake.ingest(tenantId, alerts),
        // Alerts the intake set aside (their device's tags could not be read) are tried again first.
        beforePoll: (tenantId) => intake.retryDeferred(tenantId),
      },
    });
  }
}
