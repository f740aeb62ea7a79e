import type { AuditSink } from '../approvals/auditSink';
import { AppError } from '../errors';
import type { Storage } from '../storage/storage';
import { readItem, updateItem } from '../storage/updateItem';
import type { CustomerDirectory, CustomerHealth, CustomerPersonRef, CustomerTenant } from './customerDirectory';
import {
  conversationBindingsSchema,
  customerConversationsSchema,
  customerIndexSchema,
  customerKeys,
  customerRefusal,
  customerSchema,
  strictParser,
} from './customerRecords';
import type { ConversationBinding, ConversationBindings, CustomerIndex, CustomerIndexEntry } from './customerRecords';

/** Options of `CustomerRegistry`. */
export interface CustomerRegistryOptions {
  storage: Storage;
  /** Where bindings and offboardings are recorded (`customer.bound`, `customer.unbound`, `customer.offboarded`). */
  audit: AuditSink;
  /**
   * How long `activeCustomer` and `boundTo` answers are reused (default 5 s): the longest an offboarding or an
   * unbinding made by another instance takes to be seen here. 0 disables the cache.
   */
  cacheTtlMs?: number;
  /** Epoch milliseconds; injectable so tests drive the cache without waiting. */
  clock?: () => number;
}

/**
 * Told when a conversation starts or stops serving a customer: what it no longer addresses must stop reaching it
 * (the customer's subscriptions there after an unbind; the conversation's own tenant's after its first binding).
 */
export type BindingListener = (change: {
  kind: 'bound' | 'unbound';
  conversationId: string;
  tenantId: string;
}) => Promise<void>;

/** Told when a customer is offboarded (after its bindings are gone): retire its subscriptions, stop its polling. */
export type OffboardListener = (tenantId: string) => Promise<void>;

/** What `bind` did. */
export type BindOutcome = 'bound' | 'alreadyBound';

/** Default lifetime of the read cache; see `cacheTtlMs`. */
export const CUSTOMER_CACHE_TTL_MS = 5_000;

const parseCustomer = strictParser(customerSchema, 'customer');
const parseIndex = strictParser(customerIndexSchema, 'customer index');
const parseConversation = strictParser(conversationBindingsSchema, 'conversation bindings');
const parseReverse = strictParser(customerConversationsSchema, 'customer bindings');

/**
 * The provider's customers, their consent and health, and which conversations are bound to which customers, kept
 * in the shared Storage (layout in customerRecords.ts). Every write is an eTag'd read-modify-write (updateItem), so
 * instances sharing the store never lose each other's changes. A storage failure propagates unchanged (callers
 * answer "storage unavailable"); a binding is written in one record, so it is never half-written.
 *
 * `activeCustomer` and `boundTo` are served from a short cache (CUSTOMER_CACHE_TTL_MS, 5 s by default): a change
 * made on this instance is seen at once here, and on other instances within those 5 s.
 */
export class CustomerRegistry implements CustomerDirectory {
  private readonly storage: Storage;
  private readonly ttlMs: number;
  private readonly clock: () => number;
  private readonly customerCache = new Map<string, { at: number; value: CustomerTenant | undefined }>();
  private readonly bindingCache = new Map<string, { at: number; value: ConversationBinding[] }>();
  private readonly listeners: OffboardListener[] = [];
  private readonly bindingListeners: BindingListener[] = [];
  private statusCache: { at: number; value: Map<string, string> } | undefined;

  constructor(private readonly options: CustomerRegistryOptions) {
    this.storage = options.storage;
    this.ttlMs = options.cacheTtlMs ?? CUSTOMER_CACHE_TTL_MS;
    this.clock = options.clock ?? Date.now;
  }

  /** The customer with this tenant id, any status, read from storage (no cache). */
  async get(tenantId: string): Promise<CustomerTenant | undefined> {
    return readItem(this.storage, customerKeys.customer(tenantId), parseCustomer);
  }

  /** The customer with this tenant id if it is active (consented and not offboarded). */
  async activeCustomer(tenantId: string): Promise<CustomerTenant | undefined> {
    const id = tenantId.toLowerCase();
    const cached = this.customerCache.get(id);
    if (cached && this.fresh(cached.at)) return cached.value?.status === 'active' ? cached.value : undefined;
    const customer = await this.get(id);
    this.customerCache.set(id, { at: this.clock(), value: customer });
    return customer?.status === 'active' ? customer : undefined;
  }

