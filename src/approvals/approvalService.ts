import { setTimeout as sleep } from 'node:timers/promises';
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../errors';
import { isETagConflict } from '../storage/storageError';
import type { Storage, StoreItem } from '../storage/storage';
import { CREATE_ONLY_ETAG } from '../storage/storage';
import type { ApprovalPolicy } from './approvalPolicy';
import { approverRoleFor, requiredApprovals } from './approvalPolicy';
import { isActionSupported } from './osSupport';
import type {
  ActionApprovalRequest,
  ActionDraft,
  ApprovalRequest,
  IncidentApprovalRequest,
  IncidentResolution,
  IncidentSnapshot,
  ApprovalState,
  CardLocation,
  Person,
  RefusalReason,
  ResponseActionKind,
  ActionParameters,
  DeviceSnapshot,
  Execution,
} from './approvalTypes';
import { FINAL_STATES, INCIDENT_RESOLUTION, isActionRequest } from './approvalTypes';
import type { AuditSink } from './auditSink';

/** Who clicks: the person from their validated token, the tenant of the activity, their app roles. */
export interface Actor {
  person: Person;
  /** The Defender tenant the actor is acting in (a customer's, in partner context). */
  tenantId: string;
  /** Partner context: the customer's name, recorded on what the actor creates so every card names it. */
  customerName?: string | undefined;
  roles: string[];
}

/** The outcome of a click: what changed, or why nothing did. */
export type ClickOutcome =
  | { outcome: 'recorded'; request: ApprovalRequest }
  | { outcome: 'execute'; request: ApprovalRequest }
  | { outcome: 'refused'; reason: RefusalReason; request: ApprovalRequest | undefined };

const DRAFT_TTL_MS = 15 * 60_000;
const MAX_WRITE_ATTEMPTS = 20;
const OPEN_INDEX_KEY = 'approvals/open';

type Stored<T> = T & StoreItem;
type Mutation = { request: ApprovalRequest; result: ClickOutcome } | { refuse: RefusalReason };

/**
 * The approval records and every transition between their states. Each transition is a conditional write
 * (eTag) of the stored record: of two clicks racing — a double click, a Teams retry, two approvers — one
 * wins and the other re-reads the new state and is refused or recorded accordingly, so a request reaches
 * `executing` (the only state that leads to a Defender call) exactly once.
 */
export class ApprovalService {
  private readonly now: () => Date;

  constructor(
    private readonly options: {
      storage: Storage;
      policy: ApprovalPolicy;
      audit: AuditSink;
      now?: () => Date;
      /** This bot instance, recorded on each execution it starts (default 'single'). */
      instanceId?: string;
    },
  ) {
    this.now = options.now ?? (() => new Date());
  }

  private get instanceId(): string {
    return this.options.instanceId ?? 'single';
  }

  /**
   * Creates the open-requests index if the store has none. Called once at start-up, before any request:
   * afterwards every index update is a conditional write (a store may not check eTags of missing keys).
   */
  async initialise(): Promise<void> {
    const current = (await this.options.storage.read([OPEN_INDEX_KEY]))[OPEN_INDEX_KEY];
    if (!current) await this.options.storage.write({ [OPEN_INDEX_KEY]: { ids: [], eTag: '*' } });
  }

  get policy(): ApprovalPolicy {
    return this.options.policy;
  }

