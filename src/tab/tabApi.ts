import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canRequest } from '../approvals/approvalPolicy';
import { isActionRequest } from '../approvals/approvalTypes';
import type { ContainmentKind, ContainmentRegister } from '../approvals/containmentRegister';
import { openReleaseOf, RELEASE_OF } from '../approvals/containmentRegister';
import type { ContainmentNow } from './containmentCheck';
import { forgetReleased } from './containmentCheck';
import type { AuditTrail } from '../audit/auditTrail';
import type { UserAssertion } from '../auth/userTokens';
import { actionTitle, requestTitle, riskNoteText } from '../cards/approvalCards';
import type { CommandContext } from '../commands/commandContext';
import type { ResponseActions } from '../commands/responseActions';
import { actorOf, decideRequest, draftAction, refusalText, requestFromDraft } from '../commands/responseActions';
import { containsJwt } from '../audit/containsJwt';
import { isAppError } from '../errors';
import { negotiateLocale } from '../i18n/locale';
import type { Translator } from '../i18n/translator';
import { translatorFor } from '../i18n/translator';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { TabApiAnswer, TabApiCall } from '../server/tabRoutes';
import type { TabAuditSearch } from './tabAudit';
import type { TabSubscriptions } from './tabSubscriptions';
import type { TabAuthenticator } from './tabAuthenticator';
import { actorOfViewer } from './tabAuthenticator';
import type {
  ActionsResponse,
  ContainmentItem,
  DecisionResponse,
  InFlightItem,
  QueueItem,
  QueueResponse,
  ReleaseResponse,
  TabMe,
  TabPerson,
} from './tabApiTypes';
import { TabRefusal } from './tabRefusal';

/** What the tab's API needs: who calls, how to act as them, and the features it shows. */
export interface TabApiOptions {
  authenticator: TabAuthenticator;
  /** The person's command context in their own tenant (delegated Defender and Graph tokens, on-behalf-of). */
  contextFor(assertion: UserAssertion, i18n: Translator): CommandContext;
  actions: ResponseActions;
  containments: ContainmentRegister;
  audit: AuditTrail;
  auditSearch: TabAuditSearch;
  subscriptions: TabSubscriptions;
  /** A containment older than this earns its requester a reminder (and an "overdue" badge on the board). */
  reminderAfterMs: number;
  /** The organisation's name, where the deployment knows it (the demo tenant, a customer); else its id is shown. */
  tenantNameOf?(tenantId: string): Promise<string | undefined>;
  /** Whether Defender still shows a containment, read with the bot's own identity (a refused release checks it). */
  containmentNow(tenantId: string, deviceId: string, kind: ContainmentKind): Promise<ContainmentNow>;
  logger: Logger;
  now: () => Date;
}

const ROLES_THAT_READ_AUDIT = ['SOC.Admin', 'SOC.Approver'];
const ID = /^[A-Za-z0-9._:-]{1,100}$/;
// Long enough for a pasted token to reach the token check (refused and audited) rather than a bare 400.
const decisionSchema = z.strictObject({ comment: z.string().max(4000).default('') });
const releaseSchema = z.strictObject({
  kind: z.enum(['isolate', 'restrictCodeExecution']),
  reason: z.string().max(4000),
});

/**
 * The SOC console tab's API: the approvals queue, decisions under exactly the card's rules (the same service
 * calls, executed in the background with the decider's own delegated token, every card updated), the actions in
 * flight and the containment board (read from the shared state: no Defender call to show them), releases through
 * the approval flow, the audit trail and the channel's subscriptions. Every call authenticates its bearer token and
 * authorizes on the server; the page's own checks are only for showing the right buttons.
 */
export class TabApi {
  constructor(private readonly options: TabApiOptions) {}

