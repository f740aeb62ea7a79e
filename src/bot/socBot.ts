import { CardFactory, TeamsActivityHandler, TurnContext } from 'botbuilder';
import type { Activity, AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue, InvokeResponse } from 'botbuilder';
import type { AuditSink } from '../approvals/auditSink';
import type { AssertionStore } from '../auth/assertionStore';
import type { InteractiveSignIn } from '../auth/interactiveSignIn';
import type { SsoTokenValidator } from '../auth/ssoTokenValidator';
import type { DefenderTokenProvider, UserAssertion, UserAssertionSource, UserReference } from '../auth/userTokens';
import { isCardVerb, operationOf, prepareCardAction } from '../cardActions/registry';
import { toHelpCard } from '../cards/helpCard';
import { toNoticeCard } from '../cards/noticeCard';
import { toChoiceCard } from '../cards/choiceCard';
import { stampCard, takeCardTenant } from '../cards/customerStamp';
import { clipLine } from '../cards/text';
import { SHOW_ME_COMMAND_LENGTH, toShowMeCard } from '../cards/showMeCard';
import { CustomerScope } from '../commands/customerScope';
import type { Reply } from '../commands/commandContext';
import type { CustomerDirectory } from '../customers/customerDirectory';
import type { CommandContextFactory } from '../commands/commandContext';
import { parseCommand } from '../commands/parseCommand';
import type { Phrasebook } from '../commands/phrasebook';
import { portuguese } from '../commands/phrasebook';
import type { CommandEnvironment, CustomerAdminPort } from '../commands/commandEnvironment';
import type { ConversationPort, ResponseActions } from '../commands/responseActions';
import type { NotificationsPort } from '../commands/notificationCommands';
import type { HuntingPort } from '../hunting/huntCommands';
import type { ConversationTarget } from '../notifications/subscriptionTypes';
import { COMMAND_OPERATIONS, needsSignIn, runCommand } from '../commands/registry';
import type { DefenderClient } from '../defender/defenderClient';
import type { GraphSecurityClient } from '../graph/graphSecurityClient';
import { AppError, isAppError } from '../errors';
import { isStorageUnavailable } from '../storage/storageError';
import { isAuditStorageUnavailable } from '../audit/auditError';
import type { Logger } from '../logging/logger';
import { logFailure } from '../logging/errorSeverity';
import { newCorrelationId, serializeError } from '../logging/logger';
import type { Operation, UserMessage } from '../userMessages';
import { userMessageFor } from '../userMessages';
import {
  commandText,
  conversationKind,
  languageHintsOf,
  postTarget,
  tenantIdOf,
  userReferenceOf,
} from './activityFacts';
import { localeOf } from '../i18n/locale';
import type { Locale } from '../i18n/locale';
import type { UserLanguages } from '../i18n/userLanguage';
import type { ConversationLanguageStore } from '../i18n/conversationLanguage';
import type { Translator } from '../i18n/translator';
import { translatorFor } from '../i18n/translator';
import type { InboundVerdict } from './inboundActivity';
import {
  adaptiveCardActionValueSchema,
  checkInboundActivity,
  claimedFacts,
  tokenExchangeValueSchema,
  verifyStateValueSchema,
} from './inboundActivity';
import { OnceWithin } from './onceWithin';
import type { PendingCommands } from './pendingCommands';
import { postProactively } from './proactiveReply';
import { queuedNoticeActivity } from './queuedNotice';
import type { Refusal } from './refusalRecorder';
import { RefusalRecorder } from './refusalRecorder';
import { errorActivity, messageInvokeResponse, toActivity, toInvokeResponse } from './replies';
import {
  invalidAuthCodeResponse,
  loginRequestResponse,
  oauthCardActivity,
  preconditionFailedResponse,
} from './signInProtocol';
import type { SignInPrompt } from './signInProtocol';
import { answerFileConsent, fileConsentActivity } from './fileConsentProtocol';
import type { HuntResults } from '../hunting/huntResultPresenter';

/** Demo mode: the Entra emulator mints each user's assertion (the Playground has no SSO). */
export interface DemoIdentity {
  kind: 'demo';
  assertions: UserAssertionSource;
}

/** Production: Teams SSO tokens, validated, kept in the shared store, exchanged on-behalf-of the user. */
export interface SsoIdentity {
  kind: 'sso';
  botAppId: string;
  connectionName: string;
  store: AssertionStore;
  /** Commands typed before sign-in, replayed once the token arrives (on whichever instance it reaches). */
  pending: PendingCommands;
  validator: SsoTokenValidator;
  /** The sign-in button fallback; undefined when the bot has no public URL for its sign-in pages. */
  interactive: InteractiveSignIn | undefined;
}

