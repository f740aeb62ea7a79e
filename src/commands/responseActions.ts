import type { ActionExecutor } from '../approvals/actionExecutor';
import { MACHINE_ACTION_TYPE } from '../approvals/actionExecutor';
import { canRequest, requiredApprovals } from '../approvals/approvalPolicy';
import { isActionSupported } from '../approvals/osSupport';
import type { ApprovalPublisher } from '../approvals/approvalPublisher';
import type { Actor, ApprovalService, ClickOutcome } from '../approvals/approvalService';
import type { ApprovalSettings } from '../approvals/approvalSettings';
import type {
  ActionDraft,
  ActionParameters,
  ApprovalRequest,
  CardLocation,
  DeviceSnapshot,
  RefusalReason,
  ResponseActionKind,
} from '../approvals/approvalTypes';
import { isActionRequest } from '../approvals/approvalTypes';
import type { ApprovalView } from '../cards/approvalCards';
import {
  ACTION_NAMES,
  requestTitle,
  toApprovalCard,
  toConfirmationCard,
  toRecordListCard,
} from '../cards/approvalCards';
import type { RecordRow } from '../cards/approvalCards';
import { deriveIsolationState, deriveRestrictionState } from '../cards/deviceCard';
import type { AdaptiveCardJson } from '../cards/renderCard';
import { formatAge } from '../cards/text';
import { DEFAULT_LOCALE } from '../i18n/locale';
import type { Translator } from '../i18n/translator';
import { translatorFor } from '../i18n/translator';
import { anyOf, compare } from '../http/odata';
import type { Machine, MachineAction } from '../defender/schemas';
import { isAppError } from '../errors';
import type { CommandContext, Reply } from './commandContext';
import { cardReply } from './commandContext';
import { deviceChoiceReply } from './deviceChoices';
import { resolveDevice } from './resolveDevice';

/** The audit trail as commands read it (src/audit/AuditLog). */
export interface AuditReader {
  recent(query: {
    limit?: number;
    tenantId?: string;
    deviceId?: string;
    userPrincipalName?: string;
  }): Promise<AuditRecord[]>;
}

/** The fields of an audit entry the `audit` command shows. */
export interface AuditRecord {
  at: string;
  type: string;
  actor: { userPrincipalName: string } | { system: string };
  approvalId?: string | undefined;
  device?: { name: string } | undefined;
  action?: string | undefined;
  detail?: unknown;
}

/** A card and its toast text in a given language (a conversation's, known only where it is posted). */
export type CardInLanguage = (i18n: Translator) => { card: AdaptiveCardJson; summary: string };

/** Everything response actions need besides the user's context: the approval domain and the bot's reach. */
export interface ResponseActions {
  service: ApprovalService;
  executor: ActionExecutor;
  publisher: ApprovalPublisher;
  settings: ApprovalSettings;
  audit: AuditReader;
  /**
   * Posts a card into a stored conversation (the approvers' channel), rendered in that conversation's language (as
   * every later update of it is); undefined if Teams refused.
   */
  postTo(address: unknown, render: CardInLanguage): Promise<CardLocation | undefined>;
  /** Work that continues after the invoke response (Teams' invoke timeout is short). */
  runInBackground(name: string, task: () => Promise<unknown>): void;
  /** Partner context: whether a conversation still serves a customer's tenant (its approvers' channel may not). */
  servesTenant?(conversationId: string, tenantId: string): Promise<boolean>;
}

/** The conversation a command or click came from (its address is where approval cards are posted). */
export interface ConversationPort {
  address: unknown;
  conversationId: string;
  kind: 'personal' | 'groupChat' | 'channel';
  /** The message whose card was clicked (an invoke's replyToId), when the turn is a card action. */
  cardActivityId?: string | undefined;
  /**
   * Where new posts for this conversation go: for a channel, its root (each post a new thread), not the thread
   * the message came from. Subscriptions and the approvals channel are kept under this id.
   */
  postAddress: unknown;
  postConversationId: string;
  /** The team of a channel. */
  teamId?: string | undefined;
  /** The sender's Teams user id (personal chats: whom a card's refresh is for). */
  userId?: string | undefined;
}

const SHA1 = /^[0-9a-f]{40}$/i;

