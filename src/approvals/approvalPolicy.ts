import type { ResolutionRule } from '../incidents/resolutionPolicy';
import { DEFAULT_RESOLUTION_RULES } from '../incidents/resolutionPolicy';
import type { ActionParameters, ApprovalKind, DeviceSnapshot, ResponseActionKind } from './approvalTypes';
import { INCIDENT_RESOLUTION } from './approvalTypes';

/**
 * Who may request and approve what, and how many approvers it takes — decided on the server for every
 * click, from configuration (README "Approval policy").
 */
export interface ApprovalPolicy {
  /** Minutes a request stays approvable. */
  expiryMinutes: number;
  /** App roles (of the bot's own registration) that may request response actions. */
  requesterRoles: string[];
  /** The app role approvers hold, unless an action names its own. */
  approverRole: string;
  /** A narrower approver role per action (e.g. only SOC.Admin may approve restricting apps). */
  approverRoleByAction: Partial<Record<ResponseActionKind, string>>;
  /** Distinct approvers for an ordinary request. */
  defaultApprovals: number;
  /** Distinct approvers for a high-risk request (see `highRiskActions`). */
  highRiskApprovals: number;
  /** Actions that become high risk on a high-value device or one carrying `highRiskTags`. */
  highRiskActions: ResponseActionKind[];
  /** Device tags that make a device high risk (domain controllers, VIPs, crown jewels…). Case-insensitive. */
  highRiskTags: string[];
  /**
   * Low-impact actions that need no approver: `kind` or `kind:variant` (e.g. `runAntiVirusScan:Quick`).
   * They still run with the requester's own token, so Defender's RBAC still decides.
   */
  autoApproved: string[];
  /** When resolving an incident needs an approver (INCIDENT_RESOLVE_APPROVAL, src/incidents/resolutionPolicy.ts). */
  incidentResolveApproval: readonly ResolutionRule[];
}

/** The defaults: two approvers to isolate or restrict a high-value or tagged device, a quick scan needs none. */
export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = {
  expiryMinutes: 30,
  requesterRoles: ['SOC.Responder', 'SOC.Approver', 'SOC.Admin'],
  approverRole: 'SOC.Approver',
  approverRoleByAction: {},
  defaultApprovals: 1,
  highRiskApprovals: 2,
  highRiskActions: ['isolate', 'restrictCodeExecution'],
  highRiskTags: ['DomainController', 'VIP', 'Crown-Jewel', 'Executive', 'PCI'],
  autoApproved: ['runAntiVirusScan:Quick'],
  incidentResolveApproval: DEFAULT_RESOLUTION_RULES,
};

/** How many approvers a request needs, and why (shown on the card). */
export function requiredApprovals(
  policy: ApprovalPolicy,
  kind: ResponseActionKind,
  parameters: ActionParameters,
  device: DeviceSnapshot,
): { count: number; note: string } {
  const variant = parameters.scanType ?? parameters.isolationType;
  if (policy.autoApproved.includes(kind) || (variant && policy.autoApproved.includes(`${kind}:${variant}`))) {
    return { count: 0, note: 'Low-impact action: no approval needed by policy' };
  }
  if (policy.highRiskActions.includes(kind)) {
    if (device.deviceValue === 'High') {
      return { count: policy.highRiskApprovals, note: 'High-value device' };
    }
    const tags = new Set(policy.highRiskTags.map((t) => t.toLowerCase()));
    const tagged = device.tags.find((t) => tags.has(t.toLowerCase()));
    if (tagged) return { count: policy.highRiskApprovals, note: `Device tagged ${tagged}` };
  }
  return { count: policy.defaultApprovals, note: 'Standard policy' };
}

/** The role an approver of this action (or incident resolution: the general approver role) must hold. */
export function approverRoleFor(policy: ApprovalPolicy, kind: ApprovalKind): string {
  if (kind === INCIDENT_RESOLUTION) return policy.approverRole;
  return policy.approverRoleByAction[kind] ?? policy.approverRole;
}

/** True when `roles` allow requesting response actions. */
export function canRequest(policy: ApprovalPolicy, roles: string[]): boolean {
  return roles.some((r) => policy.requesterRoles.includes(r));
}
