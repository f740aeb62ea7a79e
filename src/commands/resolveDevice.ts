import type { DefenderAuth, DefenderClient } from '../defender/defenderClient';
import { startsWith } from '../http/odata';
import type { Machine } from '../defender/schemas';
import { isAppError } from '../errors';
import { levenshtein } from './parseCommand';

/** The outcome of resolving a device name: exactly one, several with that exact name, or none (with close names). */
export type DeviceResolution =
  | { kind: 'found'; machine: Machine }
  | { kind: 'ambiguous'; name: string; machines: Machine[] }
  | { kind: 'notFound'; name: string; suggestions: string[] };

const DEVICE_ID = /^[0-9a-f]{40}$/i;
/** Candidates fetched per lookup; enough for every device sharing a host name. */
const CANDIDATES = 50;
const SUGGESTION_POOL = 200;
const MAX_SUGGESTIONS = 5;

/** The host name of an FQDN: everything before the first dot. */
export function hostLabel(dnsName: string): string {
  return dnsName.split('.')[0]!.toLowerCase();
}

/**
 * Resolves what a user typed to a device, exactly: a device id, a full DNS name, or a host name (the part
 * before the first dot). Never a substring — "ws-fin-04" does not pick ws-fin-042 (a peer product's
 * `contains` matching once isolated the wrong host). Costs one Defender call when the name resolves, two
 * when it does not and close names are looked up.
 */
export async function resolveDevice(
  defender: DefenderClient,
  auth: DefenderAuth,
  typed: string,
): Promise<DeviceResolution> {
  const name = typed.trim().toLowerCase();
  if (DEVICE_ID.test(name)) {
    try {
      return { kind: 'found', machine: await defender.getMachine(auth, name) };
    } catch (err) {
      if (isAppError(err, 'notFound')) return { kind: 'notFound', name, suggestions: [] };
      throw err;
    }
  }
  const candidates = (
    await defender.listMachines(auth, { filter: startsWith('computerDnsName', name), max: CANDIDATES })
  ).items;
  const exact = candidates.filter(
    (m) => m.computerDnsName.toLowerCase() === name || hostLabel(m.computerDnsName) === name,
  );
  const [only] = exact;
  if (exact.length === 1 && only) return { kind: 'found', machine: only };
  if (exact.length > 1) return { kind: 'ambiguous', name, machines: exact };

  // Nothing exact. Names that merely start with what was typed are the best suggestions; otherwise look
  // at devices sharing the first characters and rank them by edit distance (typos).
  let pool = candidates;
  if (pool.length === 0) {
    const prefix = name.slice(0, Math.min(3, name.length));
    pool = (await defender.listMachines(auth, { filter: startsWith('computerDnsName', prefix), max: SUGGESTION_POOL }))
      .items;
  }
  const limit = Math.max(2, Math.ceil(name.length / 3));
  const suggestions = pool
    .map((m) => ({ name: m.computerDnsName, distance: levenshtein(hostLabel(m.computerDnsName), hostLabel(name)) }))
    .filter((s) => candidates.length > 0 || s.distance <= limit)
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, MAX_SUGGESTIONS)
    .map((s) => s.name);
  return { kind: 'notFound', name, suggestions };
}