/** What the bot needs; built once by the composition root (src/app.ts). */
export interface SocBotDependencies {
  defender: DefenderClient;
  graph: GraphSecurityClient;
  identity: DemoIdentity | SsoIdentity;
  /** Defender for Endpoint tokens on-behalf-of the user. */
  tokens: DefenderTokenProvider;
  /** Microsoft Graph tokens on-behalf-of the user (another resource, so another token). */
  graphTokens: DefenderTokenProvider;
  phrasebook: Phrasebook;
  logger: Logger;
  now: () => Date;
  /** Tenants served; undefined = any (demo mode). Activities from other tenants are refused before any work. */
  allowedTenantIds: string[] | undefined;
  /** The admin-consent URL of a tenant, for "connect tenant" and consent_required answers. */
  adminConsentUrl(tenantId: string): string;
  /** Response actions behind approvals (undefined = not offered). */
  responseActions: ResponseActions | undefined;
  /** Alert notifications: the commands' stores, and where the bot is installed (undefined = not offered). */
  notifications: BotNotifications | undefined;
  /** The audit trail, where every request the bot refuses at its edge is recorded (`request.refused`). */
  audit: AuditSink;
  /** Partner context: the customers each conversation is bound to (undefined: every conversation is its own tenant). */
  customers?: CustomerDirectory | undefined;
  /** Partner context: the provider admins' commands (onboard, bind, offboard…); undefined = not offered. */
  customerAdmin?: CustomerAdminPort | undefined;
  /** People's own choice of language, which wins over their Teams locale (undefined: the Teams locale only). */
  languages?: UserLanguages | undefined;
  /** The language of each shared conversation's posted cards (approvals, notifications). */
  conversationLanguages?: ConversationLanguageStore | undefined;
  /** Stored hunt results: paging, sorting, the CSV file (undefined = hunting not offered). */
  huntResults?: HuntResults | undefined;
  /** Advanced hunting: saved hunts and ad-hoc KQL (undefined = not offered). */
  hunting?: HuntingPort | undefined;
}

/** What the bot tells the notification pipeline about conversations, and what commands use. */
export interface BotNotifications {
  commands: NotificationsPort;
  remember(tenantId: string, target: ConversationTarget): Promise<void>;
  retire(tenantId: string, match: { conversationId?: string; teamId?: string }): Promise<void>;
}

/** Longest a card click waits for Defender's quota before "try again in N s" (Teams wants invokes answered at once). */
const CLICK_MAX_QUEUE_WAIT_MS = 5_000;

/** Key under which a turn's correlation id is kept in turn state (read by the adapter's error boundary). */
export const CORRELATION_ID_KEY = Symbol('correlationId');
/** Key under which the language a person chose for themselves is kept in turn state (read once per turn). */
const CHOSEN_LOCALE_KEY = Symbol('chosenLocale');
/** Key under which a turn's customer scope (which tenant the turn is about) is kept in turn state. */
const CUSTOMER_SCOPE_KEY = Symbol('customerScope');

/**
 * The Teams activity handler: messages become commands, Action.Execute invokes become card actions,
 * installation sends the welcome card, and the sign-in invokes complete Teams SSO. It translates between
 * Teams and plain-data commands; every Defender call runs under the sender's (or clicker's) own token.
 *
 * Personal chat: answers are posted; sign-in is the OAuth card's silent token exchange. Group chats and
 * channels: a Defender answer is never posted where others can read it — the bot posts a "Show me" card and
 * each person's view comes back to them alone as the Action.Execute response (Universal Actions sign-in).
 */
export class SocBot extends TeamsActivityHandler {
  /**
   * Teams sends `signin/tokenExchange` from every open device. This in-process filter only saves repeated work on
   * one instance; across instances a duplicate exchange stores the same user's assertion again (harmless), and the
   * pending command it would resume is taken exactly once from the shared store.
   */
  private readonly exchanges = new OnceWithin(5 * 60_000);
  private readonly refusals: RefusalRecorder;
  /** Errors already logged and audited as refusals, so the error mapping does not log them a second time. */
  private readonly recorded = new WeakSet<object>();

  constructor(private readonly deps: SocBotDependencies) {
    super();
    this.refusals = new RefusalRecorder({ audit: deps.audit, now: deps.now, logger: deps.logger });
    this.onMessage(async (context, next) => {
      await this.handleMessage(context);
      await next();
    });
    this.onInstallationUpdateRemove(async (context, next) => {
      await this.retireConversation(context, 'uninstalled');
      await next();
    });
    this.onMembersRemoved(async (context, next) => {
      const botId = context.activity.recipient?.id;
      if (botId && (context.activity.membersRemoved ?? []).some((m) => m.id === botId))
        await this.retireConversation(context, 'bot removed');
      await next();
    });
    this.onTeamsChannelDeletedEvent(async (channelInfo, _teamInfo, context, next) => {
      const tenantId = tenantIdOf(context.activity);
      if (tenantId && channelInfo.id)
        await this.deps.notifications?.retire(tenantId, { conversationId: channelInfo.id });
      await next();
    });
    this.onTeamsTeamDeletedEvent(async (teamInfo, context, next) => {
      const tenantId = tenantIdOf(context.activity);
      if (tenantId && teamInfo.id) await this.deps.notifications?.retire(tenantId, { teamId: teamInfo.id });
      await next();
    });
    this.onInstallationUpdateAdd(async (context, next) => {
      const i18n = this.translatorOf(context);
      const card = toHelpCard(this.deps.phrasebook.examples, { welcome: true, i18n });
      await context.sendActivity({
        type: 'message',
        attachments: [CardFactory.adaptiveCard(card)],
        summary: i18n.t('bot.welcomeSummary'),
      });
      await next();
    });
  }