/** The clicking or asking person as the approval domain knows them (validated token, tenant, app roles). */
export function actorOf(ctx: CommandContext): Actor {
  return {
    person: {
      aadObjectId: ctx.user.aadObjectId,
      userPrincipalName: ctx.user.userPrincipalName,
      displayName: ctx.user.displayName,
    },
    tenantId: ctx.tenant.id,
    customerName: ctx.tenant.customerName,
    roles: ctx.user.appRoles,
  };
}

function text(value: string): Reply {
  return { kind: 'text', text: value };
}

/** Plain words for every refused click (each one is also in the audit trail). */
export function refusalText(reason: RefusalReason, i18n: Translator = translatorFor(DEFAULT_LOCALE)): string {
  return i18n.t(`approvals.refusal.${reason}`);
}

/** The platforms an action runs on, in words, for the refusal of an unsupported one. */
function supportedPlatforms(kind: ResponseActionKind, parameters: ActionParameters): 'both' | 'windows' | 'none' {
  const windows = isActionSupported(kind, 'Windows10', parameters);
  const linux = isActionSupported(kind, 'Linux', parameters);
  return windows && linux ? 'both' : windows ? 'windows' : 'none';
}

function snapshot(machine: Machine): DeviceSnapshot {
  return {
    id: machine.id,
    name: machine.computerDnsName,
    osPlatform: machine.osPlatform,
    deviceValue: machine.deviceValue,
    tags: machine.machineTags,
    group: machine.rbacGroupName,
    healthStatus: machine.healthStatus,
    lastSeen: machine.lastSeen,
  };
}

/**
 * A prepared action: the draft the requester is to confirm, or the answer that ends the preparation (`notContained`:
 * Defender shows the device already released — the isolation or restriction to undo is not there).
 */
export type PreparedAction =
  | { kind: 'answer'; reply: Reply; notContained?: true }
  | {
      kind: 'draft';
      draft: ActionDraft;
      policy: { count: number; note: string };
      isolationText: string;
      openAlerts: number;
    };

function answerText(value: string, notContained?: true): PreparedAction {
  return { kind: 'answer', reply: text(value), ...(notContained ? { notContained } : {}) };
}

/**
 * "isolate device X", a device-card button…: resolves the device exactly, refuses what is pointless
 * (already isolated, the same action already pending in Defender or awaiting approval), and shows the
 * requester a confirmation card with the device's facts, the policy that will apply and a required reason.
 * Nothing is requested until they confirm.
 */
