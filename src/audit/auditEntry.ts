import { z } from 'zod';

/** Every kind of audit record, closed so a SIEM rule can rely on the list; order is documentation only. */
export const AUDIT_EVENT_TYPES = [
  /** A response action was requested and is waiting for approvers. */
  'approval.requested',
  /** An approver approved (one decision; the action runs once enough have). */
  'approval.approved',
  'approval.rejected',
  'approval.expired',
  /** The requester withdrew the request, or an admin cancelled it. */
  'approval.cancelled',
  /** A click that was not allowed: self-approval, missing role, wrong tenant, forged id, tampered data, replay… */
  'approval.refused',
  /** The action was sent to Defender and accepted (`defenderActionId` set). */
  'action.submitted',
  /** Defender already had the same action pending for the device: the request follows that action. */
  'action.duplicate',
  /** Defender's answer to a send was ambiguous (timeout, reset, 5xx): the bot is reading Defender's state. */
  'action.outcomeUncertain',
  /** Defender showed no action after an ambiguous send settled: sent once more under the same approval. */
  'action.resubmitted',
  /** Defender refused or failed the submission (`detail` carries its error code). */
  'action.failedToSubmit',
  /** Defender reported a new status for a submitted action. */
  'action.statusChanged',
  'action.cancelRequested',
  /**
   * The SOC console stopped showing a containment (and reminding about it) because Defender shows the device released
   * by other means (the portal): `detail` says how it was found; the approval is the one that contained it.
   */
  'containment.forgotten',
  /** The approval policy or its configuration changed. */
  'policy.changed',
  /**
   * The bot refused a request at its edge: malformed or forged activity, tampered card data, unknown verb, foreign
   * tenant, unknown user, rejected SSO token. `detail.reason` says which; the actor is the bot, and what the
   * activity claimed about its sender is in `detail` (untrusted). `volumeCapped` records count refusals past the
   * per-minute bound.
   */
  'request.refused',
  /**
   * A person changed a Defender XDR incident from a card (owner, status, classification, comment) with their own
   * Graph token: `detail` names the incident, the change, and the values before and after (a comment's length and
   * its first 200 characters).
   */
  'incident.changed',
  /**
   * Partner context (src/customers/): a provider's admin asked a customer tenant for admin consent; `tenantId` is the
   * customer's, `detail` names it. The consent link's `state` is never recorded.
   */
  'customer.onboardingStarted',
  /** The customer's admin consented, the app's token there proved it, and the customer is active. */
  'customer.onboarded',
  /**
   * A consent redirect that was not accepted: Entra's error (access_denied…), a missing, unknown, expired or replayed
   * `state`, or a tenant other than the one the state was issued for. `detail.reason` says which.
   */
  'customer.consentRefused',
  /** The customer was offboarded: its bindings removed and its background work stopped. */
  'customer.offboarded',
  /** A conversation of the provider was bound to the customer (`detail.conversationId`). */
  'customer.bound',
  'customer.unbound',
  /** A customer-management command refused: not in the provider's tenant, or no SOC.Admin role (`detail.reason`). */
  'customer.refused',
  /**
   * An advanced hunting query ran as a person (saved hunt or ad-hoc KQL): `detail` names the hunt (`kql` for ad-hoc),
   * the outcome (`answered`, or why it failed: `syntax`, `cpuQuota`…), the rows read, and the exact query text in
   * `query`, `query2`… (1,000 characters each).
   */
  'hunt.run',
  /** Ad-hoc KQL refused: the person lacks the SOC.Hunter app role (`detail.reason`); the query text is recorded. */
  'hunt.refused',
] as const;

/** One of `AUDIT_EVENT_TYPES`. */
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** Who did it: a signed-in person (from their validated token) or the bot acting on its own (expiry, polling). */
export type AuditActor = { aadObjectId: string; userPrincipalName: string } | { system: 'bot' };

/** Small extra facts: a short text (a refusal reason, a comment) or a flat object of scalars. */
export type AuditDetail = string | Record<string, string | number | boolean | null>;

/** What callers record; the log adds sequence, time, id and the hash chain. */
export interface AuditEntryInput {
  type: AuditEventType;
  tenantId: string;
  actor: AuditActor;
  approvalId?: string;
  device?: { id: string; name: string };
  defenderActionId?: string;
  /** The response action, e.g. `isolate`. */
  action?: string;
  /** Hash of the approved request payload, so the record proves what exactly was approved. */
  payloadHash?: string;
  detail?: AuditDetail;
}

/** A stored record: the input plus what makes it ordered, dated, unique and tamper-evident. */
export interface AuditEntry extends AuditEntryInput {
  /** 1, 2, 3… with no gaps: equals the line number in the file. */
  seq: number;
  /** ISO 8601 UTC, from the log's clock. */
  at: string;
  id: string;
  /** `hash` of the previous entry (64 zeros for the first). */
  prevHash: string;
  /** sha256 over `prevHash` and the canonical JSON of this entry without `hash` (see auditHash.ts). */
  hash: string;
}

/** Limits that keep one record one short line (and keep payloads out of the trail). */
const MAX_TEXT = 1000;
const MAX_DETAIL_FIELDS = 20;

const id = z.string().min(1).max(256);
const actorSchema = z.union([
  z.strictObject({ aadObjectId: id, userPrincipalName: id }),
  z.strictObject({ system: z.literal('bot') }),
]);
const detailSchema = z.union([
  z.string().max(MAX_TEXT),
  z
    .record(z.string().min(1).max(64), z.union([z.string().max(MAX_TEXT), z.number(), z.boolean(), z.null()]))
    .refine((detail) => Object.keys(detail).length <= MAX_DETAIL_FIELDS, {
      message: `at most ${MAX_DETAIL_FIELDS} fields`,
    }),
]);

const inputShape = {
  type: z.enum(AUDIT_EVENT_TYPES),
  tenantId: id,
  actor: actorSchema,
  approvalId: id.optional(),
  device: z.strictObject({ id, name: id }).optional(),
  defenderActionId: id.optional(),
  action: z.string().min(1).max(64).optional(),
  payloadHash: z
    .string()
    .max(256)
    .regex(/^[A-Za-z0-9+/=:_-]+$/)
    .optional(),
  detail: detailSchema.optional(),
};

/** Validates what callers pass to `append`: strict, so an unexpected field (a token, a payload) is refused. */
export const auditEntryInputSchema: z.ZodType<AuditEntryInput> = z.strictObject(inputShape);

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** Validates a line read back from the file. */
export const auditEntrySchema: z.ZodType<AuditEntry> = z.strictObject({
  seq: z.number().int().positive(),
  at: z.iso.datetime(),
  id: z.string().min(1),
  ...inputShape,
  prevHash: hex64,
  hash: hex64,
});