  /**
   * The entry check of every activity the channel delivers (called by the message endpoint once the channel's
   * token is verified, before any turn): a malformed activity or invoke value is refused here — logged once,
   * audited, answered with its protocol's error and nothing posted. See `checkInboundActivity` for the answers.
   */
  async screen(activity: unknown): Promise<InboundVerdict> {
    const verdict = checkInboundActivity(activity, { tenantRequired: this.deps.allowedTenantIds !== undefined });
    if (!verdict.admitted) {
      const facts = claimedFacts(activity);
      const log = this.deps.logger.child({ correlationId: newCorrelationId() });
      await this.refusals.record({ reason: verdict.reason, facts, issue: verdict.issue }, log);
    }
    return verdict;
  }

  /** Refuses activities from tenants this deployment does not serve, before any handler (and any Defender call). */
  override async run(context: TurnContext): Promise<void> {
    const allowed = this.deps.allowedTenantIds;
    const tenantId = tenantIdOf(context.activity)?.toLowerCase();
    if (allowed && (!tenantId || !allowed.some((t) => t.toLowerCase() === tenantId))) {
      // Audited under the tenant id the activity gives: information about an attempt, not a trusted fact.
      await this.refuse(context, {
        reason: 'tenantNotServed',
        ...(context.activity.type === 'message'
          ? { command: parseCommand(commandText(context.activity), this.deps.phrasebook, this.clockOf(context)).id }
          : {}),
      });
      const text = userMessageFor(
        new AppError('tenantNotAllowed', 'tenant not allowed'),
        'view alerts',
        this.translatorOf(context),
      ).text;
      if (context.activity.type === 'message')
        await context.sendActivity({ type: 'message', text, textFormat: 'plain' });
      if (context.activity.type === 'invoke') {
        await context.sendActivity({
          type: 'invokeResponse',
          value: { status: 200, body: messageInvokeResponse(text) },
        });
      }
      return;
    }
    await this.rememberConversation(context);
    await this.loadChosenLanguage(context);
    await super.run(context);
  }

  /** Keeps the installation registry current from every activity (a write only when something changed). */
  private async rememberConversation(context: TurnContext): Promise<void> {
    const notifications = this.deps.notifications;
    const tenantId = tenantIdOf(context.activity);
    const removal =
      context.activity.type === 'installationUpdate' && /^remove/i.test(String(context.activity.action ?? ''));
    if (!notifications || !tenantId || removal || !context.activity.conversation?.id) return;
    const post = postTarget(context.activity);
    try {
      await notifications.remember(tenantId, {
        conversationId: post.conversationId,
        kind: conversationKind(context.activity),
        address: post.address,
        ...(post.teamId ? { teamId: post.teamId } : {}),
      });
    } catch (err) {
      this.turnLogger(context).warn({ err: serializeError(err) }, 'could not record the installation');
    }
  }

  /** The app was uninstalled or the bot removed: this conversation (a whole team for a team) gets nothing more. */
  private async retireConversation(context: TurnContext, why: string): Promise<void> {
    const tenantId = tenantIdOf(context.activity);
    if (!tenantId || !this.deps.notifications) return;
    const post = postTarget(context.activity);
    const match =
      conversationKind(context.activity) === 'channel' && post.teamId
        ? { teamId: post.teamId }
        : { conversationId: post.conversationId };
    this.turnLogger(context).info({ why }, 'retiring a conversation from notifications');
    await this.deps.notifications.retire(tenantId, match);
    // A conversation serving customers had their notices too.
    for (const customer of (await this.deps.customers?.boundTo(post.conversationId)) ?? [])
      await this.deps.notifications.retire(customer.tenantId, match);
  }

  private async handleMessage(context: TurnContext): Promise<void> {
    const log = this.turnLogger(context);
    const text = commandText(context.activity);
    // The turn's own scope: the "for <customer>" it strips here is remembered for the answer (one look-up a turn).
    const intent = parseCommand(
      await this.scopeOf(context).strip(text),
      this.phrasebookOf(context),
      this.clockOf(context),
    );
    const kind = conversationKind(context.activity);
    log.info({ command: intent.id, conversation: kind }, 'command received');
    if (kind !== 'personal' && needsSignIn(intent)) {
      // A query must reach Defender exactly as typed; one the Show me card cannot carry unchanged (line breaks end
      // `//` comments, spaces inside literals matter, the card keeps 300 characters) runs in a personal chat only.
      if (intent.id === 'hunt.kql' && clipLine(text, SHOW_ME_COMMAND_LENGTH) !== text) {
        await context.sendActivity(this.translatorOf(context).t('hunting.kqlInPersonalChat'));
        return;
      }
      // Others can read this conversation: post no data, let each person load their own view.
      const card = toShowMeCard(
        {
          // No name from Teams: the card says "someone" in the conversation's language.
          requester: context.activity.from.name ?? '',
          command: text,
          refreshUserIds: context.activity.from.id ? [context.activity.from.id] : [],
        },
        this.translatorOf(context),
      );
      await context.sendActivity({
        type: 'message',
        attachments: [CardFactory.adaptiveCard(card)],
        summary: this.translatorOf(context).t('bot.showMeSummary'),
      });
      return;
    }
    await this.answer(context, text, log);
  }

