import type { CommandContext, Reply } from '../commands/commandContext';
import type { CommandEnvironment } from '../commands/registry';
import { updateIncidentConfirmed } from '../graph/graphSecurityClient';
import { showIncident } from './showIncident';

/** What a person asks for when resolving an incident (from the card's form or the chat command). */
export interface ResolutionRequest {
  incidentId: string;
  classification: string;
  determination: string;
  comment?: string | undefined;
  /** The incident's `lastUpdateDateTime` the person saw on the card (absent from a typed command). */
  seen?: string | undefined;
}

/**
 * Resolves an incident with the person's own Graph token, or, where the configured rules ask for a second person,
 * files an approval request instead. Contract shared by the incidents room; the approval path replaces this first
 * version.
 */
export async function resolveIncident(
  ctx: CommandContext,
  _env: CommandEnvironment,
  request: ResolutionRequest,
): Promise<Reply> {
  await updateIncidentConfirmed(ctx.graph, ctx.graphAuth, request.incidentId, {
    status: 'resolved',
    classification: request.classification,
    determination: request.determination,
  });
  return showIncident(ctx, request.incidentId);
}
