import type { SignedInUser } from '../auth/userTokens';
import type { AdaptiveCardJson } from '../cards/renderCard';
import type { DefenderAuth, DefenderClient } from '../defender/defenderClient';
import type { GraphAuth, GraphSecurityClient } from '../graph/graphSecurityClient';
import type { Translator } from '../i18n/translator';

/**
 * The Defender tenant a command is about: the conversation's own, or (partner context, an MSSP's channel bound to
 * customers) a customer's, named on every card so nobody acts on one customer believing it is another.
 */
export interface DefenderTenantRef {
  id: string;
  /** Set for a customer tenant: the name the provider gave it ("Contoso"). */
  customerName?: string | undefined;
}

/** What a command needs to act for the signed-in user: their identity, their Defender and Graph tokens, a clock. */
export interface CommandContext {
  user: SignedInUser;
  /** The tenant whose Defender this command reads or changes (tokens, quota, approvals, audit are this tenant's). */
  tenant: DefenderTenantRef;
  /** The person's language and time zone: every word and date of the answer comes from it. */
  i18n: Translator;
  /** Calls Defender with the user's own delegated token (on-behalf-of). */
  auth: DefenderAuth;
  defender: DefenderClient;
  /** Calls Microsoft Graph's security API (XDR incidents, alerts_v2) with the user's own Graph token (on-behalf-of). */
  graphAuth: GraphAuth;
  graph: GraphSecurityClient;
  now: Date;
  /**
   * The "Hunt" button of an alert, device or incident card: the saved hunts that take that entity, each naming the
   * card's entity by kind and id only (undefined where hunting is not offered).
   */
  huntButton?: ((source: { kind: 'alert' | 'device' | 'incident'; id: string }) => object | undefined) | undefined;
}

/**
 * Builds the context on demand, so commands that need no Defender access never trigger a sign-in. `home`: the
 * command is about the provider itself (managing customers), never a customer the conversation is bound to.
 */
export type CommandContextFactory = (options?: { home?: boolean }) => Promise<CommandContext>;

/** What a command or card action answers with; only src/bot/ turns it into activities. */
export type Reply = { kind: 'card'; card: AdaptiveCardJson; summary: string } | { kind: 'text'; text: string };

/** A card reply with the plain-text summary Teams shows in notifications and previews. */
export function cardReply(card: AdaptiveCardJson, summary: string): Reply {
  return { kind: 'card', card, summary };
}