  /** The active customers a conversation is bound to, in the order they were bound. */
  async boundTo(conversationId: string): Promise<CustomerTenant[]> {
    const customers = await Promise.all(
      (await this.cachedBindings(conversationId)).map((b) => this.activeCustomer(b.tenantId)),
    );
    return customers.filter((c): c is CustomerTenant => c !== undefined);
  }

  /** A customer by name, case-insensitively, any status; a live customer wins over an offboarded namesake. */
  async byName(name: string): Promise<CustomerTenant | undefined> {
    const wanted = name.trim().toLowerCase();
    const matches = (await this.index()).customers.filter((c) => c.name.toLowerCase() === wanted);
    const entry = matches.find((c) => c.status !== 'offboarded') ?? matches[matches.length - 1];
    return entry ? this.get(entry.tenantId) : undefined;
  }

  /** Every customer (one batched read of their records), in the order they were first onboarded. */
  async list(): Promise<CustomerTenant[]> {
    const { customers } = await this.index();
    if (customers.length === 0) return [];
    const keys = customers.map((c) => customerKeys.customer(c.tenantId));
    const items = await this.storage.read(keys);
    return keys.flatMap((key) => {
      const raw = items[key];
      if (raw === undefined) return [];
      const { eTag: _eTag, ...fields } = raw as Record<string, unknown>;
      return [parseCustomer(fields)];
    });
  }

  /** Who bound a conversation to which customers, and when (any status; `boundTo` keeps only active ones). */
  async bindings(conversationId: string): Promise<ConversationBinding[]> {
    const record = await readItem(this.storage, customerKeys.conversation(conversationId), parseConversation);
    return record?.bindings ?? [];
  }

  /** The conversations bound to a customer (may include one unbound since; see customerRecords.ts). */
  async conversationsOf(tenantId: string): Promise<string[]> {
    return (await readItem(this.storage, customerKeys.bindingsOf(tenantId), parseReverse))?.conversations ?? [];
  }

  /**
   * Records a customer waiting for admin consent (onboarding's first step). The name is claimed in the index: it
   * must not belong to another tenant that is not offboarded (AppError `invalidInput`). The same tenant may
   * re-onboard (after a refused consent, or after offboarding): its record starts over as `pendingConsent`. An
   * active customer asked again under its own name stays active (its consent is renewed by `markActive`).
   */
  async recordPending(input: {
    tenantId: string;
    name: string;
    requestedBy: CustomerPersonRef;
    requestedAt: string;
  }): Promise<CustomerTenant> {
    const tenantId = input.tenantId.toLowerCase();
    const name = input.name.trim();
    const existing = await this.get(tenantId);
    if (existing?.status === 'active') {
      // A connected customer asked again (to grant permissions added since): it stays active meanwhile.
      if (existing.name.toLowerCase() !== name.toLowerCase()) {
        throw customerRefusal('otherName', 'this tenant is already a customer under another name');
      }
      return existing;
    }
    await updateItem(this.storage, customerKeys.index, parseIndex, (current) => {
      const customers = current?.customers ?? [];
      const holder = customers.find(
        (c) => c.tenantId !== tenantId && c.status !== 'offboarded' && c.name.toLowerCase() === name.toLowerCase(),
      );
      if (holder) throw customerRefusal('nameTaken', 'a customer with this name already exists');
      return withEntry(current, { tenantId, name, status: 'pendingConsent' });
    });
    const customer: CustomerTenant = {
      tenantId,
      name,
      status: 'pendingConsent',
      requestedBy: input.requestedBy,
      requestedAt: input.requestedAt,
    };
    await updateItem(this.storage, customerKeys.customer(tenantId), parseCustomer, () => customer);
    this.forget(tenantId);
    return customer;
  }

  /** Consent proved: the customer becomes active with the permissions its token carries and its first health. */
  async markActive(
    tenantId: string,
    facts: { consentedAt: string; permissions: string[]; health: CustomerHealth },
  ): Promise<CustomerTenant> {
    return this.changeStatus(tenantId, (c) => {
      const { failure: _failure, offboardedAt: _at, offboardedBy: _by, ...rest } = c;
      return { ...rest, status: 'active', ...facts };
    });
  }

  /** Consent refused or unproven: `failure` is a short code (Entra's error code, or ours), shown in `tenants`. */
  async markConsentFailed(tenantId: string, failure: string): Promise<CustomerTenant> {
    return this.changeStatus(tenantId, (c) => ({ ...c, status: 'consentFailed', failure }));
  }

