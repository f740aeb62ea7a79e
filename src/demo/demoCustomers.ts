import type { ApprovalSettings } from '../approvals/approvalSettings';
import type { CustomersFeature } from '../composition/customersFeature';
import type { HttpClient } from '../http/httpClient';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { AlertNotifications } from '../notifications/alertNotifications';
import { SEVERITY_THRESHOLDS } from '../notifications/alertFilter';
import { MSSP_PEOPLE, MSSP_TENANTS } from '../simulator/seed/msspSeeds';
import { playgroundConversations } from './demoChannel';
import { DEMO_BOT_ID } from './demoConstants';

/** Ana Souza, Woodgrove's SOC lead: the demo's customers are onboarded and bound as if she had typed it. */
const ANA = {
  aadObjectId: MSSP_PEOPLE.ana,
  userPrincipalName: 'ana.souza@woodgrovesecurity.com',
  displayName: 'Ana Souza',
};

/** The customers the MSSP demo starts with (Tailspin Toys is left for the README's onboarding walk-through). */
const DEMO_CUSTOMERS = [
  { name: 'Contoso', domain: 'contoso.onmicrosoft.com', tenantId: MSSP_TENANTS.contoso },
  { name: 'Fabrikam', domain: 'fabrikam.onmicrosoft.com', tenantId: MSSP_TENANTS.fabrikam },
] as const;

/**
 * The MSSP demo's starting point (DEMO_SCENARIO=mssp): Contoso and Fabrikam are onboarded through the same admin
 * consent an MSSP admin starts with "onboard customer" (the emulator's administrator consents, Entra redirects to
 * the bot's /auth/consent with the state), the SOC team's General channel is bound to both — their approval
 * requests and Medium+ alerts land there — and the group chat to Contoso only. Kept at every start (idempotent).
 */
export async function serveDemoCustomers(input: {
  customers: CustomersFeature;
  settings: ApprovalSettings;
  notifications: AlertNotifications;
  playgroundUrl: string;
  http: HttpClient;
  logger: Logger;
  now: () => Date;
}): Promise<void> {
  const { customers, http } = input;
  const config = await playgroundConversations(http, input.playgroundUrl);
  const team = config.teams[0]!;
  const addressOf = (conversationId: string, conversationType: 'channel' | 'groupChat') => ({
    channelId: 'msteams',
    serviceUrl: `${input.playgroundUrl}/_connector`,
    conversation: { id: conversationId, conversationType, tenantId: MSSP_TENANTS.provider, isGroup: true },
    bot: { id: DEMO_BOT_ID, name: 'Defender SOC Bot' },
  });
  const general = { conversationId: team.id, kind: 'channel' as const, address: addressOf(team.id, 'channel') };
  const groupChat = config.groupChats?.[0];

  for (const customer of DEMO_CUSTOMERS) {
    try {
      // A customer someone offboarded in this demo stays offboarded across restarts.
      const record = await customers.registry.get(customer.tenantId);
      if (record?.status === 'offboarded') continue;
      if (record?.status !== 'active') await consent(customer);
      await customers.registry.bind(team.id, customer.tenantId, ANA, input.now());
      if (groupChat && customer.name === 'Contoso')
        await customers.registry.bind(groupChat.id, customer.tenantId, ANA, input.now());
      await input.settings.setApprovalsChannel(customer.tenantId, {
        address: general.address,
        conversationId: team.id,
        setBy: ANA,
        setAt: input.now().toISOString(),
      });
      await input.notifications.remember(customer.tenantId, general);
      const existing = await input.notifications.subscriptions.forConversation(customer.tenantId, team.id);
      if (existing.length === 0)
        await input.notifications.subscriptions.add(customer.tenantId, general, {
          filter: { severities: [...SEVERITY_THRESHOLDS.medium], follows: ['alerts', 'incidents'] },
          createdBy: ANA,
          createdAt: input.now().toISOString(),
        });
    } catch (err) {
      input.logger.warn({ customer: customer.name, err: serializeError(err) }, 'demo customer could not be set up');
    }
  }

  /** The admin-consent round trip, as a customer's administrator's browser makes it. */
  async function consent(customer: (typeof DEMO_CUSTOMERS)[number]): Promise<void> {
    const started = await customers.onboarding.start({
      name: customer.name,
      tenant: customer.domain,
      requestedBy: ANA,
      now: input.now(),
    });
    const granted = await http.request({ method: 'GET', url: started.consentUrl, timeoutMs: 10_000 });
    const location = granted.headers.location;
    if (granted.status !== 302 || typeof location !== 'string')
      throw new Error(`the emulator answered ${granted.status} to the admin consent`);
    const recorded = await http.request({ method: 'GET', url: location, timeoutMs: 30_000 });
    if (recorded.status !== 200) throw new Error(`the bot answered ${recorded.status} to the consent redirect`);
  }
}
