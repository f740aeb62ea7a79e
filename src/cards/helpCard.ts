import type { AlertsPageData } from './payloads';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import template from './templates/help.json';

/** The help card, also the welcome card on installation: every command with an example. */
export function toHelpCard(
  examples: { command: string; description: string }[],
  options: { welcome: boolean },
): AdaptiveCardJson {
  const highAlertsQuery: AlertsPageData = {
    query: { severities: ['High'], status: { kind: 'unresolved' }, assignedToMe: false },
    page: 0,
  };
  return renderCard(template, {
    heading: options.welcome ? 'Defender SOC Bot is here' : 'What I can do',
    intro:
      'Ask me about Microsoft Defender alerts, incidents and devices in plain words. I act as you: ' +
      'you see exactly what your Defender role and device groups allow.',
    commands: examples.map((e) => ({ command: e.command, description: e.description })),
    footer:
      'Device names match exactly: a device id, a full name (ws-fin-042.corp.contoso.com) or the host name ' +
      '(ws-fin-042). In group chats and channels, @mention me.',
    highAlertsQuery,
  });
}