export async function draftAction(
  ctx: CommandContext,
  actions: ResponseActions,
  input: { kind: ResponseActionKind; device: string; parameters: ActionParameters; reason?: string | undefined },
): Promise<PreparedAction> {
  const actor = actorOf(ctx);
  const name = ACTION_NAMES[input.kind];
  if (!canRequest(actions.service.policy, actor.roles)) {
    await actions.service.auditRefusal('', actor, 'missingRole', `action.prepare ${input.kind}`);
    return answerText(
      ctx.i18n.t('approvals.requesterRoleNeeded', { roles: actions.service.policy.requesterRoles.join(', ') }),
    );
  }
  if (input.kind === 'stopAndQuarantineFile' && !SHA1.test(input.parameters.sha1 ?? '')) {
    return answerText(ctx.i18n.t('approvals.sha1Needed'));
  }
  const resolution = await resolveDevice(ctx.defender, ctx.auth, input.device);
  if (resolution.kind !== 'found') {
    return {
      kind: 'answer',
      reply: deviceChoiceReply(
        resolution,
        (device) => ({ verb: 'action.prepare', data: { kind: input.kind, device, ...input.parameters } }),
        ctx.now,
        ctx.i18n,
      ),
    };
  }
  const machine = resolution.machine;
  if (!isActionSupported(input.kind, machine.osPlatform, input.parameters)) {
    await actions.service.auditRefusal('', actor, 'notSupportedOnDevice', `action.prepare ${input.kind} ${machine.id}`);
    return answerText(
      ctx.i18n.t('approvals.notSupported', {
        action: name.title,
        selective: input.parameters.isolationType === 'Selective' ? 'yes' : 'no',
        device: machine.computerDnsName,
        platforms: supportedPlatforms(input.kind, input.parameters),
        os: machine.osPlatform ?? ctx.i18n.t('approvals.unknownOs'),
      }),
    );
  }
  const [history, openAlerts] = await Promise.all([
    ctx.defender.listMachineActions(ctx.auth, { filter: compare('machineId', 'eq', machine.id), max: 50 }),
    ctx.defender.countMachineAlerts(ctx.auth, machine.id, anyOf('status', ['New', 'InProgress'])),
  ]);
  const isolation = deriveIsolationState(history.items);
  const restriction = deriveRestrictionState(history.items);
  const device = machine.computerDnsName;

  if (input.kind === 'isolate' && isolation.kind === 'isolated')
    return answerText(ctx.i18n.t('approvals.alreadyIsolated', { device, since: formatAge(isolation.since, ctx.now) }));
  if (input.kind === 'unisolate' && isolation.kind === 'notIsolated')
    return answerText(ctx.i18n.t('approvals.notIsolated', { device }), true);
  if (input.kind === 'restrictCodeExecution' && restriction === 'restricted')
    return answerText(ctx.i18n.t('approvals.alreadyRestricted', { device }));
  if (input.kind === 'unrestrictCodeExecution' && restriction === 'unrestricted')
    return answerText(ctx.i18n.t('approvals.notRestricted', { device }), true);
  const pending = history.items.find(
    (a) => a.type === MACHINE_ACTION_TYPE[input.kind] && (a.status === 'Pending' || a.status === 'InProgress'),
  );
  if (pending) {
    return answerText(
      ctx.i18n.t('approvals.alreadyPendingInDefender', {
        action: name.title,
        device,
        status: pending.status,
        requestor: pending.requestor ?? ctx.i18n.t('approvals.someone'),
        age: formatAge(pending.creationDateTimeUtc, ctx.now),
      }),
    );
  }
  const open = (await actions.service.openRequests()).find(
    (r) => r.tenantId === actor.tenantId && isActionRequest(r) && r.device.id === machine.id && r.kind === input.kind,
  );
  if (open)
    return answerText(ctx.i18n.t('approvals.alreadyOpen', { id: open.id, verb: name.verb, device, state: open.state }));

  const draft = await actions.service.createDraft({
    tenantId: actor.tenantId,
    customerName: actor.customerName,
    kind: input.kind,
    parameters: input.parameters,
    device: snapshot(machine),
    requester: actor.person,
  });
  const policy = requiredApprovals(actions.service.policy, input.kind, input.parameters, draft.device);
  const isolationText = ctx.i18n.t(
    isolation.kind === 'notIsolated'
      ? 'approvals.isolation.notIsolated'
      : isolation.kind === 'isolated'
        ? 'approvals.isolation.isolated'
        : 'approvals.isolation.changePending',
  );
  return { kind: 'draft', draft, policy, isolationText, openAlerts };
}

/** The confirmation card of a prepared action, or the answer that ended its preparation. */
export async function prepareAction(
  ctx: CommandContext,
  actions: ResponseActions,
  input: { kind: ResponseActionKind; device: string; parameters: ActionParameters; reason?: string | undefined },
): Promise<Reply> {
  const prepared = await draftAction(ctx, actions, input);
  if (prepared.kind === 'answer') return prepared.reply;
  const { draft, policy, isolationText, openAlerts } = prepared;
  const device = draft.device.name;
  const name = ACTION_NAMES[input.kind];
  return cardReply(
    toConfirmationCard(
      {
        draftId: draft.id,
        kind: input.kind,
        device: draft.device,
        isolation: isolationText,
        openAlerts,
        requiredApprovals: policy.count,
        riskNote: policy.note,
        isolationType: input.parameters.isolationType,
        scanType: input.parameters.scanType,
        sha1: input.parameters.sha1,
        reason: input.reason,
      },
      ctx.i18n,
    ),
    ctx.i18n.t('approvals.confirmSummary', { action: name.title, device }),
  );
}

/** What confirms a draft: its id, the requester's reason, and the options they may still change. */
export interface DraftConfirmation {
  draftId: string;
  reason?: string | undefined;
  isolationType?: 'Full' | 'Selective' | undefined;
  scanType?: 'Quick' | 'Full' | undefined;
}

