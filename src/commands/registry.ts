import { toHelpCard } from '../cards/helpCard';
import { toNoticeCard } from '../cards/noticeCard';
import type { CommandContextFactory, Reply } from './commandContext';
import { cardReply } from './commandContext';
import type { CommandId, Intent } from './intents';
import { listAlerts } from './listAlerts';
import type { Phrasebook } from './phrasebook';
import { showAlert } from './showAlert';
import { showDevice } from './showDevice';

/** What a command is called in "You don't have permission to …" messages. */
export const COMMAND_OPERATIONS = {
  help: 'view alerts',
  'tenant.connect': 'view alerts',
  'alerts.list': 'view alerts',
  'alert.show': 'view this alert',
  'device.show': 'view this device',
} as const satisfies Record<CommandId, string>;

/** Commands that read Defender, and so act as the person asking (sign-in, per-viewer answers in groups). */
const NEEDS_DEFENDER: Record<CommandId, boolean> = {
  help: false,
  'tenant.connect': false,
  'alerts.list': true,
  'alert.show': true,
  'device.show': true,
};

/** True when answering `intent` reads Microsoft Defender for someone. */
export function needsDefender(intent: Intent): boolean {
  return intent.id !== 'unknown' && NEEDS_DEFENDER[intent.id];
}

/** What commands may need to know about where they run, beyond the signed-in user. */
export interface CommandEnvironment {
  phrasebook: Phrasebook;
  /** The sender's tenant, from the (authenticated) activity. */
  tenantId: string | undefined;
  /** The admin-consent URL for a tenant (partner onboarding). */
  adminConsentUrl(tenantId: string): string;
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
      return cardReply(toHelpCard(env.phrasebook.examples, { welcome: false }), 'What I can do');
    case 'tenant.connect':
      return connectTenant(env);
    case 'alerts.list':
      return listAlerts(await context(), intent.query, 0);
    case 'alert.show':
      return showAlert(await context(), intent.alertId);
    case 'device.show':
      return showDevice(await context(), intent.device);
    case 'unknown':
      return {
        kind: 'text',
        text: intent.suggestion
          ? `I didn't understand that. Did you mean "${intent.suggestion}"? Type "help" for everything I can do.`
          : `I didn't understand that. Type "help" for everything I can do.`,
      };
  }
}

/** "connect tenant": the admin-consent link for the sender's own tenant (MSSP onboarding). */
function connectTenant(env: CommandEnvironment): Reply {
  if (!env.tenantId) return { kind: 'text', text: "I can't tell which organisation you are in." };
  return cardReply(
    toNoticeCard({
      heading: 'Connect your organisation',
      text:
        'An administrator who can grant admin consent in your organisation (Cloud Application Administrator or ' +
        'Global Administrator) must open this link and ' +
        'grant consent once. Until then nobody in your organisation can use me with Microsoft Defender. ' +
        'Everyone still needs their own Defender role: consent lets me ask on their behalf, it grants no access.',
      action: { title: 'Grant admin consent', url: env.adminConsentUrl(env.tenantId) },
    }),
    'Connect your organisation',
  );
}
