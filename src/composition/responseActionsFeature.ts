import type { Locale } from '../i18n/locale';
import type { ReconcileTimings } from '../approvals/actionExecutor';
import { ActionExecutor } from '../approvals/actionExecutor';
import { ActionTracker } from '../approvals/actionTracker';
import { ApprovalService } from '../approvals/approvalService';
import { ApprovalSettings } from '../approvals/approvalSettings';
import { ContainmentRegister } from '../approvals/containmentRegister';
import type { ApprovalRequest } from '../approvals/approvalTypes';
import { TeamsApprovalPublisher } from '../bot/teamsApprovalPublisher';
import type { ResponseActions } from '../commands/responseActions';
import type { Identity } from './identity';
import type { Lifecycle } from './lifecycle';
import type { Platform } from './platform';
import { serializeError } from '../logging/logger';

/** Test seams of response actions (see StartOptions in src/app.ts). */
export interface ResponseActionsOptions {
  /** How often submitted actions are checked (tests use short intervals). */
  actionPollIntervalMs?: number | undefined;
  /** How long an ambiguous send is checked before Defender's silence counts (tests use short timings). */
  reconcileTimings?: Partial<ReconcileTimings> | undefined;
}

/** The running feature: what commands and cards use, and the tracker (tests run its rounds by hand). */
export interface ResponseActionsFeature {
  port: ResponseActions;
  tracker: ActionTracker;
  /** Devices isolated or restricted through approved requests (the tab's containment board, its reminders). */
  containments: ContainmentRegister;
  /** Partner context: an offboarded customer's pending requests expire, and their cards say so. */
  expireTenant(tenantId: string): Promise<void>;
  /** Starts tracking Defender's status of submitted actions (after the server listens). */
  start(): Promise<void>;
}

/**
 * Response actions behind approvals: the approval records, the executor that sends an approved action with the
 * approver's token, the publisher that keeps every card of a request current, and the tracker that follows each
 * action to Defender's final status (for the tenants this instance owns).
 */
export async function installResponseActions(
  platform: Platform,
  identity: Identity,
  lifecycle: Lifecycle,
  options: ResponseActionsOptions,
  partner?: {
    servesTenant(conversationId: string, tenantId: string): Promise<boolean>;
    isServed(tenantId: string): Promise<boolean>;
    /** The language a conversation's approval cards speak. */
    languageOf(conversationId: string): Promise<Locale>;
  },
): Promise<ResponseActionsFeature> {
  const { config, storage, audit, now, instances, background, defender, logger } = platform;
  const service = new ApprovalService({
    storage,
    policy: config.approvals,
    audit,
    now,
    instanceId: instances.instanceId,
  });
  await service.initialise();
  const executor = new ActionExecutor({
    service,
    defender,
    logger: logger.child({ component: 'approvals' }),
    publish: (request) => background.run(`publish ${request.id}`, () => publisher.publish(request)),
    // An ambiguous send is settled after a minute, or six client timeouts when the timeout is longer.
    timings: { settleMs: Math.max(60_000, 6 * config.defender.timeoutMs), ...options.reconcileTimings },
    now,
  });
  const containments = new ContainmentRegister(storage);
  const cards = new TeamsApprovalPublisher({
    adapter: identity.botAdapter.adapter,
    botAppId: platform.tenant ? '' : identity.clientId,
    service,
    ...(partner ? { languageOf: (conversationId: string) => partner.languageOf(conversationId) } : {}),
    logger,
    now,
  });
  // Every change a request's cards show also reaches the containment register (a failure there never stops the
  // cards: the register is written again at the next change, and a release reads Defender anyway).
  const publisher = {
    publish: async (request: ApprovalRequest) => {
      await containments
        .requestChanged(request)
        .catch((err: unknown) =>
          logger.warn({ err: serializeError(err), approvalId: request.id }, 'containment register not updated'),
        );
      await cards.publish(request);
    },
    postTo: (address: unknown, render: Parameters<TeamsApprovalPublisher['postTo']>[1]) =>
      cards.postTo(address, render),
  };
  // The bot's own read-only identity: tracking needs no person.
  const tracker = new ActionTracker({
    service,
    executor,
    defender,
    publisher,
    appAuth: identity.defenderAppAuth,
    logger: logger.child({ component: 'tracker' }),
    intervalMs: options.actionPollIntervalMs ?? config.approvals.pollIntervalMs,
    runInBackground: (name, task) => background.run(name, task),
    ownership: instances,
    ...(partner ? { isServed: (tenantId: string) => partner.isServed(tenantId) } : {}),
    now,
  });
  platform.tenantWork.onTenantGained((tenantId) => tracker.tenantGained(tenantId));
  const port: ResponseActions = {
    service,
    executor,
    publisher,
    settings: new ApprovalSettings(storage),
    audit,
    postTo: (address, render) => publisher.postTo(address, render),
    runInBackground: (name, task) => background.run(name, task),
    ...(partner ? { servesTenant: (conversationId, tenantId) => partner.servesTenant(conversationId, tenantId) } : {}),
  };
  return {
    port,
    tracker,
    containments,
    expireTenant: async (tenantId) => {
      for (const request of await service.expireTenant(tenantId))
        background.run(`publish ${request.id}`, () => publisher.publish(request));
    },
    start: async () => {
      await tracker.start();
      lifecycle.onStop(() => tracker.stop());
    },
  };
}