/**
 * "Request approval" on the confirmation card: creates the approval request once (a double click finds the
 * same one), posts its card where the request was made and in the approvers' channel, and — for an action the
 * policy auto-approves — executes it at once with the requester's own token.
 */
export async function confirmAction(
  ctx: CommandContext,
  actions: ResponseActions,
  conversation: ConversationPort | undefined,
  data: DraftConfirmation,
): Promise<Reply> {
  const confirmed = await requestFromDraft(ctx, actions, conversation, data);
  if ('refuse' in confirmed) return text(refusalText(confirmed.refuse, ctx.i18n));
  const request = confirmed.request;
  return cardReply(
    toApprovalCard(request, viewFor(actions, request, actorOf(ctx)), ctx.now, ctx.i18n),
    ctx.i18n.t('approvals.requestSummary', { action: requestTitle(request).title, id: request.id }),
  );
}

/**
 * The request a confirmed draft becomes, wherever it is confirmed (the confirmation card, the tab's "Release"):
 * created once, its cards posted where it was asked (if anywhere) and in the approvers' channel, executed at once
 * with the requester's token when the policy auto-approves it. Refusals are audited.
 */
export async function requestFromDraft(
  ctx: CommandContext,
  actions: ResponseActions,
  conversation: ConversationPort | undefined,
  data: DraftConfirmation,
): Promise<{ request: ApprovalRequest } | { refuse: RefusalReason }> {
  const actor = actorOf(ctx);
  const overrides = {
    ...(data.isolationType ? { isolationType: data.isolationType } : {}),
    ...(data.scanType ? { scanType: data.scanType } : {}),
  };
  const result = await actions.service.confirmDraft(data.draftId, actor, data.reason ?? '', overrides);
  if ('refuse' in result) {
    await actions.service.auditRefusal(data.draftId, actor, result.refuse, 'action.confirm');
    return { refuse: result.refuse };
  }
  const request = result.request;
  if (result.created) {
    // Posting (Teams may throttle) and executing continue after the invoke has been answered, side by side: an
    // auto-approved action does not wait for Teams. The cards show the outcome once both are done.
    const auth = ctx.auth;
    actions.runInBackground(`post ${request.id}`, async () => {
      const posting = postApprovalCards(actions, request, conversation, ctx.now);
      const done = request.state === 'executing' ? await actions.executor.execute(request, auth) : undefined;
      await posting;
      if (done) await actions.publisher.publish(done);
    });
  }
  return { request };
}

/**
 * Posts a new request's card where it was asked and in the tenant's approvers' conversation, and records where
 * (so every card follows the request). Shared by response actions and incident resolutions.
 */
export async function postApprovalCards(
  actions: ResponseActions,
  request: ApprovalRequest,
  conversation: ConversationPort | undefined,
  now: Date,
): Promise<ApprovalRequest> {
  const render: CardInLanguage = (i18n) => ({
    card: toApprovalCard(request, 'base', now, i18n),
    summary: i18n.t('approvals.postedSummary', {
      action: requestTitle(request, i18n).title,
      name: request.requester.displayName,
    }),
  });
  let current = request;
  const stored = await actions.settings.approvalsChannel(request.tenantId);
  // A customer's approvers' channel gets its requests only while it still serves that customer (unbound since:
  // its people can no longer act on them, and they must not read them).
  const channel =
    stored && request.customerName !== undefined && actions.servesTenant
      ? (await actions.servesTenant(stored.conversationId, request.tenantId))
        ? stored
        : undefined
      : stored;
  const targets = [
    conversation?.address,
    channel && channel.conversationId !== conversation?.conversationId ? channel.address : undefined,
  ];
  for (const address of targets) {
    if (address === undefined) continue;
    const location = await actions.postTo(address, render);
    if (location) current = (await actions.service.addCard(request.id, location)) ?? current;
  }
  return current;
}

/** True when the clicker's token for the request's resource cannot be had in the customer's tenant. */
async function withoutAccessInCustomer(
  ctx: CommandContext,
  actions: ResponseActions,
  approvalId: string,
): Promise<boolean> {
  const request = await actions.service.get(approvalId);
  try {
    await (request && !isActionRequest(request) ? ctx.graphAuth : ctx.auth).getAccessToken();
    return false;
  } catch (err) {
    if (isAppError(err) && err.code === 'noAccessInCustomer') return true;
    throw err;
  }
}

