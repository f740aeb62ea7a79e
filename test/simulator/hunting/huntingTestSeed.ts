import { huntingEventsSchema } from '../../../src/simulator/seed/huntingSchema';
import { machineSchema, seedUserSchema } from '../../../src/simulator/seed/seedSchema';
import type { Seed } from '../../../src/simulator/seed/seedSchema';
import { machine } from '../defender/testSeeds';

/** The instant the hunting tests run at (the simulator's clock). */
export const HUNT_NOW = new Date('2026-12-01T12:00:00Z');

/** A Finance workstation and a Tier-0 domain controller. */
export const FIN_MACHINE_ID = 'f1f1f1f100000000000000000000000000000001';
export const DC_MACHINE_ID = 'dcdcdcdc00000000000000000000000000000002';

/** Sees Finance devices only. */
export const FINN = {
  aadObjectId: 'f1220000-0000-4000-8000-0000000000a1',
  userPrincipalName: 'finn.hunter@contoso.example',
};
/** Sees every device group. */
export const RITA = {
  aadObjectId: 'a17a0000-0000-4000-8000-0000000000a1',
  userPrincipalName: 'rita.hunter@contoso.example',
};
/** Has no Defender role. */
export const LYNNE = {
  aadObjectId: '1a7e0000-0000-4000-8000-0000000000a1',
  userPrincipalName: 'lynne.hunter@contoso.example',
};

const fin = { DeviceId: FIN_MACHINE_ID, DeviceName: 'ws-fin-042' };
const dc = { DeviceId: DC_MACHINE_ID, DeviceName: 'srv-dc-01' };

/**
 * Adds a small, fully known event set to `seed`: four recent processes (two per device, one with non-ASCII text),
 * one 40 days old (never returned), network connections, logons, two alerts (al-1 on the Finance device; al-2 on no device) and their
 * evidence; plus the two machines and
 * three people with different Defender roles.
 */
export function addHuntingSection(seed: Seed): Seed {
  seed.machines.push(
    machineSchema.parse(machine({ id: FIN_MACHINE_ID, computerDnsName: 'ws-fin-042', rbacGroupName: 'Finance' })),
    machineSchema.parse(machine({ id: DC_MACHINE_ID, computerDnsName: 'srv-dc-01', rbacGroupName: 'Tier0' })),
  );
  const person = (who: typeof FINN, defenderPermissions: string[], deviceGroups: string[]) =>
    seedUserSchema.parse({
      ...who,
      displayName: who.userPrincipalName,
      appRoles: ['SOC.Analyst'],
      defenderPermissions,
      deviceGroups,
    });
  seed.users.push(person(FINN, ['ViewData'], ['Finance']), person(RITA, ['ViewData'], ['*']), person(LYNNE, [], []));
  seed.events = huntingEventsSchema.parse({
    DeviceProcessEvents: [
      {
        ...fin,
        Timestamp: '2026-12-01T10:00:00Z',
        FileName: 'powershell.exe',
        ProcessCommandLine: 'powershell.exe -enc SQBFAFgA',
        SHA1: 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1',
        ProcessId: 100,
        AccountName: 'alice',
      },
      {
        ...fin,
        Timestamp: '2026-12-01T11:30:00.1234567Z',
        FileName: 'cmd.exe',
        ProcessCommandLine: 'cmd.exe /c whoami',
        SHA1: 'b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2',
        ProcessId: 101,
        AccountName: 'alice',
      },
      {
        ...dc,
        Timestamp: '2026-11-30T09:00:00Z',
        FileName: 'PowerShell.exe',
        ProcessCommandLine: 'PowerShell -File C:\\ops\\backup.ps1',
        SHA1: 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1',
        ProcessId: 102,
        AccountName: 'svc-backup',
      },
      {
        ...dc,
        Timestamp: '2026-11-30T09:10:00Z',
        FileName: 'notepad.exe',
        ProcessCommandLine: 'notepad.exe C:\\Users\\josé\\relatório.txt',
        SHA1: 'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3',
        ProcessId: 103,
        AccountName: 'josé',
      },
      {
        ...fin,
        Timestamp: '2026-10-20T09:00:00Z',
        FileName: 'mimikatz.exe',
        ProcessCommandLine: 'mimikatz.exe sekurlsa::logonpasswords',
        SHA1: 'dddddddddddddddddddddddddddddddddddddddd',
        ProcessId: 104,
        AccountName: 'alice',
      },
    ],
    DeviceNetworkEvents: [
      {
        ...fin,
        Timestamp: '2026-12-01T10:05:00Z',
        RemoteIP: '203.0.113.50',
        RemotePort: 443,
        RemoteUrl: 'evil.example',
      },
      {
        ...dc,
        Timestamp: '2026-11-30T09:05:00Z',
        RemoteIP: '203.0.113.50',
        RemotePort: 443,
        RemoteUrl: 'evil.example',
      },
      { ...fin, Timestamp: '2026-12-01T11:00:00Z', RemoteIP: '10.0.0.5', RemotePort: 445 },
    ],
    DeviceLogonEvents: [
      { ...fin, Timestamp: '2026-12-01T09:00:00Z', AccountName: 'alice', LogonType: 'Interactive' },
      { ...fin, Timestamp: '2026-12-01T09:30:00Z', AccountName: 'alice', LogonType: 'Unlock' },
      { ...dc, Timestamp: '2026-11-30T08:00:00Z', AccountName: 'alice', LogonType: 'RemoteInteractive' },
    ],
    AlertInfo: [
      { Timestamp: '2026-12-01T10:01:00Z', AlertId: 'al-1', Title: 'Encoded PowerShell', Severity: 'High' },
      { Timestamp: '2026-12-01T10:06:00Z', AlertId: 'al-2', Title: 'Connection to a bad IP', Severity: 'Medium' },
    ],
    AlertEvidence: [
      {
        Timestamp: '2026-12-01T10:01:00Z',
        AlertId: 'al-1',
        Title: 'Encoded PowerShell',
        EntityType: 'File',
        SHA1: 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1',
        ...fin,
      },
      {
        Timestamp: '2026-12-01T10:06:00Z',
        AlertId: 'al-2',
        Title: 'Connection to a bad IP',
        EntityType: 'Ip',
        RemoteIP: '203.0.113.50',
      },
    ],
  });
  return seed;
}
