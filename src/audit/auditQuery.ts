import { z } from 'zod';
import type { AuditEntry } from './auditEntry';

/** Filters of `recent`; all given filters must match. Names and UPNs compare case-insensitively. */
export interface AuditQuery {
  /** 1–1000, default 20. */
  limit?: number;
  /** The bot's `audit` command should always pass the caller's tenant. */
  tenantId?: string;
  deviceId?: string;
  deviceName?: string;
  userPrincipalName?: string;
  approvalId?: string;
  /** An action kind (`isolate`) or an event type (`approval.approved`), exact. */
  action?: string;
  /** Entries at or after this instant (ISO 8601). */
  since?: string;
  /** Entries before this instant (ISO 8601). */
  until?: string;
}

const auditQuerySchema = z.strictObject({
  limit: z.number().int().min(1).max(1000).default(20),
  tenantId: z.string().optional(),
  deviceId: z.string().optional(),
  deviceName: z.string().optional(),
  userPrincipalName: z.string().optional(),
  approvalId: z.string().optional(),
  action: z.string().max(64).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
});

/** A validated query: how many entries to return and the test an entry must pass. */
export interface ParsedAuditQuery {
  limit: number;
  matches: (entry: AuditEntry) => boolean;
}

/** Validates a `recent` query once, for every AuditTrail (file or append blob). */
export function parseAuditQuery(query: AuditQuery): ParsedAuditQuery {
  const { limit, tenantId, deviceId, deviceName, userPrincipalName, approvalId, action, since, until } =
    auditQuerySchema.parse(query);
  const from = since === undefined ? undefined : Date.parse(since);
  const to = until === undefined ? undefined : Date.parse(until);
  const same = (a: string | undefined, b: string): boolean => a !== undefined && a.toLowerCase() === b.toLowerCase();
  return {
    limit,
    matches: (entry) => {
      if (tenantId !== undefined && entry.tenantId.toLowerCase() !== tenantId.toLowerCase()) return false;
      if (approvalId !== undefined && entry.approvalId !== approvalId) return false;
      if (deviceId !== undefined && entry.device?.id !== deviceId) return false;
      // A device by its full name or its host name (`ws-fin-042` finds `ws-fin-042.corp.contoso.com`).
      if (
        deviceName !== undefined &&
        !same(entry.device?.name, deviceName) &&
        !same(hostOf(entry.device?.name), deviceName)
      )
        return false;
      if (action !== undefined && entry.action !== action && entry.type !== action) return false;
      if (from !== undefined && Date.parse(entry.at) < from) return false;
      if (to !== undefined && Date.parse(entry.at) >= to) return false;
      if (userPrincipalName !== undefined) {
        const upn = 'userPrincipalName' in entry.actor ? entry.actor.userPrincipalName : undefined;
        if (!same(upn, userPrincipalName)) return false;
      }
      return true;
    },
  };
}

/** The host name of a device name: what comes before the first dot. */
function hostOf(name: string | undefined): string | undefined {
  return name === undefined ? undefined : name.split('.')[0];
}
