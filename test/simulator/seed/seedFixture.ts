/*
 * A small valid seed as raw JSON (what a user would write), for loader tests to break one field at a time.
 * Every call returns a fresh object.
 */

/** Builds a documented evidence item: every field present, null unless given. */
export function evidence(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    entityType: 'Process',
    evidenceCreationTime: null,
    sha1: null,
    sha256: null,
    fileName: null,
    filePath: null,
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
    detectionStatus: null,
    ...fields,
  };
}

/** Machine ids used by the fixture. */
export const MACHINE_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
export const MACHINE_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

function machine(id: string, name: string, firstSeen: string, lastSeen: string): Record<string, unknown> {
  return {
    id,
    computerDnsName: name,
    firstSeen,
    lastSeen,
    osPlatform: 'Windows11',
    osProcessor: 'x64',
    version: '23H2',
    osBuild: 22631,
    lastIpAddress: '10.0.0.5',
    lastExternalIpAddress: '203.0.113.5',
    healthStatus: 'Active',
    rbacGroupId: 1,
    rbacGroupName: 'Group-A',
    riskScore: 'Low',
    exposureLevel: 'Low',
    deviceValue: 'Normal',
    aadDeviceId: null,
    machineTags: [],
    onboardingStatus: 'Onboarded',
    osArchitecture: '64-bit',
    ipAddresses: [{ ipAddress: '10.0.0.5', macAddress: '001122334455', type: 'Ethernet', operationalStatus: 'Up' }],
  };
}

function alert(id: string, machineId: string, times: Record<string, string | null>): Record<string, unknown> {
  return {
    id,
    incidentId: 1,
    investigationId: null,
    assignedTo: null,
    severity: 'High',
    status: 'New',
    classification: null,
    determination: null,
    investigationState: null,
    detectionSource: 'WindowsDefenderAtp',
    detectorId: null,
    category: 'Execution',
    threatFamilyName: null,
    title: 'Suspicious PowerShell command line',
    description: 'A suspicious PowerShell activity was observed on the device.',
    alertCreationTime: times.alertCreationTime,
    firstEventTime: times.firstEventTime ?? null,
    lastEventTime: times.lastEventTime ?? null,
    lastUpdateTime: times.lastUpdateTime,
    resolvedTime: null,
    machineId,
    computerDnsName: 'a.contoso.com',
    rbacGroupName: 'Group-A',
    aadTenantId: '11111111-2222-4333-8444-555555555555',
    threatName: null,
    mitreTechniques: ['T1059.001'],
    relatedUser: null,
    comments: [],
    evidence: [],
  };
}

/** Two machines, two alerts, one action, one user; every timestamp with seven fraction digits. */
export function validSeed(): Record<string, unknown> & {
  machines: Record<string, unknown>[];
  alerts: Record<string, unknown>[];
  machineActions: Record<string, unknown>[];
  users: Record<string, unknown>[];
} {
  const first = alert(`da1_1`, MACHINE_A, {
    alertCreationTime: '2024-01-26T20:33:57.7220239Z',
    firstEventTime: '2024-01-26T20:31:32.9562661Z',
    lastEventTime: '2024-01-26T20:31:33.0577322Z',
    lastUpdateTime: '2024-01-26T20:33:59.2000000Z',
  });
  first.comments = [
    { comment: 'Looking into it', createdBy: 'a@contoso.com', createdTime: '2024-01-26T21:00:37.8404534Z' },
  ];
  first.lastUpdateTime = '2024-01-26T21:00:37.8404534Z';
  first.evidence = [
    evidence({
      evidenceCreationTime: '2024-01-26T20:33:57.7220239Z',
      processCreationTime: '2024-01-26T20:31:30.1234567Z',
      parentProcessCreationTime: null,
      fileName: 'powershell.exe',
    }),
  ];
  const second = alert(`da2_2`, MACHINE_B, {
    alertCreationTime: '2024-01-25T08:00:00.0000001Z',
    lastUpdateTime: '2024-01-25T09:15:00.5000000Z',
  });
  second.status = 'Resolved';
  second.classification = 'FalsePositive';
  second.determination = 'Clean';
  second.resolvedTime = '2024-01-25T09:15:00.5000000Z';
  return {
    tenant: { id: '11111111-2222-4333-8444-555555555555', name: 'Fixture Ltd' },
    users: [
      {
        aadObjectId: '00000000-0000-0000-0000-0000000000020',
        userPrincipalName: 'a@contoso.com',
        displayName: 'A',
        appRoles: ['SOC.Analyst'],
        defenderPermissions: ['ViewData'],
        deviceGroups: ['*'],
      },
    ],
    machines: [
      machine(MACHINE_A, 'a.contoso.com', '2023-04-19T13:27:53.1618923Z', '2024-01-26T19:47:48.3622932Z'),
      machine(MACHINE_B, 'b.contoso.com', '2023-05-01T10:00:00.0000000Z', '2024-01-26T18:00:00.0000000Z'),
    ],
    alerts: [first, second],
    machineActions: [
      {
        id: '5382f7ea-7557-4ab7-9782-d50480024a4e',
        type: 'Isolate',
        title: null,
        requestor: 'a@contoso.com',
        requestorComment: 'Isolate',
        status: 'Succeeded',
        machineId: MACHINE_A,
        computerDnsName: 'a.contoso.com',
        creationDateTimeUtc: '2024-01-26T21:05:38.2262283Z',
        lastUpdateDateTimeUtc: '2024-01-26T21:06:20.1000000Z',
        cancellationRequestor: null,
        cancellationComment: null,
        cancellationDateTimeUtc: null,
        errorHResult: 0,
        scope: 'Full',
        externalId: null,
        requestSource: 'PublicApi',
        relatedFileInfo: null,
        commands: [],
        troubleshootInfo: null,
      },
    ],
  };
}
