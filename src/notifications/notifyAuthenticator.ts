import { AppError } from '../errors';
import type { HttpClient } from '../http/httpClient';
import type { Logger } from '../logging/logger';
import { NotifyTokenValidator } from './notifyTokenValidator';
import type { NotifyBearerOptions } from './notifyTokenValidator';
import { parseWebhookSecret, verifyWebhookSignature } from './notifyWebhookSignature';

/** How `POST /api/notify` callers may prove who they are; a method left unconfigured refuses every request. */
export interface NotifyAuthenticatorOptions {
  /** Standard Webhooks secrets (`whsec_<base64>`), several during a rotation; empty = HMAC disabled. */
  hmacSecrets: string[];
  /** Entra ID app-only tokens; absent = bearer tokens disabled. */
  bearer?: NotifyBearerOptions;
  /** Fetches the tenants' OpenID metadata and keys (trusts the demo CA when configured). */
  httpClient: HttpClient;
  logger: Logger;
  /** Epoch seconds clock (tests). */
  now?: () => number;
}

/**
 * Who sent an accepted notification. `hmac`: a holder of a shared secret, with the sender's `webhook-id` (an
 * idempotency key for retried deliveries). `bearer`: the calling app (`azp`/`appid`) in the token's tenant.
 */
export type NotifySender = { kind: 'hmac'; webhookId: string } | { kind: 'bearer'; tenantId: string; clientId: string };

type RequestHeaders = Record<string, string | string[] | undefined>;

/**
 * Authenticates a `POST /api/notify` request before its body is parsed. The method is chosen by the headers: an
 * `Authorization: Bearer` header is an Entra ID token (the Standard Webhooks headers are then ignored, never tried
 * as a fallback); otherwise the `webhook-*` headers are an HMAC signature. Refusals are AppError `notSignedIn`
 * with one reason in the message (logged once here, never with the token or a secret); Entra being unreachable
 * is AppError `upstreamUnavailable`/`timeout`, so the sender retries. Nothing configured refuses everything.
 */
export class NotifyAuthenticator {
  private readonly hmacKeys: Buffer[];
  private readonly bearer: NotifyTokenValidator | undefined;

  /** Throws an Error naming the position of a malformed secret (never its value). */
  constructor(private readonly options: NotifyAuthenticatorOptions) {
    this.hmacKeys = options.hmacSecrets.map((secret, index) => {
      try {
        return parseWebhookSecret(secret);
      } catch (err) {
        throw new Error(`webhook secret #${index + 1}: ${(err as Error).message}`);
      }
    });
    this.bearer = options.bearer
      ? new NotifyTokenValidator({
          ...options.bearer,
          httpClient: options.httpClient,
          ...(options.now ? { now: options.now } : {}),
        })
      : undefined;
  }

  /** The sender of a request whose headers and raw body prove it; AppError otherwise (see the class comment). */
  async authenticate(headers: RequestHeaders, rawBody: Buffer): Promise<NotifySender> {
    const authorization = header(headers, 'authorization');
    if (authorization !== undefined) return this.bearerSender(authorization);
    if (header(headers, 'webhook-signature') !== undefined) return this.hmacSender(headers, rawBody);
    if (!this.bearer && this.hmacKeys.length === 0) throw this.refuse('none', 'notifications are not configured');
    throw this.refuse('none', 'the request carries neither a bearer token nor a webhook signature');
  }

  private async bearerSender(authorization: string | string[]): Promise<NotifySender> {
    if (!this.bearer) throw this.refuse('bearer', 'bearer tokens are not accepted (no caller client ids configured)');
    const match = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!match?.[1]) throw this.refuse('bearer', 'the Authorization header is not a single Bearer token');
    const verdict = await this.bearer.validate(match[1]);
    if (!verdict.ok) {
      throw this.refuse('bearer', verdict.reason, { tenantId: verdict.tenantId, clientId: verdict.clientId });
    }
    this.options.logger.info(
      { method: 'bearer', tenantId: verdict.tenantId, clientId: verdict.clientId },
      'notification sender accepted',
    );
    return { kind: 'bearer', tenantId: verdict.tenantId, clientId: verdict.clientId };
  }

  private hmacSender(headers: RequestHeaders, rawBody: Buffer): NotifySender {
    if (this.hmacKeys.length === 0)
      throw this.refuse('hmac', 'webhook signatures are not accepted (no secret configured)');
    const now = this.options.now?.() ?? Date.now() / 1000;
    const verification = verifyWebhookSignature(
      this.hmacKeys,
      {
        id: header(headers, 'webhook-id'),
        timestamp: header(headers, 'webhook-timestamp'),
        signature: header(headers, 'webhook-signature'),
      },
      rawBody,
      now,
    );
    if (!verification.ok) throw this.refuse('hmac', verification.reason);
    this.options.logger.info({ method: 'hmac', webhookId: verification.webhookId }, 'notification sender accepted');
    return { kind: 'hmac', webhookId: verification.webhookId };
  }

  private refuse(method: string, reason: string, facts: { tenantId?: string; clientId?: string } = {}): AppError {
    this.options.logger.warn({ method, reason, ...facts }, 'notification sender refused');
    return new AppError('notSignedIn', `notification refused: ${reason}`);
  }
}

/** A header by lower-case name; Node lower-cases incoming names, plain objects in tests may not. */
function header(headers: RequestHeaders, name: string): string | string[] | undefined {
  if (name in headers) return headers[name];
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key !== undefined ? headers[key] : undefined;
}