  /** Answers one call; never throws (refusals and failures become error bodies). */
  async handle(request: TabApiCall): Promise<TabApiAnswer> {
    try {
      const assertion = await this.options.authenticator.authenticate(request.headers.authorization);
      const locale = negotiateLocale(headerOf(request, 'accept-language'));
      const i18n = translatorFor(locale, timeZoneOf(request));
      return await this.route(request, assertion, i18n);
    } catch (err) {
      return this.failure(err);
    }
  }

  private async route(request: TabApiCall, assertion: UserAssertion, i18n: Translator): Promise<TabApiAnswer> {
    const parts = request.path.split('/').filter(Boolean).map(decodeSegment);
    const [first, second, third] = parts;
    const method = request.method.toUpperCase();
    const viewer = { assertion, i18n };
    if (method === 'GET' && parts.length === 1 && first === 'me') return { status: 200, json: await this.me(viewer) };
    if (first === 'approvals') {
      if (method === 'GET' && parts.length === 1) return this.conditional(request, await this.queue(viewer));
      if (method === 'POST' && parts.length === 3 && (third === 'approve' || third === 'reject'))
        return { status: 200, json: await this.decide(viewer, idOf(second), third, request.body) };
    }
    if (method === 'GET' && parts.length === 1 && first === 'actions')
      return this.conditional(request, await this.board(viewer));
    if (method === 'POST' && first === 'containments' && parts.length === 3 && third === 'release')
      return { status: 200, json: await this.release(viewer, idOf(second), request.body) };
    if (first === 'audit') {
      this.requireAuditReader(assertion);
      if (method === 'GET' && parts.length === 1)
        return { status: 200, json: await this.options.auditSearch.search(assertion.user.tenantId, request.query) };
      if (method === 'GET' && parts.length === 2 && second === 'export')
        return this.options.auditSearch.export(assertion.user.tenantId, request.query, this.options.now());
    }
    if (first === 'subscriptions') {
      const subscriptions = this.options.subscriptions;
      if (method === 'GET' && parts.length === 1)
        return { status: 200, json: await subscriptions.list(assertion, request.query.channelId) };
      if (method === 'POST' && parts.length === 1)
        return { status: 200, json: await subscriptions.add(assertion, request.body, this.options.now()) };
      if (method === 'DELETE' && parts.length === 2)
        return {
          status: 200,
          json: await subscriptions.remove(assertion, request.query.channelId, idOf(second)),
        };
    }
    throw new TabRefusal(404, 'notFound', 'No such tab API call.');
  }

  private async me({ assertion }: Viewer): Promise<TabMe> {
    const roles = assertion.user.appRoles;
    const name = await this.options.tenantNameOf?.(assertion.user.tenantId).catch(() => undefined);
    const policy = this.options.actions.service.policy;
    return {
      user: { displayName: assertion.user.displayName, userPrincipalName: assertion.user.userPrincipalName, roles },
      tenant: { id: assertion.user.tenantId, ...(name ? { name } : {}) },
      can: {
        decide: roles.some((role) => approverRolesOf(policy).includes(role)),
        requestRelease: canRequest(policy, roles),
        readAudit: roles.some((role) => ROLES_THAT_READ_AUDIT.includes(role)),
        editSubscriptions: roles.some((role) => ROLES_THAT_READ_AUDIT.includes(role)),
      },
      containmentReminderHours: Math.round((this.options.reminderAfterMs / 3_600_000) * 10) / 10,
    };
  }