  /** Stores what the requester is about to confirm; the confirmation card carries only the draft id. */
  async createDraft(input: {
    tenantId: string;
    kind: ResponseActionKind;
    parameters: ActionParameters;
    device: DeviceSnapshot;
    requester: Person;
    customerName?: string | undefined;
  }): Promise<ActionDraft> {
    const now = this.now();
    const draft: ActionDraft = {
      id: newId('D'),
      ...input,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + DRAFT_TTL_MS).toISOString(),
    };
    await this.options.storage.write({ [draftKey(draft.id)]: { ...draft, eTag: '*' } });
    return draft;
  }

  /**
   * Turns a draft into an approval request, once: only its requester, only before it expires, and the draft
   * is consumed by the same conditional write (a double click creates one request).
   */
  async confirmDraft(
    draftId: string,
    actor: Actor,
    reason: string,
    overrides: Pick<ActionParameters, 'isolationType' | 'scanType'> = {},
  ): Promise<{ request: ActionApprovalRequest; created: boolean } | { refuse: RefusalReason }> {
    const trimmed = reason.trim();
    if (trimmed.length < 3) return { refuse: 'reasonRequired' };
    const key = draftKey(draftId);
    const stored = (await this.options.storage.read([key]))[key] as
      Stored<ActionDraft & { consumed?: string }> | undefined;
    if (!stored) return { refuse: 'notFound' };
    if (stored.tenantId !== actor.tenantId) return { refuse: 'otherTenant' };
    if (stored.requester.aadObjectId.toLowerCase() !== actor.person.aadObjectId.toLowerCase())
      return { refuse: 'notRequester' };
    if (stored.consumed) {
      const existing = await this.get(stored.consumed);
      return existing && isActionRequest(existing) ? { request: existing, created: false } : { refuse: 'notFound' };
    }
    if (Date.parse(stored.expiresAt) <= this.now().getTime()) return { refuse: 'expired' };

    const now = this.now();
    // The confirmation card may change the isolation or scan type of its own action, nothing else.
    const parameters: ActionParameters = {
      ...stored.parameters,
      ...(stored.kind === 'isolate' && overrides.isolationType ? { isolationType: overrides.isolationType } : {}),
      ...(stored.kind === 'runAntiVirusScan' && overrides.scanType ? { scanType: overrides.scanType } : {}),
    };
    // The card's choice is checked again: selective isolation runs on Windows only (osSupport.ts).
    if (!isActionSupported(stored.kind, stored.device.osPlatform, parameters))
      return { refuse: 'notSupportedOnDevice' };
    const { count, note } = requiredApprovals(this.policy, stored.kind, parameters, stored.device);
    const id = newId('A');
    const base = {
      id,
      tenantId: stored.tenantId,
      ...(stored.customerName !== undefined ? { customerName: stored.customerName } : {}),
      kind: stored.kind,
      parameters,
      device: stored.device,
      requester: stored.requester,
      reason: trimmed.slice(0, 500),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.policy.expiryMinutes * 60_000).toISOString(),
      requiredApprovals: count,
      riskNote: note,
      approverRole: approverRoleFor(this.policy, stored.kind),
      approvals: [],
      stateChangedAt: now.toISOString(),
      refusedByDefender: [],
      cards: [],
    };
    const payloadHash = hashPayload(base);
    // A request that needs nobody's approval runs at once, with the requester's own token.
    const request: ActionApprovalRequest =
      count === 0
        ? {
            ...base,
            payloadHash,
            state: 'executing',
            execution: { by: stored.requester, startedAt: now.toISOString(), instanceId: this.instanceId },
          }
        : { ...base, payloadHash, state: 'pending' };

    // Consume the draft first (conditional): of two confirmations, one creates the request.
    try {
      await this.options.storage.write({ [key]: { ...stored, consumed: id, eTag: stored.eTag } });
    } catch (err) {
      if (!isConflict(err)) throw err;
      return this.confirmDraft(draftId, actor, reason, overrides);
    }
    await this.options.storage.write({ [requestKey(id)]: { ...request, eTag: '*' } });
    await this.updateOpenIndex((ids) => [...ids, id]);
    await this.audit(request, 'approval.requested', request.requester, {
      reason: request.reason,
      requiredApprovals: count,
    });
    return { request, created: true };
  }

  /**
   * Files a request to resolve an incident (four eyes, src/incidents/resolutionPolicy.ts): one approver with the
   * approver role, never the requester. Created pending at once (the requester confirmed by asking); the caller
   * has checked the classification/determination pair and that no other request for the incident is open.
   */
  async createIncidentRequest(input: {
    tenantId: string;
    incident: IncidentSnapshot;
    parameters: IncidentResolution;
    requester: Person;
    riskNote: string;
    customerName?: string | undefined;
  }): Promise<{ created: IncidentApprovalRequest } | { existing: ApprovalRequest }> {
    const now = this.now();
    const base = {
      id: newId('A'),
      tenantId: input.tenantId,
      ...(input.customerName !== undefined ? { customerName: input.customerName } : {}),
      kind: INCIDENT_RESOLUTION,
      parameters: input.parameters,
      incident: input.incident,
      requester: input.requester,
      reason: input.parameters.comment.slice(0, 500),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.policy.expiryMinutes * 60_000).toISOString(),
      requiredApprovals: 1,
      riskNote: input.riskNote,
      approverRole: approverRoleFor(this.policy, INCIDENT_RESOLUTION),
      approvals: [],
      stateChangedAt: now.toISOString(),
      refusedByDefender: [],
      cards: [],
    } satisfies Omit<IncidentApprovalRequest, 'payloadHash' | 'state'>;
    const request: IncidentApprovalRequest = { ...base, payloadHash: hashPayload(base), state: 'pending' };
    // One open request per incident, also under a double click or on two instances: the incident's claim record
    // names the request that holds it, taken with a conditional write; a final (or expired) holder gives it up.
    const existing = await this.claimIncident(input.tenantId, input.incident.id, request.id);
    if (existing) return { existing };
    await this.options.storage.write({ [requestKey(request.id)]: { ...request, eTag: '*' } });
    try {
      // Audited before it is listed as open: a request the trail could not record is never offered to approvers.
      await this.audit(request, 'approval.requested', request.requester, {
        reason: request.reason,
        requiredApprovals: 1,
        classification: request.parameters.classification,
        determination: request.parameters.determination,
      });
    } catch (err) {
      await this.options.storage
        .delete([requestKey(request.id), incidentClaimKey(input.tenantId, input.incident.id)])
        .catch(() => undefined);
      throw err;
    }
    await this.updateOpenIndex((ids) => [...ids, request.id]);
    return { created: request };
  }

  /**
   * Takes the incident's claim for `requestId`, or returns the open request that holds it. A holder that is final,
   * expired or gone releases it (the claim is overwritten under its eTag, so two takers cannot both win).
   */
  private async claimIncident(
    tenantId: string,
    incidentId: string,
    requestId: string,
  ): Promise<ApprovalRequest | undefined> {
    const key = incidentClaimKey(tenantId, incidentId);
    for (let attempt = 0; attempt < 3; attempt++) {
      const claim = (await this.options.storage.read([key]))[key] as Stored<{ requestId: string }> | undefined;
      if (claim) {
        const holder = await this.get(claim.requestId);
        if (holder && !FINAL_STATES.has(holder.state)) return holder;
      }
      try {
        await this.options.storage.write({ [key]: { requestId, eTag: claim?.eTag ?? CREATE_ONLY_ETAG } });
        return undefined;
      } catch (err) {
        if (!isETagConflict(err)) throw err;
        // Someone else took it between the read and the write: read again and answer with theirs.
      }
    }
    throw new AppError('storageUnavailable', 'the incident claim kept changing');
  }

  /**
   * The approver's PATCH of an incident resolution ended (an incident is final at once: nothing to track).
   * `resolved`: Graph shows the incident resolved as asked (`commentAdded`: whether the comment naming the
   * approval made it too). `alreadyResolved`: the approver's re-read found it resolved by someone else meanwhile;
   * nothing was written.
   */
  markIncidentOutcome(
    id: string,
    outcome:
      | { kind: 'resolved'; commentAdded: boolean }
      | {
          kind: 'alreadyResolved';
          assignedTo: string | null;
          classification: string | null;
          determination: string | null;
        }
      | { kind: 'changedSinceRequested'; changed: string[] },
  ): Promise<ApprovalRequest | undefined> {
    if (outcome.kind === 'changedSinceRequested') {
      // The approver saw the request's snapshot, not what the incident became: nothing is written over it.
      return this.systemUpdate(
        id,
        'action.failedToSubmit',
        (r) => {
          if (r.state !== 'executing' || !r.execution || isActionRequest(r)) return undefined;
          return {
            ...r,
            state: 'failed',
            stateChangedAt: this.now().toISOString(),
            execution: { ...r.execution, failure: 'ChangedSinceRequested', changedSinceRequested: outcome.changed },
          };
        },
        { outcome: 'changedSinceRequested', changed: outcome.changed.join(',') },
      );
    }
    return this.systemUpdate(
      id,
      outcome.kind === 'resolved' ? 'action.submitted' : 'action.duplicate',
      (r) => {
        if (r.state !== 'executing' || !r.execution || isActionRequest(r)) return undefined;
        const now = this.now().toISOString();
        if (outcome.kind === 'resolved') {
          return {
            ...r,
            state: 'succeeded',
            stateChangedAt: now,
            execution: { ...r.execution, commentAdded: outcome.commentAdded },
          };
        }
        const { kind: _kind, ...alreadyResolved } = outcome;
        return {
          ...r,
          state: 'alreadyRequested',
          stateChangedAt: now,
          execution: { ...r.execution, alreadyResolved, failure: 'AlreadyResolved' },
        };
      },
      outcome.kind === 'resolved'
        ? { outcome: 'resolved', commentAdded: outcome.commentAdded }
        : { outcome: 'alreadyResolved', assignedTo: outcome.assignedTo },
    );
  }

  /** The request as stored, with an overdue pending request shown (and recorded) as expired. */
  async get(id: string): Promise<ApprovalRequest | undefined> {
    const stored = await this.read(id);
    if (!stored) return undefined;
    if (stored.state === 'pending' && this.isOverdue(stored)) {
      return (await this.expire(id)) ?? stripETag(stored);
    }
    return stripETag(stored);
  }

  /** The request exactly as stored (no expiry recorded on the way): for reads that must not change anything. */
  async peek(id: string): Promise<ApprovalRequest | undefined> {
    const stored = await this.read(id);
    return stored ? stripETag(stored) : undefined;
  }

  /**
   * An approver's approval: recorded, or — the last one needed — the request moves to `executing`. The policy
   * is applied again at the click (README "Policy"): the stricter of what it required when the request was made
   * and what it requires now — the current policy on the device as the approver's Defender shows it now
   * (`device`, when the caller could read it), so a device tagged VIP since the request needs its second approver
   * — and the approver must hold both the role the request was made with and the one the policy names now.
   */
  approve(id: string, actor: Actor, comment: string, device?: DeviceSnapshot): Promise<ClickOutcome> {
    return this.transition(id, actor, 'approval.approved', (stored) => {
      const request = this.withRulesAtClick(stored, device);
      const refusal = this.approverRefusal(request, actor);
      if (refusal) return { refuse: refusal };
      const now = this.now().toISOString();
      const approvals = [
        ...request.approvals,
        { person: actor.person, comment: comment.trim().slice(0, 500), at: now },
      ];
      if (approvals.length >= request.requiredApprovals) {
        const next: ApprovalRequest = {
          ...request,
          approvals,
          state: 'executing',
          stateChangedAt: now,
          execution: { by: actor.person, startedAt: now, instanceId: this.instanceId },
        };
        return { request: next, result: { outcome: 'execute', request: next } };
      }
      const next = { ...request, approvals };
      return { request: next, result: { outcome: 'recorded', request: next } };
    });
  }

  /** The request with the stricter quorum of request time and now (the device as the approver sees it). */
  private withRulesAtClick(request: ApprovalRequest, device: DeviceSnapshot | undefined): ApprovalRequest {
    if (request.state !== 'pending' || !isActionRequest(request)) return request;
    const now = requiredApprovals(this.policy, request.kind, request.parameters, device ?? request.device);
    if (now.count <= request.requiredApprovals) return request;
    return { ...request, requiredApprovals: now.count, riskNote: `${now.note} (policy at approval time)` };
  }

  /** An approver's rejection (a comment is required): the request ends, nothing is executed. */
  reject(id: string, actor: Actor, comment: string): Promise<ClickOutcome> {
    return this.transition(id, actor, 'approval.rejected', (request) => {
      const refusal = this.approverRefusal(request, actor);
      if (refusal && refusal !== 'alreadyApprovedByYou' && refusal !== 'refusedByDefenderBefore')
        return { refuse: refusal };
      if (comment.trim().length < 3) return { refuse: 'commentRequired' };
      const now = this.now().toISOString();
      const next: ApprovalRequest = {
        ...request,
        state: 'rejected',
        stateChangedAt: now,
        rejection: { person: actor.person, comment: comment.trim().slice(0, 500), at: now },
      };
      return { request: next, result: { outcome: 'recorded', request: next } };
    });
  }

  /** The requester takes their request back before it is decided. */
  withdraw(id: string, actor: Actor): Promise<ClickOutcome> {
    return this.transition(id, actor, 'approval.cancelled', (request) => {
      if (!samePerson(request.requester, actor.person)) return { refuse: 'notRequester' };
      if (request.state !== 'pending') return { refuse: 'alreadyDecided' };
      const now = this.now().toISOString();
      const next: ApprovalRequest = {
        ...request,
        state: 'withdrawn',
        stateChangedAt: now,
        cancellation: { by: actor.person, at: now, comment: 'withdrawn by the requester' },
      };
      return { request: next, result: { outcome: 'recorded', request: next } };
    });
  }

  /**
   * Defender has the action: it accepted the send (201), a reconciliation found it after an ambiguous answer,
   * or (`existing`) Defender was already running the same action for the device and the request follows that
   * one instead of sending another. The request is tracked until Defender's final status.
   */
  markSubmitted(
    id: string,
    action: { id: string; status: string; creationDateTimeUtc?: string | null | undefined },
    how: { found: 'accepted' | 'reconciled' } | { found: 'existing'; requestor: string | null },
  ): Promise<ApprovalRequest | undefined> {
    const now = this.now().toISOString();
    return this.systemUpdate(
      id,
      how.found === 'existing' ? 'action.duplicate' : 'action.submitted',
      (r) =>
        r.state !== 'executing' || !r.execution
          ? undefined
          : {
              ...r,
              // Found after the fact (a reconciliation, an action someone else started) it may have ended already.
              state: DEFENDER_FINAL[action.status] ?? 'submitted',
              stateChangedAt: now,
              execution: {
                ...withoutChecking(r.execution),
                defenderActionId: action.id,
                defenderStatus: action.status,
                ...(action.creationDateTimeUtc ? { defenderCreatedAt: action.creationDateTimeUtc } : {}),
                statusChangedAt: now,
                lastCheckedAt: now,
                ...(how.found === 'existing'
                  ? { existing: { requestor: how.requestor, createdAt: action.creationDateTimeUtc ?? null } }
                  : {}),
              },
            },
      { defenderActionId: action.id, status: action.status, found: how.found },
    );
  }

  /**
   * Defender's answer to a send was ambiguous (src/http/writeOutcome.ts): the request stays `executing` and is
   * marked as being checked; nothing is sent again until a reconciliation shows Defender has no such action.
   */
  markChecking(id: string, reason: string): Promise<ApprovalRequest | undefined> {
    const now = this.now().toISOString();
    return this.systemUpdate(
      id,
      'action.outcomeUncertain',
      (r) =>
        r.state !== 'executing' || !r.execution || r.execution.checking
          ? undefined
          : {
              ...r,
              execution: {
                ...r.execution,
                checking: { since: now, reason },
                // The outcome settles counting from when the client gave up on the answer.
                lastSentAt: now,
                attempts: r.execution.attempts ?? 1,
              },
            },
      { reason },
      { auditAlways: true },
    );
  }

  /**
   * A reconciliation after the ambiguous outcome settled found no action: the request is sent once more
   * under the same approval (never a third time), and the record says so before it is sent.
   */
  markResent(id: string): Promise<ApprovalRequest | undefined> {
    const now = this.now().toISOString();
    return this.systemUpdate(
      id,
      'action.resubmitted',
      (r) =>
        r.state !== 'executing' ||
        !r.execution?.checking ||
        (r.execution.attempts ?? 1) >= 2 ||
        (r.execution.instanceId ?? this.instanceId) !== this.instanceId
          ? undefined
          : { ...r, execution: { ...withoutChecking(r.execution), attempts: 2, lastSentAt: now } },
      { attempt: 2 },
      { auditAlways: true },
    );
  }

  /**
   * Defender refused or failed the submission. `forbidden`: this approver lacks the Defender permission for
   * this device — the request goes back to pending without their approval, for another approver. `notSent`: the
   * approver's own token could not be had, so nothing was sent — pending again, and they may approve again.
   * `duplicate`: an action of this type is already pending in Defender. Anything else: failed.
   */
  markExecutionFailed(
    id: string,
    failure: {
      kind: 'forbidden' | 'notSent' | 'duplicate' | 'failed' | 'interrupted';
      code: string;
      existingActionId?: string;
    },
    /** The send the conclusion is about: refused when another send happened since (a re-send by its executor). */
    judged?: ApprovalRequest,
  ): Promise<ApprovalRequest | undefined> {
    const type = failure.kind === 'duplicate' ? 'action.duplicate' : 'action.failedToSubmit';
    return this.systemUpdate(
      id,
      type,
      (r) => {
        if (r.state !== 'executing' || !r.execution) return undefined;
        if (
          judged &&
          (r.execution.lastSentAt !== judged.execution?.lastSentAt ||
            (r.execution.attempts ?? 1) !== (judged.execution?.attempts ?? 1))
        )
          return undefined;
        const now = this.now().toISOString();
        if (failure.kind === 'notSent' || failure.kind === 'forbidden') {
          // Pending again without this approver's approval. Refused by Defender: they may not approve again.
          // Not sent (no token of theirs): nothing left this process, and they may approve after signing in.
          const by = r.execution.by;
          return {
            ...r,
            state: 'pending',
            stateChangedAt: now,
            approvals: r.approvals.filter((a) => !samePerson(a.person, by)),
            ...(failure.kind === 'forbidden'
              ? { refusedByDefender: [...r.refusedByDefender, by] }
              : { notSent: { by, code: failure.code, at: now } }),
            execution: undefined,
          };
        }
        const state: ApprovalState = failure.kind === 'duplicate' ? 'alreadyRequested' : failure.kind;
        return {
          ...r,
          state,
          stateChangedAt: now,
          execution: {
            ...withoutChecking(r.execution),
            failure: failure.code,
            ...(failure.existingActionId ? { defenderActionId: failure.existingActionId } : {}),
          },
        };
      },
      { code: failure.code, kind: failure.kind },
    );
  }

  /** A new Defender status of a submitted action; a final one ends the request. */
  markStatus(id: string, status: string): Promise<ApprovalRequest | undefined> {
    return this.systemUpdate(
      id,
      'action.statusChanged',
      (r) => {
        if (r.state !== 'submitted' || !r.execution) return undefined;
        const now = this.now().toISOString();
        const finalState = DEFENDER_FINAL[status];
        if (!finalState && r.execution.defenderStatus === status)
          return { ...r, execution: { ...r.execution, lastCheckedAt: now } };
        return {
          ...r,
          ...(finalState ? { state: finalState, stateChangedAt: now } : {}),
          execution: { ...r.execution, defenderStatus: status, statusChangedAt: now, lastCheckedAt: now },
        };
      },
      { status },
    );
  }

  /** The requester or an approver asked Defender to cancel the pending action. */
  async recordCancelRequest(id: string, actor: Actor, comment: string): Promise<void> {
    const request = await this.read(id);
    if (request) await this.audit(request, 'action.cancelRequested', actor.person, { comment });
  }

  /** Who may ask Defender to cancel this request's action while it is pending there. */
  canCancel(request: ApprovalRequest, actor: Actor): RefusalReason | undefined {
    if (request.tenantId !== actor.tenantId) return 'otherTenant';
    if (request.state !== 'submitted' || !['Pending', 'InProgress'].includes(request.execution?.defenderStatus ?? '')) {
      return 'notCancellable';
    }
    if (samePerson(request.requester, actor.person)) return undefined;
    if (this.approverRoles(request).every((role) => actor.roles.includes(role))) return undefined;
    return 'missingRole';
  }

  /** Records where a card about the request was posted (so it can be updated in place). */
  addCard(id: string, card: CardLocation): Promise<ApprovalRequest | undefined> {
    return this.systemUpdate(id, undefined, (r) => ({ ...r, cards: [...r.cards, card].slice(-10) }));
  }

  /** Forgets a card location Teams no longer has (deleted message, bot removed). */
  removeCard(id: string, activityId: string): Promise<ApprovalRequest | undefined> {
    return this.systemUpdate(id, undefined, (r) => ({
      ...r,
      cards: r.cards.filter((c) => c.activityId !== activityId),
    }));
  }

  /** Requests not yet in a final state (pending, executing, submitted). */
  async openRequests(): Promise<ApprovalRequest[]> {
    const index = (await this.options.storage.read([OPEN_INDEX_KEY]))[OPEN_INDEX_KEY] as
      Stored<{ ids: string[] }> | undefined;
    const ids = index?.ids ?? [];
    if (ids.length === 0) return [];
    const items = await this.options.storage.read(ids.map(requestKey));
    const requests = ids
      .map((id) => items[requestKey(id)] as Stored<ApprovalRequest> | undefined)
      .filter((r): r is Stored<ApprovalRequest> => r !== undefined)
      .map(stripETag);
    // The record decides, not the index: a request that ended while its index update lost every race (many
    // writers at once) is not open, and the index is mended on the way.
    const ended = requests.filter((r) => FINAL_STATES.has(r.state)).map((r) => r.id);
    if (ended.length > 0) {
      await this.updateOpenIndex((current) => current.filter((id) => !ended.includes(id))).catch(() => undefined);
    }
    return requests.filter((r) => !FINAL_STATES.has(r.state));
  }

  /**
   * Records every overdue pending request as expired; returns them so their cards can be updated. `open`: the open
   * requests the caller has just read (each expiry re-reads its record under a conditional write anyway).
   */
  async expireDue(open?: ApprovalRequest[]): Promise<ApprovalRequest[]> {
    const expired: ApprovalRequest[] = [];
    for (const request of open ?? (await this.openRequests())) {
      if (request.state === 'pending' && this.isOverdue(request)) {
        const updated = await this.expire(request.id);
        if (updated) expired.push(updated);
      }
    }
    return expired;
  }

  /** Audits a refused click (who tried what, and why it was refused). */
  async auditRefusal(id: string, actor: Actor, reason: RefusalReason, verb: string): Promise<void> {
    const found = id ? await this.read(id).catch(() => undefined) : undefined;
    // Another tenant's request is named by its id only: its device and payload stay out of this tenant's trail.
    const request = found && found.tenantId.toLowerCase() === actor.tenantId.toLowerCase() ? found : undefined;
    await this.options.audit.append({
      type: 'approval.refused',
      tenantId: actor.tenantId,
      actor: { aadObjectId: actor.person.aadObjectId, userPrincipalName: actor.person.userPrincipalName },
      // Refusals before any request exists (no requester role, an action the device cannot run) have no id.
      ...(id ? { approvalId: id } : {}),
      ...(request ? { ...subjectOf(request), action: request.kind, payloadHash: request.payloadHash } : {}),
      detail: { reason, verb, ...(request && !isActionRequest(request) ? { incidentId: request.incident.id } : {}) },
    });
  }

  /** The roles an approver of this request needs now: the one it was made with and the one the policy names today. */
  approverRoles(request: ApprovalRequest): string[] {
    return [...new Set([request.approverRole, approverRoleFor(this.policy, request.kind)])];
  }

  private approverRefusal(request: ApprovalRequest, actor: Actor): RefusalReason | undefined {
    // Expired by the tracker's round or only overdue: either way the approver hears that it expired.
    if (request.state === 'expired' || (request.state === 'pending' && this.isOverdue(request))) return 'expired';
    if (request.state !== 'pending') return 'alreadyDecided';
    if (samePerson(request.requester, actor.person)) return 'selfApproval';
    if (!this.approverRoles(request).every((role) => actor.roles.includes(role))) return 'missingRole';
    if (request.approvals.some((a) => samePerson(a.person, actor.person))) return 'alreadyApprovedByYou';
    if (request.refusedByDefender.some((p) => samePerson(p, actor.person))) return 'refusedByDefenderBefore';
    return undefined;
  }

  private isOverdue(request: ApprovalRequest): boolean {
    return Date.parse(request.expiresAt) <= this.now().getTime();
  }

  /**
   * Partner context: a customer was offboarded. Its requests still awaiting a decision expire now (nothing can be
   * approved for a tenant the provider no longer serves); returns them so their cards say so. Requests already sent
   * to Defender are Defender's: the bot stops following them (its application identity is refused there).
   */
  async expireTenant(tenantId: string): Promise<ApprovalRequest[]> {
    const expired: ApprovalRequest[] = [];
    const tenant = tenantId.toLowerCase();
    for (const request of await this.openRequests()) {
      if (request.tenantId.toLowerCase() !== tenant || request.state !== 'pending') continue;
      const updated = await this.systemUpdate(request.id, 'approval.expired', (r) =>
        r.state === 'pending' ? { ...r, state: 'expired', stateChangedAt: this.now().toISOString() } : undefined,
      );
      if (updated) expired.push(updated);
    }
    return expired;
  }

  private expire(id: string): Promise<ApprovalRequest | undefined> {
    return this.systemUpdate(id, 'approval.expired', (r) =>
      r.state === 'pending' && this.isOverdue(r)
        ? { ...r, state: 'expired', stateChangedAt: this.now().toISOString() }
        : undefined,
    );
  }

  /** A click: tenant check, then the mutation under a conditional write, retried on conflict. */
  private async transition(
    id: string,
    actor: Actor,
    auditType: 'approval.approved' | 'approval.rejected' | 'approval.cancelled',
    mutate: (request: ApprovalRequest) => Mutation,
  ): Promise<ClickOutcome> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const stored = await this.read(id);
      if (!stored) return this.refused(id, actor, 'notFound', undefined, auditType);
      const request = stripETag(stored);
      if (request.tenantId.toLowerCase() !== actor.tenantId.toLowerCase()) {
        return this.refused(id, actor, 'otherTenant', undefined, auditType);
      }
      if (request.state === 'pending' && this.isOverdue(request)) {
        const expired = (await this.expire(id)) ?? request;
        return this.refused(id, actor, 'expired', expired, auditType);
      }
      const mutation = mutate(request);
      if ('refuse' in mutation) return this.refused(id, actor, mutation.refuse, request, auditType);
      try {
        await this.options.storage.write({ [requestKey(id)]: { ...mutation.request, eTag: stored.eTag } });
      } catch (err) {
        if (isConflict(err)) continue;
        throw err;
      }
      if (FINAL_STATES.has(mutation.request.state))
        await this.updateOpenIndex((ids) => ids.filter((x) => x !== id)).catch(() => undefined); // mended later
      await this.audit(mutation.request, auditType, actor.person, {
        comment:
          auditType === 'approval.approved'
            ? mutation.request.approvals.at(-1)?.comment
            : mutation.request.rejection?.comment,
        outcome: mutation.result.outcome,
      });
      return mutation.result;
    }
    throw new AppError('internal', 'approval record kept changing under concurrent writes');
  }

  private async refused(
    id: string,
    actor: Actor,
    reason: RefusalReason,
    request: ApprovalRequest | undefined,
    verb: string,
  ): Promise<ClickOutcome> {
    await this.auditRefusal(id, actor, reason, verb);
    return { outcome: 'refused', reason, request };
  }

  /** A transition made by the bot itself (Defender's answers, expiry, card bookkeeping). */
  private async systemUpdate(
    id: string,
    auditType:
      | 'approval.expired'
      | 'action.submitted'
      | 'action.duplicate'
      | 'action.failedToSubmit'
      | 'action.statusChanged'
      | 'action.outcomeUncertain'
      | 'action.resubmitted'
      | undefined,
    mutate: (request: ApprovalRequest) => ApprovalRequest | undefined,
    detail?: Record<string, DetailValue>,
    options: { auditAlways?: boolean } = {},
  ): Promise<ApprovalRequest | undefined> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const stored = await this.read(id);
      if (!stored) return undefined;
      const before = stripETag(stored);
      const next = mutate(before);
      if (!next) return undefined;
      try {
        await this.options.storage.write({ [requestKey(id)]: { ...next, eTag: stored.eTag } });
      } catch (err) {
        if (isConflict(err)) continue;
        throw err;
      }
      if (FINAL_STATES.has(next.state) && !FINAL_STATES.has(before.state)) {
        // The record is already final; openRequests() mends an index that lost every race, so the audit below
        // is written whatever happens to the index.
        await this.updateOpenIndex((ids) => ids.filter((x) => x !== id)).catch(() => undefined);
      }
      if (
        auditType &&
        (options.auditAlways ||
          next.state !== before.state ||
          next.execution?.defenderStatus !== before.execution?.defenderStatus)
      ) {
        await this.audit(next, auditType, undefined, detail);
      }
      return next;
    }
    throw new AppError('internal', 'approval record kept changing under concurrent writes');
  }

  private async read(id: string): Promise<Stored<ApprovalRequest> | undefined> {
    if (!/^A-[A-Za-z0-9_-]{8,64}$/.test(id)) return undefined;
    const key = requestKey(id);
    return (await this.options.storage.read([key]))[key] as Stored<ApprovalRequest> | undefined;
  }

  private async updateOpenIndex(change: (ids: string[]) => string[]): Promise<void> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const current = (await this.options.storage.read([OPEN_INDEX_KEY]))[OPEN_INDEX_KEY] as
        Stored<{ ids: string[] }> | undefined;
      if (!current) throw new AppError('internal', 'approval store not initialised');
      const ids = [...new Set(change(current.ids))];
      try {
        await this.options.storage.write({ [OPEN_INDEX_KEY]: { ids, eTag: current.eTag } });
        return;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
      // Many writers at once (a batch of approvals, the tracker): back off a little, at random, so one wins.
      await sleep(Math.random() * 5 * (attempt + 1));
    }
    throw new AppError('internal', 'open-approvals index kept changing under concurrent writes');
  }

  private audit(
    request: ApprovalRequest,
    type: Parameters<AuditSink['append']>[0]['type'],
    actor: Person | undefined,
    detail?: Record<string, DetailValue>,
  ): Promise<unknown> {
    return this.options.audit.append({
      type,
      tenantId: request.tenantId,
      actor: actor ? { aadObjectId: actor.aadObjectId, userPrincipalName: actor.userPrincipalName } : { system: 'bot' },
      approvalId: request.id,
      ...subjectOf(request),
      action: request.kind,
      payloadHash: request.payloadHash,
      ...(request.execution?.defenderActionId ? { defenderActionId: request.execution.defenderActionId } : {}),
      // An incident has no device: its id is in the detail (the audit trail's fields are closed, see auditEntry.ts).
      ...(detail || !isActionRequest(request)
        ? {
            detail: withoutUndefined({
              ...(isActionRequest(request) ? {} : { incidentId: request.incident.id }),
              ...detail,
            }),
          }
        : {}),
    });
  }
}

