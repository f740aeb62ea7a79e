import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Logger } from '../../logging/logger';
import { isLoopback, sendJson } from '../simHttp';
import { EntraLookupError } from './entraLookupError';
import type { EntraStats, UserAssertionRequest } from './entraTypes';
import type { MintedToken } from './tokenMinter';

/** The emulator operations the control routes expose. */
export interface EntraControlTarget {
  mintUserAssertion(input: UserAssertionRequest): MintedToken;
  addClientCertificate(clientId: string, certificatePem: string): void;
  stats(): EntraStats;
  resetStats(): void;
  grantAdminConsent(tenantId: string, clientId: string): void;
  revokeAdminConsent(tenantId: string, clientId: string): void;
  declineNextAdminConsent(tenantId: string): void;
  knowsTenant(tenantIdOrDomain: string): boolean;
}

/** Body of `POST /_sim/entra/consent/{grant,revoke,decline}`: the tenant (id or domain) and, but for decline, the app. */
const consentRequestSchema = z.strictObject({
  tenantId: z.string().min(1),
  clientId: z.string().min(1).optional(),
});

/** Body of `POST /_sim/entra/assertions`. */
const assertionRequestSchema = z.strictObject({
  tenantId: z.string().min(1),
  aadObjectId: z.string().min(1),
  audience: z.string().min(1),
  lifetimeSeconds: z.number().int().min(1).max(86_400).optional(),
  scope: z.string().min(1).optional(),
  expired: z.boolean().optional(),
  mfa: z.boolean().optional(),
});

/** Body of `POST /_sim/entra/certificates`: a public certificate (PEM) to register on an app. */
const certificateRequestSchema = z.strictObject({
  clientId: z.string().min(1),
  certificatePem: z.string().regex(/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/),
});

const NO_STORE = { 'cache-control': 'no-store' };

/**
 * `/_sim/entra/...`: mint a Teams-SSO-like assertion (demo mode has no Teams SSO), register an app's certificate
 * credential, grant / revoke / decline admin consent, read and reset the request counters. Loopback callers only; anything else gets 403 before the path is even looked at.
 */
export function handleEntraControl(
  target: EntraControlTarget,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  body: string,
  logger: Logger | undefined,
): void {
  if (!isLoopback(req)) {
    sendJson(res, 403, { error: 'forbidden', message: 'simulator control endpoints answer loopback callers only' });
    return;
  }
  const method = req.method ?? 'GET';
  switch (path) {
    case '/_sim/entra/assertions':
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      return mintAssertion(target, res, body, logger);
    case '/_sim/entra/certificates':
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      return addCertificate(target, res, body, logger);
    case '/_sim/entra/consent/grant':
    case '/_sim/entra/consent/revoke':
    case '/_sim/entra/consent/decline':
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      return changeConsent(target, res, path.slice('/_sim/entra/consent/'.length), body, logger);
    case '/_sim/entra/stats':
      if (method !== 'GET') return methodNotAllowed(res, 'GET');
      return sendJson(res, 200, target.stats(), NO_STORE);
    case '/_sim/entra/stats/reset':
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      target.resetStats();
      return sendJson(res, 200, target.stats(), NO_STORE);
    default:
      return sendJson(res, 404, { error: 'not_found' });
  }
}

function mintAssertion(
  target: EntraControlTarget,
  res: ServerResponse,
  body: string,
  logger: Logger | undefined,
): void {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return sendJson(res, 400, { error: 'invalid_request', message: 'body must be JSON' });
  }
  const parsed = assertionRequestSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(body)');
    return sendJson(res, 400, { error: 'invalid_request', message: `invalid fields: ${fields.join(', ')}` });
  }
  try {
    const minted = target.mintUserAssertion(parsed.data);
    logger?.info({ tenantId: parsed.data.tenantId, outcome: 'issued' }, 'entra emulator minted a user assertion');
    return sendJson(res, 200, { token: minted.token, expiresOn: minted.expiresOn.toISOString() }, NO_STORE);
  } catch (err) {
    if (!(err instanceof EntraLookupError)) throw err;
    logger?.info({ tenantId: parsed.data.tenantId, outcome: err.code }, 'entra emulator refused a user assertion');
    return sendJson(res, 404, { error: err.code, message: err.message });
  }
}

function addCertificate(
  target: EntraControlTarget,
  res: ServerResponse,
  body: string,
  logger: Logger | undefined,
): void {
  const parsed = certificateRequestSchema.safeParse(parseJson(body));
  if (!parsed.success) {
    return sendJson(res, 400, { error: 'invalid_request', message: 'body must be {clientId, certificatePem}' });
  }
  try {
    target.addClientCertificate(parsed.data.clientId, parsed.data.certificatePem);
  } catch (err) {
    if (err instanceof EntraLookupError) return sendJson(res, 404, { error: err.code, message: err.message });
    return sendJson(res, 400, { error: 'invalid_request', message: 'certificatePem is not a parseable certificate' });
  }
  logger?.info({ clientId: parsed.data.clientId }, 'entra emulator registered a client certificate');
  return sendJson(res, 201, { clientId: parsed.data.clientId }, NO_STORE);
}

/**
 * Grants or revokes a tenant's admin consent for an app, or makes the tenant's administrator decline the next
 * admin consent request (AADSTS65004 redirect). 404 for a tenant or app the emulator does not know.
 */
function changeConsent(
  target: EntraControlTarget,
  res: ServerResponse,
  change: string,
  body: string,
  logger: Logger | undefined,
): void {
  const parsed = consentRequestSchema.safeParse(parseJson(body));
  if (!parsed.success || (change !== 'decline' && parsed.data.clientId === undefined)) {
    const fields = change === 'decline' ? '{tenantId}' : '{tenantId, clientId}';
    return sendJson(res, 400, { error: 'invalid_request', message: `body must be ${fields}` });
  }
  const { tenantId, clientId } = parsed.data;
  if (!target.knowsTenant(tenantId)) {
    return sendJson(res, 404, { error: 'tenant_not_found', message: `tenant ${tenantId} is not seeded` });
  }
  try {
    if (change === 'decline') target.declineNextAdminConsent(tenantId);
    else if (change === 'grant') target.grantAdminConsent(tenantId, clientId ?? '');
    else target.revokeAdminConsent(tenantId, clientId ?? '');
  } catch (err) {
    if (err instanceof EntraLookupError) return sendJson(res, 404, { error: err.code, message: err.message });
    throw err;
  }
  logger?.info({ tenantId, clientId, change }, 'entra emulator consent changed');
  return sendJson(res, 200, { tenantId, ...(clientId !== undefined ? { clientId } : {}), change }, NO_STORE);
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  sendJson(res, 405, { error: 'method_not_allowed' }, { allow });
}