  /** The tenant's pending requests, oldest first, each saying whether the viewer may decide it and why not. */
  private async queue({ assertion, i18n }: Viewer): Promise<QueueResponse> {
    const tenantId = assertion.user.tenantId.toLowerCase();
    const service = this.options.actions.service;
    const now = this.options.now();
    const pending = (await service.openRequests())
      .filter((r) => r.tenantId.toLowerCase() === tenantId && r.state === 'pending')
      .filter((r) => Date.parse(r.expiresAt) > now.getTime())
      .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
    const me = assertion.user.aadObjectId.toLowerCase();
    const items = pending.map((r): QueueItem => {
      const { title, subject } = requestTitle(r, i18n);
      const same = (p: { aadObjectId: string }) => p.aadObjectId.toLowerCase() === me;
      const viewer: QueueItem['viewer'] = same(r.requester)
        ? 'selfApproval'
        : r.approvals.some((a) => same(a.person))
          ? 'alreadyApprovedByYou'
          : r.refusedByDefender.some(same)
            ? 'refusedByDefenderBefore'
            : service.approverRoles(r).every((role) => assertion.user.appRoles.includes(role))
              ? 'decide'
              : 'missingRole';
      return {
        id: r.id,
        kind: r.kind,
        title,
        subject,
        ...(isActionRequest(r) ? { deviceId: r.device.id } : { incidentId: r.incident.id }),
        ...(r.customerName !== undefined ? { customerName: r.customerName } : {}),
        requester: personOf(r.requester),
        reason: r.reason,
        riskNote: riskNoteText(r.riskNote, i18n),
        requiredApprovals: r.requiredApprovals,
        approvals: r.approvals.map((a) => ({ by: personOf(a.person), comment: a.comment, at: a.at })),
        createdAt: r.createdAt,
        expiresAt: r.expiresAt,
        viewer,
      };
    });
    return { items, generatedAt: now.toISOString() };
  }

  /** Approve or reject from the tab: the card's decision path, with the decider's own context. */
  private async decide(
    { assertion, i18n }: Viewer,
    approvalId: string,
    verb: 'approve' | 'reject',
    body: unknown,
  ): Promise<DecisionResponse> {
    const parsed = decisionSchema.safeParse(body ?? {});
    if (!parsed.success) throw new TabRefusal(400, 'badRequest', 'Send { "comment": "…" }.');
    const ctx = this.options.contextFor(assertion, i18n);
    if (containsJwt(parsed.data.comment)) return this.refuseToken(ctx, approvalId, `tab.${verb}`, i18n);
    const outcome = await decideRequest(ctx, this.options.actions, verb, {
      approvalId,
      comment: parsed.data.comment,
    });
    if (outcome.outcome === 'refused')
      return {
        outcome: 'refused',
        reason: outcome.reason,
        message: refusalText(outcome.reason, i18n),
        ...(outcome.request ? { state: outcome.request.state } : {}),
      };
    const request = outcome.request;
    const { title, subject } = requestTitle(request, i18n);
    if (verb === 'reject')
      return { outcome: 'rejected', state: request.state, message: i18n.t('tab.rejected', { title, subject }) };
    if (outcome.outcome === 'execute')
      return { outcome: 'executing', state: request.state, message: i18n.t('tab.executing', { title, subject }) };
    return {
      outcome: 'approved',
      state: request.state,
      message: i18n.t('tab.approvedMore', {
        title,
        subject,
        count: request.requiredApprovals - request.approvals.length,
      }),
    };
  }

  /** Actions sent and not final, and the devices still contained, from the shared state. */
  private async board({ assertion, i18n }: Viewer): Promise<ActionsResponse> {
    const tenantId = assertion.user.tenantId.toLowerCase();
    const now = this.options.now();
    const open = (await this.options.actions.service.openRequests()).filter(
      (r) => r.tenantId.toLowerCase() === tenantId,
    );
    const inFlight = open
      .filter((r) => r.state === 'executing' || r.state === 'submitted')
      .map((r): InFlightItem => {
        const { title, subject } = requestTitle(r, i18n);
        return {
          approvalId: r.id,
          kind: r.kind,
          title,
          subject,
          ...(isActionRequest(r) ? { deviceId: r.device.id } : {}),
          ...(r.customerName !== undefined ? { customerName: r.customerName } : {}),
          state: r.state,
          defenderStatus: r.execution?.checking
            ? i18n.t('tab.checkingWithDefender')
            : (r.execution?.defenderStatus ?? i18n.t('tab.sending')),
          requester: personOf(r.requester),
          approvers: r.approvals.map((a) => personOf(a.person)),
          ...(r.execution?.lastSentAt || r.execution?.startedAt
            ? { sentAt: r.execution.lastSentAt ?? r.execution.startedAt }
            : {}),
        };
      });
    const contained = (await this.options.containments.list(tenantId)).map((c): ContainmentItem => {
      const release = openReleaseOf(open, c, tenantId, now);
      return {
        deviceId: c.deviceId,
        deviceName: c.deviceName,
        ...(c.customerName !== undefined ? { customerName: c.customerName } : {}),
        kind: c.kind,
        title: actionTitle(c.kind, i18n),
        since: c.since,
        requester: personOf(c.requester),
        approvers: c.approvers.map(personOf),
        approvalId: c.approvalId,
        overdue: now.getTime() - Date.parse(c.since) >= this.options.reminderAfterMs,
        ...(release ? { release: { approvalId: release.id, state: release.state } } : {}),
      };
    });
    return { inFlight, contained, generatedAt: now.toISOString() };
  }