/** Which variant of the approval card a person gets. */
function viewFor(actions: ResponseActions, request: ApprovalRequest, actor: Actor): ApprovalView {
  const same = (a: { aadObjectId: string }) => a.aadObjectId.toLowerCase() === actor.person.aadObjectId.toLowerCase();
  const isRequester = same(request.requester);
  const hasRole = actions.service.approverRoles(request).every((role) => actor.roles.includes(role));
  if (request.state === 'pending') {
    if (isRequester) return 'requester';
    return hasRole && !request.approvals.some((a) => same(a.person)) ? 'approver' : 'readonly';
  }
  // While Defender has not started it, the requester and approvers may cancel it.
  if (request.state === 'submitted' && (isRequester || hasRole)) return 'requester';
  return 'readonly';
}

/** "Review" and the automatic refresh: the clicker's own view of the request, read back from storage. */
export async function viewApproval(ctx: CommandContext, actions: ResponseActions, approvalId: string): Promise<Reply> {
  const actor = actorOf(ctx);
  const request = await actions.service.get(approvalId);
  if (!request || request.tenantId.toLowerCase() !== actor.tenantId.toLowerCase()) {
    await actions.service.auditRefusal(approvalId, actor, request ? 'otherTenant' : 'notFound', 'approval.view');
    return text(refusalText(request ? 'otherTenant' : 'notFound', ctx.i18n));
  }
  return cardReply(
    toApprovalCard(request, viewFor(actions, request, actor), ctx.now, ctx.i18n),
    ctx.i18n.t('approvals.requestSummary', { action: requestTitle(request).title, id: request.id }),
  );
}

/** Approve, reject or withdraw: the decision is the server's, on the stored record, under a conditional write. */
export async function decideApproval(
  ctx: CommandContext,
  actions: ResponseActions,
  decision: 'approve' | 'reject' | 'withdraw',
  data: { approvalId: string; comment?: string | undefined },
  conversation?: ConversationPort,
): Promise<Reply> {
  const outcome = await decideRequest(ctx, actions, decision, data, conversation);
  if (outcome.outcome === 'refused') return text(refusalText(outcome.reason, ctx.i18n));
  const request = outcome.request;
  return cardReply(
    toApprovalCard(request, viewFor(actions, request, actorOf(ctx)), ctx.now, ctx.i18n),
    ctx.i18n.t('approvals.requestSummary', { action: requestTitle(request).title, id: request.id }),
  );
}

/**
 * One decision under the card's rules, wherever it is made (a card click, the SOC console tab): partner access,
 * the policy at the click, the conditional write, then — in the background — execution with the deciding person's
 * own token and every card of the request brought up to date. Refusals are audited.
 */
export async function decideRequest(
  ctx: CommandContext,
  actions: ResponseActions,
  decision: 'approve' | 'reject' | 'withdraw',
  data: { approvalId: string; comment?: string | undefined },
  conversation?: ConversationPort,
): Promise<ClickOutcome> {
  const actor = actorOf(ctx);
  const comment = data.comment ?? '';
  if (decision !== 'withdraw' && ctx.tenant.customerName !== undefined) {
    // An approval in a customer's tenant counts only from someone who can act there: the last one executes with
    // that approver's token, which exists only with a guest account or a GDAP role in the customer's tenant.
    const refused = await withoutAccessInCustomer(ctx, actions, data.approvalId);
    if (refused) {
      await actions.service.auditRefusal(data.approvalId, actor, 'noAccessInCustomer', decision);
      return { outcome: 'refused', reason: 'noAccessInCustomer', request: undefined };
    }
  }
  const outcome =
    decision === 'approve'
      ? await actions.service.approve(
          data.approvalId,
          actor,
          comment,
          await deviceAtClick(ctx, actions, data.approvalId),
        )
      : decision === 'reject'
        ? await actions.service.reject(data.approvalId, actor, comment)
        : await actions.service.withdraw(data.approvalId, actor);
  if (outcome.outcome === 'refused') {
    // A click can be what notices the request ended (e.g. expired): bring its cards up to date.
    const seen = outcome.request;
    if (seen && seen.state !== 'pending')
      actions.runInBackground(`publish ${seen.id}`, () => actions.publisher.publish(seen));
    return outcome;
  }
  const request = outcome.request;
  await followFromPersonalChat(actions, request, decision, conversation);
  if (outcome.outcome === 'execute') {
    // Executed with the approving person's own delegated token, after the invoke has been answered. The cards
    // are brought up to date alongside, never first: Teams' round trips must not delay the Defender call.
    const { auth, graph, graphAuth } = ctx;
    actions.runInBackground(`execute ${request.id}`, async () => {
      const approvedShown = actions.publisher.publish(request);
      const done = isActionRequest(request)
        ? await actions.executor.execute(request, auth)
        : await actions.executor.executeIncidentResolution(request, graph, graphAuth);
      await Promise.all([approvedShown, done ? actions.publisher.publish(done) : undefined]);
    });
  } else {
    actions.runInBackground(`publish ${request.id}`, () => actions.publisher.publish(request));
  }
  return outcome;
}