  /** Stores the result of a health check (the customer's status is unchanged). */
  async recordHealth(tenantId: string, health: CustomerHealth): Promise<CustomerTenant> {
    const updated = await updateItem(this.storage, customerKeys.customer(tenantId), parseCustomer, (c) =>
      c ? { ...c, health } : undefined,
    );
    if (!updated) throw customerRefusal('noSuchCustomer', 'no such customer');
    this.forget(tenantId);
    return updated;
  }

  /**
   * Binds a conversation to an active customer; binding again changes nothing (`alreadyBound`). AppError `notFound`
   * for an unknown customer, `invalidInput` for one that is not active. The reverse record is written first, so a
   * failure in between leaves at most a harmless extra entry there, never a binding offboarding cannot find.
   */
  async bind(conversationId: string, tenantId: string, by: CustomerPersonRef, now: Date): Promise<BindOutcome> {
    const id = tenantId.toLowerCase();
    await this.requireActive(id);
    if ((await this.bindings(conversationId)).some((b) => b.tenantId === id)) return 'alreadyBound';
    await updateItem(this.storage, customerKeys.bindingsOf(id), parseReverse, (current) =>
      current?.conversations.includes(conversationId)
        ? current
        : { tenantId: id, conversations: [...(current?.conversations ?? []), conversationId] },
    );
    let added = false;
    await updateItem(this.storage, customerKeys.conversation(conversationId), parseConversation, (current) => {
      added = !current?.bindings.some((b) => b.tenantId === id);
      if (!added) return current;
      const binding: ConversationBinding = { tenantId: id, boundBy: by, boundAt: now.toISOString() };
      return { conversationId, bindings: [...(current?.bindings ?? []), binding] };
    });
    this.bindingCache.delete(conversationId);
    // An offboarding that ran between the check above and this write must win: take the binding back out.
    if ((await this.get(id))?.status !== 'active') {
      await this.removeBinding(conversationId, id);
      throw customerRefusal('notActive', 'the customer is not active');
    }
    if (!added) return 'alreadyBound';
    await this.audit('customer.bound', id, by, { conversationId: conversationId.slice(0, 256) });
    for (const listener of this.bindingListeners) await listener({ kind: 'bound', conversationId, tenantId: id });
    return 'bound';
  }

  /** Removes a conversation's binding to a customer; false when there was none. */
  async unbind(conversationId: string, tenantId: string, by: CustomerPersonRef, _now: Date): Promise<boolean> {
    const id = tenantId.toLowerCase();
    const removed = await this.removeBinding(conversationId, id);
    await updateItem(this.storage, customerKeys.bindingsOf(id), parseReverse, (current) =>
      current?.conversations.includes(conversationId)
        ? { ...current, conversations: current.conversations.filter((c) => c !== conversationId) }
        : current,
    );
    if (removed) await this.audit('customer.unbound', id, by, { conversationId: conversationId.slice(0, 256) });
    // Told even when nothing was bound any more: an interrupted unbind is finished by unbinding again.
    for (const listener of this.bindingListeners) await listener({ kind: 'unbound', conversationId, tenantId: id });
    return removed;
  }

  /**
   * Offboards a customer: status `offboarded` first (so every instance stops addressing it within the cache
   * lifetime even if what follows fails), then every binding of it removed, then the listeners told, then the audit
   * record. Offboarding again finishes what an interrupted one left. Returns the customer and how many
   * conversations were unbound. AppError `notFound` for an unknown customer.
   */
  async offboard(
    tenantId: string,
    by: CustomerPersonRef,
    now: Date,
  ): Promise<{ customer: CustomerTenant; unbound: number }> {
    const id = tenantId.toLowerCase();
    const customer = await this.changeStatus(id, (c) =>
      c.status === 'offboarded' ? c : { ...c, status: 'offboarded', offboardedAt: now.toISOString(), offboardedBy: by },
    );
    let unbound = 0;
    for (const conversationId of await this.conversationsOf(id)) {
      if (await this.removeBinding(conversationId, id)) unbound += 1;
    }
    await updateItem(this.storage, customerKeys.bindingsOf(id), parseReverse, (current) =>
      current ? { tenantId: id, conversations: [] } : current,
    );
    const failures: unknown[] = [];
    for (const listener of this.listeners) {
      try {
        await listener(id);
      } catch (err) {
        failures.push(err);
      }
    }
    await this.audit('customer.offboarded', id, by, { name: customer.name, unbound });
    if (failures.length > 0) {
      throw new AppError('internal', `${failures.length} offboarding listener(s) failed`, {}, { cause: failures[0] });
    }
    return { customer, unbound };
  }