  /**
   * Runs a command typed in personal chat (now, or after sign-in) and posts the answer or the next step. When the
   * command must wait in the tenant's fair queue for Defender's quota, the turn ends at once with a notice (Teams
   * retries a message it got no answer to within ~15 s) and the answer is posted in the same conversation later.
   */
  private async answer(context: TurnContext, text: string, log: Logger): Promise<void> {
    // Read now: a queued answer is posted after the turn, when its context can no longer be used.
    const scope = this.scopeOf(context);
    const i18n = this.translatorOf(context);
    const intent = parseCommand(await scope.strip(text), this.phrasebookOf(context), this.clockOf(context));
    const operation: Operation = intent.id === 'unknown' ? 'view alerts' : COMMAND_OPERATIONS[intent.id];
    let queued: (notice: Partial<Activity>) => void = () => undefined;
    const notice = new Promise<{ notice: Partial<Activity> }>((resolve) => {
      queued = (activity) => resolve({ notice: activity });
    });
    const outcome = runCommand(
      intent,
      this.contextFactory(context, (estimateMs, ahead) => queued(queuedNoticeActivity(estimateMs, ahead, i18n))),
      this.environment(context),
    ).then(
      (reply) => ({ reply }),
      (err: unknown) => ({ err }),
    );
    const first = await Promise.race([outcome, notice]);
    if ('notice' in first) {
      await context.sendActivity(first.notice);
      const correlationId = this.correlationId(context);
      const identity = this.deps.identity;
      const post = {
        adapter: context.adapter,
        botAppId: identity.kind === 'sso' ? identity.botAppId : '',
        reference: TurnContext.getConversationReference(context.activity),
        logger: log,
      };
      void outcome.then(async (result) => {
        const reply = 'reply' in result ? await this.stamped(scope, i18n, result.reply) : undefined;
        return postProactively({
          ...post,
          build: (later) => {
            later.turnState.set(CORRELATION_ID_KEY, correlationId);
            return reply
              ? toActivity(reply)
              : this.explain(later, this.toAppError('err' in result ? result.err : undefined, log), operation);
          },
        });
      });
      return;
    }
    if ('reply' in first) {
      await context.sendActivity(toActivity(await this.stamped(scope, i18n, first.reply)));
      return;
    }
    const error = this.toAppError(first.err, log);
    if (error.code === 'customerNotChosen') {
      // Several customers are served here: one button per customer runs the same command for it.
      const command = await scope.strip(text);
      const i18n = this.translatorOf(context);
      const card = toChoiceCard(
        {
          heading: i18n.t('customers.choice.heading'),
          subject: clipLine(command, 200),
          text: i18n.t('customers.choice.text', { example: error.details.customerChoices?.[0] ?? 'Contoso' }),
          choices: (error.details.customerChoices ?? []).map((name) => ({
            label: name,
            detail: i18n.t('customers.choice.detail', { command, name }),
            verb: 'command.view' as const,
            data: { command: `${command} for ${name}` },
          })),
        },
        i18n,
      );
      await context.sendActivity(toActivity({ kind: 'card', card, summary: i18n.t('customers.choice.heading') }));
      return;
    }
    if (error.code === 'signInRequired' && this.deps.identity.kind === 'sso') {
      const reference = userReferenceOf(context.activity);
      await this.deps.identity.pending.put({ ...reference, conversationId: context.activity.conversation.id }, text);
      await context.sendActivity(oauthCardActivity(this.signInPrompt(context, { silent: true })));
      return;
    }
    if (error.code === 'interactionRequired' && this.deps.identity.kind === 'sso') {
      // The step-up sign-in ends in signin/verifyState: the command runs then, without retyping.
      await this.deps.identity.pending.put(
        { ...userReferenceOf(context.activity), conversationId: context.activity.conversation.id },
        text,
      );
    }
    await context.sendActivity(this.explain(context, error, operation));
  }

  protected override async onInvokeActivity(context: TurnContext): Promise<InvokeResponse> {
    switch (context.activity.name) {
      case 'signin/tokenExchange':
        return this.handleTokenExchange(context);
      case 'signin/verifyState':
        return this.handleVerifyState(context);
      case undefined:
      default:
        return super.onInvokeActivity(context);
    }
  }

  /** `fileConsent/invoke`: the person allowed or declined a file the bot offered (src/bot/fileConsentProtocol.ts). */
  protected override async handleTeamsFileConsent(context: TurnContext): Promise<void> {
    await answerFileConsent(context, this.deps.huntResults, this.translatorOf(context), this.turnLogger(context));
  }

