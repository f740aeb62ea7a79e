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
 * channel its viewer is in. A 404 (or 403) is a "no"; anything else Teams answers wrongly is "unknown".
 */
export class ConversationMembers {
  constructor(private readonly options: { adapter: CloudAdapter; botAppId: string; logger: Logger }) {}

  async membership(address: unknown, aadObjectId: string): Promise<Membership> {
    let answer: Membership = 'unknown';
    try {
      await this.options.adapter.continueConversationAsync(
        this.options.botAppId,
        address as Partial<ConversationReference>,
        async (context) => {
          const member = await TeamsInfo.getMember(context, aadObjectId);
          answer = member.aadObjectId?.toLowerCase() === aadObjectId.toLowerCase() ? 'member' : 'notMember';
        },
      );
    } catch (err) {
      const status = (err as { statusCode?: unknown }).statusCode;
      if (status === 404 || status === 403) return 'notMember';
      this.options.logger.warn({ err: serializeErrorBrief(err), status }, 'conversation membership not known');
      return 'unknown';
    }
    return answer;
  }
}
