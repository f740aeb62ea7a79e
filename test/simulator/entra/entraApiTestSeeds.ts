import { seedSchema } from '../../../src/simulator/seed/seedSchema';
import type { Seed } from '../../../src/simulator/seed/seedSchema';

/*
 * Tenants for app tokens addressed to another app's API (a push source calling the bot's POST /api/notify):
 * Contoso (A) hosts the bot's API and several callers — one assigned SOC.Notify on it, one with no role, one with
 * a role but meant to be left out of the bot's allow-list — plus a legacy API that accepts v1 tokens. Fabrikam (B)
 * also has the bot (a multi-tenant app) and a caller holding SOC.Notify. Northwind (C) has a caller but not the bot.
 */

export const API_TENANT_A = 'a0000000-1111-4000-8000-00000000000a';
export const API_TENANT_B = 'b0000000-1111-4000-8000-00000000000b';
export const API_TENANT_C = 'c0000000-1111-4000-8000-00000000000c';

/** The app role push sources hold on the bot's API. */
export const NOTIFY_ROLE = 'SOC.Notify';

/** A user, for delegated tokens a notify endpoint must refuse. */
export const ANALYST = { tenantId: API_TENANT_A, aadObjectId: 'a1000000-1111-4000-8000-000000000001' };

/** The bot: its API (`api://botid-<clientId>`) is the resource the callers ask for. */
export const SOC_BOT = {
  clientId: 'b0710000-1111-4000-8000-000000000001',
  clientSecret: 'soc-bot-secret-0123456789',
  displayName: 'Defender SOC Bot (notify test)',
  delegatedPermissions: ['Alert.Read'],
  applicationPermissions: ['Alert.Read.All'],
};

/** An older API whose registration accepts v1 tokens (`requestedAccessTokenVersion: 1`). */
export const LEGACY_API = {
  clientId: 'b0720000-1111-4000-8000-000000000002',
  clientSecret: 'legacy-api-secret-0123456789',
  displayName: 'Legacy notify API',
  requestedAccessTokenVersion: 1 as const,
};

/** A push source (like a Logic App's managed identity) assigned SOC.Notify on the bot and on the legacy API. */
export const NOTIFIER = {
  clientId: 'c0110000-1111-4000-8000-000000000001',
  clientSecret: 'notifier-secret-0123456789',
  displayName: 'Sentinel notify Logic App',
  apiAppRoles: [
    { resource: SOC_BOT.clientId, roles: [NOTIFY_ROLE, 'SOC.Other'] },
    { resource: LEGACY_API.clientId, roles: [NOTIFY_ROLE] },
  ],
};

/** A registered app with no app role on the bot: Entra still gives it a token, without `roles`. */
export const NO_ROLE_APP = {
  clientId: 'c0120000-1111-4000-8000-000000000002',
  clientSecret: 'no-role-secret-0123456789',
  displayName: 'App without roles',
};

/** Holds SOC.Notify, but a bot's allow-list leaves it out. */
export const UNLISTED_APP = {
  clientId: 'c0130000-1111-4000-8000-000000000003',
  clientSecret: 'unlisted-secret-0123456789',
  displayName: 'Unlisted relay',
  apiAppRoles: [{ resource: SOC_BOT.clientId, roles: [NOTIFY_ROLE] }],
};

/** Fabrikam's push source, holding SOC.Notify on the bot in its own tenant. */
export const FABRIKAM_NOTIFIER = {
  clientId: 'c0140000-1111-4000-8000-000000000004',
  clientSecret: 'fabrikam-secret-0123456789',
  displayName: 'Fabrikam relay',
  apiAppRoles: [{ resource: SOC_BOT.clientId, roles: [NOTIFY_ROLE] }],
};

/** Northwind's app: the bot has no service principal in Northwind. */
export const NORTHWIND_APP = {
  clientId: 'c0150000-1111-4000-8000-000000000005',
  clientSecret: 'northwind-secret-0123456789',
  displayName: 'Northwind relay',
  apiAppRoles: [{ resource: SOC_BOT.clientId, roles: [NOTIFY_ROLE] }],
};

/** The three seeds, validated by the real seed schema (so `apiAppRoles` goes through it too). */
export function apiTestSeeds(): Seed[] {
  const tenant = (id: string, name: string, clients: unknown[], users: unknown[] = []) =>
    seedSchema.parse({ tenant: { id, name }, users, clients, machines: [], alerts: [] });
  return [
    tenant(
      API_TENANT_A,
      'Contoso',
      [SOC_BOT, LEGACY_API, NOTIFIER, NO_ROLE_APP, UNLISTED_APP],
      [
        {
          aadObjectId: ANALYST.aadObjectId,
          userPrincipalName: 'analyst@contoso.example',
          displayName: 'Ann Analyst',
          appRoles: ['SOC.Analyst'],
          defenderPermissions: ['ViewData'],
          deviceGroups: ['*'],
        },
      ],
    ),
    tenant(API_TENANT_B, 'Fabrikam', [SOC_BOT, FABRIKAM_NOTIFIER]),
    tenant(API_TENANT_C, 'Northwind', [NORTHWIND_APP]),
  ];
}