  /**
   * `signin/tokenExchange`: Teams' silent SSO token. Validated for this user and tenant before anything else;
   * Teams sends one per open device, so only the first valid one resumes the pending command. A token that
   * cannot be used is answered 412, which makes Teams show the sign-in button instead.
   */
  private async handleTokenExchange(context: TurnContext): Promise<InvokeResponse> {
    const log = this.turnLogger(context);
    const identity = this.deps.identity;
    const value = tokenExchangeValueSchema.safeParse(context.activity.value);
    if (identity.kind !== 'sso' || !value.success) return { status: 400 };
    const { id, connectionName } = value.data;
    const failed = {
      status: 412,
      body: { id, connectionName, failureDetail: 'The bot is unable to exchange token. Proceed with regular login.' },
    };
    const reference = userReferenceOf(context.activity);
    let assertion: UserAssertion;
    try {
      assertion = await identity.validator.validate(value.data.token, reference);
    } catch (err) {
      await this.refuseSsoToken(context, err, log);
      return failed;
    }
    if (!this.exchanges.claim(`${reference.tenantId}|${reference.aadObjectId}|${id}`)) {
      log.debug('duplicate token exchange ignored');
      return { status: 200, body: { id, connectionName } };
    }
    if (!(await this.whileStoreAnswers(context, log, () => identity.store.put(assertion))).answered) {
      return { status: 200, body: { id, connectionName } };
    }
    log.info('single sign-on completed');
    await this.resumePending(context, identity, reference, log);
    return { status: 200, body: { id, connectionName } };
  }

  /** `signin/verifyState`: the one-time code from the sign-in page, accepted only for the person it was issued to. */
  private async handleVerifyState(context: TurnContext): Promise<InvokeResponse> {
    const log = this.turnLogger(context);
    const identity = this.deps.identity;
    const value = verifyStateValueSchema.safeParse(context.activity.value);
    if (identity.kind !== 'sso' || !identity.interactive || !value.success) return { status: 400 };
    const reference = userReferenceOf(context.activity);
    const interactive = identity.interactive;
    const redeemed = await this.whileStoreAnswers(context, log, () => interactive.redeem(value.data.state, reference));
    if (!redeemed.answered) return { status: 200 };
    const assertion = redeemed.value;
    if (!assertion) {
      await this.refuse(context, { reason: 'signInCodeRejected' }, log);
      await context.sendActivity({
        type: 'message',
        text: this.translatorOf(context).t('bot.signInIncomplete'),
        textFormat: 'plain',
      });
      return { status: 200 };
    }
    if (!(await this.whileStoreAnswers(context, log, () => identity.store.put(assertion))).answered) {
      return { status: 200 };
    }
    log.info('interactive sign-in accepted');
    await this.resumePending(context, identity, reference, log);
    return { status: 200 };
  }

  /**
   * Runs a sign-in step on the shared store (keeping an assertion, redeeming a code). When the store is unavailable
   * the person is told so and nothing else happens (a pending command stays stored): `answered` is false then.
   */
  private async whileStoreAnswers<T>(
    context: TurnContext,
    log: Logger,
    step: () => Promise<T>,
  ): Promise<{ answered: true; value: T } | { answered: false }> {
    try {
      return { answered: true, value: await step() };
    } catch (err) {
      if (!isStorageUnavailable(err)) throw err;
      await context.sendActivity(this.explain(context, this.toAppError(err, log), 'view alerts'));
      return { answered: false };
    }
  }

  private async resumePending(
    context: TurnContext,
    identity: SsoIdentity,
    reference: UserReference,
    log: Logger,
  ): Promise<void> {
    const text = await identity.pending.take({ ...reference, conversationId: context.activity.conversation.id });
    if (text) await this.answer(context, text, log);
  }

  protected override async onAdaptiveCardInvoke(
    context: TurnContext,
    invokeValue: AdaptiveCardInvokeValue,
  ): Promise<AdaptiveCardInvokeResponse> {
    const log = this.turnLogger(context);
    const verb = invokeValue.action.verb;
    if (!isCardVerb(verb)) {
      await this.refuse(context, { reason: 'unknownVerb' }, log);
      return messageInvokeResponse(
        userMessageFor(new AppError('invalidInput', 'unknown verb'), 'use this button', this.translatorOf(context))
          .text,
      );
    }
    log.info({ verb, conversation: conversationKind(context.activity) }, 'card action received');

    const identity = this.deps.identity;
    /** A token this invoke brought, validated; stored below, where a store outage is answered like any other. */
    let signedIn: UserAssertion | undefined;
    if (identity.kind === 'sso') {
      // Universal Actions sign-in: after a 401 loginRequest, Teams repeats the invoke with the clicker's SSO
      // token (or the one-time code of the sign-in page); the value already passed its schema at the edge.
      const auth = adaptiveCardActionValueSchema.safeParse(context.activity.value);
      const reference = userReferenceOf(context.activity);
      if (auth.success && auth.data.authentication) {
        try {
          signedIn = await identity.validator.validate(auth.data.authentication.token, reference);
        } catch (err) {
          await this.refuseSsoToken(context, err, log);
          return preconditionFailedResponse();
        }
      } else if (auth.success && auth.data.state) {
        try {
          signedIn = await identity.interactive?.redeem(auth.data.state, reference);
        } catch (err) {
          // The one-time code waits in the shared store, which does not answer: say so, not "code rejected".
          if (!isStorageUnavailable(err)) throw err;
          return this.failureInvokeResponse(context, this.toAppError(err, log), operationOf(verb));
        }
        if (!signedIn) {
          await this.refuse(context, { reason: 'signInCodeRejected' }, log);
          return invalidAuthCodeResponse();
        }
      }
    }

    const carried = takeCardTenant(invokeValue.action.data);
    const prepared = carried.ok
      ? prepareCardAction(verb, carried.data)
      : ({ ok: false, issue: 'customerTenantId' } as const);
    if (carried.ok && carried.tenantId) this.scopeOf(context).pin(carried.tenantId);
    if (!prepared.ok) {
      await this.refuse(context, { reason: 'cardDataInvalid', issue: prepared.issue }, log);
      const message = userMessageFor(
        new AppError('invalidInput', 'card data failed its schema'),
        operationOf(verb),
        this.translatorOf(context),
      );
      return messageInvokeResponse(`${message.heading}: ${message.text}`);
    }
    try {
      if (signedIn && identity.kind === 'sso') await identity.store.put(signedIn);
      const reply = await prepared.run(this.contextFactory(context), this.environment(context));
      return toInvokeResponse(await this.stamped(this.scopeOf(context), this.translatorOf(context), reply));
    } catch (err) {
      const error = this.toAppError(err, log);
      if (error.code === 'signInRequired' && identity.kind === 'sso') {
        return loginRequestResponse(this.signInPrompt(context, { silent: true }));
      }
      if (error.code === 'interactionRequired' && identity.kind === 'sso' && identity.interactive) {
        return loginRequestResponse(this.signInPrompt(context, { silent: false, claims: error.details.claims }));
      }
      if (error.code === 'consentRequired') {
        return toInvokeResponse({
          kind: 'card',
          card: this.consentCard(context),
          summary: this.translatorOf(context).t('bot.consent.summary'),
        });
      }
      return this.failureInvokeResponse(context, error, operationOf(verb));
    }
  }

