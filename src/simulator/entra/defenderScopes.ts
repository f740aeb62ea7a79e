/**
 * Resource identifiers the emulator issues Defender tokens for (defender-api.md §1.3): MDE's two hosts, the
 * WindowsDefenderATP App ID URI used by the curl samples, and the `.windows.com` spelling of the XDR
 * user-context sample. A token's `aud` is the identifier that was asked for, in this canonical spelling.
 */
export const DEFENDER_RESOURCES = [
  'https://api.securitycenter.microsoft.com',
  'https://api.security.microsoft.com',
  'https://securitycenter.onmicrosoft.com/windowsatpservice',
  'https://api.securitycenter.windows.com',
] as const;

/** One of `DEFENDER_RESOURCES`. */
export type DefenderResource = (typeof DEFENDER_RESOURCES)[number];
