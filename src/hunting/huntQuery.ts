import { isIP } from 'node:net';
import { DEVICE_NAME_PATTERN } from '../defender/alertListQuery';
import { AppError } from '../errors';
import type { HuntDefinition, HuntParameterType } from './huntLibrary';
import { windowMinutes } from './huntLibrary';
import { kqlDateTime, kqlLet, kqlString, kqlTimespanMinutes, MAX_HUNT_WINDOW_MINUTES } from './kqlLiteral';

/** A hunt's time window: the last N minutes, or a calendar span ("yesterday", "since Monday"). */
export type HuntWindow =
  { kind: 'recent'; minutes: number } | { kind: 'between'; since: Date; until?: Date | undefined };

/** A parameter's value once checked (and, for a device, resolved to the one device Defender knows). */
export type HuntValue =
  { type: 'device'; name: string; id: string } | { type: Exclude<HuntParameterType, 'device'>; value: string };

const SHA1 = /^[0-9a-f]{40}$/i;
const SHA256 = /^[0-9a-f]{64}$/i;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** A UPN, DOMAIN\name or a bare account name. */
const ACCOUNT =
  /^(?:[\p{L}\p{N}._%+'-]{1,64}@[\p{L}\p{N}.-]{1,253}|[\p{L}\p{N}.-]{1,15}\\[\p{L}\p{N}._ -]{1,64}|[\p{L}\p{N}._-]{1,64})$/u;
const ALERT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{5,127}$/;

/**
 * What typed text or a card's entity means as a parameter of `type`, normalised, or undefined when it is not one.
 * A device is only checked for shape here: it is resolved against Defender before the hunt runs.
 */
export function readParameterValue(type: HuntParameterType, raw: string): string | undefined {
  const text = raw.trim();
  switch (type) {
    case 'device':
      return DEVICE_NAME_PATTERN.test(text.toLowerCase()) ? text.toLowerCase() : undefined;
    case 'sha1':
      return SHA1.test(text) ? text.toLowerCase() : undefined;
    case 'sha256':
      return SHA256.test(text) ? text.toLowerCase() : undefined;
    case 'file':
      return SHA1.test(text) || SHA256.test(text) ? text.toLowerCase() : undefined;
    case 'ip':
      return isIP(text) ? text.toLowerCase() : undefined;
    case 'domain': {
      const host = /^https?:\/\//i.test(text) ? hostOf(text) : text.replace(/\.$/, '');
      return host !== undefined && DOMAIN.test(host) ? host.toLowerCase() : undefined;
    }
    case 'account':
      return ACCOUNT.test(text) ? text : undefined;
    case 'alertId':
      return ALERT_ID.test(text) ? text : undefined;
  }
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/**
 * The exact KQL sent for a saved hunt: one `let` per bound name with an escaped literal, the window as `since` and
 * `until`, then the hunt's body unchanged. The body refers to the names; no value is ever placed inside it.
 */
export function buildHuntQuery(
  hunt: HuntDefinition,
  value: HuntValue | undefined,
  window: HuntWindow | undefined,
  now: Date,
): string {
  const lets: string[] = [];
  const [parameter] = hunt.parameters;
  if (parameter) {
    if (!value) throw new AppError('invalidInput', `hunt ${hunt.name} needs its ${parameter.name}`);
    if (
      value.type !== parameter.type &&
      !(parameter.type === 'file' && (value.type === 'sha1' || value.type === 'sha256'))
    )
      throw new AppError('invalidInput', `hunt ${hunt.name} needs a ${parameter.type}`);
    if (value.type === 'device') {
      lets.push(kqlLet(parameter.name, kqlString(value.name)), kqlLet(`${parameter.name}Id`, kqlString(value.id)));
    } else {
      // Checked again here: a value reaches a query only in the shape its type allows.
      const checked = readParameterValue(parameter.type, value.value);
      if (checked === undefined) throw new AppError('invalidInput', `not a ${parameter.type}`);
      lets.push(kqlLet(parameter.name, kqlString(checked)));
      if (parameter.type === 'account') lets.push(kqlLet(`${parameter.name}Name`, kqlString(accountName(checked))));
    }
  }
  const span = window ?? { kind: 'recent' as const, minutes: windowMinutes(hunt.window) };
  if (span.kind === 'recent') {
    lets.push(kqlLet('since', `ago(${kqlTimespanMinutes(span.minutes)})`), kqlLet('until', 'now()'));
  } else {
    const oldest = now.getTime() - MAX_HUNT_WINDOW_MINUTES * 60_000;
    if (span.since.getTime() < oldest) throw new AppError('invalidInput', 'advanced hunting keeps 30 days');
    lets.push(
      kqlLet('since', kqlDateTime(span.since)),
      kqlLet('until', span.until ? kqlDateTime(span.until) : 'now()'),
    );
  }
  return `${lets.join('\n')}\n${hunt.query.trim()}`;
}

/** The account name alone: `alice` of `alice@contoso.com` or `CONTOSO\alice`. */
export function accountName(account: string): string {
  const at = account.indexOf('@');
  if (at > 0) return account.slice(0, at);
  const slash = account.lastIndexOf('\\');
  return slash >= 0 ? account.slice(slash + 1) : account;
}