  /**
   * Whether background work may run for a tenant: false for a customer that is not active (offboarded, or its
   * consent pending or refused), true for every other tenant (the provider's own, or tenants served by
   * configuration). From the index, cached like the other reads (one storage read per 5 s for any number of tenants).
   */
  async isServed(tenantId: string): Promise<boolean> {
    const now = this.clock();
    if (!this.statusCache || !this.fresh(this.statusCache.at)) {
      const { customers } = await this.index();
      this.statusCache = { at: now, value: new Map(customers.map((c) => [c.tenantId.toLowerCase(), c.status])) };
    }
    // Only an offboarded customer stops being served: a tenant that also talks to the bot from its own Teams keeps
    // its own notifications while an onboarding of it waits for consent or failed.
    return this.statusCache.value.get(tenantId.toLowerCase()) !== 'offboarded';
  }

  /** Registers what must happen when a conversation is bound to a customer or unbound (composition root). */
  onBindingChanged(listener: BindingListener): void {
    this.bindingListeners.push(listener);
  }

  /** Registers what must happen when a customer is offboarded (the composition root wires background work). */
  onOffboarded(listener: OffboardListener): void {
    this.listeners.push(listener);
  }

  private async index(): Promise<CustomerIndex> {
    return (await readItem(this.storage, customerKeys.index, parseIndex)) ?? { customers: [] };
  }

  private async requireActive(tenantId: string): Promise<CustomerTenant> {
    const customer = await this.get(tenantId);
    if (!customer) throw customerRefusal('noSuchCustomer', 'no such customer');
    if (customer.status !== 'active') throw customerRefusal('notActive', 'the customer is not active');
    return customer;
  }

  private async changeStatus(
    tenantId: string,
    change: (customer: CustomerTenant) => CustomerTenant,
  ): Promise<CustomerTenant> {
    const id = tenantId.toLowerCase();
    const updated = await updateItem(this.storage, customerKeys.customer(id), parseCustomer, (c) =>
      c ? change(c) : undefined,
    );
    if (!updated) throw customerRefusal('noSuchCustomer', 'no such customer');
    this.forget(id);
    await updateItem(this.storage, customerKeys.index, parseIndex, (current) =>
      withEntry(current, { tenantId: id, name: updated.name, status: updated.status }),
    );
    return updated;
  }

  private async removeBinding(conversationId: string, tenantId: string): Promise<boolean> {
    let removed = false;
    await updateItem(this.storage, customerKeys.conversation(conversationId), parseConversation, (current) => {
      removed = current?.bindings.some((b) => b.tenantId === tenantId) ?? false;
      if (!current || !removed) return current;
      return { ...current, bindings: current.bindings.filter((b) => b.tenantId !== tenantId) };
    });
    this.bindingCache.delete(conversationId);
    return removed;
  }

  private async cachedBindings(conversationId: string): Promise<ConversationBinding[]> {
    const cached = this.bindingCache.get(conversationId);
    if (cached && this.fresh(cached.at)) return cached.value;
    const value = await this.bindings(conversationId);
    this.bindingCache.set(conversationId, { at: this.clock(), value });
    return value;
  }

  private fresh(at: number): boolean {
    const age = this.clock() - at;
    return age >= 0 && age < this.ttlMs;
  }

  private forget(tenantId: string): void {
    this.customerCache.delete(tenantId.toLowerCase());
    this.statusCache = undefined;
  }

  private async audit(
    type: 'customer.bound' | 'customer.unbound' | 'customer.offboarded',
    tenantId: string,
    by: CustomerPersonRef,
    detail: Record<string, string | number>,
  ): Promise<void> {
    await this.options.audit.append({
      type,
      tenantId,
      actor: { aadObjectId: by.aadObjectId, userPrincipalName: by.userPrincipalName },
      detail,
    });
  }
}

/** The index with `entry` added or replacing the row of the same tenant (unchanged object when nothing changes). */
function withEntry(current: CustomerIndex | undefined, entry: CustomerIndexEntry): CustomerIndex {
  const customers = current?.customers ?? [];
  const existing = customers.find((c) => c.tenantId === entry.tenantId);
  if (current && existing && existing.name === entry.name && existing.status === entry.status) return current;
  return {
    customers: existing ? customers.map((c) => (c.tenantId === entry.tenantId ? entry : c)) : [...customers, entry],
  };
}

/** The bindings record type, for callers that show who bound what. */
export type { ConversationBinding, ConversationBindings };
