import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AuditSink } from '../approvals/auditSink';
import type { AuditActor, AuditDetail } from '../audit/auditEntry';
import { takeStoredOnce } from '../auth/takeStoredOnce';
import type { DefenderAuth } from '../defender/defenderClient';
import { isAppError } from '../errors';
import type { HttpClient } from '../http/httpClient';
import type { Storage } from '../storage/storage';
import { CREATE_ONLY_ETAG } from '../storage/storage';
import type { CustomerPersonRef, CustomerTenant } from './customerDirectory';
import type { CustomerHealthCheck } from './customerHealth';
import { consentRequestSchema, customerKeys, customerRefusal, GUID_PATTERN } from './customerRecords';
import type { ConsentRequest } from './customerRecords';
import type { CustomerRegistry } from './customerRegistry';
import { resolveTenantId } from './tenantDiscovery';

/** How long an admin-consent link stays usable. */
export const CONSENT_STATE_TTL_MS = 60 * 60 * 1000;

/** A customer's name: 1–64 letters, digits, spaces and `. - &`. */
export const CUSTOMER_NAME_PATTERN = /^[\p{L}\p{N} .&-]{1,64}$/u;

/** What onboarding needs; `publicUrl` is read when a link is made (absent: the bot cannot receive the redirect). */
export interface CustomerOnboardingOptions {
  registry: CustomerRegistry;
  storage: Storage;
  audit: AuditSink;
  http: HttpClient;
  /** e.g. https://login.microsoftonline.com (no trailing slash). */
  authorityHost: string;
  botAppId: string;
  /** The MSSP's own tenant: never a customer of itself. */
  providerTenantId: string;
  publicUrl: () => string | undefined;
  /** The app's own Defender auth per tenant (`Identity.defenderAppAuth`): a token with roles proves the consent. */
  defenderAppAuth: (tenantId: string) => DefenderAuth;
  health: CustomerHealthCheck;
  now?: () => Date;
}

/** What `start` returns: the pending customer and the link its admin must open. */
export interface OnboardingStarted {
  customer: CustomerTenant;
  consentUrl: string;
  expiresAt: Date;
}

/** Why a consent redirect was not accepted without touching any customer. */
export type ConsentRejection = 'missingState' | 'unknownState' | 'tenantMismatch';

/** The outcome of admin consent's redirect, for the `/auth/consent` page. */
export type ConsentOutcome =
  | { kind: 'connected'; customer: CustomerTenant }
  /** Entra reported an error, or the consent could not be proved: the customer is `consentFailed`. */
  | { kind: 'failed'; customer: CustomerTenant; failure: string }
  /** Forged, expired, replayed or missing state, or a redirect from another tenant: nothing recorded but the audit. */
  | { kind: 'rejected'; reason: ConsentRejection };

/** The query of admin consent's redirect (Microsoft identity platform v2 `adminconsent`). */
const redirectQuerySchema = z.object({
  tenant: z.string().max(64).optional(),
  state: z.string().max(512).optional(),
  admin_consent: z.string().max(16).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(4096).optional(),
});

/** Entra's error codes are short snake_case words; anything else is recorded as `unknown`. */
const ERROR_CODE = /^[a-z_]{1,64}$/;

const BOT: AuditActor = { system: 'bot' };

/**
 * Onboarding a customer tenant with admin consent. `start` records the customer as `pendingConsent` and returns the
 * v2 admin-consent link with a fresh `state` (32 random bytes, stored only as its SHA-256, for one hour, bound to
 * the tenant, the name and the requester). `complete` handles Entra's redirect: it takes the state once (a replayed
 * or second redirect finds nothing), checks the tenant it was issued for, proves the consent by obtaining the app's
 * token there, records the granted permissions (the token's `roles`) and the first health check, and makes the
 * customer active. Every outcome is audited; the state, tokens and Entra's free-text description never are.
 */
export class CustomerOnboarding {
  private readonly now: () => Date;