  /**
   * "Release" on the board: the same preparation and request as "release ws-fin-042" in a chat (roles, the device
   * read with the viewer's token, already released or already requested refused), confirmed at once with the
   * required reason, its card posted in the approvers' channel. Nothing is sent to Defender before approval.
   */
  private async release({ assertion, i18n }: Viewer, deviceId: string, body: unknown): Promise<ReleaseResponse> {
    const parsed = releaseSchema.safeParse(body ?? {});
    if (!parsed.success) throw new TabRefusal(400, 'badRequest', 'Send { "kind": "isolate", "reason": "…" }.');
    const ctx = this.options.contextFor(assertion, i18n);
    const kind = RELEASE_OF[parsed.data.kind];
    const reason = parsed.data.reason.trim();
    if (containsJwt(reason)) return this.refuseToken(ctx, '', `tab.release ${kind}`, i18n);
    if (reason.length < 3) {
      await this.options.actions.service.auditRefusal('', actorOf(ctx), 'reasonRequired', `tab.release ${kind}`);
      return { outcome: 'refused', message: refusalText('reasonRequired', i18n) };
    }
    const prepared = await draftAction(ctx, this.options.actions, { kind, device: deviceId, parameters: {}, reason });
    if (prepared.kind === 'answer') {
      // "Not isolated" to someone who may request a release: released elsewhere (the portal). Once Defender confirms
      // it (read with the bot's identity), the board stops showing it — audited.
      const held = (await this.options.containments.list(ctx.tenant.id)).find(
        (c) => c.deviceId === deviceId && c.kind === parsed.data.kind,
      );
      if (
        prepared.notContained &&
        held &&
        (await this.options.containmentNow(ctx.tenant.id, deviceId, parsed.data.kind)) === 'released'
      )
        await forgetReleased(
          { register: this.options.containments, audit: this.options.audit },
          ctx.tenant.id,
          held,
          'releaseRefused',
          this.options.now(),
        );
      return {
        outcome: 'refused',
        message: prepared.reply.kind === 'text' ? prepared.reply.text : i18n.t('tab.deviceNotExact'),
      };
    }
    const confirmed = await requestFromDraft(ctx, this.options.actions, undefined, {
      draftId: prepared.draft.id,
      reason,
    });
    if ('refuse' in confirmed) return { outcome: 'refused', message: refusalText(confirmed.refuse, i18n) };
    const { title, subject } = requestTitle(confirmed.request, i18n);
    return {
      outcome: 'requested',
      approvalId: confirmed.request.id,
      message: i18n.t('tab.releaseRequested', { title, subject, id: confirmed.request.id }),
    };
  }

  /** Text that looks like it carries an access token is never stored, audited in full or sent on: refused, audited. */
  private async refuseToken(
    ctx: CommandContext,
    approvalId: string,
    verb: string,
    i18n: Translator,
  ): Promise<{ outcome: 'refused'; reason: 'tokenInText'; message: string }> {
    await this.options.actions.service.auditRefusal(approvalId, actorOf(ctx), 'tokenInText', verb);
    return { outcome: 'refused', reason: 'tokenInText', message: refusalText('tokenInText', i18n) };
  }

