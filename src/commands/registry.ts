import { toHelpCard } from '../cards/helpCard';
import { toNoticeCard } from '../cards/noticeCard';
import type { CommandContextFactory, Reply } from './commandContext';
import { cardReply } from './commandContext';
import type { CommandId, Intent } from './intents';
import { listAlerts } from './listAlerts';
import { showAlert } from './showAlert';
import { showDevice } from './showDevice';
import type { ResponseActions } from './responseActions';
import {
  cancelMachineAction,
  listApprovals,
  listDeviceActions,
  prepareAction,
  showAudit,
  useConversationForApprovals,
} from './responseActions';
import { AppError } from '../errors';
import { confirmResolution } from '../incidents/resolveIncident';
import type { NotificationsPort } from './notificationCommands';
import { listSubscriptions, resume, snooze, subscribe, unsubscribe } from './notificationCommands';
import type { Operation } from '../userMessages';
import { listIncidents } from '../incidents/listIncidents';
import { showIncident } from '../incidents/showIncident';
import { investigateTyped } from '../investigation/investigate';

/** What a command is called in "You don't have permission to …" messages. */
export const COMMAND_OPERATIONS = {
  help: 'view alerts',
  'tenant.connect': 'view alerts',
  'alerts.list': 'view alerts',
  'alert.show': 'view this alert',
  'device.show': 'view this device',
  'action.request': 'take this response action',
  'action.cancel': 'take this response action',
  'actions.list': 'view response actions',
  'approvals.list': 'act on this request',
  'approvals.useChannel': 'act on this request',
  'audit.show': 'view response actions',
  'incident.resolve': 'resolve this incident',
  'notifications.subscribe': 'change notifications',
  'notifications.unsubscribe': 'change notifications',
  'notifications.list': 'change notifications',
  'notifications.snooze': 'change notifications',
  'notifications.resume': 'change notifications',
  'incidents.list': 'view incidents',
  'incident.show': 'view this incident',
  'customers.onboard': 'manage customers',
  'customers.list': 'manage customers',
  'customers.offboard': 'manage customers',
  'customers.bind': 'manage customers',
  'customers.unbind': 'manage customers',
  'customers.here': 'manage customers',
  'language.show': 'view alerts',
  'language.set': 'view alerts',
  'entity.investigate': 'view alerts',
  'hunts.list': 'run hunts',
  'hunt.run': 'run hunts',
  'hunt.kql': 'run hunts',
} as const satisfies Record<CommandId, Operation>;

/**
 * Commands that act as the person asking — they read Defender or need the person's roles — and so need
 * their sign-in; in group chats and channels they are answered per viewer.
 */
const NEEDS_SIGN_IN: Record<CommandId, boolean> = {
  help: false,
  'tenant.connect': false,
  'alerts.list': true,
  'alert.show': true,
  'device.show': true,
  'action.request': true,
  'action.cancel': true,
  'actions.list': true,
  'approvals.list': true,
  'approvals.useChannel': true,
  'audit.show': true,
  'incident.resolve': true,
  // Changing a conversation's notifications needs the person's roles; listing them does not.
  'notifications.subscribe': true,
  'notifications.unsubscribe': true,
  'notifications.list': false,
  'notifications.snooze': true,
  'notifications.resume': true,
  'incidents.list': true,
  'incident.show': true,
  // Managing customers needs the person's roles (SOC.Admin of the provider).
  'customers.onboard': true,
  'customers.list': true,
  'customers.offboard': true,
  'customers.bind': true,
  'customers.unbind': true,
  'customers.here': true,
  // A person's language is theirs: no Defender call, no role.
  'language.show': false,
  'language.set': false,
  // Entity pages are read with the person's own token (their role and device groups apply).
  'entity.investigate': true,
  // The hunts card reads nothing; a hunt runs as the person (their Graph token, their Defender role).
  'hunts.list': false,
  'hunt.run': true,
  'hunt.kql': true,
};

/** True when answering `intent` acts as the person asking (Defender data or their roles). */
export function needsSignIn(intent: Intent): boolean {
  return intent.id !== 'unknown' && NEEDS_SIGN_IN[intent.id];
}

import type { CommandEnvironment, CustomerAdminPort } from './commandEnvironment';
import type { HuntingPort } from '../hunting/huntCommands';
import { chooseLanguage, showLanguage } from './languageCommands';
import { problemExampleIn } from './parseCommand';

export type { CommandEnvironment } from './commandEnvironment';

function requireNotifications(env: CommandEnvironment): NotificationsPort {
  if (!env.notifications) throw new AppError('internal', 'notifications are not configured');
  return { ...env.notifications, refusals: env.responseActions?.service };
}

function requireCustomerAdmin(env: CommandEnvironment): CustomerAdminPort {
  if (!env.customerAdmin) throw new AppError('internal', 'customers are not configured');
  return env.customerAdmin;
}

/** The hunting commands; a deployment without them answers that hunting is not offered. */
export function requireHunting(env: CommandEnvironment): HuntingPort {
  if (!env.hunting) throw new AppError('internal', 'hunting is not configured');
  return env.hunting;
}

function requireActions(env: CommandEnvironment): ResponseActions {
  if (!env.responseActions) throw new AppError('internal', 'response actions are not configured');
  return env.responseActions;
}

