import type { ResponseActionRequest } from '../defender/defenderClient';

/*
 * The approval domain as plain data. Nothing here knows Teams: a card location is an opaque address the bot
 * layer stores and reads back. Every record lives in storage and is read back by id on each click; a card
 * only ever carries an approval id and a verb.
 */

/** The response actions the bot offers (offboarding deliberately not: see README). */
export type ResponseActionKind = ResponseActionRequest['kind'];

/** Every kind, in the order help and cards list them. */
export const RESPONSE_ACTION_KINDS: readonly ResponseActionKind[] = [
  'isolate',
  'unisolate',
  'restrictCodeExecution',
  'unrestrictCodeExecution',
  'runAntiVirusScan',
  'collectInvestigationPackage',
  'stopAndQuarantineFile',
];

/** Options of an action beyond the device (validated when the request is made). */
export interface ActionParameters {
  isolationType?: 'Full' | 'Selective';
  scanType?: 'Quick' | 'Full';
  sha1?: string;
}

/** A person as the approval record remembers them (from their validated token). */
export interface Person {
  aadObjectId: string;
  userPrincipalName: string;
  displayName: string;
}

/** What the requester saw about the device when asking (read from Defender under their token). */
export interface DeviceSnapshot {
  id: string;
  name: string;
  osPlatform: string | null;
  deviceValue: string | null;
  tags: string[];
  group: string | null;
  healthStatus: string | null;
  lastSeen: string | null;
}

/** Where a card about the request was posted, so it can be updated in place (opaque to the domain). */
export interface CardLocation {
  address: unknown;
  activityId: string;
}

/**
 * The life of a request. pending → executing → submitted → succeeded | failed | timedOut | cancelled;
 * pending → rejected | expired | withdrawn; executing → alreadyRequested | failed | interrupted | pending
 * (Defender refused this approver: another may approve).
 */
export type ApprovalState =
  | 'pending'
  | 'executing'
  | 'submitted'
  | 'succeeded'
  | 'failed'
  | 'timedOut'
  | 'cancelled'
  | 'rejected'
  | 'expired'
  | 'withdrawn'
  | 'alreadyRequested'
  | 'interrupted';

/** States after which nothing more happens to the request. */
export const FINAL_STATES: ReadonlySet<ApprovalState> = new Set([
  'succeeded',
  'failed',
  'timedOut',
  'cancelled',
  'rejected',
  'expired',
  'withdrawn',
  'alreadyRequested',
  'interrupted',
]);

/** One decision of an approver. */
export interface Decision {
  person: Person;
  comment: string;
  at: string;
}

/** The request kind of an incident resolution (four eyes on closing an incident, README "Resolving incidents"). */
export const INCIDENT_RESOLUTION = 'resolveIncident';

/** Everything a request can ask for: a response action on a device, or resolving a Defender XDR incident. */
export type ApprovalKind = ResponseActionKind | typeof INCIDENT_RESOLUTION;

/** What the requester saw about the incident when asking (read from Graph under their token). */
export interface IncidentSnapshot {
  id: string;
  title: string;
  severity: string;
  status: string;
  classification: string | null;
  determination: string | null;
  assignedTo: string | null;
  /** Graph's `lastUpdateDateTime` at request time. */
  lastUpdateDateTime: string;
}

/** How the incident is to be resolved: a documented classification/determination pair and the comment. */
export interface IncidentResolution {
  classification: string;
  determination: string;
  comment: string;
}

/** Fields every approval request has, whatever it asks for. */
interface ApprovalRequestBase {
  id: string;
  /** The Defender tenant the request acts in; fixed at creation, the only tenant its execution may touch. */
  tenantId: string;
  /** Partner context: the customer's name as the requester saw it, shown on every card of the request. */
  customerName?: string | undefined;
  requester: Person;
  reason: string;
  createdAt: string;
  expiresAt: string;
  /** Distinct approvers needed (0 = the policy auto-approves this action). */
  requiredApprovals: number;
  /** Why that many (e.g. "High device value"), shown on the card. */
  riskNote: string;
  /** The app role an approver must hold. */
  approverRole: string;
  approvals: Decision[];
  rejection?: Decision;
  state: ApprovalState;
  stateChangedAt: string;
  /** Set when the request is executed: who executed it (their delegated token) and what Defender said. */
  execution?: Execution;
  /** Approvers whose execution Defender refused (403); they cannot approve this request again. */
  refusedByDefender: Person[];
  /**
   * The last approval that could not be sent because the approver's own token could not be had (sign-in, consent,
   * step-up): nothing reached the service, the request is pending again, and that approver may approve again.
   */
  notSent?: { by: Person; code: string; at: string };
  cancellation?: { by: Person; at: string; comment: string };
  cards: CardLocation[];
  /** sha256 of the canonical request payload; in every audit entry and in Defender's comment. */
  payloadHash: string;
}

