import type { AuditSink } from '../approvals/auditSink';
import type { CommandContext, Reply } from './commandContext';
import type { Locale } from '../i18n/locale';
import type { Translator } from '../i18n/translator';
import type { CustomerScope } from './customerScope';
import type { NotificationsPort } from './notificationCommands';
import type { Phrasebook } from './phrasebook';
import type { HuntingPort } from '../hunting/huntCommands';
import type { ConversationPort, ResponseActions } from './responseActions';
import type { FileOfferSender, HuntResultsPort } from '../hunting/huntResultPresenter';

/** What commands may need to know about where they run, beyond the signed-in user. */
export interface CommandEnvironment {
  phrasebook: Phrasebook;
  /** The language and time zone of the person this turn answers (their Teams locale, or their own choice). */
  i18n: Translator;
  /** The person's clock for time phrases in commands re-read from cards ("Show me"): now, in their time zone. */
  clock?: { now: Date; timeZone: string } | undefined;
  /**
   * Records a choice of language: in a personal chat the sender's own (the Teams channel authenticated who sent the
   * activity; a language is no secret, so no sign-in is asked), in a channel or group chat that conversation's (the
   * language of the cards posted there). Says which it set. Undefined where choices are not kept.
   */
  chooseLanguage?: ((locale: Locale) => Promise<'person' | 'conversation'>) | undefined;
  /** The sender's tenant, from the (authenticated) activity. */
  tenantId: string | undefined;
  /** The admin-consent URL for a tenant (partner onboarding). */
  adminConsentUrl(tenantId: string): string;
  /** Which Defender tenant this turn is about (partner context: "for contoso", the card clicked, the binding). */
  customers?: CustomerScope | undefined;
  /** Response actions and approvals; undefined where the deployment offers none. */
  responseActions: ResponseActions | undefined;
  /** The conversation the command or click came from. */
  conversation: ConversationPort | undefined;
  /** Partner context: onboarding customers and binding conversations to them; undefined where not offered. */
  customerAdmin?: CustomerAdminPort | undefined;
  /** Alert notifications; undefined where the deployment offers none. */
  notifications: NotificationsPort | undefined;
  /** Advanced hunting: saved hunts and ad-hoc KQL (undefined where the deployment offers none). */
  hunting?: HuntingPort | undefined;
  /** The audit trail, where incident changes made from cards are recorded (undefined: not recorded). */
  audit?: AuditSink | undefined;
  /** Stored hunt results (paging, sorting, CSV); undefined where hunting is not offered. */
  huntResults?: HuntResultsPort | undefined;
  /** Offers a file to the person in this conversation (Teams' file consent card); undefined where files cannot go. */
  offerFile?: FileOfferSender | undefined;
  now: Date;
}

/**
 * The customer registry's commands (src/customers/), for a SOC.Admin of the provider: each takes the person's
 * context in the provider's own tenant and the conversation it was typed in.
 */
export interface CustomerAdminPort {
  onboard(
    ctx: CommandContext,
    conversation: ConversationPort | undefined,
    name: string,
    tenant: string,
  ): Promise<Reply>;
  list(ctx: CommandContext, conversation: ConversationPort | undefined): Promise<Reply>;
  offboard(ctx: CommandContext, conversation: ConversationPort | undefined, name: string): Promise<Reply>;
  bind(ctx: CommandContext, conversation: ConversationPort | undefined, name: string): Promise<Reply>;
  unbind(ctx: CommandContext, conversation: ConversationPort | undefined, name: string): Promise<Reply>;
  /** "customers here": the customers this conversation serves. */
  here(ctx: CommandContext, conversation: ConversationPort | undefined): Promise<Reply>;
  /** The offboarding card's button: offboards the customer it names by tenant id (re-read on the server). */
  confirmOffboard(ctx: CommandContext, conversation: ConversationPort | undefined, tenantId: string): Promise<Reply>;
  /** The `tenants` card's "Check health" button. */
  checkHealth(ctx: CommandContext, conversation: ConversationPort | undefined, tenantId: string): Promise<Reply>;
}