/** Defender's final statuses and the request state each one ends in. */
const DEFENDER_FINAL: Record<string, ApprovalState | undefined> = {
  Succeeded: 'succeeded',
  Failed: 'failed',
  TimeOut: 'timedOut',
  Cancelled: 'cancelled',
};

/** The device an audit entry is about (incident resolutions name their incident in the detail instead). */
function subjectOf(request: ApprovalRequest): { device?: { id: string; name: string } } {
  return isActionRequest(request) ? { device: { id: request.device.id, name: request.device.name } } : {};
}

/** The record naming the one open resolution request of an incident. */
function incidentClaimKey(tenantId: string, incidentId: string): string {
  return `approvals/incident-claims/${tenantId.toLowerCase()}/${incidentId}`;
}

function requestKey(id: string): string {
  return `approvals/request/${id}`;
}

function draftKey(id: string): string {
  return `approvals/draft/${id}`;
}

/** Ids people can read aloud on a bridge call: a prefix and 12 url-safe characters. */
function newId(prefix: 'A' | 'D'): string {
  return `${prefix}-${randomBytes(9).toString('base64url')}`;
}

function withoutChecking(execution: Execution): Execution {
  const { checking: _checking, ...rest } = execution;
  return rest;
}

function samePerson(a: Person, b: Person): boolean {
  return a.aadObjectId.toLowerCase() === b.aadObjectId.toLowerCase();
}