/** A response action on a device (MDE machine action), tracked in Defender after it is sent. */
export interface ActionApprovalRequest extends ApprovalRequestBase {
  kind: ResponseActionKind;
  parameters: ActionParameters;
  device: DeviceSnapshot;
}

/** Resolving an incident through Microsoft Graph: final as soon as Graph answers (nothing to track). */
export interface IncidentApprovalRequest extends ApprovalRequestBase {
  kind: typeof INCIDENT_RESOLUTION;
  parameters: IncidentResolution;
  incident: IncidentSnapshot;
}

/** The stored approval request: the single source of truth for every card and every click. */
export type ApprovalRequest = ActionApprovalRequest | IncidentApprovalRequest;

/** True for a response action on a device (the only kind Defender tracks and the tracker follows). */
export function isActionRequest(request: ApprovalRequest): request is ActionApprovalRequest {
  return request.kind !== INCIDENT_RESOLUTION;
}

/** What happened when the request was sent to Defender, and what Defender has said since. */
export interface Execution {
  by: Person;
  startedAt: string;
  /**
   * The bot instance that sends it (README "Running several instances"): while that instance is alive, no other
   * concludes anything about the send; when it is gone, the tenant's tracker settles it by reading Defender.
   */
  instanceId?: string;
  /** When the action was last sent (a second time only after Defender showed it had none). */
  lastSentAt?: string;
  /** How many times it was sent: 1, or 2 after a reconciliation found nothing (writeOutcome.ts). */
  attempts?: number;
  /**
   * Set while the outcome of a send is ambiguous (timeout, reset, 5xx): the card says "Checking with
   * Defender…" and the bot reads the device's actions until it finds this request's action or the outcome has
   * settled without one. Cleared when the action is found.
   */
  checking?: { since: string; reason: string };
  defenderActionId?: string;
  defenderStatus?: string;
  /** Defender's creationDateTimeUtc of the action (tracking lists actions created since the oldest one). */
  defenderCreatedAt?: string;
  /** When the bot last saw Defender's status change (tracking backs off as this ages). */
  statusChangedAt?: string;
  lastCheckedAt?: string;
  /**
   * Defender already had this action running for the device (a duplicate): the request follows that action
   * instead of sending another; who requested it there and when.
   */
  existing?: { requestor: string | null; createdAt: string | null };
  /** Defender error code or our own reason when it failed. */
  failure?: string;
  /** Incident resolutions: the incident was already resolved when the approver's click re-read it (its owner then). */
  alreadyResolved?: { assignedTo: string | null; classification: string | null; determination: string | null };
  /** Incident resolutions: what changed on the incident between the request and the approval (nothing written). */
  changedSinceRequested?: string[];
  /** Incident resolutions: false when Graph took the resolution but not the comment that says who approved it. */
  commentAdded?: boolean;
}

/** A prepared action waiting for the requester's confirmation and reason (not yet a request). */
export interface ActionDraft {
  id: string;
  tenantId: string;
  customerName?: string | undefined;
  kind: ResponseActionKind;
  parameters: ActionParameters;
  device: DeviceSnapshot;
  requester: Person;
  createdAt: string;
  expiresAt: string;
}

/** Why a click was refused: every refusal is audited and answered in plain words. */
export type RefusalReason =
  | 'notFound'
  | 'otherTenant'
  | 'selfApproval'
  | 'missingRole'
  | 'notRequester'
  | 'alreadyDecided'
  | 'expired'
  | 'alreadyApprovedByYou'
  | 'refusedByDefenderBefore'
  | 'commentRequired'
  | 'reasonRequired'
  | 'notCancellable'
  /** Defender does not run this action on the device's operating system (osSupport.ts). */
  | 'notSupportedOnDevice'
  /** A classification/determination pair Graph does not accept (a tampered card or a typo). */
  | 'illegalDetermination'
  /** The text looks like it carries an access token: never stored, audited in full or sent on. */
  | 'tokenInText'
  /** Partner context: the clicker has no identity in the customer's tenant, so their token cannot exist there. */
  | 'noAccessInCustomer'
  /** The SOC console's channel tab: the viewer is not a member of the channel the page names. */
  | 'notInConversation';
