import { toHelpCard } from '../cards/helpCard';
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
  'alerts.list': 'view alerts',
  'alert.show': 'view this alert',
  'device.show': 'view this device',
} as const satisfies Record<CommandId, string>;

/**
 * Every chat command in one visible list: the intent it answers and what it runs. Commands that need
 * Defender ask the context factory for the user's context (which signs them in); the others never do.
 */
export async function runCommand(
  intent: Intent,
  context: CommandContextFactory,
  phrasebook: Phrasebook,
): Promise<Reply> {
  switch (intent.id) {
    case 'help':
      return cardReply(toHelpCard(phrasebook.examples, { welcome: false }), 'What I can do');
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