/**
 * The device as the approver's Defender shows it at the click, so the policy can weigh its tags and value as
 * they are now (a device tagged VIP since the request needs the high-risk quorum). Undefined when it cannot be
 * read: the request-time snapshot then stands, and Defender's own RBAC still decides the execution.
 */
async function deviceAtClick(
  ctx: CommandContext,
  actions: ResponseActions,
  approvalId: string,
): Promise<DeviceSnapshot | undefined> {
  const request = await actions.service.peek(approvalId);
  if (
    !request ||
    !isActionRequest(request) ||
    request.state !== 'pending' ||
    request.tenantId.toLowerCase() !== ctx.tenant.id.toLowerCase()
  )
    return undefined;
  try {
    return snapshot(await ctx.defender.getMachine(ctx.auth, request.device.id));
  } catch (err) {
    // The approver cannot see the device: the request-time snapshot stands and Defender refuses their execution
    // (403, recorded, the request stays open for another approver). Defender unavailable or busy: the click fails
    // closed — the stricter rule cannot be checked, so nothing is recorded and the approver is told to retry.
    if (isAppError(err, 'forbidden', 'notFound')) return undefined;
    throw err;
  }
}

/**
 * An approver who decided on a card in their personal chat (opened through "approvals", say) sees that card
 * follow the request too. Only personal chats: a card there is seen by its owner alone.
 */
async function followFromPersonalChat(
  actions: ResponseActions,
  request: ApprovalRequest,
  decision: 'approve' | 'reject' | 'withdraw',
  conversation: ConversationPort | undefined,
): Promise<void> {
  const activityId = conversation?.cardActivityId;
  if (decision !== 'approve' || conversation?.kind !== 'personal' || !activityId) return;
  if (request.cards.some((card) => card.activityId === activityId)) return;
  await actions.service.addCard(request.id, { address: conversation.address, activityId });
}

/** "Cancel action in Defender" while the action is still pending there (requester or an approver). */
export async function cancelApprovedAction(
  ctx: CommandContext,
  actions: ResponseActions,
  approvalId: string,
): Promise<Reply> {
  const actor = actorOf(ctx);
  const request = await actions.service.get(approvalId);
  if (!request) return text(refusalText('notFound', ctx.i18n));
  const refusal = actions.service.canCancel(request, actor);
  if (refusal) {
    await actions.service.auditRefusal(approvalId, actor, refusal, 'approval.cancelAction');
    return text(refusalText(refusal, ctx.i18n));
  }
  const comment = `Cancelled via Teams by ${actor.person.userPrincipalName}; approval ${request.id}`;
  const action = await ctx.defender.cancelMachineAction(ctx.auth, request.execution!.defenderActionId!, comment);
  await actions.service.recordCancelRequest(request.id, actor, comment);
  const updated = (await actions.service.markStatus(request.id, action.status)) ?? request;
  actions.runInBackground(`publish ${request.id}`, () => actions.publisher.publish(updated));
  return cardReply(
    toApprovalCard(updated, viewFor(actions, updated, actor), ctx.now, ctx.i18n),
    ctx.i18n.t('approvals.cancellationRequested', { id: request.id }),
  );
}

