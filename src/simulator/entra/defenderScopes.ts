/*
 * Microsoft resources the emulator issues tokens for (defender-api.md §1.3, §14.5), each identifier with the
 * service it belongs to. A token's `aud` is the identifier that was asked for, in this canonical spelling, so
 * the Defender simulator can tell an MDE token from a Graph or XDR one and refuse the latter, as MDE does.
 */

/** WindowsDefenderATP, the MDE API's application id (observed, §1.3). */
export const MDE_APP_ID = 'fc780465-2017-40d4-a0c5-307022471b92';
/** Microsoft Threat Protection, the Defender XDR API's application id (observed, §1.3). */
export const XDR_APP_ID = '8ee8fdad-f234-4243-8f3b-15c294843740';
/** Microsoft Graph's application id. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** The services behind the resources: MDE (what the simulator serves), Defender XDR, Microsoft Graph. */
export type MicrosoftService = 'mde' | 'xdr' | 'graph';

/**
 * Identifier → service. MDE: its two API identifiers and its app id. XDR: its host, app id, and the
 * `.windows.com` spelling of the XDR user-context sample. Graph: its host and app id.
 */
const SERVICE_OF = {
  'https://api.securitycenter.microsoft.com': 'mde',
  'https://securitycenter.onmicrosoft.com/windowsatpservice': 'mde',
  [MDE_APP_ID]: 'mde',
  'https://api.security.microsoft.com': 'xdr',
  'https://api.securitycenter.windows.com': 'xdr',
  [XDR_APP_ID]: 'xdr',
  'https://graph.microsoft.com': 'graph',
  [GRAPH_APP_ID]: 'graph',
} as const satisfies Record<string, MicrosoftService>;

/** One resource identifier the emulator issues Microsoft API tokens for. */
export type DefenderResource = keyof typeof SERVICE_OF;

/** Every identifier of SERVICE_OF, lower case. */
export const DEFENDER_RESOURCES = Object.keys(SERVICE_OF) as DefenderResource[];

/** The service a resource identifier belongs to. */
export function serviceOf(resource: DefenderResource): MicrosoftService {
  return SERVICE_OF[resource];
}
