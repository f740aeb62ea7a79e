/*
 * The SOC console tab's HTTP contract: what `/api/tab/*` answers and accepts, as plain JSON types. Shared by the
 * server (src/tab/) and the browser code (src/tab/web/), which imports it with `import type` only, so nothing of
 * the server reaches the bundle. Every call carries `Authorization: Bearer <Teams SSO token>`; nothing else
 * identifies the caller (no cookies). Errors are `{ error: { code, message } }` with 400/401/403/404/409/429/5xx.
 */

/** The app roles the tab's rules are written in (Entra app roles of the bot's registration). */
export type SocRole = 'SOC.Analyst' | 'SOC.Responder' | 'SOC.Approver' | 'SOC.Admin' | 'SOC.Hunter';

/** `GET /api/tab/me`: who the server says the viewer is, and what the tab may offer them (the server re-checks). */
export interface TabMe {
  user: { displayName: string; userPrincipalName: string; roles: string[] };
  tenant: { id: string; name?: string | undefined };
  can: {
    /** Holds an approver role: the queue lists requests to decide. */
    decide: boolean;
    /** Holds a requester role: "Release" on the containment board. */
    requestRelease: boolean;
    /** SOC.Approver or SOC.Admin: the Audit view. */
    readAudit: boolean;
    /** SOC.Approver or SOC.Admin: change the channel's subscriptions (the same rule as the bot's commands). */
    editSubscriptions: boolean;
  };
  /** A containment older than this many hours earns its requester a reminder. */
  containmentReminderHours: number;
}

/** A person as the tab shows them. */
export interface TabPerson {
  displayName: string;
  userPrincipalName: string;
}

/** One decision already taken on a request. */
export interface TabDecision {
  by: TabPerson;
  comment: string;
  at: string;
}

/** One request in the approvals queue (`GET /api/tab/approvals`). */
export interface QueueItem {
  id: string;
  /** The response action kind (`isolate`, …) or `resolveIncident`. */
  kind: string;
  /** "Isolate device" / "Isolar dispositivo": in the viewer's language (Accept-Language). */
  title: string;
  /** The device name, or the incident's title. */
  subject: string;
  deviceId?: string | undefined;
  incidentId?: string | undefined;
  /** Partner context: the customer the request acts in. */
  customerName?: string | undefined;
  requester: TabPerson;
  reason: string;
  /** The policy's risk note ("High device value: two approvals") and how many approvals it needs. */
  riskNote: string;
  requiredApprovals: number;
  approvals: TabDecision[];
  createdAt: string;
  expiresAt: string;
  /**
   * What the viewer may do: `decide` (approve or reject), or why not — `selfApproval` (their own request),
   * `alreadyApprovedByYou`, `missingRole`, `refusedByDefenderBefore`.
   */
  viewer: 'decide' | 'selfApproval' | 'alreadyApprovedByYou' | 'missingRole' | 'refusedByDefenderBefore';
}

/** `GET /api/tab/approvals`: pending requests of the viewer's tenant, oldest first; `etag` also in the header. */
export interface QueueResponse {
  items: QueueItem[];
  generatedAt: string;
}

/** `POST /api/tab/approvals/{id}/approve|reject` body. A rejection needs a comment; an approval may have one. */
export interface DecisionBody {
  comment: string;
}

/**
 * Answer to a decision: `approved` (recorded, more approvals needed), `executing` (the last approval: sent to
 * Defender with the approver's own token), `rejected`, or `refused` with the same reason a card click would get
 * (`selfApproval`, `missingRole`, `alreadyDecided`, `expired`, `commentRequired`, …) and its words.
 */
export interface DecisionResponse {
  outcome: 'approved' | 'executing' | 'rejected' | 'refused';
  reason?: string | undefined;
  message: string;
  /** The request as stored after the decision (undefined when it does not exist). */
  state?: string | undefined;
}

/** An action sent to Defender and not yet final (`GET /api/tab/actions`). */
export interface InFlightItem {
  approvalId: string;
  kind: string;
  title: string;
  subject: string;
  deviceId?: string | undefined;
  customerName?: string | undefined;
  /** executing | submitted */
  state: string;
  /** Defender's own status (Pending, InProgress…), or "Checking with Defender" while a send is being reconciled. */
  defenderStatus: string;
  requester: TabPerson;
  approvers: TabPerson[];
  sentAt?: string | undefined;
}

/** A device the bot isolated or restricted and has not released. */
export interface ContainmentItem {
  deviceId: string;
  deviceName: string;
  customerName?: string | undefined;
  /** isolate | restrictCodeExecution */
  kind: 'isolate' | 'restrictCodeExecution';
  title: string;
  /** When Defender reported the containment done. */
  since: string;
  requester: TabPerson;
  approvers: TabPerson[];
  approvalId: string;
  /** Older than the reminder age. */
  overdue: boolean;
  /** An open request to release it (pending approval or in flight), if any. */
  release?: { approvalId: string; state: string } | undefined;
}

/** `GET /api/tab/actions`. */
export interface ActionsResponse {
  inFlight: InFlightItem[];
  contained: ContainmentItem[];
  generatedAt: string;
}

/** `POST /api/tab/containments/{deviceId}/release` body: which containment, and why (the reason is required). */
export interface ReleaseBody {
  kind: 'isolate' | 'restrictCodeExecution';
  reason: string;
}

/** Answer to a release: the approval request it created (or the open one already there), or a refusal in words. */
export interface ReleaseResponse {
  outcome: 'requested' | 'refused';
  approvalId?: string | undefined;
  message: string;
}

/** Filters of `GET /api/tab/audit` and `/api/tab/audit/export` (query string; all optional). */
export interface AuditFilter {
  /** A user principal name (exact, case-insensitive). */
  user?: string;
  /** A device name (exact, case-insensitive). */
  device?: string;
  /** An action kind (`isolate`…) or an audit event type (`approval.approved`…). */
  action?: string;
  /** ISO dates (inclusive from, exclusive to). */
  from?: string;
  to?: string;
}

/** One audit entry as the tab shows it. */
export interface TabAuditEntry {
  seq: number;
  at: string;
  type: string;
  actor: string;
  approvalId?: string | undefined;
  device?: string | undefined;
  action?: string | undefined;
  detail?: string | undefined;
}

/** `GET /api/tab/audit`: the newest matching entries (at most 200) and the whole trail's chain check. */
export interface AuditResponse {
  entries: TabAuditEntry[];
  /** More matched than were returned (narrow the filter or export). */
  truncated: boolean;
  chain: { ok: true; entries: number } | { ok: false; line: number; reason: string };
}

/** One subscription of the channel. */
export interface TabSubscription {
  id: string;
  severities: string[];
  follows: string[];
  deviceGroup?: string | undefined;
  tag?: string | undefined;
  category?: string | undefined;
  createdBy: string;
  createdAt: string;
}

/**
 * `GET /api/tab/subscriptions?channelId=…`: the subscriptions of the channel the tab is in. `known` is false when
 * the bot is not installed in that channel's team (nothing can be posted there yet).
 */
export interface SubscriptionsResponse {
  channelId: string;
  known: boolean;
  canEdit: boolean;
  subscriptions: TabSubscription[];
}

/** `POST /api/tab/subscriptions` body; `DELETE /api/tab/subscriptions/{id}?channelId=…` removes one. */
export interface NewSubscriptionBody {
  channelId: string;
  severities: string[];
  follows: string[];
  deviceGroup?: string | undefined;
  tag?: string | undefined;
  category?: string | undefined;
}

/** The error body of every refused call. */
export interface TabError {
  error: { code: string; message: string };
}
