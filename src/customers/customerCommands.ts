import { z } from 'zod';
import type { AuditSink } from '../approvals/auditSink';
import type { SignedInUser } from '../auth/userTokens';
import type { CardColor } from '../cards/labels';
import { toNoticeCard } from '../cards/noticeCard';
import { formatTimestamp } from '../cards/text';
import { DEFAULT_LOCALE } from '../i18n/locale';
import type { Translator } from '../i18n/translator';
import { translatorFor } from '../i18n/translator';
import type { Reply } from '../commands/commandContext';
import { cardReply } from '../commands/commandContext';
import type { CustomerPersonRef } from './customerDirectory';
import { MAX_CUSTOMER_ROWS, toCustomerListCard, toOffboardConfirmCard } from './customerCards';
import type { CustomerRow } from './customerCards';
import type { CustomerHealthCheck } from './customerHealth';
import { isHealthy } from './customerHealth';
import type { CustomerOnboarding } from './customerOnboarding';
import { GUID_PATTERN, refusalOf } from './customerRecords';
import type { CustomerRefusal } from './customerRecords';
import type { CustomerRegistry } from './customerRegistry';

/** The app role that may manage customers (onboard, offboard, bind). */
export const CUSTOMER_ADMIN_ROLE = 'SOC.Admin';

/** Where a customer command was sent: the conversation's tenant and id, the provider's tenant, the time. */
export interface CustomerCommandEnvironment {
  /** The tenant of the Teams conversation (from the validated activity). */
  conversationTenantId: string;
  /** The MSSP's own tenant (the bot's home tenant, BOT_TENANT_ID). */
  providerTenantId: string;
  /** The post target's conversation id (a channel's root, as bindings are keyed). */
  conversationId: string;
  now: Date;
  /** The person's language (English when not given). */
  i18n?: Translator | undefined;
}

/** What the customer commands use. */
export interface CustomerCommandPorts {
  registry: CustomerRegistry;
  onboarding: CustomerOnboarding;
  health: CustomerHealthCheck;
  audit: AuditSink;
}

/** Data of the `customer.offboard` and `customer.checkHealth` buttons: the tenant id only (re-read on click). */
export const customerCardDataSchema = z.strictObject({ tenantId: z.string().regex(GUID_PATTERN) });
/** Parsed data of a customer card button. */
export type CustomerCardData = z.infer<typeof customerCardDataSchema>;

/**
 * The provider's customer-management commands. Every one runs only in a conversation of the provider's tenant, for
 * a person of that tenant holding the bot's SOC.Admin app role; anything else is refused in words and audited
 * (`customer.refused`). Handlers return a Reply; storage failures propagate (the turn answers "storage unavailable").
 */
export class CustomerCommands {
  constructor(private readonly ports: CustomerCommandPorts) {}

  /** "onboard customer <name> <tenant id or domain>": the admin-consent link for the customer's administrator. */
  async onboardCustomer(
    user: SignedInUser,
    env: CustomerCommandEnvironment,
    args: { name: string; tenant: string },
  ): Promise<Reply> {
    const refused = await this.authorize(user, env, 'onboard');
    if (refused) return refused;
    const i18n = translatorOf(env);
    if (!this.ports.onboarding.canOnboard()) return text(i18n.t('customers.refusal.noPublicUrl'));
    try {
      const started = await this.ports.onboarding.start({
        name: args.name,
        tenant: args.tenant,
        requestedBy: personOf(user),
        now: env.now,
      });
      const { customer } = started;
      return cardReply(
        toNoticeCard({
          heading: i18n.t('customers.connect.heading', { name: customer.name }),
          text: i18n.t('customers.connect.text', {
            name: customer.name,
            tenantId: customer.tenantId,
            expires: formatTimestamp(started.expiresAt.toISOString()),
          }),
          color: 'accent',
          action: { title: i18n.t('customers.connect.action', { name: customer.name }), url: started.consentUrl },
        }),
        i18n.t('customers.connect.summary', { name: customer.name }),
      );
    } catch (err) {
      return refusalReply(err, i18n, args.name, args.tenant);
    }
  }

  /** "tenants": every customer with status, consent, permissions, health and bound conversations. */
  async listCustomers(user: SignedInUser, env: CustomerCommandEnvironment): Promise<Reply> {
    const refused = await this.authorize(user, env, 'list');
    if (refused) return refused;
    return this.listReply(env);
  }

