import { X509Certificate, createHash } from 'node:crypto';
import { z } from 'zod';
import type { DelegatedAdminRelationship, GdapRole, Seed, SeedUser } from '../seed/seedSchema';
import {
  BOT_FRAMEWORK_TENANT_ALIAS,
  BOT_FRAMEWORK_TENANT_ID,
  isBotFrameworkTenant,
  resolveTenantAlias,
} from './botFrameworkTenant';
import type { MicrosoftService } from './defenderScopes';

/** An app registration as the emulator knows it (the bot registers itself this way in demo mode). */
export const entraClientRegistrationSchema = z.object({
  clientId: z.string().min(1),
  /** The app's client secret; an app registered with certificates only has none (a secret is then refused). */
  clientSecret: z.string().min(1).optional(),
  /**
   * Public certificates (PEM) registered as the app's certificate credentials: a client assertion signed with one
   * of their keys, named by `x5t#S256` (or `x5t`), authenticates the app.
   */
  certificates: z.array(z.string().min(1)).optional(),
  displayName: z.string().min(1),
  /** Delegated Defender permissions (the `scp` of OBO tokens), e.g. `Alert.ReadWrite`, `Machine.Isolate`. */
  delegatedPermissions: z.array(z.string().min(1)),
  /** Application permissions (the `roles` of app tokens), e.g. `Alert.Read.All`. */
  applicationPermissions: z.array(z.string().min(1)),
  /** The tenant the app is registered in; it is consented there automatically. */
  homeTenantId: z.string().min(1).optional(),
  /** "Accounts in any organizational directory": usable in other tenants once they consent. */
  multiTenant: z.boolean().optional(),
  /** Answered with AADSTS7000112 (rehearse a broken deployment). */
  disabled: z.boolean().optional(),
  /**
   * App roles assigned to this app on other registered apps' APIs (Entra's app role assignments to its service
   * principal), e.g. `[{ resource: '<bot client id>', roles: ['SOC.Notify'] }]`: the `roles` of its app tokens for
   * that API. Simplification: an assignment holds in every tenant where both apps have a service principal.
   */
  apiAppRoles: z.array(z.object({ resource: z.string().min(1), roles: z.array(z.string().min(1)) })).optional(),
  /** The token version of this app's own API (Entra's `api.requestedAccessTokenVersion`); 2 when unset. */
  requestedAccessTokenVersion: z.union([z.literal(1), z.literal(2)]).optional(),
});

/** Input of `EntraEmulator.registerClient`. */
export type EntraClientRegistration = z.infer<typeof entraClientRegistrationSchema>;

/** A simulated tenant: its seed identity and its users by lower-case object id. */
export interface DirectoryTenant {
  id: string;
  name: string;
  users: Map<string, SeedUser>;
  /** False for a tenant without Defender for Endpoint (seed `defender.provisioned: false`): no MDE principal. */
  mdeProvisioned: boolean;
  /** Verified domain names (lower case); each resolves to this tenant as Entra resolves `{tenant}` path segments. */
  domains: string[];
  /** B2B guest accounts by their home identity, `key(homeTenantId, homeObjectId)`. */
  guests: Map<string, SeedUser>;
  /** GDAP relationships: which partner people hold which Entra roles here. */
  delegatedAdmin: DelegatedAdminRelationship[];
}

const key = (...parts: string[]) => parts.map((part) => part.toLowerCase()).join('|');
/** The Application ID URI form the bot's registration exposes (Teams SSO convention). */
const API_URI_PREFIX = 'api://botid-';

/**
 * The emulator's state: tenants and users from the seeds, app registrations, and which tenant consented to
 * which app. Identifiers compare case-insensitively, as GUIDs do in Entra. The Bot Framework tenant
 * (botframework.com) always exists, without users, and knows every registered app: that is where multi-tenant
 * bots get the token for their replies.
 */
export class EntraDirectory {
  private readonly tenants = new Map<string, DirectoryTenant>();
  private readonly clients = new Map<string, EntraClientRegistration>();
  private readonly consents = new Set<string>();
  /** Service principals created by a consent (tenant|client); revoking the consent leaves them in place. */
  private readonly servicePrincipals = new Set<string>();
  private readonly domains = new Map<string, DirectoryTenant>();
  /** Tenants whose administrator declines the next admin consent request (a control endpoint sets it). */
  private readonly decliningTenants = new Set<string>();