  constructor(private readonly options: CustomerOnboardingOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** True when the bot has a public URL to receive consent redirects (onboarding is impossible without one). */
  canOnboard(): boolean {
    return Boolean(this.options.publicUrl());
  }

  /**
   * Starts onboarding `name` at `tenant` (a tenant id or a domain). AppError `invalidInput` (details.upstreamCode
   * from CustomerRefusal) for an invalid or taken name, an unknown tenant, or the provider's own tenant.
   */
  async start(input: {
    name: string;
    tenant: string;
    requestedBy: CustomerPersonRef;
    now: Date;
  }): Promise<OnboardingStarted> {
    const publicUrl = this.options.publicUrl();
    if (!publicUrl) throw customerRefusal('noPublicUrl', 'no public URL for the consent redirect');
    const name = input.name.trim();
    if (!CUSTOMER_NAME_PATTERN.test(name)) throw customerRefusal('nameInvalid', 'invalid customer name');
    const tenantId = await resolveTenantId(this.options.http, this.options.authorityHost, input.tenant);
    if (tenantId === this.options.providerTenantId.toLowerCase()) {
      throw customerRefusal('providerTenant', "the provider's own tenant cannot be a customer");
    }
    const customer = await this.options.registry.recordPending({
      tenantId,
      name,
      requestedBy: input.requestedBy,
      requestedAt: input.now.toISOString(),
    });
    const state = randomBytes(32).toString('base64url');
    const expiresAt = new Date(input.now.getTime() + CONSENT_STATE_TTL_MS);
    const request: ConsentRequest = {
      tenantId,
      name: customer.name,
      requestedBy: input.requestedBy,
      expiresAt: expiresAt.getTime(),
      requestedAt: customer.requestedAt,
    };
    await this.options.storage.write({ [customerKeys.consent(state)]: { ...request, eTag: CREATE_ONLY_ETAG } });
    await this.audit('customer.onboardingStarted', tenantId, personActor(input.requestedBy), {
      name: customer.name,
      expiresAt: expiresAt.toISOString(),
    });
    const consentUrl =
      `${this.options.authorityHost}/${tenantId}/adminconsent` +
      `?client_id=${encodeURIComponent(this.options.botAppId)}` +
      `&redirect_uri=${encodeURIComponent(`${publicUrl}/auth/consent`)}` +
      `&state=${encodeURIComponent(state)}`;
    return { customer, consentUrl, expiresAt };
  }

  /** Handles the redirect's query (untrusted: every field is checked). Storage failures propagate. */
  async complete(rawQuery: Record<string, unknown>): Promise<ConsentOutcome> {
    const query = redirectQuerySchema.safeParse(stringsOnly(rawQuery)).data ?? {};
    const claimedTenant = query.tenant !== undefined && GUID_PATTERN.test(query.tenant) ? query.tenant : 'unknown';
    if (!query.state) return this.reject('missingState', claimedTenant.toLowerCase());
    const now = this.now();
    const request = await takeStoredOnce(
      this.options.storage,
      customerKeys.consent(query.state),
      (raw) => consentRequestSchema.safeParse(raw).data,
    );
    if (!request || request.expiresAt <= now.getTime()) return this.reject('unknownState', claimedTenant.toLowerCase());
    // A link made before the customer was offboarded (or onboarded again since) belongs to no onboarding now: the
    // customer's administrator must not bring back a customer the provider ended.
    const current = await this.options.registry.get(request.tenantId);
    if (!current || current.status === 'offboarded' || current.requestedAt !== request.requestedAt)
      return this.reject('unknownState', request.tenantId);

    if (query.error !== undefined) {
      const failure = ERROR_CODE.test(query.error) ? query.error : 'unknown';
      return this.fail(request, failure, { reason: 'entraError', error: failure });
    }
    if (query.tenant?.toLowerCase() !== request.tenantId) {
      // An admin of another tenant went through this link: not this onboarding.
      await this.audit('customer.consentRefused', request.tenantId, BOT, {
        reason: 'tenantMismatch',
        redirectTenant: claimedTenant.toLowerCase(),
        name: request.name,
      });
      return { kind: 'rejected', reason: 'tenantMismatch' };
    }
    if (query.admin_consent !== 'True') {
      return this.fail(request, 'consentNotGranted', { reason: 'consentNotGranted' });
    }

    let permissions: string[];
    try {
      permissions = rolesOf(await this.options.defenderAppAuth(request.tenantId).getAccessToken());
    } catch (err) {
      const code = isAppError(err) ? err.code : 'internal';
      return this.fail(request, code, { reason: 'tokenFailed', code });
    }
    // Entra issues a token without roles where the app has no application permission granted.
    if (permissions.length === 0) {
      return this.fail(request, 'noPermissionsGranted', { reason: 'noPermissionsGranted' });
    }
    const health = await this.options.health.check(request.tenantId, now);
    const customer = await this.options.registry.markActive(request.tenantId, {
      consentedAt: now.toISOString(),
      permissions,
      health,
    });
    await this.audit('customer.onboarded', request.tenantId, personActor(request.requestedBy), {
      name: customer.name,
      permissions: permissions.join(' ').slice(0, 1000),
      token: health.token,
      defender: health.defender,
      graph: health.graph,
    });
    return { kind: 'connected', customer };
  }

  private async reject(reason: ConsentRejection, tenantId: string): Promise<ConsentOutcome> {
    await this.audit('customer.consentRefused', tenantId, BOT, { reason });
    return { kind: 'rejected', reason };
  }

  private async fail(
    request: ConsentRequest,
    failure: string,
    detail: Record<string, string>,
  ): Promise<ConsentOutcome> {
    // A connected customer whose renewed consent failed keeps working with what it granted before.
    const current = await this.options.registry.get(request.tenantId);
    const customer =
      current?.status === 'active' ? current : await this.options.registry.markConsentFailed(request.tenantId, failure);
    await this.audit('customer.consentRefused', request.tenantId, BOT, { ...detail, name: request.name });
    return { kind: 'failed', customer, failure };
  }

  private async audit(
    type: 'customer.onboardingStarted' | 'customer.onboarded' | 'customer.consentRefused',
    tenantId: string,
    actor: AuditActor,
    detail: AuditDetail,
  ): Promise<void> {
    await this.options.audit.append({ type, tenantId, actor, detail });
  }
}

/** The application permissions in an access token's `roles` claim. The payload is only decoded: the token came from
 * Entra over TLS a moment ago, and what it says is only recorded and shown, never used to authorize anything. */
function rolesOf(token: string): string[] {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    const roles = z.object({ roles: z.array(z.string().max(128)).max(200).optional() }).safeParse(payload).data?.roles;
    return roles ?? [];
  } catch {
    return [];
  }
}

function personActor(person: CustomerPersonRef): AuditActor {
  return { aadObjectId: person.aadObjectId, userPrincipalName: person.userPrincipalName };
}

/** A query parser may give arrays for repeated parameters: a repeated parameter counts as absent. */
function stringsOnly(query: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