  /** The answer to a failed card action, as a message shown to the clicker. */
  private failureInvokeResponse(context: TurnContext, error: AppError, operation: Operation) {
    const message = this.aboutCustomer(context, userMessageFor(error, operation, this.translatorOf(context)), error);
    const reference = message.showReference ? ` (ref ${this.correlationId(context)})` : '';
    return messageInvokeResponse(`${message.heading}: ${message.text}${reference}`);
  }

  /** A failure about a customer says which one ("Contoso: Permission needed"), as its cards do. */
  private aboutCustomer(context: TurnContext, message: UserMessage, error?: AppError): UserMessage {
    if (error?.code === 'customerNotBound' && !this.recorded.has(error)) {
      // Refused before any context was built (e.g. "subscriptions for fabrikam"): audited like the others.
      this.recorded.add(error);
      void this.refuse(context, { reason: 'customerNotBound', code: error.code });
    }
    const customerName = this.scopeOf(context).current()?.customerName;
    return customerName === undefined ? message : { ...message, heading: `${customerName}: ${message.heading}` };
  }

  /** The answer to a failure in a posted reply: consent and step-up get actionable cards, the rest a notice. */
  private explain(context: TurnContext, error: AppError, operation: Operation) {
    const identity = this.deps.identity;
    if (error.code === 'consentRequired') {
      return {
        type: 'message',
        attachments: [CardFactory.adaptiveCard(this.consentCard(context))],
        summary: this.translatorOf(context).t('bot.consent.summary'),
      };
    }
    if (error.code === 'interactionRequired' && identity.kind === 'sso' && identity.interactive) {
      return oauthCardActivity(this.signInPrompt(context, { silent: false, claims: error.details.claims }));
    }
    return errorActivity(
      this.aboutCustomer(context, userMessageFor(error, operation, this.translatorOf(context)), error),
      this.correlationId(context),
    );
  }

  private consentCard(context: TurnContext) {
    const tenantId = tenantIdOf(context.activity);
    const i18n = this.translatorOf(context);
    const message = userMessageFor(new AppError('consentRequired', 'consent required'), 'view alerts', i18n);
    return toNoticeCard({
      heading: message.heading,
      text: i18n.t('bot.consent.text', { problem: message.text }),
      color: 'warning',
      ...(tenantId
        ? { action: { title: i18n.t('bot.consent.action'), url: this.deps.adminConsentUrl(tenantId) } }
        : {}),
    });
  }

  private signInPrompt(context: TurnContext, options: { silent: boolean; claims?: string | undefined }): SignInPrompt {
    const identity = this.deps.identity;
    if (identity.kind !== 'sso') throw new AppError('internal', 'sign-in prompt outside SSO mode');
    const reference = userReferenceOf(context.activity);
    const i18n = this.translatorOf(context);
    return {
      connectionName: identity.connectionName,
      botAppId: identity.botAppId,
      silent: options.silent,
      signInUrl: identity.interactive?.offer({ tenantId: reference.tenantId, claims: options.claims }),
      text: i18n.t(options.silent ? 'bot.signIn.text' : 'bot.signIn.again'),
      buttonTitle: i18n.t('bot.signIn.button'),
    };
  }

