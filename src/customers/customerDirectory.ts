/*
 * Partner context (MSSP): the customer tenants a provider's SOC serves are data, not configuration. This is the
 * contract between the bot (which picks the tenant a command is about) and the customer registry (which keeps
 * customers, their consent and health, and which conversations are bound to which customers).
 */

/** A person as the registry records them (from a validated token). */
export interface CustomerPersonRef {
  aadObjectId: string;
  userPrincipalName: string;
  displayName: string;
}

/** Where a customer stands: consent requested, connected, consent refused or failed, or offboarded. */
export const CUSTOMER_STATUSES = ['pendingConsent', 'active', 'consentFailed', 'offboarded'] as const;
/** One of CUSTOMER_STATUSES. */
export type CustomerStatus = (typeof CUSTOMER_STATUSES)[number];

/** The last health check of a customer: can the app get a token there, do Defender and Graph answer. */
export interface CustomerHealth {
  checkedAt: string;
  /** 'ok' or the failure's AppError code (e.g. consentRequired, upstreamUnavailable). */
  token: string;
  defender: string;
  graph: string;
}

/** A customer tenant the provider serves. */
export interface CustomerTenant {
  /** Lower-case GUID. */
  tenantId: string;
  /** The name the provider's admin gave it ("Contoso"); unique among customers, case-insensitively. */
  name: string;
  status: CustomerStatus;
  requestedBy: CustomerPersonRef;
  requestedAt: string;
  consentedAt?: string | undefined;
  /** Application permissions granted by the consent (the `roles` of the app's token in that tenant). */
  permissions?: string[] | undefined;
  health?: CustomerHealth | undefined;
  /** Why consent failed (Entra's error code), when status is consentFailed. */
  failure?: string | undefined;
  offboardedAt?: string | undefined;
  offboardedBy?: CustomerPersonRef | undefined;
}

/** What the bot asks of the registry on every command: which customers a conversation may address. */
export interface CustomerDirectory {
  /** The customer with this tenant id if it is active (consented and not offboarded). */
  activeCustomer(tenantId: string): Promise<CustomerTenant | undefined>;
  /** The active customers a conversation is bound to (empty when unbound); `conversationId` is the post target's. */
  boundTo(conversationId: string): Promise<CustomerTenant[]>;
  /** A customer by name (case-insensitive, any status): to tell "Contoso is not bound here" from "no such customer". */
  byName(name: string): Promise<CustomerTenant | undefined>;
}
