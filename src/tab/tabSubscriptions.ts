import { z } from 'zod';
import type { ApprovalService } from '../approvals/approvalService';
import type { UserAssertion } from '../auth/userTokens';
import type { InstallationRegistry } from '../notifications/installationRegistry';
import type { SubscriptionStore } from '../notifications/subscriptionStore';
import { MAX_SUBSCRIPTIONS_PER_CONVERSATION } from '../notifications/subscriptionStore';
import { followsOf, subscriptionFilterSchema } from '../notifications/subscriptionTypes';
import type { Subscription, SubscriptionFilter } from '../notifications/subscriptionTypes';
import type { SubscriptionsResponse, TabSubscription } from './tabApiTypes';
import { TabRefusal } from './tabRefusal';
import { actorOfViewer } from './tabAuthenticator';

/** Roles that may change a channel's notifications: the same as the bot's `subscribe` in a channel. */
const EDITOR_ROLES = ['SOC.Admin', 'SOC.Approver'];
const CHANNEL_ID = /^[^\s/?#]{1,200}$/;

const newSubscriptionSchema = z.strictObject({
  channelId: z.string().regex(CHANNEL_ID),
  severities: subscriptionFilterSchema.shape.severities,
  follows: z.array(z.enum(['alerts', 'incidents'])).min(1),
  deviceGroup: z.string().trim().min(1).max(100).optional(),
  tag: z.string().trim().min(1).max(100).optional(),
  category: z.string().trim().min(1).max(100).optional(),
});

/**
 * The channel tab's Subscriptions view: the notifications of the channel the tab is in, under the bot's own rules
 * (SOC.Admin or SOC.Approver to change a shared conversation's; a refusal audited). The channel must be one the
 * bot is installed in within the viewer's own tenant (its address comes from the installation record, never from
 * the page), so a viewer can only ever touch their own tenant's channels.
 */
export class TabSubscriptions {
  constructor(
    private readonly options: {
      subscriptions: SubscriptionStore;
      installations: InstallationRegistry;
      refusals: Pick<ApprovalService, 'auditRefusal'>;
      /** Whether the person is in the conversation at a stored address (Teams' roster, asked by the bot). */
      membership(address: unknown, aadObjectId: string): Promise<'member' | 'notMember' | 'unknown'>;
    },
  ) {}

  /** The channel's subscriptions and whether the viewer may change them. */
  async list(assertion: UserAssertion, channelId: string | undefined): Promise<SubscriptionsResponse> {
    const id = this.channelIdOf(channelId);
    const tenantId = assertion.user.tenantId;
    const installation = await this.installation(tenantId, id);
    if (!installation) return { channelId: id, known: false, canEdit: false, subscriptions: [] };
    await this.requireMember(assertion, installation.address, 'tab.subscriptions');
    const subscriptions = await this.options.subscriptions.forConversation(tenantId, id);
    return { channelId: id, known: true, canEdit: isEditor(assertion), subscriptions: subscriptions.map(toTab) };
  }

  /** Adds one subscription to the channel (a duplicate answers with the one already there). */
  async add(assertion: UserAssertion, body: unknown, now: Date): Promise<{ subscription: TabSubscription }> {
    const parsed = newSubscriptionSchema.safeParse(body ?? {});
    if (!parsed.success)
      throw new TabRefusal(400, 'badRequest', 'Choose at least one severity and what to follow (alerts, incidents).');
    await this.requireEditor(assertion, 'tab.subscribe');
    const { channelId, severities, follows, deviceGroup, tag, category } = parsed.data;
    const tenantId = assertion.user.tenantId;
    const installation = await this.installation(tenantId, channelId);
    if (!installation)
      throw new TabRefusal(409, 'botNotInstalled', 'Add the bot to this team first: nothing can be posted here yet.');
    await this.requireMember(assertion, installation.address, 'tab.subscribe');
    const filter: SubscriptionFilter = {
      severities,
      follows,
      ...(deviceGroup ? { deviceGroup } : {}),
      ...(tag ? { tag } : {}),
      ...(category ? { category } : {}),
    };
    const target = {
      conversationId: installation.conversationId,
      kind: installation.kind,
      address: installation.address,
      ...(installation.teamId ? { teamId: installation.teamId } : {}),
    };
    const outcome = await this.options.subscriptions.add(tenantId, target, {
      filter,
      createdBy: {
        aadObjectId: assertion.user.aadObjectId,
        userPrincipalName: assertion.user.userPrincipalName,
        displayName: assertion.user.displayName,
      },
      createdAt: now.toISOString(),
    });
    if (outcome.outcome === 'tooMany')
      throw new TabRefusal(
        409,
        'tooMany',
        `A conversation has at most ${MAX_SUBSCRIPTIONS_PER_CONVERSATION} subscriptions.`,
      );
    return { subscription: toTab(outcome.subscription) };
  }

  /** Removes one subscription of the channel. */
  async remove(
    assertion: UserAssertion,
    channelId: string | undefined,
    subscriptionId: string,
  ): Promise<{ removed: number }> {
    const id = this.channelIdOf(channelId);
    await this.requireEditor(assertion, 'tab.unsubscribe');
    if (subscriptionId.toLowerCase() === 'all') throw new TabRefusal(400, 'badRequest', 'Remove one at a time.');
    const installation = await this.installation(assertion.user.tenantId, id);
    if (!installation) throw new TabRefusal(404, 'notFound', 'This channel has no such subscription.');
    await this.requireMember(assertion, installation.address, 'tab.unsubscribe');
    const removed = await this.options.subscriptions.remove(assertion.user.tenantId, id, subscriptionId);
    if (removed.length === 0) throw new TabRefusal(404, 'notFound', 'This channel has no such subscription.');
    return { removed: removed.length };
  }

  private channelIdOf(channelId: string | undefined): string {
    if (!channelId || !CHANNEL_ID.test(channelId))
      throw new TabRefusal(400, 'badRequest', 'Subscriptions are shown in a channel tab (channelId missing).');
    return channelId;
  }

  private async installation(tenantId: string, channelId: string) {
    return (await this.options.installations.list(tenantId)).find(
      (i) => i.conversationId === channelId && i.kind === 'channel',
    );
  }

  private async requireEditor(assertion: UserAssertion, verb: string): Promise<void> {
    if (isEditor(assertion)) return;
    await this.options.refusals.auditRefusal('', actorOfViewer(assertion), 'missingRole', verb);
    throw new TabRefusal(403, 'missingRole', "Changing a channel's notifications needs SOC.Admin or SOC.Approver.");
  }

  /**
   * The page says which channel it is in; Teams' roster says whether the viewer is in it. Not a member: refused
   * and audited. Teams cannot say: refused too (fail closed), to be tried again.
   */
  private async requireMember(assertion: UserAssertion, address: unknown, verb: string): Promise<void> {
    const membership = await this.options.membership(address, assertion.user.aadObjectId);
    if (membership === 'member') return;
    if (membership === 'unknown')
      throw new TabRefusal(
        503,
        'membershipUnknown',
        'Teams could not confirm that you are in this channel; try again.',
      );
    await this.options.refusals.auditRefusal('', actorOfViewer(assertion), 'notInConversation', verb);
    throw new TabRefusal(403, 'notInChannel', 'You are not a member of this channel.');
  }
}

function isEditor(assertion: UserAssertion): boolean {
  return assertion.user.appRoles.some((role) => EDITOR_ROLES.includes(role));
}

function toTab(s: Subscription): TabSubscription {
  return {
    id: s.id,
    severities: s.filter.severities,
    follows: followsOf(s.filter),
    ...(s.filter.deviceGroup ? { deviceGroup: s.filter.deviceGroup } : {}),
    ...(s.filter.tag ? { tag: s.filter.tag } : {}),
    ...(s.filter.category ? { category: s.filter.category } : {}),
    createdBy: s.createdBy.displayName,
    createdAt: s.createdAt,
  };
}