  private environment(context: TurnContext): CommandEnvironment {
    const address = TurnContext.getConversationReference(context.activity);
    const post = postTarget(context.activity);
    const conversation: ConversationPort = {
      address,
      conversationId: context.activity.conversation.id,
      kind: conversationKind(context.activity),
      cardActivityId: context.activity.type === 'invoke' ? context.activity.replyToId : undefined,
      postAddress: post.address,
      postConversationId: post.conversationId,
      teamId: post.teamId,
      userId: context.activity.from?.id,
    };
    return {
      phrasebook: this.phrasebookOf(context),
      clock: this.clockOf(context),
      i18n: this.translatorOf(context),
      chooseLanguage: (locale) => this.chooseLanguage(context, locale),
      tenantId: tenantIdOf(context.activity),
      adminConsentUrl: (tenantId) => this.deps.adminConsentUrl(tenantId),
      responseActions: this.deps.responseActions,
      customers: this.scopeOf(context),
      customerAdmin: this.deps.customerAdmin,
      conversation,
      notifications: this.deps.notifications?.commands,
      audit: this.deps.audit,
      huntResults: this.deps.huntResults,
      // Teams lets a bot send files only in personal chats.
      offerFile:
        conversationKind(context.activity) === 'personal'
          ? async (offer) => {
              await context.sendActivity(fileConsentActivity(offer));
            }
          : undefined,
      hunting: this.deps.hunting,
      now: this.deps.now(),
    };
  }

  /**
   * Signs the user in lazily: only commands that call Defender ask for an assertion and a token. Each Defender call
   * queues under the person's object id, so people share a busy quota fairly; `onQueued` hears when one must wait.
   */
  private contextFactory(
    context: TurnContext,
    onQueued?: (estimateMs: number, ahead: number) => void,
  ): CommandContextFactory {
    // Read now: the turn's context cannot be used once the turn has ended, and a queued command outlives it.
    const activity = context.activity;
    // A card click is never queued for a later post: Teams wants the invoke answered within seconds, and in a group
    // chat the answer may go to the clicker alone, as the invoke response. So while the click is being answered,
    // a Defender call that would wait longer than a few seconds fails as "Defender is busy, try again in N s" (N
    // from the queue's estimate); work the click leaves running (an approved action's execution) queues as usual.
    let answeringClick = activity.type === 'invoke' && onQueued === undefined;
    const hunting = this.deps.hunting;
    if (answeringClick) {
      context.onSendActivities(async (_context, activities, next) => {
        if (activities.some((a) => a.type === 'invokeResponse')) answeringClick = false;
        return next();
      });
    }
    return async (options) => {
      let reference: UserReference;
      try {
        reference = userReferenceOf(activity);
      } catch (err) {
        await this.refuse(context, { reason: 'unknownUser', code: 'notSignedIn' });
        this.recorded.add(err as object);
        throw err;
      }
      const identity = this.deps.identity;
      const assertion = await (identity.kind === 'sso' ? identity.store : identity.assertions).getAssertion(reference);
      if (
        assertion.user.aadObjectId.toLowerCase() !== reference.aadObjectId.toLowerCase() ||
        assertion.user.tenantId.toLowerCase() !== reference.tenantId.toLowerCase()
      ) {
        await this.refuse(context, { reason: 'assertionNotSender', code: 'notSignedIn' });
        const error = new AppError('notSignedIn', 'assertion does not belong to the sender of the activity');
        this.recorded.add(error);
        throw error;
      }
      let tenant;
      try {
        tenant = options?.home ? this.scopeOf(context).home() : await this.scopeOf(context).resolve();
      } catch (err) {
        if (isAppError(err) && err.code === 'customerNotBound' && !this.recorded.has(err)) {
          await this.refuse(context, { reason: 'customerNotBound', code: err.code });
          this.recorded.add(err);
        }
        throw err;
      }
      const delegated = (tokens: DefenderTokenProvider) => ({
        kind: 'delegated' as const,
        tenantId: tenant.id,
        queueKey: assertion.user.aadObjectId.toLowerCase(),
        onQueued,
        get maxWaitMs() {
          return answeringClick ? CLICK_MAX_QUEUE_WAIT_MS : undefined;
        },
        getAccessToken: () =>
          tokens.acquireForUser(assertion, tenant.id).catch((err: unknown) => {
            // The person has no identity in this customer's tenant: say which customer, never fall back.
            if (isAppError(err) && err.code === 'noAccessInCustomer' && tenant.customerName !== undefined)
              throw new AppError(
                err.code,
                err.message,
                { ...err.details, customerName: tenant.customerName },
                { cause: err },
              );
            throw err;
          }),
      });
      const i18n = this.translatorOf(context);
      return {
        user: assertion.user,
        tenant,
        i18n,
        auth: delegated(this.deps.tokens),
        defender: this.deps.defender,
        graphAuth: delegated(this.deps.graphTokens),
        graph: this.deps.graph,
        now: this.deps.now(),
        huntButton: hunting ? (source) => hunting.buttonFor(source, i18n) : undefined,
      };
    };
  }

  /** The language and time zone of the person this turn answers (their own choice, else Teams' locale). */
  private translatorOf(context: TurnContext): Translator {
    const hints = languageHintsOf(context.activity);
    const chosen = context.turnState.get<Locale | undefined>(CHOSEN_LOCALE_KEY);
    return translatorFor(chosen ?? localeOf(hints.locale), hints.timeZone);
  }

