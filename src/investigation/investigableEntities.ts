import type { EntityKind } from '../defender/entityValues';
import { domainOfUrl, toEntityValue, toIpAddress } from '../defender/entityValues';
import type { Alert, Machine } from '../defender/schemas';
import type { GraphAlert } from '../graph/graphSchemas';

/**
 * What an "Investigate" button can name: an entity kind (file, IP, domain, user), or `device` — the logged-on users
 * and related alerts of the device a device card shows.
 */
export type InvestigationKind = EntityKind | 'device';

/** Cards whose entities can be investigated; a click names the card's source by id and the server reads it again. */
export type SourceKind = 'alert' | 'device' | 'incident';

/** One entity of a card: its kind, its canonical value (the key a button carries) and a short label to show. */
export interface InvestigableEntity {
  kind: InvestigationKind;
  value: string;
  /** Attacker-influenced text (a file name): shown in a TextRun or a button title only, never trusted. */
  label: string;
}

/** Adds the entity of `kind` named by `raw` once (by kind and canonical value), when `raw` is one. */
function collector() {
  const out: InvestigableEntity[] = [];
  const seen = new Set<string>();
  const add = (kind: EntityKind, raw: string | null | undefined, label?: string | null) => {
    if (!raw) return;
    const value = toEntityValue(kind, raw);
    if (value === null) return;
    const key = `${kind}:${value}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ kind, value, label: label?.trim() || value });
  };
  /** A URL names its host: a domain, or an IP address. */
  const addUrl = (url: string | null | undefined) => {
    if (!url) return;
    const domain = domainOfUrl(url);
    if (domain !== null) return add('domain', domain);
    try {
      const host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`).hostname;
      add('ip', toIpAddress(host.replace(/^\[|\]$/g, '')));
    } catch {
      // Not a URL: nothing to investigate.
    }
  };
  return { out, add, addUrl };
}

/** The files, IP addresses, domains and users of an MDE alert (its evidence and related user), each once. */
export function entitiesOfAlert(alert: Alert): InvestigableEntity[] {
  const { out, add, addUrl } = collector();
  for (const item of alert.evidence) {
    switch (item.entityType) {
      case 'File':
      case 'Process':
        add('file', item.sha1 ?? item.sha256, item.fileName);
        break;
      case 'Ip':
        add('ip', item.ipAddress);
        break;
      case 'Url':
        addUrl(item.url);
        break;
      case 'User':
        add('user', item.accountName ?? item.userPrincipalName);
        break;
      default:
        break;
    }
  }
  add('user', alert.relatedUser?.userName);
  return out;
}

/** The files, IP addresses, domains and users of an incident's alerts (Graph evidence), each once. */
export function entitiesOfIncident(alerts: readonly GraphAlert[]): InvestigableEntity[] {
  const { out, add, addUrl } = collector();
  for (const alert of alerts) {
    for (const item of alert.evidence) {
      switch (item['@odata.type'].split('.').at(-1) ?? '') {
        case 'fileEvidence':
        case 'processEvidence':
          add('file', item.fileDetails?.sha1 ?? item.fileDetails?.sha256, item.fileDetails?.fileName);
          break;
        case 'ipEvidence':
          add('ip', item.ipAddress);
          break;
        case 'analyzedMessageEvidence':
          add('ip', item.senderIp);
          break;
        case 'urlEvidence':
          addUrl(item.url);
          break;
        case 'userEvidence':
          add('user', item.userAccount?.accountName ?? item.userAccount?.userPrincipalName);
          break;
        default:
          break;
      }
    }
  }
  return out;
}

/** A device card's entities: the device itself (its logged-on users and alerts) and its last IP addresses. */
export function entitiesOfDevice(machine: Machine): InvestigableEntity[] {
  const { out, add } = collector();
  add('ip', machine.lastIpAddress);
  add('ip', machine.lastExternalIpAddress);
  return [{ kind: 'device', value: machine.id.toLowerCase(), label: machine.computerDnsName }, ...out];
}
