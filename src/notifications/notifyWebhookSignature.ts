import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * Standard Webhooks (https://www.standardwebhooks.com, spec 1.0.0), symmetric scheme only: headers `webhook-id`,
 * `webhook-timestamp` (unix seconds) and `webhook-signature` (space-separated `v1,<base64 HMAC-SHA256>`), signed
 * content `${id}.${timestamp}.${body}` with the raw body bytes, secrets serialised as `whsec_<base64>`.
 * node:crypto rather than the `standardwebhooks` package: the package wraps a pure-JS SHA-256 and a single secret,
 * reads `Date.now()` itself and throws on the first problem; rotation, an injected clock and reasons we can log
 * are a few lines here.
 */

/** How far `webhook-timestamp` may be from our clock, either way (the spec's and its libraries' 5 minutes). */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

const SECRET_PREFIX = 'whsec_';
/** The spec's symmetric key size: at least 24 bytes (192 bits), at most 64 (512 bits). */
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** A v1 signature is the canonical base64 of 32 bytes. */
const V1_SIGNATURE = /^[A-Za-z0-9+/]{43}=$/;
/** Senders use ids like `msg_2KWPBgLlAfxdpx2AI54pPJ85f4W` or GUIDs: visible ASCII, bounded. */
const WEBHOOK_ID = /^[\x21-\x7e]{1,256}$/;
const TIMESTAMP = /^[0-9]{1,12}$/;
/** More signatures than any rotation needs is a probe, not a rotation. */
const MAX_SIGNATURES = 10;

/**
 * Decodes a `whsec_<base64>` secret into its key bytes. Throws an Error that says what is wrong with the format,
 * never the value (configuration errors are logged).
 */
export function parseWebhookSecret(value: string): Buffer {
  const trimmed = value.trim();
  if (!trimmed.startsWith(SECRET_PREFIX)) throw new Error('a webhook secret must start with "whsec_"');
  const encoded = trimmed.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded)) throw new Error('a webhook secret must be "whsec_" followed by base64');
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new Error(`a webhook secret must decode to ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes`);
  }
  return key;
}

/** Signs like a Standard Webhooks sender: `v1,<base64>` for the header (relays, scripts and tests use it). */
export function signWebhook(key: Buffer, webhookId: string, timestamp: number, body: Buffer | string): string {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return `v1,${mac(key, webhookId, String(timestamp), bytes).toString('base64')}`;
}

/** The three headers of one request, as received (a repeated header arrives as an array and is refused). */
export interface WebhookHeaders {
  id: string | string[] | undefined;
  timestamp: string | string[] | undefined;
  signature: string | string[] | undefined;
}

/** Accepted (with the sender's `webhook-id`, its idempotency key), or refused with one reason for the log. */
export type WebhookVerification = { ok: true; webhookId: string } | { ok: false; reason: string };

/**
 * Verifies a request signed with any of `keys` (several during a rotation): headers well-formed, timestamp within
 * the tolerance of `nowSeconds`, and one `v1` signature equal, in constant time, to the HMAC of
 * `${id}.${timestamp}.${rawBody}`. Signatures of other schemes (`v1a`) are skipped, as the spec says.
 */
export function verifyWebhookSignature(
  keys: Buffer[],
  headers: WebhookHeaders,
  rawBody: Buffer,
  nowSeconds: number,
): WebhookVerification {
  const id = single(headers.id);
  const timestamp = single(headers.timestamp);
  const signature = single(headers.signature);
  if (id === undefined || timestamp === undefined || signature === undefined) {
    return { ok: false, reason: 'webhook-id, webhook-timestamp and webhook-signature must each be sent once' };
  }
  if (!WEBHOOK_ID.test(id)) return { ok: false, reason: 'webhook-id is not 1-256 visible ASCII characters' };
  if (!TIMESTAMP.test(timestamp)) return { ok: false, reason: 'webhook-timestamp is not unix seconds' };
  const age = Math.floor(nowSeconds) - Number(timestamp);
  if (age > WEBHOOK_TOLERANCE_SECONDS) return { ok: false, reason: 'webhook-timestamp is too old' };
  if (age < -WEBHOOK_TOLERANCE_SECONDS) return { ok: false, reason: 'webhook-timestamp is in the future' };

  const presented = signature.split(' ').filter((item) => item.length > 0);
  if (presented.length > MAX_SIGNATURES) return { ok: false, reason: 'webhook-signature lists too many signatures' };
  const candidates = presented
    .filter((item) => item.startsWith('v1,'))
    .map((item) => item.slice(3))
    .filter((encoded) => V1_SIGNATURE.test(encoded))
    .map((encoded) => Buffer.from(encoded, 'base64'));
  if (candidates.length === 0) return { ok: false, reason: 'webhook-signature has no well-formed v1 signature' };

  const expected = keys.map((key) => mac(key, id, timestamp, rawBody));
  let matched = false;
  // Every pair is compared, so the time taken does not tell which secret or which position came close.
  for (const candidate of candidates) {
    for (const digest of expected) matched = timingSafeEqual(candidate, digest) || matched;
  }
  return matched ? { ok: true, webhookId: id } : { ok: false, reason: 'webhook-signature does not match' };
}

function mac(key: Buffer, id: string, timestamp: string, body: Buffer): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