  /**
   * The phrasebook of the person's language (its help examples and "did you mean" are theirs); the parser reads
   * both languages whichever it is.
   */
  private phrasebookOf(context: TurnContext): Phrasebook {
    return this.translatorOf(context).locale === 'pt-BR' ? portuguese : this.deps.phrasebook;
  }

  /** The person's clock for time phrases ("yesterday", "since Monday"): now, in their time zone. */
  private clockOf(context: TurnContext): { now: Date; timeZone: string } {
    return { now: this.deps.now(), timeZone: this.translatorOf(context).timeZone };
  }

  /** "language pt-BR": the sender's own language in a personal chat, the conversation's cards' language elsewhere. */
  private async chooseLanguage(context: TurnContext, locale: Locale): Promise<'person' | 'conversation'> {
    const { languages, conversationLanguages } = this.deps;
    if (conversationKind(context.activity) !== 'personal' && conversationLanguages) {
      const where = postTarget(context.activity).conversationId;
      await conversationLanguages.setLanguage(where, locale, context.activity.from?.name ?? 'someone', this.deps.now());
      return 'conversation';
    }
    if (!languages) throw new AppError('internal', 'languages are not kept');
    await languages.set(userReferenceOf(context.activity), locale, this.deps.now());
    context.turnState.set(CHOSEN_LOCALE_KEY, locale);
    return 'person';
  }

  /** Reads the sender's own choice of language once per turn; without it (or without the store) Teams' locale rules. */
  private async loadChosenLanguage(context: TurnContext): Promise<void> {
    const languages = this.deps.languages;
    if (!languages || !context.activity.from?.aadObjectId) return;
    try {
      context.turnState.set(CHOSEN_LOCALE_KEY, await languages.get(userReferenceOf(context.activity)));
    } catch (err) {
      // A storage outage costs the choice of language for this turn, nothing else.
      this.turnLogger(context).warn({ err: serializeError(err) }, 'could not read the chosen language');
    }
  }

  /** This turn's customer scope: which Defender tenant its commands and clicks are about (one per turn). */
  private scopeOf(context: TurnContext): CustomerScope {
    let scope = context.turnState.get<CustomerScope | undefined>(CUSTOMER_SCOPE_KEY);
    if (!scope) {
      scope = new CustomerScope(this.deps.customers, {
        tenantId: tenantIdOf(context.activity),
        conversationId: context.activity.conversation?.id ? postTarget(context.activity).conversationId : undefined,
      });
      context.turnState.set(CUSTOMER_SCOPE_KEY, scope);
    }
    return scope;
  }

  /** A card reply marked with the tenant it was read from (every button carries it; a customer's is named). */
  private async stamped(scope: CustomerScope, i18n: Translator, reply: Reply): Promise<Reply> {
    const tenant = await scope.settled();
    if (!tenant) return reply;
    if (reply.kind === 'card') return { ...reply, card: stampCard(reply.card, tenant, i18n) };
    // A plain answer about a customer names it too ("Contoso: request A-… is already awaiting approval").
    return tenant.customerName === undefined ? reply : { ...reply, text: `${tenant.customerName}: ${reply.text}` };
  }

  /** Known failures pass through; anything else is logged with its stack and becomes `internal`. */
  private toAppError(err: unknown, log: Logger): AppError {
    if (isAppError(err)) {
      if (err.code !== 'signInRequired' && !this.recorded.has(err)) logFailure(log, err.code, err, 'command failed');
      return err;
    }
    if (isStorageUnavailable(err) || isAuditStorageUnavailable(err)) {
      // An outage of the state store, not a bug: the person is told it is temporary (nothing was half written:
      // every transition is one conditional write, and nothing is executed before its record is durable).
      log.warn({ err: serializeError(err) }, 'state store unavailable');
      return new AppError('storageUnavailable', 'state store unavailable', {}, { cause: err });
    }
    log.error({ err: serializeError(err) }, 'unexpected failure');
    return new AppError('internal', 'unexpected failure', {}, { cause: err });
  }

  /** Logs and audits a refusal of this turn's activity (see RefusalRecorder). */
  private refuse(context: TurnContext, refusal: Omit<Refusal, 'facts'>, log = this.turnLogger(context)) {
    return this.refusals.record({ ...refusal, facts: claimedFacts(context.activity) }, log);
  }

  /** An SSO token that failed validation: refused and audited; an unexpected failure is also logged with its stack. */
  private async refuseSsoToken(context: TurnContext, err: unknown, log: Logger): Promise<void> {
    if (!isAppError(err)) this.toAppError(err, log);
    await this.refuse(context, { reason: 'ssoTokenRejected', code: isAppError(err) ? err.code : 'internal' }, log);
  }

  private turnLogger(context: TurnContext): Logger {
    return this.deps.logger.child({ correlationId: this.correlationId(context), activityId: context.activity.id });
  }

  /** This turn's correlation id, made on first use: every "ref" a person sees is one the log has. */
  private correlationId(context: TurnContext): string {
    let correlationId = context.turnState.get<string | undefined>(CORRELATION_ID_KEY);
    if (!correlationId) {
      correlationId = newCorrelationId();
      context.turnState.set(CORRELATION_ID_KEY, correlationId);
    }
    return correlationId;
  }
}
