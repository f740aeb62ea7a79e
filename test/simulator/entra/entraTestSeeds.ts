import { seedSchema } from '../../../src/simulator/seed/seedSchema';
import type { Seed } from '../../../src/simulator/seed/seedSchema';

/*
 * Two small tenants for token tests: Contoso (A) with an analyst, a user scripted for MFA and one scripted for
 * consent, and Fabrikam (B) with one analyst. The bot app is in both seeds, so it is a multi-tenant app
 * consented in both; a third tenant (C) knows the bot only once it consents; Litware has the bot consented but
 * no Defender for Endpoint.
 */

export const TENANT_A = 'aaaaaaaa-0000-4000-8000-00000000000a';
export const TENANT_B = 'bbbbbbbb-0000-4000-8000-00000000000b';
export const TENANT_C = 'cccccccc-0000-4000-8000-00000000000c';
/** Litware: the bot is consented there, but the tenant has no Defender for Endpoint. */
export const TENANT_NO_MDE = 'dddddddd-0000-4000-8000-0000000000de';

export const ALICE = {
  tenantId: TENANT_A,
  aadObjectId: 'a11ce000-0000-4000-8000-000000000001',
  upn: 'alice@contoso.example',
};
export const MALLORY_MFA = {
  tenantId: TENANT_A,
  aadObjectId: 'a11ce000-0000-4000-8000-000000000002',
  upn: 'mfa@contoso.example',
};
export const CONNIE_CONSENT = {
  tenantId: TENANT_A,
  aadObjectId: 'a11ce000-0000-4000-8000-000000000003',
  upn: 'consent@contoso.example',
};
export const BOB = {
  tenantId: TENANT_B,
  aadObjectId: 'b0b00000-0000-4000-8000-000000000001',
  upn: 'bob@fabrikam.example',
};
export const CAROL = {
  tenantId: TENANT_C,
  aadObjectId: 'ca201000-0000-4000-8000-000000000001',
  upn: 'carol@northwind.example',
};

export const DIANA = {
  tenantId: TENANT_NO_MDE,
  aadObjectId: 'd1a2a000-0000-4000-8000-000000000001',
  upn: 'diana@litware.example',
};

export const BOT = {
  clientId: 'b0700000-0000-4000-8000-000000000001',
  clientSecret: 'bot-secret-0123456789abcdef',
  displayName: 'Defender SOC Bot (test)',
  delegatedPermissions: ['Alert.ReadWrite', 'Machine.Read', 'Machine.Isolate'],
  applicationPermissions: ['Alert.Read.All', 'Machine.Read.All'],
};

/** A client only tenant A knows, disabled: rehearses a broken deployment. */
export const DISABLED_CLIENT = {
  clientId: 'd15ab1ed-0000-4000-8000-000000000001',
  clientSecret: 'disabled-secret-0123456789',
  displayName: 'Disabled app',
  delegatedPermissions: ['Alert.Read'],
  applicationPermissions: [],
  disabled: true,
};

function user(
  who: { aadObjectId: string; upn: string },
  displayName: string,
  extra: { appRoles?: string[]; signInError?: 'consent_required' | 'interaction_required' } = {},
) {
  return {
    aadObjectId: who.aadObjectId,
    userPrincipalName: who.upn,
    displayName,
    appRoles: extra.appRoles ?? ['SOC.Analyst'],
    defenderPermissions: ['ViewData'],
    deviceGroups: ['*'],
    ...(extra.signInError ? { signInError: extra.signInError } : {}),
  };
}

/** Contoso, Fabrikam, Litware (no MDE) and Northwind seeds, validated by the real seed schema. */
export function testSeeds(): Seed[] {
  return [
    seedSchema.parse({
      tenant: { id: TENANT_A, name: 'Contoso' },
      users: [
        user(ALICE, 'Alice Analyst', { appRoles: ['SOC.Analyst', 'SOC.Approver'] }),
        user(MALLORY_MFA, 'Mallory Mfa', { signInError: 'interaction_required' }),
        user(CONNIE_CONSENT, 'Connie Consent', { signInError: 'consent_required' }),
      ],
      clients: [BOT, DISABLED_CLIENT],
      machines: [],
      alerts: [],
    }),
    seedSchema.parse({
      tenant: { id: TENANT_B, name: 'Fabrikam' },
      users: [user(BOB, 'Bob Responder', { appRoles: ['SOC.Responder'] })],
      clients: [BOT],
      machines: [],
      alerts: [],
    }),
    seedSchema.parse({
      tenant: { id: TENANT_NO_MDE, name: 'Litware' },
      users: [user(DIANA, 'Diana Defenderless')],
      clients: [BOT],
      machines: [],
      alerts: [],
      defender: { provisioned: false },
    }),
    seedSchema.parse({
      tenant: { id: TENANT_C, name: 'Northwind' },
      users: [user(CAROL, 'Carol Customer', { appRoles: [] })],
      machines: [],
      alerts: [],
    }),
  ];
}