  constructor(seeds: Seed[]) {
    this.tenants.set(key(BOT_FRAMEWORK_TENANT_ID), {
      id: BOT_FRAMEWORK_TENANT_ID,
      name: BOT_FRAMEWORK_TENANT_ALIAS,
      users: new Map(),
      mdeProvisioned: false,
      domains: [BOT_FRAMEWORK_TENANT_ALIAS],
      guests: new Map(),
      delegatedAdmin: [],
    });
    for (const seed of seeds) {
      const tenant: DirectoryTenant = this.tenants.get(key(seed.tenant.id)) ?? {
        id: seed.tenant.id,
        name: seed.tenant.name,
        users: new Map(),
        mdeProvisioned: true,
        domains: [],
        guests: new Map(),
        delegatedAdmin: [],
      };
      if (seed.defender?.provisioned === false) tenant.mdeProvisioned = false;
      for (const user of seed.users) {
        tenant.users.set(key(user.aadObjectId), user);
        if (user.guestOf) tenant.guests.set(key(user.guestOf.tenantId, user.guestOf.objectId), user);
      }
      for (const domain of seed.tenant.domains ?? []) {
        tenant.domains.push(domain.toLowerCase());
        this.domains.set(domain.toLowerCase(), tenant);
      }
      tenant.delegatedAdmin.push(...seed.delegatedAdmin);
      this.tenants.set(key(seed.tenant.id), tenant);
    }
    for (const seed of seeds) {
      for (const client of seed.clients) {
        const existing = this.clients.get(key(client.clientId));
        // The same app in several seeds is one multi-tenant app consented in each of those tenants.
        this.registerClient({
          ...client,
          homeTenantId: existing?.homeTenantId ?? seed.tenant.id,
          multiTenant: existing !== undefined,
        });
        this.grantAdminConsent(seed.tenant.id, client.clientId);
      }
    }
  }

  /** The tenant with this id, or one of its verified domain names (`botframework.com` included), if seeded. */
  tenant(tenantIdOrDomain: string): DirectoryTenant | undefined {
    return (
      this.tenants.get(key(resolveTenantAlias(tenantIdOrDomain))) ?? this.domains.get(tenantIdOrDomain.toLowerCase())
    );
  }

  /** The B2B guest account of the person (home tenant, home object id) in `tenant`, if invited there. */
  guestAccount(tenant: DirectoryTenant, homeTenantId: string, homeObjectId: string): SeedUser | undefined {
    return tenant.guests.get(key(homeTenantId, homeObjectId));
  }

  /** The Entra roles GDAP grants the partner person (home tenant, home object id) in `tenant`, without duplicates. */
  delegatedRoles(tenant: DirectoryTenant, partnerTenantId: string, homeObjectId: string): GdapRole[] {
    const roles = tenant.delegatedAdmin
      .filter((relationship) => key(relationship.partnerTenantId) === key(partnerTenantId))
      .filter((relationship) => relationship.principals.some((principal) => key(principal) === key(homeObjectId)))
      .flatMap((relationship) => relationship.roles);
    return [...new Set(roles)];
  }

  /** Makes the tenant's administrator decline its next admin consent request (AADSTS65004). */
  declineNextConsent(tenantId: string): void {
    this.decliningTenants.add(key(tenantId));
  }

  /** True (once) when the tenant's administrator was set to decline: the flag is used up by this call. */
  takeConsentDecline(tenantId: string): boolean {
    return this.decliningTenants.delete(key(tenantId));
  }

  /** The users whose UPN is `upn` (case-insensitive), in one tenant or, without one, in every tenant. */
  usersByUpn(upn: string, tenantId?: string): Array<{ tenant: DirectoryTenant; user: SeedUser }> {
    const tenants = tenantId === undefined ? [...this.tenants.values()] : [this.tenant(tenantId)];
    const wanted = upn.toLowerCase();
    return tenants.flatMap((tenant) =>
      tenant
        ? [...tenant.users.values()]
            .filter((user) => user.userPrincipalName.toLowerCase() === wanted)
            .map((user) => ({ tenant, user }))
        : [],
    );
  }

  /** A seeded user of a tenant. */
  user(tenantId: string, aadObjectId: string): SeedUser | undefined {
    return this.tenant(tenantId)?.users.get(key(aadObjectId));
  }

  /** Adds or replaces an app registration; its home tenant counts as consented. */
  registerClient(registration: EntraClientRegistration): void {
    const parsed = entraClientRegistrationSchema.parse(registration);
    this.clients.set(key(parsed.clientId), parsed);
    if (parsed.homeTenantId) this.grantAdminConsent(parsed.homeTenantId, parsed.clientId);
  }