function stripETag<T extends object>(item: T & { eTag?: string }): T {
  const { eTag: _eTag, ...rest } = item;
  return rest as T;
}

function isConflict(err: unknown): boolean {
  return err instanceof Error && /etag conflict/i.test(err.message);
}

type DetailValue = string | number | boolean | null | undefined;

function withoutUndefined(detail: Record<string, DetailValue>): Record<string, string | number | boolean | null> {
  return Object.fromEntries(Object.entries(detail).filter(([, v]) => v !== undefined)) as Record<
    string,
    string | number | boolean | null
  >;
}

/** sha256 of what is being approved: tenant, action, parameters, device (or incident), requester and reason. */
function hashPayload(
  request:
    Omit<ActionApprovalRequest, 'payloadHash' | 'state'> | Omit<IncidentApprovalRequest, 'payloadHash' | 'state'>,
): string {
  if (request.kind === INCIDENT_RESOLUTION) {
    const canonical = JSON.stringify([
      request.id,
      request.tenantId.toLowerCase(),
      request.kind,
      request.parameters.classification,
      request.parameters.determination,
      request.parameters.comment,
      request.incident.id,
      request.requester.aadObjectId.toLowerCase(),
      request.reason,
    ]);
    return createHash('sha256').update(canonical).digest('hex');
  }
  const canonical = JSON.stringify([
    request.id,
    request.tenantId.toLowerCase(),
    request.kind,
    request.parameters.isolationType ?? null,
    request.parameters.scanType ?? null,
    request.parameters.sha1 ?? null,
    request.device.id,
    request.requester.aadObjectId.toLowerCase(),
    request.reason,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