/** "cancel action <id>": cancels any pending Defender action by its id, with the requester's own token. */
export async function cancelMachineAction(
  ctx: CommandContext,
  actions: ResponseActions,
  machineActionId: string,
): Promise<Reply> {
  const actor = actorOf(ctx);
  if (!canRequest(actions.service.policy, actor.roles)) {
    await actions.service.auditRefusal('', actor, 'missingRole', 'action.cancel');
    return text(ctx.i18n.t('approvals.cancelRoleNeeded', { roles: actions.service.policy.requesterRoles.join(', ') }));
  }
  try {
    const action = await ctx.defender.cancelMachineAction(
      ctx.auth,
      machineActionId,
      `Cancelled via Teams by ${actor.person.userPrincipalName}`,
    );
    return text(
      ctx.i18n.t('approvals.cancellationSent', {
        type: action.type,
        device: action.computerDnsName ?? action.machineId,
        status: action.status,
      }),
    );
  } catch (err) {
    if (isAppError(err, 'badRequest')) return text(ctx.i18n.t('approvals.alreadyFinished'));
    throw err;
  }
}

/** "actions on X": the device's response actions in Defender, newest first. */
export async function listDeviceActions(ctx: CommandContext, typed: string): Promise<Reply> {
  const resolution = await resolveDevice(ctx.defender, ctx.auth, typed);
  if (resolution.kind !== 'found') {
    return deviceChoiceReply(resolution, (device) => ({ verb: 'device.show', data: { device } }), ctx.now, ctx.i18n);
  }
  const machine = resolution.machine;
  const result = await ctx.defender.listMachineActions(ctx.auth, {
    filter: compare('machineId', 'eq', machine.id),
    max: 25,
  });
  const rows = [...result.items]
    .sort((a, b) => Date.parse(b.creationDateTimeUtc) - Date.parse(a.creationDateTimeUtc))
    .map((a): RecordRow => ({
      title: `${a.type}${a.scope ? ` (${a.scope})` : ''}`,
      detail: `${a.requestor ?? ctx.i18n.t('approvals.actions.unknownRequestor')} · ${formatAge(a.creationDateTimeUtc, ctx.now)} · ${a.requestorComment ?? ''}`,
      status: actionStatusLabel(a, ctx.i18n),
    }));
  return cardReply(
    toRecordListCard(
      {
        heading: ctx.i18n.t('approvals.actions.heading'),
        subject: machine.computerDnsName,
        summary:
          rows.length === 0
            ? ctx.i18n.t('approvals.actions.none')
            : ctx.i18n.t('approvals.actions.count', { count: rows.length, more: result.truncated ? 'yes' : 'no' }),
        rows,
      },
      ctx.i18n,
    ),
    ctx.i18n.t('approvals.actions.summary', { device: machine.computerDnsName }),
  );
}

function actionStatusLabel(action: MachineAction, i18n: Translator): RecordRow['status'] {
  switch (action.status) {
    case 'Succeeded':
      return { text: i18n.t('approvals.status.succeeded'), color: 'good' };
    case 'Failed':
    case 'TimeOut':
      return {
        text: i18n.t(action.status === 'TimeOut' ? 'approvals.status.timedOut' : 'approvals.status.failed'),
        color: 'attention',
      };
    case 'Pending':
    case 'InProgress':
      return {
        text: i18n.t(action.status === 'Pending' ? 'approvals.status.pending' : 'approvals.status.inProgress'),
        color: 'warning',
      };
    default:
      return {
        text: i18n.t(action.status === 'Cancelled' ? 'approvals.status.cancelled' : 'approvals.status.unknown'),
        color: 'default',
      };
  }
}