  /** Registers one more certificate credential (public PEM) on an app; false when the app is not registered. */
  addCertificate(clientId: string, certificatePem: string): boolean {
    const client = this.client(clientId);
    if (!client) return false;
    new X509Certificate(certificatePem); // refuses anything that is not one parseable certificate
    client.certificates = [...(client.certificates ?? []), certificatePem];
    return true;
  }

  /** The registration of an app id. */
  client(clientId: string): EntraClientRegistration | undefined {
    return this.clients.get(key(clientId));
  }

  /** The app whose API a lower-cased resource identifier names: `api://botid-<clientId>` or the bare client id. */
  clientByApiIdentifier(resource: string): EntraClientRegistration | undefined {
    const clientId = resource.toLowerCase().startsWith(API_URI_PREFIX)
      ? resource.slice(API_URI_PREFIX.length)
      : resource;
    return clientId.length > 0 ? this.client(clientId) : undefined;
  }

  /**
   * True when the app has a service principal in the tenant, so that tokens for its API can be issued there: its
   * home tenant (consented at registration), a tenant that consented, or anywhere for an app registered without a
   * home tenant. The Bot Framework tenant hosts no APIs but its own.
   */
  hasServicePrincipal(tenantId: string, client: EntraClientRegistration): boolean {
    if (isBotFrameworkTenant(tenantId)) return false;
    return client.homeTenantId === undefined || this.isConsented(tenantId, client.clientId);
  }

  /**
   * True when the tenant has the service principal of a Microsoft service, so tokens for it can be issued there:
   * MDE only where Defender for Endpoint is provisioned, none in the Bot Framework tenant (else AADSTS500011).
   */
  hostsService(tenant: DirectoryTenant, service: MicrosoftService): boolean {
    if (isBotFrameworkTenant(tenant.id)) return false;
    return service !== 'mde' || tenant.mdeProvisioned;
  }

  /** The app roles `caller` is assigned on the API of `resourceClientId` (its `apiAppRoles`), without duplicates. */
  appRolesOn(caller: EntraClientRegistration, resourceClientId: string): string[] {
    const roles = (caller.apiAppRoles ?? [])
      .filter((assignment) => key(assignment.resource) === key(resourceClientId))
      .flatMap((assignment) => assignment.roles);
    return [...new Set(roles)];
  }

  /** Records a tenant-wide admin consent (which also creates the app's service principal there). */
  grantAdminConsent(tenantId: string, clientId: string): void {
    this.consents.add(key(tenantId, clientId));
    this.servicePrincipals.add(key(tenantId, clientId));
  }

  /**
   * True when the app itself has a service principal in the tenant (its home, one created by a consent even if
   * revoked since, or an app registered without a home tenant): what client credentials need (else AADSTS7000229).
   */
  hasOwnServicePrincipal(tenantId: string, client: EntraClientRegistration): boolean {
    const home = client.homeTenantId;
    return (
      home === undefined || key(home) === key(tenantId) || this.servicePrincipals.has(key(tenantId, client.clientId))
    );
  }

  /** Withdraws a tenant's admin consent; the app still signs in where `isKnownIn` says so, but without consent. */
  revokeAdminConsent(tenantId: string, clientId: string): void {
    this.consents.delete(key(tenantId, clientId));
  }

  /** True when the tenant consented to the app. */
  isConsented(tenantId: string, clientId: string): boolean {
    return this.consents.has(key(tenantId, clientId));
  }

  /**
   * True when the app can sign in at all in the tenant: home tenant, multi-tenant, consented there, or the
   * Bot Framework tenant (which knows every bot).
   */
  isKnownIn(client: EntraClientRegistration, tenantId: string): boolean {
    const home = client.homeTenantId;
    return (
      home === undefined ||
      isBotFrameworkTenant(tenantId) ||
      client.multiTenant === true ||
      key(home) === key(tenantId) ||
      this.isConsented(tenantId, client.clientId)
    );
  }
}

/**
 * A stable object id for an app's service principal in a tenant (the `oid` of its app tokens): a name-based
 * UUID, so the same app in the same tenant keeps its id across emulator restarts, as it would in Entra.
 */
export function servicePrincipalId(tenantId: string, clientId: string): string {
  return nameBasedUuid(`service-principal|${key(tenantId, clientId)}`);
}

/** A UUID (version 5 layout) derived from `name`, for ids that must be stable but look like Entra's. */
export function nameBasedUuid(name: string): string {
  const bytes = createHash('sha256').update(name).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
