import { seedSchema } from '../../../src/simulator/seed/seedSchema';
import type { Seed } from '../../../src/simulator/seed/seedSchema';

export const TENANT_A = '11111111-1111-4111-8111-111111111111';
export const TENANT_B = '22222222-2222-4222-8222-222222222222';

/** Machine ids (40 hex). */
export const FIN_WS = '1e5bc9d7e413ddd7902c2932e418702b84d0cc01';
export const WEB_SRV = '2e5bc9d7e413ddd7902c2932e418702b84d0cc02';
export const LINUX_DB = '3e5bc9d7e413ddd7902c2932e418702b84d0cc03';
export const MAC_DEV = '4e5bc9d7e413ddd7902c2932e418702b84d0cc04';
export const B_MACHINE = '5e5bc9d7e413ddd7902c2932e418702b84d0cc05';

/** Users of tenant A. */
export const USERS = {
  admin: { oid: 'aaaaaaaa-0000-4000-8000-000000000001', upn: 'admin@contoso.com' },
  finance: { oid: 'aaaaaaaa-0000-4000-8000-000000000002', upn: 'fin.analyst@contoso.com' },
  viewer: { oid: 'aaaaaaaa-0000-4000-8000-000000000003', upn: 'viewer@contoso.com' },
  noRole: { oid: 'aaaaaaaa-0000-4000-8000-000000000004', upn: 'norole@contoso.com' },
  investigator: { oid: 'aaaaaaaa-0000-4000-8000-000000000005', upn: 'investigator@contoso.com' },
  stranger: { oid: 'aaaaaaaa-0000-4000-8000-000000000099', upn: 'stranger@contoso.com' },
} as const;

export function machine(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    computerDnsName: 'host.corp.contoso.com',
    firstSeen: '2023-04-19T13:27:53.1618923Z',
    lastSeen: '2024-05-04T12:47:48.3622932Z',
    osPlatform: 'Windows11',
    osProcessor: 'x64',
    version: '23H2',
    osBuild: 22631,
    lastIpAddress: '10.20.30.41',
    lastExternalIpAddress: '203.0.113.17',
    healthStatus: 'Active',
    rbacGroupId: 140,
    rbacGroupName: 'Finance',
    riskScore: 'Low',
    exposureLevel: 'Low',
    deviceValue: 'Normal',
    aadDeviceId: null,
    machineTags: [],
    onboardingStatus: 'Onboarded',
    osArchitecture: '64-bit',
    ipAddresses: [],
    ...overrides,
  };
}

export function evidence(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    entityType: 'File',
    evidenceCreationTime: '2024-01-26T20:33:58.42Z',
    sha1: 'ff836cfb1af40252bd2a2ea843032e99a5b262ed',
    sha256: null,
    fileName: 'evil.ps1',
    filePath: 'C:\\Temp',
    processId: null,
    processCommandLine: null,
    processCreationTime: null,
    parentProcessId: null,
    parentProcessCreationTime: null,
    parentProcessFileName: null,
    parentProcessFilePath: null,
    ipAddress: null,
    url: null,
    registryKey: null,
    registryHive: null,
    registryValueType: null,
    registryValue: null,
    accountName: null,
    domainName: null,
    userSid: null,
    aadUserId: null,
    userPrincipalName: null,
    detectionStatus: 'Detected',
    ...overrides,
  };
}

export function alert(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    incidentId: 1000,
    investigationId: null,
    assignedTo: null,
    severity: 'Medium',
    status: 'New',
    classification: null,
    determination: null,
    investigationState: 'Queued',
    detectionSource: 'WindowsDefenderAtp',
    detectorId: '17e10bbc-3a68-474a-8aad-faef14d43952',
    category: 'Execution',
    threatFamilyName: null,
    title: 'Suspicious PowerShell command line',
    description: 'A suspicious PowerShell activity was observed.',
    alertCreationTime: '2024-01-26T20:33:57.7220239Z',
    firstEventTime: '2024-01-26T20:31:32.9562661Z',
    lastEventTime: '2024-01-26T20:31:33.0577322Z',
    lastUpdateTime: '2024-01-26T20:33:59.2Z',
    resolvedTime: null,
    machineId: null,
    computerDnsName: null,
    rbacGroupName: null,
    aadTenantId: TENANT_A,
    threatName: null,
    mitreTechniques: [],
    relatedUser: null,
    comments: [],
    evidence: [],
    ...overrides,
  };
}

function user(key: keyof typeof USERS, defenderPermissions: string[], deviceGroups: string[]): Record<string, unknown> {
  return {
    aadObjectId: USERS[key].oid,
    userPrincipalName: USERS[key].upn,
    displayName: key,
    appRoles: ['SOC.Analyst'],
    defenderPermissions,
    deviceGroups,
  };
}

/**
 * Tenant A: four devices in two groups (Finance, Servers) plus an ungrouped-alert, five alerts, five users
 * with different Defender roles and scopes.
 */
