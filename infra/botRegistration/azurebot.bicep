// The Azure Bot registration of Defender SOC Bot and its Microsoft Teams channel.
//
// msaAppType is always SingleTenant, with the home tenant of the app registration: Azure AI Bot Service no
// longer creates MultiTenant bots (deprecated after 31 July 2025). A SingleTenant Azure Bot still serves users
// of other tenants when its Entra app registration is multi-tenant (signInAudience AzureADMultipleOrgs),
// which is how MSSP deployments work (ALLOWED_TENANT_IDS): see docs/deploy.md. The bot's Teams token always
// comes from msaAppTenantId (BOT_TYPE=SingleTenant, BOT_TENANT_ID; docs/adr/0002).
//
// No OAuth connection setting is created: the bot does not use the Bot Framework token store. Teams SSO tokens
// reach the bot in the signin/tokenExchange invoke and are exchanged on-behalf-of the user with msal-node
// (docs/adr/0002-identities-and-tokens.md).

@maxLength(20)
@minLength(4)
@description('Used to generate the bot service name')
param resourceBaseName string

@maxLength(42)
param botDisplayName string

param botServiceName string = resourceBaseName

@description('F0 is free (Teams is a standard channel, so it has no message limit); S1 adds the Bot Service SLA.')
param botServiceSku string = 'F0'

@description('Application (client) id of the bot\'s Entra app registration (BOT_ID).')
param botAadAppClientId string

@description('Home tenant of the app registration (BOT_TENANT_ID).')
param botTenantId string

@description('Public host name of the bot (BOT_DOMAIN); the messaging endpoint is https://<botAppDomain>/api/messages.')
param botAppDomain string

resource botService 'Microsoft.BotService/botServices@2021-03-01' = {
  kind: 'azurebot'
  location: 'global'
  name: botServiceName
  properties: {
    displayName: botDisplayName
    endpoint: 'https://${botAppDomain}/api/messages'
    msaAppId: botAadAppClientId
    msaAppType: 'SingleTenant'
    msaAppTenantId: botTenantId
  }
  sku: {
    name: botServiceSku
  }
}

// Connect the bot to Microsoft Teams.
resource botServiceMsTeamsChannel 'Microsoft.BotService/botServices/channels@2021-03-01' = {
  parent: botService
  location: 'global'
  name: 'MsTeamsChannel'
  properties: {
    channelName: 'MsTeamsChannel'
  }
}
