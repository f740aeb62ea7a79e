import { z } from 'zod';
import type { ApprovalSettings } from '../approvals/approvalSettings';
import type { HttpClient } from '../http/httpClient';
import type { AlertNotifications } from '../notifications/alertNotifications';
import { SEVERITY_THRESHOLDS } from '../notifications/alertFilter';
import { DEMO_BOT_ID } from './demoConstants';

const configSchema = z.object({
  config: z.object({
    teams: z.array(z.object({ id: z.string(), name: z.string() })).min(1),
    groupChats: z.array(z.object({ id: z.string(), name: z.string().optional() })).optional(),
  }),
});

/** The Playground's conversations as it describes them (its team, whose General channel id is the team id, and group chats). */
export async function playgroundConversations(
  http: HttpClient,
  playgroundUrl: string,
): Promise<z.infer<typeof configSchema>['config']> {
  const response = await http.request({ method: 'GET', url: `${playgroundUrl}/_internal/v1/config`, timeoutMs: 5_000 });
  return configSchema.parse(JSON.parse(response.body)).config;
}

/** Who the demo's set-up acts as in records (no person did it). */
const DEMO_SETUP = {
  aadObjectId: '00000000-0000-0000-0000-000000000000',
  userPrincipalName: 'demo',
  displayName: 'Demo set-up',
};

/**
 * Demo convenience: the Playground team's General channel is the approvers' channel and is subscribed to Medium
 * and High alerts, so a newcomer sees approval requests and new alerts there without first making a persona an
 * admin. (In a real tenant an admin types "use this channel for approvals" and "subscribe to medium alerts".)
 * Set at every start: the Playground's address changes with its port.
 */
export async function useDemoChannel(input: {
  settings: ApprovalSettings;
  notifications: AlertNotifications;
  playgroundUrl: string;
  tenantId: string;
  http: HttpClient;
  now: () => Date;
}): Promise<string> {
  const team = (await playgroundConversations(input.http, input.playgroundUrl)).teams[0]!;
  const address = {
    channelId: 'msteams',
    serviceUrl: `${input.playgroundUrl}/_connector`,
    conversation: { id: team.id, conversationType: 'channel', tenantId: input.tenantId, isGroup: true },
    bot: { id: DEMO_BOT_ID, name: 'Defender SOC Bot' },
  };
  await input.settings.setApprovalsChannel(input.tenantId, {
    address,
    conversationId: team.id,
    setBy: DEMO_SETUP,
    setAt: input.now().toISOString(),
  });
  const target = { conversationId: team.id, kind: 'channel' as const, address };
  await input.notifications.remember(input.tenantId, target);
  await input.notifications.subscriptions.add(input.tenantId, target, {
    filter: { severities: [...SEVERITY_THRESHOLDS.medium] },
    createdBy: DEMO_SETUP,
    createdAt: input.now().toISOString(),
  });
  return team.name;
}
