/*
 * Microsoft resources the emulator issues tokens for (defender-api.md §1.3, §14.5), each identifier with the
 * service it belongs to. A token's `aud` is the identifier that was asked for, in this canonical spelling. The
 * emulator issues only audiences a simulated API accepts (the MDE API, the Graph security API): a scope for
 * anything else, the Defender XDR API included, is AADSTS500011 here, so a misconfigured scope fails at the
 * token request instead of as a token no API takes.
 */

/** WindowsDefenderATP, the MDE API's application id (observed, §1.3). */
export const MDE_APP_ID = 'fc780465-2017-40d4-a0c5-307022471b92';
/** Microsoft Graph's application id. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/**
 * The MDE API's own audiences, the only ones its simulator accepts: the documented identifiers (§1.3: the API host,
 * the `windowsatpservice` URI of the curl samples), the legacy `.windows.com` host the API was first served from
 * (still used by a user-context sample; which spelling real tokens carry is unconfirmed, so all are accepted), and
 * the app id. Never the Defender XDR API's `https://api.security.microsoft.com` nor Graph's.
 */
export const MDE_AUDIENCES = [
  'https://api.securitycenter.microsoft.com',
  'https://securitycenter.onmicrosoft.com/windowsatpservice',
  'https://api.securitycenter.windows.com',
  MDE_APP_ID,
] as const;

/** Microsoft Graph's audiences: its host and its app id (the Graph simulator accepts exactly these). */
export const GRAPH_AUDIENCES = ['https://graph.microsoft.com', GRAPH_APP_ID] as const;

/** The services behind the resources the emulator issues tokens for: MDE and Microsoft Graph. */
export type MicrosoftService = 'mde' | 'graph';

/** One resource identifier the emulator issues Microsoft API tokens for. */
export type DefenderResource = (typeof MDE_AUDIENCES)[number] | (typeof GRAPH_AUDIENCES)[number];

/** Every identifier the emulator issues Microsoft API tokens for, lower case. */
export const DEFENDER_RESOURCES: readonly DefenderResource[] = [...MDE_AUDIENCES, ...GRAPH_AUDIENCES];

/** The service a resource identifier belongs to. */
export function serviceOf(resource: DefenderResource): MicrosoftService {
  return (MDE_AUDIENCES as readonly string[]).includes(resource) ? 'mde' : 'graph';
}
