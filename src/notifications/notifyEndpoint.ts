import { isAppError } from '../errors';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { AlertNotifications } from './alertNotifications';
import type { NotifyAuthenticator } from './notifyAuthenticator';
import { isJsonContentType, parseNotifyBody } from './notifyRequest';

/** A webhook id seen within this long is answered as a duplicate (Standard Webhooks' idempotency key). */
const REPLAY_WINDOW_MS = 10 * 60_000;

/** What the endpoint needs: who may call, which tenants are served, where alerts go. */
export interface NotifyEndpointOptions {
  authenticator: NotifyAuthenticator;
  notifications: Pick<AlertNotifications, 'ingestPushed'>;
  /** Tenants served; with one, an HMAC-signed call may omit `tenantId`. */
  servedTenants: string[];
  maxBodyBytes: number;
  logger: Logger;
}

type Answer = { status: number; body: object };

function refuse(status: number, code: string, message: string): Answer {
  return { status, body: { error: { code, message } } };
}

/**
 * `POST /api/notify`: a push source names alerts (by id, or by sending Defender's alert body) and the bot takes
 * them in as if it had polled them — after re-reading each one from Defender with its own application identity,
 * because nothing in the request is trusted beyond the ids. Answers 202 with what it did; 400/401/403/413/415
 * with one clear reason; 409 while the same webhook id is still being processed; 502 when Defender refuses the
 * bot's own identity (consent or credentials); 503 when Defender or Entra ID cannot be reached, so the sender
 * retries. An alert whose device tags cannot be read yet is kept by the intake and tried again (202, `deferred`).
 */
export function createNotifyHandler(options: NotifyEndpointOptions) {
  // Webhook ids being processed or done; only a success is remembered, so a failed attempt's retry gets in.
  const seen = new Map<string, { at: number; done: boolean }>();
  const served = new Set(options.servedTenants.map((t) => t.toLowerCase()));

  return async (request: {
    headers: Record<string, string | string[] | undefined>;
    rawBody: Buffer;
  }): Promise<Answer> => {
    const { logger } = options;
    if (!isJsonContentType(request.headers['content-type']))
      return refuse(415, 'unsupportedMediaType', 'Send the notification as application/json.');
    if (request.rawBody.length > options.maxBodyBytes)
      return refuse(413, 'payloadTooLarge', `A notification is at most ${options.maxBodyBytes} bytes.`);

    let sender: Awaited<ReturnType<NotifyAuthenticator['authenticate']>>;
    try {
      sender = await options.authenticator.authenticate(request.headers, request.rawBody);
    } catch (err) {
      if (isAppError(err, 'upstreamUnavailable', 'timeout'))
        return refuse(503, 'unavailable', 'Entra ID could not be reached to check the token. Try again.');
      return refuse(401, 'unauthorized', 'The request is not signed by an allowed sender.');
    }

    let parsed: ReturnType<typeof parseNotifyBody>;
    try {
      parsed = parseNotifyBody(request.rawBody, { maxBytes: options.maxBodyBytes });
    } catch (err) {
      return refuse(400, 'invalidRequest', isAppError(err) ? err.message : 'The notification could not be read.');
    }

    // Whose alerts: a token's tenant is the caller's; an HMAC call names it, unless only one tenant is served.
    let tenantId: string | undefined;
    if (sender.kind === 'bearer') {
      if (parsed.tenantId && parsed.tenantId !== sender.tenantId.toLowerCase())
        return refuse(403, 'forbidden', 'A caller may only notify about alerts of its own tenant.');
      tenantId = sender.tenantId.toLowerCase();
    } else {
      tenantId = parsed.tenantId ?? (served.size === 1 ? [...served][0] : undefined);
      if (!tenantId) return refuse(400, 'invalidRequest', 'Name the tenant (tenantId): this bot serves several.');
    }
    if (!served.has(tenantId)) return refuse(403, 'forbidden', 'This bot does not serve that tenant.');

    if (sender.kind === 'hmac') {
      const now = Date.now();
      for (const [id, entry] of seen) if (now - entry.at > REPLAY_WINDOW_MS) seen.delete(id);
      const earlier = seen.get(sender.webhookId);
      if (earlier?.done) return { status: 202, body: { duplicate: true } };
      if (earlier)
        return refuse(409, 'inProgress', 'This notification is still being processed. Try again in a minute.');
      seen.set(sender.webhookId, { at: now, done: false });
    }
    const settle = (done: boolean) => {
      if (sender.kind !== 'hmac') return;
      if (done) seen.set(sender.webhookId, { at: Date.now(), done: true });
      else seen.delete(sender.webhookId);
    };

    try {
      const result = await options.notifications.ingestPushed(tenantId, parsed.alertIds);
      logger.info(
        { sender: sender.kind, alerts: parsed.alertIds.length, notFound: result.notFound.length },
        'notification received',
      );
      settle(true);
      return {
        status: 202,
        body: {
          received: parsed.alertIds.length,
          new: result.ingested,
          unchanged: result.unchanged,
          notFound: result.notFound,
          // Alerts whose device could not be read yet: kept, and matched on a later try.
          deferred: result.deferred,
        },
      };
    } catch (err) {
      settle(false); // let the sender's retry through
      logger.warn({ err: serializeError(err) }, 'notification could not be processed');
      if (isAppError(err, 'rateLimited', 'upstreamUnavailable', 'timeout', 'unexpectedResponse'))
        return refuse(503, 'unavailable', 'Microsoft Defender could not be read just now. Try again.');
      if (isAppError(err, 'consentRequired', 'clientCredentialsInvalid', 'unauthorized', 'forbidden'))
        // The bot's own identity was refused: a setup problem on this side, named, not a retryable outage.
        return refuse(
          502,
          'botNotAuthorized',
          'The bot may not read alerts in this tenant: an administrator must consent to its Defender permission (Alert.Read.All) or fix its credentials.',
        );
      throw err;
    }
  };
}
