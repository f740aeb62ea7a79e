import type { ConversationReference } from 'botbuilder';
import { TeamsInfo } from 'botbuilder';
import type { CloudAdapter } from 'botbuilder';
import type { Logger } from '../logging/logger';
import { serializeErrorBrief } from '../logging/logger';

/** Whether a person is a member of a stored conversation: yes, no, or Teams could not say. */
export type Membership = 'member' | 'notMember' | 'unknown';

/**
 * Asks Teams whether a person belongs to a conversation the bot is installed in (Bot Connector "get member", by the
 * person's Entra object id), so a page outside the conversation — the SOC console's channel tab — acts only on a
 * channel its viewer is in. Not found by object id, the roster is read (a few pages); a 404 (or 403) there too is a
 * "no"; anything else Teams answers wrongly is "unknown".
 */
export class ConversationMembers {
  constructor(private readonly options: { adapter: CloudAdapter; botAppId: string; logger: Logger }) {}

  async membership(address: unknown, aadObjectId: string): Promise<Membership> {
    const wanted = aadObjectId.toLowerCase();
    let answer: Membership = 'unknown';
    try {
      await this.options.adapter.continueConversationAsync(
        this.options.botAppId,
        address as Partial<ConversationReference>,
        async (context) => {
          try {
            const member = await TeamsInfo.getMember(context, aadObjectId);
            answer = member.aadObjectId?.toLowerCase() === wanted ? 'member' : 'notMember';
            return;
          } catch (err) {
            if (statusOf(err) !== 404) throw err;
          }
          // Not found by object id: some connectors (the Agents Playground) find members by their Teams id only, so
          // the roster is read, a bounded number of pages.
          let continuationToken: string | undefined;
          for (let page = 0; page < MAX_ROSTER_PAGES; page++) {
            const roster = await TeamsInfo.getPagedMembers(context, 500, continuationToken);
            if (roster.members.some((m) => m.aadObjectId?.toLowerCase() === wanted)) {
              answer = 'member';
              return;
            }
            continuationToken = roster.continuationToken;
            if (!continuationToken) {
              answer = 'notMember';
              return;
            }
          }
          // A roster larger than was read: not known (fail closed, never a wrong "no").
          answer = 'unknown';
        },
      );
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 || status === 403) return 'notMember';
      this.options.logger.warn({ err: serializeErrorBrief(err), status }, 'conversation membership not known');
      return 'unknown';
    }
    return answer;
  }
}

/** Pages of 500 read at most when a member is not found directly (a team of up to 5,000). */
const MAX_ROSTER_PAGES = 10;

function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
