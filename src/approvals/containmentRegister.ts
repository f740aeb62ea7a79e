import { z } from 'zod';
import type { Storage } from '../storage/storage';
import { updateItem } from '../storage/updateItem';
import type { ActionApprovalRequest, ApprovalRequest, Person } from './approvalTypes';
import { isActionRequest } from './approvalTypes';

/** The containments the register follows: what Defender keeps in place until someone releases it. */
export type ContainmentKind = 'isolate' | 'restrictCodeExecution';

/** The action that releases each containment. */
export const RELEASE_OF = { isolate: 'unisolate', restrictCodeExecution: 'unrestrictCodeExecution' } as const;

/** The containment each release action ends. */
const RELEASED_BY: Record<string, ContainmentKind> = {
  unisolate: 'isolate',
  unrestrictCodeExecution: 'restrictCodeExecution',
};

const personSchema = z.object({ aadObjectId: z.string(), userPrincipalName: z.string(), displayName: z.string() });
const containmentSchema = z.object({
  deviceId: z.string(),
  deviceName: z.string(),
  kind: z.enum(['isolate', 'restrictCodeExecution']),
  since: z.string(),
  approvalId: z.string(),
  requester: personSchema,
  approvers: z.array(personSchema),
  customerName: z.string().optional(),
  /** Where the request's first card went (the conversation it was asked in, or the approvers' channel). */
  requestedIn: z.unknown().optional(),
  /** The last reminder sent about this containment. */
  remindedAt: z.string().optional(),
});
/** The last change seen for a device and containment kind: a later containment or release wins, an older loses. */
const lastChangeSchema = z.object({
  /** When the last change applied happened (a change older than this arrived late). */
  at: z.string(),
  /** The approvals already applied to this device and kind (the newest few): each counts once, ever. */
  applied: z.array(z.string()).default([]),
});
/** Approvals remembered per device and kind: far more than can be re-shown (a release needs a new request). */
const APPLIED_KEPT = 20;
const recordSchema = z.object({
  containments: z.record(z.string(), containmentSchema),
  /** Per device and kind, what the register last took into account (so a late or repeated change cannot undo it). */
  lastChange: z.record(z.string(), lastChangeSchema).default({}),
});
const indexSchema = z.object({ tenants: z.array(z.string()) });
const INDEX_KEY = 'containment/index';

/** A device the bot contained through an approved request, and since when. */
export type Containment = z.infer<typeof containmentSchema>;
type TenantContainments = z.infer<typeof recordSchema>;