  /** "offboard customer <name>": a confirmation card whose button (`customer.offboard`) does it. */
  async offboardCustomer(user: SignedInUser, env: CustomerCommandEnvironment, args: { name: string }): Promise<Reply> {
    const refused = await this.authorize(user, env, 'offboard');
    if (refused) return refused;
    const customer = await this.ports.registry.byName(args.name);
    if (!customer) return text(translatorOf(env).t('customers.refusal.noSuchCustomer', { name: args.name }));
    // An offboarded customer gets the card too: confirming again finishes an offboarding that was interrupted.
    const conversations = (await this.ports.registry.conversationsOf(customer.tenantId)).length;
    return cardReply(
      toOffboardConfirmCard(customer, conversations, translatorOf(env)),
      translatorOf(env).t('customers.offboard.summary', { name: customer.name }),
    );
  }

  /** The `customer.offboard` button: offboards the customer named by its tenant id, then shows the list. */
  async confirmOffboard(user: SignedInUser, env: CustomerCommandEnvironment, data: CustomerCardData): Promise<Reply> {
    const refused = await this.authorize(user, env, 'offboard');
    if (refused) return refused;
    const customer = await this.ports.registry.get(data.tenantId);
    const i18n = translatorOf(env);
    if (!customer) return text(i18n.t('customers.gone'));
    const again = customer.status === 'offboarded';
    const { unbound } = await this.ports.registry.offboard(customer.tenantId, personOf(user), env.now);
    return this.listReply(env, {
      text: i18n.t('customers.offboarded', { name: customer.name, again: again ? 'yes' : 'no', unbound }),
      color: 'good',
    });
  }

  /** The `customer.checkHealth` button: checks the customer now, records it, and shows the list. */
  async checkHealth(user: SignedInUser, env: CustomerCommandEnvironment, data: CustomerCardData): Promise<Reply> {
    const refused = await this.authorize(user, env, 'check');
    if (refused) return refused;
    const customer = await this.ports.registry.get(data.tenantId);
    const i18n = translatorOf(env);
    if (!customer || customer.status !== 'active') return text(i18n.t('customers.notConnected'));
    const health = await this.ports.health.check(customer.tenantId, env.now);
    await this.ports.registry.recordHealth(customer.tenantId, health);
    return this.listReply(
      env,
      isHealthy(health)
        ? { text: i18n.t('customers.healthy', { name: customer.name }), color: 'good' }
        : { text: i18n.t('customers.unhealthy', { name: customer.name }), color: 'warning' },
    );
  }

  /** "bind customer <name>": this conversation serves that customer too. */
  async bindConversation(user: SignedInUser, env: CustomerCommandEnvironment, args: { name: string }): Promise<Reply> {
    const refused = await this.authorize(user, env, 'bind');
    if (refused) return refused;
    const customer = await this.ports.registry.byName(args.name);
    const i18n = translatorOf(env);
    if (!customer) return text(i18n.t('customers.refusal.noSuchCustomer', { name: args.name }));
    if (customer.status !== 'active') return text(i18n.t('customers.refusal.notActive', { name: customer.name }));
    try {
      const outcome = await this.ports.registry.bind(env.conversationId, customer.tenantId, personOf(user), env.now);
      const all = (await this.ports.registry.boundTo(env.conversationId)).map((c) => c.name);
      return text(i18n.t('customers.bound', { outcome, name: customer.name, all: all.join(', ') }));
    } catch (err) {
      return refusalReply(err, i18n, args.name);
    }
  }

  /** "unbind customer <name>". */
  async unbindConversation(
    user: SignedInUser,
    env: CustomerCommandEnvironment,
    args: { name: string },
  ): Promise<Reply> {
    const refused = await this.authorize(user, env, 'unbind');
    if (refused) return refused;
    const customer = await this.ports.registry.byName(args.name);
    const i18n = translatorOf(env);
    if (!customer) return text(i18n.t('customers.refusal.noSuchCustomer', { name: args.name }));
    const removed = await this.ports.registry.unbind(env.conversationId, customer.tenantId, personOf(user), env.now);
    return text(i18n.t(removed ? 'customers.unbound' : 'customers.notBound', { name: customer.name }));
  }

