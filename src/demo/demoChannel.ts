import { z } from 'zod';
import type { ApprovalSettings } from '../approvals/approvalSettings';
import type { HttpClient } from '../http/httpClient';
import { DEMO_BOT_ID } from './demoConstants';

const configSchema = z.object({
  config: z.object({ teams: z.array(z.object({ id: z.string(), name: z.string() })).min(1) }),
});

/**
 * Demo convenience: the Playground team's General channel is the approvers' channel, so a newcomer sees
 * approval requests there without first making one persona an admin. (In a real tenant an admin types
 * "use this channel for approvals".) Reset at every start: the Playground's address changes with its port.
 */
export async function useDemoApprovalsChannel(input: {
  settings: ApprovalSettings;
  playgroundUrl: string;
  tenantId: string;
  http: HttpClient;
}): Promise<string> {
  const response = await input.http.request({
    method: 'GET',
    url: `${input.playgroundUrl}/_internal/v1/config`,
    timeoutMs: 5_000,
  });
  const team = configSchema.parse(JSON.parse(response.body)).config.teams[0]!;
  await input.settings.setApprovalsChannel(input.tenantId, {
    address: {
      channelId: 'msteams',
      serviceUrl: `${input.playgroundUrl}/_connector`,
      conversation: { id: team.id, conversationType: 'channel', tenantId: input.tenantId, isGroup: true },
      bot: { id: DEMO_BOT_ID, name: 'Defender SOC Bot' },
    },
    conversationId: team.id,
    setBy: {
      aadObjectId: '00000000-0000-0000-0000-000000000000',
      userPrincipalName: 'demo',
      displayName: 'Demo set-up',
    },
    setAt: new Date().toISOString(),
  });
  return team.name;
}