function parse(raw: unknown): TenantContainments | undefined {
  const parsed = recordSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

function key(tenantId: string): string {
  return `containment/${tenantId.toLowerCase()}`;
}

function entryKey(deviceId: string, kind: ContainmentKind): string {
  return `${kind}:${deviceId.toLowerCase()}`;
}

function person(p: Person): Person {
  return { aadObjectId: p.aadObjectId, userPrincipalName: p.userPrincipalName, displayName: p.displayName };
}

/**
 * Which devices stay isolated or code-restricted because of an approved request, since when, by whom — the
 * containment board of the SOC console and its reminders. Kept on the shared state (one small record per tenant),
 * written when a request reaches Defender's final status: an isolation that succeeded adds its device, a release
 * that succeeded removes it. Every write is idempotent, so hearing the same final state twice changes nothing.
 */
export class ContainmentRegister {
  constructor(private readonly storage: Storage) {}

  /**
   * Takes a request's new state into account (called for every change the approval publisher shows). Each approval
   * counts once per device and kind, and only if it is not older than the last change applied: the same final state
   * shown again (a refused click on an old request re-publishes it) or arriving late changes nothing.
   */
  async requestChanged(request: ApprovalRequest): Promise<void> {
    if (!isActionRequest(request) || request.state !== 'succeeded') return;
    const contained = request.kind === 'isolate' || request.kind === 'restrictCodeExecution' ? request.kind : undefined;
    const kind = contained ?? RELEASED_BY[request.kind];
    if (!kind) return;
    const at = request.stateChangedAt;
    await updateItem(this.storage, key(request.tenantId), parse, (current) => {
      const k = entryKey(request.device.id, kind);
      const last = current?.lastChange[k];
      // Each approval's final state counts once (showing it again changes nothing), and one older than the last
      // change applied loses (it arrived late).
      if (last && (last.applied.includes(request.id) || Date.parse(at) < Date.parse(last.at))) return current;
      const containments = { ...(current?.containments ?? {}) };
      const applied = [...(last?.applied ?? []), request.id].slice(-APPLIED_KEPT);
      const lastChange = {
        ...(current?.lastChange ?? {}),
        [k]: { at, applied },
      };
      if (!contained) {
        delete containments[k];
        return { containments, lastChange };
      }
      containments[k] = {
        deviceId: request.device.id,
        deviceName: request.device.name,
        kind,
        since: at,
        approvalId: request.id,
        requester: person(request.requester),
        approvers: request.approvals.map((a) => person(a.person)),
        ...(request.customerName !== undefined ? { customerName: request.customerName } : {}),
        ...(request.cards[0] ? { requestedIn: request.cards[0].address } : {}),
      };
      return { containments, lastChange };
    });
    if (contained) await this.index(request.tenantId);
  }

  /**
   * Forgets a containment Defender no longer shows (released in the portal, or by another tool), if the register
   * still holds the one that was checked (`approvalId`): a newer containment of the device is never dropped by an
   * older check. Recorded as a change at `at`, so the old request cannot bring it back. True when it was forgotten.
   */
  async released(
    tenantId: string,
    deviceId: string,
    kind: ContainmentKind,
    approvalId: string,
    at: Date,
  ): Promise<Containment | undefined> {
    let forgotten: Containment | undefined;
    await updateItem(this.storage, key(tenantId), parse, (current) => {
      const k = entryKey(deviceId, kind);
      const entry = current?.containments[k];
      if (!current || !entry || entry.approvalId !== approvalId) return current;
      forgotten = entry;
      const containments = { ...current.containments };
      delete containments[k];
      return {
        containments,
        lastChange: {
          ...current.lastChange,
          [k]: {
            at: at.toISOString(),
            applied: [...(current.lastChange[k]?.applied ?? []), entry.approvalId].slice(-APPLIED_KEPT),
          },
        },
      };
    });
    return forgotten;
  }

  /** Tenants that have had a containment (the reminders look at these). */
  async tenants(): Promise<string[]> {
    const raw = (await this.storage.read([INDEX_KEY]))[INDEX_KEY];
    const parsed = indexSchema.safeParse(raw);
    return parsed.success ? parsed.data.tenants : [];
  }

  private async index(tenantId: string): Promise<void> {
    const tenant = tenantId.toLowerCase();
    if ((await this.tenants()).includes(tenant)) return;
    await updateItem(
      this.storage,
      INDEX_KEY,
      (raw) => {
        const parsed = indexSchema.safeParse(raw);
        return parsed.success ? parsed.data : undefined;
      },
      (current) => (current?.tenants.includes(tenant) ? current : { tenants: [...(current?.tenants ?? []), tenant] }),
    );
  }

  /** The tenant's current containments, oldest first. */
  async list(tenantId: string): Promise<Containment[]> {
    const raw = (await this.storage.read([key(tenantId)]))[key(tenantId)];
    const record = raw === undefined ? undefined : parse(raw);
    return Object.values(record?.containments ?? {}).sort((a, b) => Date.parse(a.since) - Date.parse(b.since));
  }

  /** Records that the requester was reminded about a containment (so the next reminder waits a whole period). */
  async markReminded(tenantId: string, deviceId: string, kind: ContainmentKind, at: Date): Promise<void> {
    await updateItem(this.storage, key(tenantId), parse, (current) => {
      const k = entryKey(deviceId, kind);
      const entry = current?.containments[k];
      if (!current || !entry) return current;
      return { ...current, containments: { ...current.containments, [k]: { ...entry, remindedAt: at.toISOString() } } };
    });
  }
}

/**
 * The open request to release a containment, if any: awaiting approval (and not yet past its expiry, which the
 * tracker records at its next round) or already sent to Defender. The board shows it; the reminders wait for it.
 */
export function openReleaseOf(
  open: ApprovalRequest[],
  containment: { deviceId: string; kind: ContainmentKind },
  tenantId: string,
  now: Date,
): ActionApprovalRequest | undefined {
  const tenant = tenantId.toLowerCase();
  return open
    .filter(isActionRequest)
    .find(
      (r) =>
        r.tenantId.toLowerCase() === tenant &&
        r.device.id === containment.deviceId &&
        r.kind === RELEASE_OF[containment.kind] &&
        (r.state !== 'pending' || Date.parse(r.expiresAt) > now.getTime()),
    );
}
