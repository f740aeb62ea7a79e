import type { ActionParameters, ResponseActionKind } from './approvalTypes';

/** Operating-system families as Defender's `osPlatform` names them (Windows10, WindowsServer2019, Linux, macOS…). */
type OsFamily = 'windows' | 'linux' | 'macos' | 'other';

function osFamily(osPlatform: string | null | undefined): OsFamily {
  const os = (osPlatform ?? '').toLowerCase();
  if (os.startsWith('windows')) return 'windows';
  if (
    os.startsWith('linux') ||
    ['ubuntu', 'redhat', 'rhel', 'centos', 'debian', 'suse', 'oracle'].some((d) => os.includes(d))
  )
    return 'linux';
  if (os.startsWith('mac') || os.includes('macos') || os.includes('os x')) return 'macos';
  return 'other';
}

/**
 * Where each response action runs, from the "Important" notes of Defender's API pages (defender-api.md §4.1,
 * §14.9): isolate — full isolation on Windows 10 1703+/11 and, in preview, supported Linux; selective isolation on
 * Windows 10 1709+/11 only; release from isolation wherever isolation runs; restrict/remove app restriction,
 * antivirus scan, investigation package and stop-and-quarantine — Windows 10/11 only. Windows Server is offered
 * like Windows (the same sensor; Defender answers OsPlatformNotSupported or ClientVersionNotSupported itself for
 * an old build, and the card says so). Nothing is offered on macOS through the API.
 */
const SUPPORTED: Record<ResponseActionKind, readonly OsFamily[]> = {
  isolate: ['windows', 'linux'],
  unisolate: ['windows', 'linux'],
  restrictCodeExecution: ['windows'],
  unrestrictCodeExecution: ['windows'],
  runAntiVirusScan: ['windows'],
  collectInvestigationPackage: ['windows'],
  stopAndQuarantineFile: ['windows'],
};

/** True when Defender's documentation says `kind` runs on a device with this `osPlatform`. */
export function isActionSupported(
  kind: ResponseActionKind,
  osPlatform: string | null | undefined,
  parameters: Pick<ActionParameters, 'isolationType'> = {},
): boolean {
  const family = osFamily(osPlatform);
  if (kind === 'isolate' && parameters.isolationType === 'Selective') return family === 'windows';
  return SUPPORTED[kind].includes(family);
}
