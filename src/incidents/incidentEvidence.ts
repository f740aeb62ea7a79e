import type { GraphAlert, GraphEvidence, Incident } from '../graph/graphSchemas';
import { GRAPH_SEVERITIES } from '../graph/graphSchemas';

/** A device of an incident, joined to Defender for Endpoint by its machine id (response actions need it). */
export interface IncidentDevice {
  name: string;
  /** The MDE machine id (40 hex digits), or null when the evidence carries none (then no actions are offered). */
  mdeDeviceId: string | null;
}

/** What an incident's alerts tell about it, de-duplicated across every alert and source. */
export interface IncidentEvidenceSummary {
  devices: IncidentDevice[];
  users: string[];
  mailboxes: string[];
  ips: string[];
  urls: string[];
  files: string[];
  /** Alert count per `serviceSource`, in order of first appearance. */
  alertsBySource: Map<string, number>;
}

const MDE_DEVICE_ID = /^[0-9a-f]{40}$/i;

/** The evidence type without its namespace: `#microsoft.graph.security.deviceEvidence` → `deviceEvidence`. */
function evidenceKind(item: GraphEvidence): string {
  return item['@odata.type'].split('.').at(-1) ?? '';
}

/** Adds `value` once (case-insensitively) to `list`. */
function addOnce(list: string[], seen: Set<string>, value: string | null | undefined): void {
  const trimmed = value?.trim();
  if (!trimmed) return;
  const key = trimmed.toLowerCase();
  if (seen.has(key)) return;
  seen.add(key);
  list.push(trimmed);
}

/**
 * Collects devices, users, mailboxes, IPs, URLs and files from every alert's evidence (endpoint, identity, email,
 * cloud apps), each once. Devices are keyed by machine id where there is one, else by name.
 */
export function summarizeEvidence(alerts: readonly GraphAlert[]): IncidentEvidenceSummary {
  const summary: IncidentEvidenceSummary = {
    devices: [],
    users: [],
    mailboxes: [],
    ips: [],
    urls: [],
    files: [],
    alertsBySource: new Map(),
  };
  const seen = {
    devices: new Set<string>(),
    users: new Set<string>(),
    mailboxes: new Set<string>(),
    ips: new Set<string>(),
    urls: new Set<string>(),
    files: new Set<string>(),
  };
  for (const alert of alerts) {
    summary.alertsBySource.set(alert.serviceSource, (summary.alertsBySource.get(alert.serviceSource) ?? 0) + 1);
    for (const item of alert.evidence) {
      switch (evidenceKind(item)) {
        case 'deviceEvidence': {
          const id = item.mdeDeviceId && MDE_DEVICE_ID.test(item.mdeDeviceId) ? item.mdeDeviceId.toLowerCase() : null;
          const name = item.deviceDnsName?.trim() || id;
          const key = (id ?? name ?? '').toLowerCase();
          if (!name || seen.devices.has(key)) break;
          seen.devices.add(key);
          summary.devices.push({ name, mdeDeviceId: id });
          break;
        }
        case 'userEvidence': {
          const account = item.userAccount;
          const upn = account?.userPrincipalName;
          const samName = account?.accountName
            ? `${account.domainName ? `${account.domainName}\\` : ''}${account.accountName}`
            : null;
          addOnce(summary.users, seen.users, upn ?? samName ?? account?.displayName);
          break;
        }
        case 'mailboxEvidence':
          addOnce(summary.mailboxes, seen.mailboxes, item.primaryAddress ?? item.userAccount?.userPrincipalName);
          break;
        case 'analyzedMessageEvidence':
          addOnce(summary.mailboxes, seen.mailboxes, item.recipientEmailAddress);
          addOnce(summary.ips, seen.ips, item.senderIp);
          break;
        case 'ipEvidence':
          addOnce(summary.ips, seen.ips, item.ipAddress);
          break;
        case 'urlEvidence':
          addOnce(summary.urls, seen.urls, item.url);
          break;
        case 'fileEvidence':
        case 'processEvidence':
          addOnce(summary.files, seen.files, item.fileDetails?.fileName);
          break;
        default:
          break;
      }
    }
  }
  return summary;
}

/** Rank of a Graph severity: 0 for high, larger for less severe, unknown values last. */
function severityRank(severity: string): number {
  const index = (GRAPH_SEVERITIES as readonly string[]).indexOf(severity);
  return index === -1 ? GRAPH_SEVERITIES.length : index;
}

/** The incident's alerts, most severe first, newest first within a severity. */
export function mostSevereFirst(incident: Incident): GraphAlert[] {
  return [...(incident.alerts ?? [])].sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      Date.parse(b.createdDateTime) - Date.parse(a.createdDateTime),
  );
}