  private requireAuditReader(assertion: UserAssertion): void {
    if (assertion.user.appRoles.some((role) => ROLES_THAT_READ_AUDIT.includes(role))) return;
    void this.options.actions.service
      .auditRefusal('', actorOfViewer(assertion), 'missingRole', 'tab.audit')
      .catch((err: unknown) => this.options.logger.warn({ err: serializeError(err) }, 'refusal not audited'));
    throw new TabRefusal(403, 'missingRole', 'The audit trail is for approvers and admins (SOC.Approver, SOC.Admin).');
  }

  /** JSON with an ETag of its content (ignoring when it was generated): 304 when the page already has it. */
  private conditional(request: TabApiCall, body: { generatedAt: string }): TabApiAnswer {
    const { generatedAt: _generatedAt, ...content } = body;
    const etag = `"${createHash('sha256').update(JSON.stringify(content)).digest('base64url').slice(0, 27)}"`;
    const headers = { etag, 'cache-control': 'no-store' };
    if (headerOf(request, 'if-none-match') === etag) return { status: 304, headers };
    return { status: 200, headers, json: body };
  }

  private failure(err: unknown): TabApiAnswer {
    if (err instanceof TabRefusal)
      return { status: err.status, headers: err.headers, json: { error: { code: err.code, message: err.message } } };
    if (isAppError(err)) {
      const status = statusOfCode(err.code);
      const retry = err.details.retryAfterSeconds;
      return {
        status,
        headers: typeof retry === 'number' ? { 'retry-after': String(Math.ceil(retry)) } : {},
        json: { error: { code: err.code, message: plainWordsFor(err.code) } },
      };
    }
    this.options.logger.error({ err: serializeError(err) }, 'tab API call failed');
    return { status: 500, json: { error: { code: 'internal', message: 'Something went wrong; try again.' } } };
  }
}

interface Viewer {
  assertion: UserAssertion;
  i18n: Translator;
}

function personOf(p: { displayName: string; userPrincipalName: string }): TabPerson {
  return { displayName: p.displayName, userPrincipalName: p.userPrincipalName };
}

function approverRolesOf(policy: ResponseActions['service']['policy']): string[] {
  return [...new Set([policy.approverRole, ...Object.values(policy.approverRoleByAction)])];
}

function headerOf(request: TabApiCall, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The viewer's IANA time zone (`X-Time-Zone`, from Teams' context); UTC when absent or unknown. */
function timeZoneOf(request: TabApiCall): string {
  const zone = headerOf(request, 'x-time-zone');
  if (!zone || zone.length > 64) return 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    return 'UTC';
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new TabRefusal(400, 'badRequest', 'The address is not valid.');
  }
}

function idOf(value: string | undefined): string {
  if (value === undefined || !ID.test(value)) throw new TabRefusal(400, 'badRequest', 'The id is not valid.');
  return value;
}

/** The HTTP status of a failure the tab passes on (Defender's, Entra's). */
function statusOfCode(code: string): number {
  switch (code) {
    case 'forbidden':
      return 403;
    // The token is good; the person must consent or sign in interactively first (a new token will not do).
    case 'consentRequired':
    case 'interactionRequired':
      return 403;
    case 'notFound':
      return 404;
    case 'rateLimited':
      return 429;
    case 'notSignedIn':
      return 401;
    default:
      return 503;
  }
}

function plainWordsFor(code: string): string {
  switch (code) {
    case 'forbidden':
      return 'Your Defender role does not allow this.';
    case 'notFound':
      return 'Defender does not know it, or it is outside what you may see.';
    case 'rateLimited':
      return 'Defender is busy; try again shortly.';
    case 'consentRequired':
    case 'interactionRequired':
    case 'notSignedIn':
      return 'Sign in to the bot in Teams first (send it "hi" in a personal chat).';
    default:
      return 'Defender could not be reached; try again.';
  }
}