/**
 * Every chat command in one visible list: the intent it answers and what it runs. Commands that need
 * Defender ask the context factory for the user's context (which signs them in); the others never do.
 */
export async function runCommand(
  intent: Intent,
  context: CommandContextFactory,
  env: CommandEnvironment,
): Promise<Reply> {
  switch (intent.id) {
    case 'help':
      return cardReply(
        toHelpCard(env.phrasebook.examples, { welcome: false, i18n: env.i18n }),
        env.i18n.t('help.heading'),
      );
    case 'tenant.connect':
      return connectTenant(env);
    case 'customers.onboard':
      return requireCustomerAdmin(env).onboard(
        await context({ home: true }),
        env.conversation,
        intent.name,
        intent.tenant,
      );
    case 'customers.list':
      return requireCustomerAdmin(env).list(await context({ home: true }), env.conversation);
    case 'customers.offboard':
      return requireCustomerAdmin(env).offboard(await context({ home: true }), env.conversation, intent.name);
    case 'customers.bind':
      return requireCustomerAdmin(env).bind(await context({ home: true }), env.conversation, intent.name);
    case 'customers.here':
      return requireCustomerAdmin(env).here(await context({ home: true }), env.conversation);
    case 'customers.unbind':
      return requireCustomerAdmin(env).unbind(await context({ home: true }), env.conversation, intent.name);
    case 'alerts.list':
      return listAlerts(await context(), intent.query, 0);
    case 'alert.show':
      return showAlert(await context(), intent.alertId);
    case 'device.show':
      return showDevice(await context(), intent.device);
    case 'action.request':
      return prepareAction(await context(), requireActions(env), intent);
    case 'action.cancel':
      return cancelMachineAction(await context(), requireActions(env), intent.machineActionId);
    case 'actions.list':
      return listDeviceActions(await context(), intent.device);
    case 'approvals.list':
      return listApprovals(await context(), requireActions(env));
    case 'approvals.useChannel':
      return useConversationForApprovals(await context(), requireActions(env), env.conversation);
    case 'audit.show':
      return showAudit(await context(), requireActions(env), intent);
    case 'incident.resolve':
      return confirmResolution(await context(), env, intent);
    case 'notifications.subscribe':
      return subscribe(await context(), requireNotifications(env), env.conversation, intent.filter);
    case 'notifications.unsubscribe':
      return unsubscribe(await context(), requireNotifications(env), env.conversation, intent.target);
    case 'notifications.list':
      return listSubscriptions(
        (await env.customers?.resolve())?.id ?? env.tenantId,
        requireNotifications(env),
        env.conversation,
        env.now,
        env.i18n,
      );
    case 'notifications.snooze':
      return snooze(await context(), requireNotifications(env), env.conversation, intent.minutes);
    case 'notifications.resume':
      return resume(await context(), requireNotifications(env), env.conversation);
    case 'incidents.list':
      return listIncidents(await context(), intent.query, 0);
    case 'incident.show':
      return showIncident(await context(), intent.incidentId, { refreshUserIds: refreshUserIdsOf(env) });
    case 'language.show':
      return showLanguage(env);
    case 'language.set':
      return chooseLanguage(env, intent.locale);
    case 'entity.investigate':
      return investigateTyped(await context(), intent.kind, intent.value);
    case 'hunts.list':
      // The Run buttons hunt in one tenant: settle which (or ask) so the card is stamped with it; no sign-in needed.
      await env.customers?.resolve();
      return requireHunting(env).list(env.i18n);
    case 'hunt.run':
      return requireHunting(env).run(await context(), env.conversation, intent);
    case 'hunt.kql':
      return requireHunting(env).kql(await context(), env.conversation, intent.query);
    case 'unknown':
      if (intent.problem)
        return {
          kind: 'text',
          text: env.i18n.t('commands.problemExample', {
            problem: env.i18n.t(intent.problem.key, intent.problem.values),
            example: intent.suggestion
              ? problemExampleIn(env.i18n.locale, intent.suggestion)
              : env.i18n.t('commands.helpWord'),
          }),
        };
      return {
        kind: 'text',
        text: intent.suggestion
          ? env.i18n.t('commands.didYouMean', { suggestion: intent.suggestion })
          : env.i18n.t('commands.notUnderstood'),
      };
  }
}

/** Whose view of a card re-reads Defender when shown again: the person asking or clicking (Universal Actions). */
export function refreshUserIdsOf(env: CommandEnvironment): string[] {
  const userId = env.conversation?.userId;
  return userId ? [userId] : [];
}

/** "connect tenant": the admin-consent link for the sender's own tenant (MSSP onboarding). */
function connectTenant(env: CommandEnvironment): Reply {
  const i18n = env.i18n;
  if (!env.tenantId) return { kind: 'text', text: i18n.t('commands.connect.unknownOrganisation') };
  return cardReply(
    toNoticeCard({
      heading: i18n.t('commands.connect.heading'),
      text: i18n.t('commands.connect.text'),
      action: { title: i18n.t('commands.connect.action'), url: env.adminConsentUrl(env.tenantId) },
    }),
    i18n.t('commands.connect.heading'),
  );
}
