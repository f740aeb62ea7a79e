import type { CommandContext } from '../commands/commandContext';
import type { CustomerAdminPort } from '../commands/commandEnvironment';
import type { ConversationPort } from '../commands/responseActions';
import { CustomerCommands } from '../customers/customerCommands';
import type { CustomerCommandEnvironment } from '../customers/customerCommands';
import { CustomerHealthCheck } from '../customers/customerHealth';
import { CustomerOnboarding } from '../customers/customerOnboarding';
import { CustomerRegistry } from '../customers/customerRegistry';
import { AppError } from '../errors';
import type { Identity } from './identity';
import type { Platform } from './platform';

/** Partner context, installed: the customer registry, onboarding by admin consent, the admins' commands. */
export interface CustomersFeature {
  registry: CustomerRegistry;
  onboarding: CustomerOnboarding;
  commands: CustomerCommands;
  /** The commands as the command registry calls them (src/commands/registry.ts). */
  admin: CustomerAdminPort;
  /** The provider's own tenant (the bot's home): customers are managed from its conversations only. */
  providerTenantId: string | undefined;
  /** The environment of a customer command typed or clicked in `conversation` as `ctx`'s person. */
  environmentOf(ctx: CommandContext, conversation: ConversationPort | undefined): CustomerCommandEnvironment;
  /**
   * The identity background work uses: the same app tokens, refused (fail closed) in a customer's tenant that is
   * not active any more — an offboarded customer's actions are not tracked, its alerts not read.
   */
  servedIdentity: Identity;
  /** Where the bot answers, once it listens (demo mode has no configured public URL for the consent redirect). */
  listening(url: string): void;
}

/**
 * Customers as data (issue 12): an MSSP admin onboards a customer from Teams with an admin-consent link whose
 * `state` is bound to the request, the redirect records the consent, `tenants` shows health, offboarding unbinds
 * every conversation and retires the customer's background work (wired by the caller through `onOffboarded`).
 */
export function installCustomers(platform: Platform, identity: Identity): CustomersFeature {
  const { config, storage, audit, http, now } = platform;
  const registry = new CustomerRegistry({ storage, audit });
  const health = new CustomerHealthCheck({
    defenderAppAuth: identity.defenderAppAuth,
    graphAppAuth: identity.graphAppAuth,
    defender: platform.defender,
    graph: platform.graph,
  });
  const providerTenantId = platform.tenant ? platform.tenant.tenantId : config.bot.tenantId;
  let listeningUrl: string | undefined;
  const onboarding = new CustomerOnboarding({
    registry,
    storage,
    audit,
    http,
    authorityHost: identity.authorityHost,
    botAppId: identity.clientId,
    providerTenantId: providerTenantId ?? '',
    publicUrl: () => config.bot.publicUrl ?? listeningUrl,
    defenderAppAuth: identity.defenderAppAuth,
    health,
    now,
  });
  const commands = new CustomerCommands({ registry, onboarding, health, audit });
  const environmentOf = (ctx: CommandContext, conversation: ConversationPort | undefined) => {
    if (!conversation || !providerTenantId) throw new AppError('invalidInput', 'no conversation or provider tenant');
    return {
      conversationTenantId: ctx.tenant.id,
      providerTenantId,
      conversationId: conversation.postConversationId,
      now: ctx.now,
      i18n: ctx.i18n,
    };
  };
  const admin: CustomerAdminPort = {
    onboard: (ctx, conversation, name, tenant) =>
      commands.onboardCustomer(ctx.user, environmentOf(ctx, conversation), { name, tenant }),
    list: (ctx, conversation) => commands.listCustomers(ctx.user, environmentOf(ctx, conversation)),
    offboard: (ctx, conversation, name) =>
      commands.offboardCustomer(ctx.user, environmentOf(ctx, conversation), { name }),
    bind: (ctx, conversation, name) => commands.bindConversation(ctx.user, environmentOf(ctx, conversation), { name }),
    unbind: (ctx, conversation, name) =>
      commands.unbindConversation(ctx.user, environmentOf(ctx, conversation), { name }),
    here: (ctx, conversation) => commands.customersHere(ctx.user, environmentOf(ctx, conversation)),
    confirmOffboard: (ctx, conversation, tenantId) =>
      commands.confirmOffboard(ctx.user, environmentOf(ctx, conversation), { tenantId }),
    checkHealth: (ctx, conversation, tenantId) =>
      commands.checkHealth(ctx.user, environmentOf(ctx, conversation), { tenantId }),
  };
  const served = <A extends { getAccessToken(): Promise<string> }>(auth: (tenantId: string) => A) => {
    return (tenantId: string): A => {
      const inner = auth(tenantId);
      return {
        ...inner,
        getAccessToken: async () => {
          if (!(await registry.isServed(tenantId)))
            throw new AppError('tenantNotAllowed', 'the customer is offboarded or not connected');
          return inner.getAccessToken();
        },
      };
    };
  };
  return {
    registry,
    onboarding,
    commands,
    admin,
    providerTenantId,
    environmentOf,
    servedIdentity: {
      ...identity,
      defenderAppAuth: served(identity.defenderAppAuth),
      graphAppAuth: served(identity.graphAppAuth),
    },
    listening: (url) => {
      listeningUrl = url;
    },
  };
}