/** "approvals": the requests of this tenant waiting for approval, each opening the reader's own view. */
export async function listApprovals(ctx: CommandContext, actions: ResponseActions): Promise<Reply> {
  const tenantId = ctx.tenant.id.toLowerCase();
  const pending = (await actions.service.openRequests())
    .filter((r) => r.tenantId.toLowerCase() === tenantId && r.state === 'pending')
    .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  const rows = pending.map((r): RecordRow => ({
    title: `${requestTitle(r).title}: ${requestTitle(r).subject}`,
    detail: ctx.i18n.t('approvals.list.detail', {
      name: r.requester.displayName,
      age: formatAge(r.createdAt, ctx.now),
      approved: r.approvals.length,
      required: r.requiredApprovals,
      id: r.id,
    }),
    status: { text: ctx.i18n.t('approvals.list.awaiting'), color: 'warning' },
    select: { verb: 'approval.view', data: { approvalId: r.id } },
  }));
  return cardReply(
    toRecordListCard(
      {
        heading: ctx.i18n.t('approvals.list.heading'),
        summary:
          rows.length === 0
            ? ctx.i18n.t('approvals.list.none')
            : ctx.i18n.t('approvals.list.count', { count: rows.length }),
        rows,
      },
      ctx.i18n,
    ),
    ctx.i18n.t('approvals.list.heading'),
  );
}

/** "audit": the last 20 audit entries, optionally for one device or one person (approvers and admins). */
export async function showAudit(
  ctx: CommandContext,
  actions: ResponseActions,
  filter: { device?: string | undefined; user?: string | undefined },
): Promise<Reply> {
  if (!ctx.user.appRoles.some((r) => r === 'SOC.Admin' || r === 'SOC.Approver')) {
    await actions.service.auditRefusal('', actorOf(ctx), 'missingRole', 'audit.show');
    return text(ctx.i18n.t('approvals.audit.forbidden'));
  }
  let deviceId: string | undefined;
  let subject: string | undefined;
  if (filter.device) {
    const resolution = await resolveDevice(ctx.defender, ctx.auth, filter.device);
    if (resolution.kind !== 'found') {
      return deviceChoiceReply(resolution, (device) => ({ verb: 'device.show', data: { device } }), ctx.now, ctx.i18n);
    }
    deviceId = resolution.machine.id;
    subject = resolution.machine.computerDnsName;
  }
  const entries = await actions.audit.recent({
    limit: 20,
    tenantId: ctx.tenant.id,
    ...(deviceId ? { deviceId } : {}),
    ...(filter.user ? { userPrincipalName: filter.user } : {}),
  });
  const rows = entries.map((e): RecordRow => ({
    title: `${e.type}${e.action ? ` · ${e.action}` : ''}${e.device ? ` · ${e.device.name}` : ''}`,
    detail: `${'userPrincipalName' in e.actor ? e.actor.userPrincipalName : 'bot'} · ${formatAge(e.at, ctx.now)}${e.approvalId ? ` · ${e.approvalId}` : ''}${
      e.detail ? ` · ${typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail)}` : ''
    }`,
    status:
      e.type === 'approval.refused'
        ? { text: ctx.i18n.t('approvals.audit.refused'), color: 'attention' }
        : { text: e.type.split('.')[1] ?? e.type, color: 'default' },
  }));
  return cardReply(
    toRecordListCard(
      {
        heading: ctx.i18n.t('approvals.audit.heading'),
        ...(subject ? { subject } : filter.user ? { subject: filter.user } : {}),
        summary:
          rows.length === 0
            ? ctx.i18n.t('approvals.audit.none')
            : ctx.i18n.t('approvals.audit.count', { count: rows.length }),
        rows,
      },
      ctx.i18n,
    ),
    ctx.i18n.t('approvals.audit.heading'),
  );
}

/** "use this channel for approvals": an admin makes this conversation the approvers' one. */
export async function useConversationForApprovals(
  ctx: CommandContext,
  actions: ResponseActions,
  conversation: ConversationPort | undefined,
): Promise<Reply> {
  if (!ctx.user.appRoles.includes('SOC.Admin')) {
    await actions.service.auditRefusal('', actorOf(ctx), 'missingRole', 'approvals.useChannel');
    return text(ctx.i18n.t('approvals.channel.adminNeeded'));
  }
  if (!conversation || conversation.kind === 'personal') return text(ctx.i18n.t('approvals.channel.notPersonal'));
  await actions.settings.setApprovalsChannel(ctx.tenant.id, {
    address: conversation.postAddress,
    conversationId: conversation.postConversationId,
    setBy: actorOf(ctx).person,
    setAt: ctx.now.toISOString(),
  });
  return text(ctx.i18n.t('approvals.channel.set'));
}
