import path from 'node:path';
import { SsoTokenValidator } from '../auth/ssoTokenValidator';
import { ConversationMembers } from '../bot/conversationMembers';
import type { UserAssertion } from '../auth/userTokens';
import type { CommandContext } from '../commands/commandContext';
import type { MsalOboTokenProvider } from '../auth/msalOboTokenProvider';
import type { Translator } from '../i18n/translator';
import type { TabPages } from '../server/tabRoutes';
import { openReleaseOf } from '../approvals/containmentRegister';
import { containmentNow } from '../tab/containmentCheck';
import { ContainmentReminders } from '../tab/containmentReminders';
import { TabApi } from '../tab/tabApi';
import { TabAuditSearch } from '../tab/tabAudit';
import { TabAuthenticator } from '../tab/tabAuthenticator';
import { TabSubscriptions } from '../tab/tabSubscriptions';
import type { Identity } from './identity';
import type { Lifecycle } from './lifecycle';
import type { NotificationsFeature } from './notificationsFeature';
import type { Platform } from './platform';
import type { ResponseActionsFeature } from './responseActionsFeature';

/** How often the containment reminders look for containments past their age. */
const REMINDER_ROUND_MS = 15 * 60_000;

/** The running tab: its pages and API for the server, its background work, and a reminder round for tests. */
export interface TabFeature {
  pages: TabPages;
  /** Demo mode: lets the local Teams host page (known once it listens) frame the tab and talk to teams-js. */
  allowDemoHost(origin: string): void;
  /** Starts the containment reminders (after the server listens). */
  start(): void;
  /** One reminder round now (tests; production runs them on a timer); resolves with the reminders sent. */
  remindNow(): Promise<number>;
}

/**
 * The SOC console tab: its pages, its API (people authenticated by their Teams SSO token exactly like the bot's
 * sign-in, acting through on-behalf-of tokens), and the reminders about long containments. Demo mode adds the local
 * Teams host page's origin to those allowed to frame the tab and to talk to teams-js (never in production).
 */
export function installTab(
  platform: Platform,
  identity: Identity,
  lifecycle: Lifecycle,
  features: { responseActions: ResponseActionsFeature; notifications: NotificationsFeature },
  options: { projectRoot: string },
): TabFeature {
  const { config, http, logger, now, audit, instances } = platform;
  const { responseActions, notifications } = features;
  const publicHost = config.bot.publicUrl ? new URL(config.bot.publicUrl).host.toLowerCase() : undefined;
  const validator = new SsoTokenValidator({
    authorityHost: identity.authorityHost,
    botAppId: identity.clientId,
    // A bot with a tab exposes its API as api://<domain>/botid-<id> (Microsoft's "bot and tab" SSO setup).
    ...(publicHost ? { extraAudiences: [`api://${publicHost}/botid-${identity.clientId}`] } : {}),
    httpClient: http,
    logger: logger.child({ component: 'tab' }),
  });
  const delegated = (tokens: MsalOboTokenProvider, assertion: UserAssertion) => ({
    kind: 'delegated' as const,
    tenantId: assertion.user.tenantId,
    queueKey: assertion.user.aadObjectId.toLowerCase(),
    getAccessToken: () => tokens.acquireForUser(assertion, assertion.user.tenantId),
  });
  const contextFor = (assertion: UserAssertion, i18n: Translator): CommandContext => ({
    user: assertion.user,
    tenant: { id: assertion.user.tenantId },
    i18n,
    auth: delegated(identity.defenderTokens, assertion),
    defender: platform.defender,
    graphAuth: delegated(identity.graphTokens, assertion),
    graph: platform.graph,
    now: now(),
  });
  const actions = responseActions.port;
  const members = new ConversationMembers({
    adapter: identity.botAdapter.adapter,
    botAppId: platform.tenant ? '' : identity.clientId,
    logger: logger.child({ component: 'tab' }),
  });
  const api = new TabApi({
    authenticator: new TabAuthenticator({
      validator,
      allowedTenantIds: platform.tenant ? undefined : config.allowedTenantIds,
    }),
    contextFor,
    actions,
    containments: responseActions.containments,
    audit,
    auditSearch: new TabAuditSearch(audit),
    subscriptions: new TabSubscriptions({
      subscriptions: notifications.pipeline.subscriptions,
      installations: notifications.pipeline.installations,
      refusals: actions.service,
      membership: (address, aadObjectId) => members.membership(address, aadObjectId),
    }),
    reminderAfterMs: config.approvals.containmentReminderMs,
    tenantNameOf: (tenantId) =>
      Promise.resolve(
        platform.tenant && tenantId.toLowerCase() === platform.tenant.tenantId.toLowerCase()
          ? platform.tenant.tenantName
          : undefined,
      ),
    containmentNow: (tenantId, deviceId, kind) =>
      containmentNow(platform.defender, identity.defenderAppAuth(tenantId), deviceId, kind),
    logger: logger.child({ component: 'tab' }),
    now,
  });
  const reminders = new ContainmentReminders({
    register: responseActions.containments,
    post: (address, render) => actions.postTo(address, render),
    owns: (tenantId) => instances.owns(tenantId),
    check: (tenantId, c) => containmentNow(platform.defender, identity.defenderAppAuth(tenantId), c.deviceId, c.kind),
    releaseRequested: async (tenantId, c) =>
      openReleaseOf(await actions.service.openRequests(), c, tenantId, now()) !== undefined,
    audit,
    afterMs: config.approvals.containmentReminderMs,
    logger: logger.child({ component: 'reminders' }),
    now,
  });
  platform.tenantWork.addTenantSource(() => responseActions.containments.tenants());
  const demoOrigins: string[] = [];
  return {
    pages: {
      assetsDir: path.join(options.projectRoot, 'dist', 'tab'),
      demoHostOrigins: demoOrigins,
      api: (call) => api.handle(call),
    },
    allowDemoHost: (origin) => {
      if (platform.tenant && !demoOrigins.includes(origin)) demoOrigins.push(origin);
    },
    start: () => {
      const timer = setInterval(() => {
        platform.background.run('containment reminders', () => reminders.round());
      }, REMINDER_ROUND_MS);
      timer.unref();
      lifecycle.onStop(() => clearInterval(timer));
    },
    remindNow: () => reminders.round(),
  };
}
