/*
 * The Bot Framework's own Entra tenant. A multi-tenant bot asks `https://login.microsoftonline.com/botframework.com`
 * for the token it sends with its replies; botframework-connector's constants name both the domain and the id.
 */

/** The real id of the botframework.com tenant (botframework-connector's `ToChannelFromBotLoginUrl` tenant). */
export const BOT_FRAMEWORK_TENANT_ID = 'd6d49420-f39b-4df7-a1dc-d59a935871db';

/** The authority path segment multi-tenant bots use; the emulator resolves it to `BOT_FRAMEWORK_TENANT_ID`. */
export const BOT_FRAMEWORK_TENANT_ALIAS = 'botframework.com';

/** The resource of the bot's outbound tokens: their `aud`, and the scope `https://api.botframework.com/.default`. */
export const BOT_FRAMEWORK_RESOURCE = 'https://api.botframework.com';

/** The tenant id behind a path segment: the Bot Framework alias becomes its id, anything else is returned as is. */
export function resolveTenantAlias(tenantSegment: string): string {
  return tenantSegment.toLowerCase() === BOT_FRAMEWORK_TENANT_ALIAS ? BOT_FRAMEWORK_TENANT_ID : tenantSegment;
}

/** True for the Bot Framework tenant, by id or by alias. */
export function isBotFrameworkTenant(tenantIdOrAlias: string): boolean {
  return resolveTenantAlias(tenantIdOrAlias).toLowerCase() === BOT_FRAMEWORK_TENANT_ID;
}