export function tenantASeed(): Seed {
  return seedSchema.parse({
    tenant: { id: TENANT_A, name: 'Contoso' },
    users: [
      user('admin', ['ViewData', 'AlertsInvestigation', 'ActiveRemediation'], ['*']),
      user('finance', ['ViewData', 'AlertsInvestigation', 'ActiveRemediation'], ['Finance']),
      user('viewer', ['ViewData'], ['*']),
      user('noRole', [], ['*']),
      user('investigator', ['AlertsInvestigation'], ['*']),
    ],
    machines: [
      machine({
        id: FIN_WS,
        computerDnsName: 'ws-fin-042.corp.contoso.com',
        rbacGroupName: 'Finance',
        rbacGroupId: 140,
        riskScore: 'High',
        exposureLevel: 'Medium',
        deviceValue: 'High',
        machineTags: ['Finance', 'VIP'],
        aadDeviceId: '80fe8ff8-2624-418e-9591-41f0491218f9',
        lastIpAddress: '10.20.30.41',
        lastSeen: '2024-05-04T12:47:48.3622932Z',
      }),
      machine({
        id: WEB_SRV,
        computerDnsName: 'srv-web-01.corp.contoso.com',
        osPlatform: 'WindowsServer2022',
        version: '21H2',
        rbacGroupName: 'Servers',
        rbacGroupId: 150,
        riskScore: 'Medium',
        machineTags: ['Web'],
        lastIpAddress: '10.1.0.5',
        lastSeen: '2024-05-03T08:00:00Z',
      }),
      machine({
        id: LINUX_DB,
        computerDnsName: 'lnx-db-01.corp.contoso.com',
        osPlatform: 'Linux',
        version: null,
        rbacGroupName: 'Servers',
        rbacGroupId: 150,
        healthStatus: 'Inactive',
        riskScore: 'None',
        lastIpAddress: '10.1.0.9',
        lastSeen: '2024-04-01T00:00:00Z',
      }),
      machine({
        id: MAC_DEV,
        computerDnsName: 'mac-dev-07.corp.contoso.com',
        osPlatform: 'macOS',
        rbacGroupName: 'Finance',
        rbacGroupId: 140,
        riskScore: null,
        exposureLevel: null,
        deviceValue: null,
        lastIpAddress: null,
        lastSeen: '2024-05-02T00:00:00Z',
      }),
    ],
    alerts: [
      alert({
        id: 'da638412900382838869_1364969601',
        severity: 'High',
        status: 'New',
        machineId: FIN_WS,
        computerDnsName: 'ws-fin-042.corp.contoso.com',
        rbacGroupName: 'Finance',
        alertCreationTime: '2024-01-26T20:33:57.7220239Z',
        lastUpdateTime: '2024-01-26T20:33:59.2Z',
        incidentId: 1001,
        evidence: [evidence({})],
      }),
      alert({
        id: 'da638412900382838869_1364969602',
        severity: 'Low',
        status: 'InProgress',
        assignedTo: 'secop@contoso.com',
        machineId: FIN_WS,
        computerDnsName: 'ws-fin-042.corp.contoso.com',
        rbacGroupName: 'Finance',
        category: 'SuspiciousActivity',
        alertCreationTime: '2024-01-27T10:00:00.0000001Z',
        lastUpdateTime: '2024-01-27T10:05:00Z',
        incidentId: 1002,
      }),
      alert({
        id: 'da638412900382838869_1364969603',
        severity: 'High',
        status: 'Resolved',
        machineId: WEB_SRV,
        computerDnsName: 'srv-web-01.corp.contoso.com',
        rbacGroupName: 'Servers',
        detectionSource: 'WindowsDefenderAv',
        alertCreationTime: '2024-01-25T00:00:00Z',
        lastUpdateTime: '2024-01-28T00:00:00Z',
        resolvedTime: '2024-01-28T00:00:00Z',
        incidentId: 1003,
        investigationId: 77,
      }),
      alert({
        id: 'da638412900382838869_1364969604',
        severity: 'Informational',
        status: 'New',
        machineId: LINUX_DB,
        computerDnsName: 'lnx-db-01.corp.contoso.com',
        rbacGroupName: 'Servers',
        alertCreationTime: '2024-01-24T00:00:00+02:00',
        lastUpdateTime: '2024-01-24T00:00:00+02:00',
        lastEventTime: null,
        incidentId: null,
      }),
      alert({
        id: 'da638412900382838869_1364969605',
        severity: 'Medium',
        status: 'New',
        title: "O'Brien's mailbox rule",
        assignedTo: "o'brien@contoso.com",
        machineId: null,
        rbacGroupName: null,
        alertCreationTime: '2024-01-23T00:00:00Z',
        lastUpdateTime: '2024-01-23T00:00:00Z',
        incidentId: 1005,
      }),
    ],
  });
}

/** Tenant B (an MSSP's second customer): one device, one alert, one admin. */
export function tenantBSeed(): Seed {
  return seedSchema.parse({
    tenant: { id: TENANT_B, name: 'Fabrikam' },
    users: [
      {
        aadObjectId: 'bbbbbbbb-0000-4000-8000-000000000001',
        userPrincipalName: 'admin@fabrikam.com',
        displayName: 'Fabrikam admin',
        appRoles: [],
        defenderPermissions: ['ViewData', 'AlertsInvestigation', 'ActiveRemediation'],
        deviceGroups: ['*'],
      },
    ],
    machines: [machine({ id: B_MACHINE, computerDnsName: 'fab-ws-1.fabrikam.local', rbacGroupName: 'All' })],
    alerts: [
      alert({
        id: 'da638412900382838869_2000000001',
        aadTenantId: TENANT_B,
        machineId: B_MACHINE,
        computerDnsName: 'fab-ws-1.fabrikam.local',
        rbacGroupName: 'All',
      }),
    ],
  });
}

/** A tenant with users but no devices (get-machines.md's 404 case). */
export function emptyTenantSeed(tenantId: string): Seed {
  return seedSchema.parse({
    tenant: { id: tenantId, name: 'Empty' },
    users: [],
    machines: [],
    alerts: [],
  });
}
