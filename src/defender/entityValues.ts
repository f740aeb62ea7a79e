import { isIP } from 'node:net';

/*
 * The values an entity call puts into a URL path (`/api/files/{sha}`, `/api/ips/{ip}`, `/api/domains/{domain}`,
 * `/api/users/{name}`). Each is checked against what the entity can be and written in one canonical form before any
 * call: anything else is refused, so no typed text or card value ever shapes a path.
 */

/** The entity kinds the bot investigates through Defender's entity APIs. */
export const ENTITY_KINDS = ['file', 'ip', 'domain', 'user'] as const;
/** One of ENTITY_KINDS. */
export type EntityKind = (typeof ENTITY_KINDS)[number];

/** An entity as the bot asks Defender about it: its kind and its canonical value. */
export interface EntityRef {
  kind: EntityKind;
  value: string;
}

const SHA1 = /^[0-9a-f]{40}$/i;
const SHA256 = /^[0-9a-f]{64}$/i;
/** A DNS name: labels of letters, digits and inner hyphens, a letter top-level label (IDNs in punycode). */
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/i;
/** An account name as Defender's user APIs take it: "not the full UPN, but only the user name". */
const USER_NAME = /^[a-z0-9](?:[a-z0-9._$-]{0,62}[a-z0-9$])?$/i;
/** DOMAIN\user (down-level logon name). */
const DOWN_LEVEL = /^[a-z0-9][a-z0-9.-]{0,62}\\(.+)$/i;

/** A file's hash in canonical form (lower-case SHA-1 or SHA-256), or null. */
export function toFileHash(raw: string): string | null {
  const value = raw.trim();
  return SHA1.test(value) || SHA256.test(value) ? value.toLowerCase() : null;
}

/** An IPv4 or IPv6 address in canonical form (IPv6 lower-case, no zone), or null. */
export function toIpAddress(raw: string): string | null {
  const value = raw.trim();
  if (value.includes('%')) return null;
  const version = isIP(value);
  if (version === 4) return value.split('.').some((part) => part.length > 1 && part.startsWith('0')) ? null : value;
  if (version === 6) return value.toLowerCase();
  return null;
}

/** A domain name in canonical form (lower-case, no trailing dot), or null. */
export function toDomainName(raw: string): string | null {
  const value = raw.trim().replace(/\.$/, '').toLowerCase();
  return DOMAIN.test(value) ? value : null;
}

/**
 * The user name Defender's user APIs take, from "user", "user@contoso.com" or "CONTOSO\user" (the documented id
 * is the name without the domain), or null.
 */
export function toUserName(raw: string): string | null {
  let value = raw.trim();
  const downLevel = DOWN_LEVEL.exec(value);
  if (downLevel) value = downLevel[1]!;
  const at = value.indexOf('@');
  if (at !== -1) {
    if (toDomainName(value.slice(at + 1)) === null) return null;
    value = value.slice(0, at);
  }
  return USER_NAME.test(value) ? value.toLowerCase() : null;
}

/** The canonical value of an entity of `kind`, or null when `raw` is not one. */
export function toEntityValue(kind: EntityKind, raw: string): string | null {
  switch (kind) {
    case 'file':
      return toFileHash(raw);
    case 'ip':
      return toIpAddress(raw);
    case 'domain':
      return toDomainName(raw);
    case 'user':
      return toUserName(raw);
  }
}

/**
 * The entity a typed value names, or null: a hash, an IP address, an account written with its domain
 * ("user@contoso.com", "CONTOSO\\user"), a domain name, else a bare user name. "alex.wilber" reads as a domain:
 * say "investigate user alex.wilber" for the account.
 */
export function recogniseEntity(raw: string): EntityRef | null {
  const order = /[@\\]/.test(raw) ? (['user'] as const) : (['file', 'ip', 'domain', 'user'] as const);
  for (const kind of order) {
    const value = toEntityValue(kind, raw);
    if (value !== null) return { kind, value };
  }
  return null;
}

/** The host of a URL as a domain name (`https://evil.example/x` → `evil.example`), or null for an IP or junk. */
export function domainOfUrl(raw: string): string | null {
  const text = raw.trim();
  let host: string;
  try {
    host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`).hostname;
  } catch {
    return null;
  }
  return toDomainName(host);
}