  /** "customers here": the customers this conversation is bound to, who bound them and when. */
  async customersHere(user: SignedInUser, env: CustomerCommandEnvironment): Promise<Reply> {
    const refused = await this.authorize(user, env, 'list');
    if (refused) return refused;
    const i18n = translatorOf(env);
    const active = new Map((await this.ports.registry.boundTo(env.conversationId)).map((c) => [c.tenantId, c]));
    const lines = (await this.ports.registry.bindings(env.conversationId)).flatMap((b) => {
      const customer = active.get(b.tenantId);
      return customer
        ? [
            i18n.t('customers.hereLine', {
              name: customer.name,
              by: b.boundBy.displayName,
              at: formatTimestamp(b.boundAt),
            }),
          ]
        : [];
    });
    return text(
      lines.length === 0
        ? i18n.t('customers.hereNone')
        : i18n.t('customers.here', { lines: lines.map((l) => `- ${l}`).join('\n') }),
    );
  }

  private async listReply(
    env: CustomerCommandEnvironment,
    notice?: { text: string; color: CardColor },
  ): Promise<Reply> {
    const { registry } = this.ports;
    const customers = await registry.list();
    const here = new Set((await registry.bindings(env.conversationId)).map((b) => b.tenantId));
    // Only the rows the card shows cost a read each (a provider may have a thousand customers).
    const rows: CustomerRow[] = await Promise.all(
      customers.map(async (customer, i) => ({
        customer,
        conversations:
          customer.status === 'offboarded' || i >= MAX_CUSTOMER_ROWS
            ? 0
            : (await registry.conversationsOf(customer.tenantId)).length,
        boundHere: here.has(customer.tenantId) && customer.status === 'active',
      })),
    );
    return cardReply(
      toCustomerListCard({ rows, now: env.now, notice }, translatorOf(env)),
      translatorOf(env).t('customers.list.summary', { count: customers.length }),
    );
  }

  /**
   * Refuses (and audits) a command from outside the provider's tenant, or from someone without SOC.Admin. The
   * conversation's tenant and the person's token tenant must both be the provider's: a customer's guest in the
   * provider's Teams is a person of the provider's directory, and that is the one whose roles count.
   */
  private async authorize(
    user: SignedInUser,
    env: CustomerCommandEnvironment,
    operation: string,
  ): Promise<Reply | undefined> {
    const provider = env.providerTenantId.toLowerCase();
    const inProvider = env.conversationTenantId.toLowerCase() === provider && user.tenantId.toLowerCase() === provider;
    const isAdmin = user.appRoles.includes(CUSTOMER_ADMIN_ROLE);
    if (inProvider && isAdmin) return undefined;
    const reason = inProvider ? 'roleMissing' : 'notProviderTenant';
    await this.ports.audit.append({
      type: 'customer.refused',
      tenantId: user.tenantId,
      actor: { aadObjectId: user.aadObjectId, userPrincipalName: user.userPrincipalName },
      detail: { reason, operation, conversationTenantId: env.conversationTenantId },
    });
    const i18n = translatorOf(env);
    return text(
      inProvider
        ? i18n.t('customers.roleMissing', { role: CUSTOMER_ADMIN_ROLE })
        : i18n.t('customers.notProviderTenant'),
    );
  }
}

function text(value: string): Reply {
  return { kind: 'text', text: value };
}

function personOf(user: SignedInUser): CustomerPersonRef {
  return { aadObjectId: user.aadObjectId, userPrincipalName: user.userPrincipalName, displayName: user.displayName };
}

/** The person's translator for a customer command (English when the environment names none). */
function translatorOf(env: CustomerCommandEnvironment): Translator {
  return env.i18n ?? translatorFor(DEFAULT_LOCALE);
}

/** The words for each refusal; the name and tenant are what the admin typed, echoed back in a plain text reply. */
function refusalWords(reason: CustomerRefusal, i18n: Translator, name: string, tenant?: string): string {
  if (reason === 'notATenant') return i18n.t('customers.refusal.notATenant', { tenant: tenant ?? '' });
  if (reason === 'noSuchTenant')
    return i18n.t('customers.refusal.noSuchTenant', { tenant: tenant ?? i18n.t('customers.refusal.that') });
  return i18n.t(`customers.refusal.${reason}`, { name });
}

function refusalReply(err: unknown, i18n: Translator, name: string, tenant?: string): Reply {
  const reason = refusalOf(err);
  if (!reason) throw err;
  return text(refusalWords(reason, i18n, name.slice(0, 64), tenant?.slice(0, 253)));
}
