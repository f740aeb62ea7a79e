import fs from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Logger } from '../logging/logger';
import type { DemoEnvironment } from './demoEnvironment';
import { personasFromSeed } from '../simulator/teams/seedPersonas';
import type { TeamsHost } from '../simulator/teams/teamsHost';
import { startTeamsHost } from '../simulator/teams/teamsHost';
import type { TeamsTeam } from '../simulator/teams/teamsHostTypes';

const playgroundTeamSchema = z.object({
  team: z.object({
    id: z.string(),
    name: z.string(),
    aadGroupId: z.string(),
    channels: z.array(z.object({ id: z.string(), name: z.string() })).default([]),
  }),
});

/**
 * Demo mode's Teams for the SOC console tab: the local host page (src/simulator/teams) with the demo tenant's
 * people and the Playground's team, so a channel tab there sits in the same channels the bot's chat uses (the
 * General channel's id is the team's id, as in the Playground). Tokens come from the Entra emulator, as Teams SSO's.
 */
export async function startDemoTeamsHost(input: {
  demo: DemoEnvironment;
  botUrl: string;
  playgroundConfigPath: string;
  port: number;
  logger: Logger;
}): Promise<TeamsHost> {
  const { demo } = input;
  return startTeamsHost({
    port: input.port,
    tabUrl: `${input.botUrl}/tab/`,
    configUrl: `${input.botUrl}/tab/config`,
    entra: { url: demo.simulator.url, caPem: demo.caCertPem },
    tenantId: demo.seed.tenant.id,
    botClientId: demo.botClientId,
    personas: personasFromSeed(demo.seed),
    team: playgroundTeam(input.playgroundConfigPath),
    logger: input.logger.child({ component: 'teams-host' }),
  });
}

/** The Playground's team and channels (its General channel first, under the team's own id). */
function playgroundTeam(configPath: string): TeamsTeam {
  const { team } = playgroundTeamSchema.parse(parse(fs.readFileSync(configPath, 'utf8')));
  return {
    id: team.id,
    name: team.name,
    aadGroupId: team.aadGroupId,
    channels: [{ id: team.id, name: 'General' }, ...team.channels],
  };
}
