// Azure resources of Defender SOC Bot, deployed by `arm/deploy` in m365agents.yml (or by hand with
// `az deployment group create -g <group> -f infra/azure.bicep -p infra/azure.parameters.json` after replacing
// the ${{...}} placeholders): a Linux App Service plan running `instanceCount` instances of the bot's Web App on
// Node 20 (HTTPS only), the storage account they share (state, leases, audit trail: Azure Blob Storage, reached
// with the Web App's managed identity), and the Azure Bot registration with the Microsoft Teams channel
// (infra/botRegistration/azurebot.bicep). Outputs are written to env/.env.<environment> by the Toolkit.
// See docs/deploy.md ("Running several instances") and docs/adr/0004-scale-out.md.

@maxLength(20)
@minLength(4)
@description('Prefix of every resource name. The Web App name must be globally unique: socbot + RESOURCE_SUFFIX.')
param resourceBaseName string

@description('App Service plan SKU. B1 is the smallest with Always On (up to 3 instances); P0v3 or larger for production.')
param webAppSku string = 'B1'

@minValue(1)
@maxValue(30)
@description('Instances of the bot (App Service plan capacity). Two or more for availability and zero-downtime restarts; they share state through the storage account.')
param instanceCount int = 2

@minLength(3)
@maxLength(63)
@description('STORAGE_CONTAINER: the Blob container holding the bot\'s state, leases and audit trail.')
param storageContainerName string = 'soc-bot'

@allowed([
  'Standard_LRS'
  'Standard_ZRS'
])
@description('Redundancy of the storage account: Standard_LRS (three copies in one datacenter) or Standard_ZRS (across availability zones, where the region has them).')
param storageSku string = 'Standard_LRS'

@minValue(1)
@maxValue(365)
@description('Days a deleted blob or container stays recoverable (soft delete): a safety net, not a backup.')
param softDeleteRetentionDays int = 7

@maxLength(42)
@description('Display name of the Azure Bot.')
param botDisplayName string

@description('BOT_ID: application (client) id of the bot\'s Entra app registration.')
param botAadAppClientId string

@secure()
@description('BOT_PASSWORD: client secret of the app registration. Empty when BOT_CERTIFICATE_FILE is used.')
param botAadAppClientSecret string = ''

@description('BOT_CERTIFICATE_FILE: path, on the Web App, of a PEM file with the private key and certificate. Empty = use BOT_PASSWORD.')
param botCertificateFile string = ''

@description('BOT_TENANT_ID: home tenant of the app registration (also the Azure Bot\'s tenant).')
param botTenantId string

@description('BOT_TYPE: the Azure Bot\'s type, always SingleTenant (its Teams token comes from botTenantId; docs/adr/0002).')
@allowed(['SingleTenant'])
param botType string = 'SingleTenant'

@description('ALLOWED_TENANT_IDS: comma-separated tenant ids served (MSSP: the home tenant and each customer). Empty = the home tenant.')
param allowedTenantIds string = ''

@description('NOTIFY_CLIENT_IDS: comma-separated app / managed identity ids allowed to call POST /api/notify with an Entra token.')
param notifyClientIds string = ''

@secure()
@description('NOTIFY_HMAC_SECRETS: comma-separated Standard Webhooks secrets (whsec_...) for signed POST /api/notify calls.')
param notifyHmacSecrets string = ''

@secure()
@description('STATE_ENCRYPTION_KEY: 32 random bytes in base64 (openssl rand -base64 32) sealing sign-in state in the storage account; the same for every instance. Empty: the app refuses to start on Blob Storage.')
param stateEncryptionKey string = ''

@description('Custom host name already bound to the Web App (with its TLS certificate). Empty = the Web App\'s default host name.')
param botCustomDomain string = ''

@description('DEFENDER_API_URL. Empty = the app\'s default (https://api.security.microsoft.com).')
param defenderApiUrl string = ''

@description('DEFENDER_SCOPE. Empty = the app\'s default (https://api.securitycenter.microsoft.com/.default).')
param defenderScope string = ''

@description('GRAPH_API_URL. Empty = the app\'s default (https://graph.microsoft.com/v1.0).')
param graphApiUrl string = ''

@description('GRAPH_SCOPE. Empty = the app\'s default (https://graph.microsoft.com/.default).')
param graphScope string = ''

@description('AUTHORITY_HOST. Empty = the app\'s default (https://login.microsoftonline.com).')
param authorityHost string = ''

@description('LOG_LEVEL (fatal, error, warn, info, debug, trace, silent). Empty = info.')
param logLevel string = ''

param location string = resourceGroup().location

// Linux, because the app listens on the numeric PORT App Service gives a Node container (Windows App Service
// hands iisnode apps a named pipe instead, which the bot's configuration rejects).
resource serverfarm 'Microsoft.Web/serverfarms@2022-09-01' = {
  name: resourceBaseName
  location: location
  kind: 'linux'
  sku: {
    name: webAppSku
    // Every instance runs the whole bot; leases in the storage account decide which one does each tenant's
    // background work, so scaling out or in needs nothing else (docs/deploy.md).
    capacity: instanceCount
  }
  properties: {
    reserved: true
  }
}

resource webApp 'Microsoft.Web/sites@2022-09-01' = {
  name: resourceBaseName
  location: location
  kind: 'app,linux'
  // The identity the bot reaches the storage account with (STORAGE_ACCOUNT_URL + DefaultAzureCredential): no key
  // or connection string to store, rotate or leak.
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: serverfarm.id
    httpsOnly: true
    // No ARR affinity cookie: any instance may take any request, the state is shared.
    clientAffinityEnabled: false
    siteConfig: {
      linuxFxVersion: 'NODE|20-lts'
      // The deployed package is already built (m365agents.yml deploy), so start the compiled output directly:
      // `npm start` would run tsc again, which needs the sources and devDependencies that are not uploaded.
      appCommandLine: 'node --disable-warning=DEP0111 dist/src/index.js'
      alwaysOn: true
      healthCheckPath: '/health'
      http20Enabled: true
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
  }
}

// The state every instance shares: one StorageV2 account, reachable over HTTPS with TLS 1.2 or later, with Entra
// ID authorization only (shared keys, hence account keys, connection strings and SAS, are refused) and no
// anonymous read access to any blob.
resource storageAccount 'Microsoft.Storage/storageAccounts@2023-01-01' = {
  name: take('${replace(toLower(resourceBaseName), '-', '')}${uniqueString(resourceGroup().id)}', 24)
  location: location
  kind: 'StorageV2'
  sku: {
    name: storageSku
  }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
  }
}

// Soft delete for blobs and containers: a record or the whole container deleted by mistake can be restored
// within softDeleteRetentionDays.
resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-01-01' = {
  parent: storageAccount
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: softDeleteRetentionDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: softDeleteRetentionDays
    }
  }
}

resource stateContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-01-01' = {
  parent: blobService
  name: storageContainerName
  properties: {
    publicAccess: 'None'
  }
}

// Storage Blob Data Contributor (read, write, delete blobs, take leases) for the Web App's managed identity, on
// the bot's container only: not on the account, so other containers stay out of its reach.
var storageBlobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
resource stateContainerAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(stateContainer.id, webApp.id, storageBlobDataContributorRoleId)
  scope: stateContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributorRoleId)
    principalId: webApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// Every setting the app reads in production (README "Configuration"). This resource owns the whole list:
// settings added by hand in the portal are removed by the next provision, so add them here instead.
// Empty values mean "use the app's default". PORT is not set: App Service gives the container its PORT.
// Written after the role assignment: changing the settings restarts the app, which then opens the container at
// once (role assignments can still take a few minutes to apply; until then the app fails its start-up check and
// App Service restarts it).
resource webAppSettings 'Microsoft.Web/sites/config@2022-09-01' = {
  parent: webApp
  name: 'appsettings'
  dependsOn: [
    stateContainerAccess
  ]
  properties: {
    SCM_DO_BUILD_DURING_DEPLOYMENT: 'false'
    HOST: '0.0.0.0'
    DATA_DIR: '/home/data/defender-soc-bot'
    // Shared state: Blob Storage through the managed identity (no connection string on the Web App).
    STORAGE_ACCOUNT_URL: storageAccount.properties.primaryEndpoints.blob
    STORAGE_CONTAINER: storageContainerName
    STATE_ENCRYPTION_KEY: stateEncryptionKey
    BOT_ID: botAadAppClientId
    BOT_PASSWORD: botAadAppClientSecret
    BOT_CERTIFICATE_FILE: botCertificateFile
    BOT_TENANT_ID: botTenantId
    BOT_TYPE: botType
    BOT_DOMAIN: empty(botCustomDomain) ? webApp.properties.defaultHostName : botCustomDomain
    ALLOWED_TENANT_IDS: allowedTenantIds
    NOTIFY_CLIENT_IDS: notifyClientIds
    NOTIFY_HMAC_SECRETS: notifyHmacSecrets
    DEFENDER_API_URL: defenderApiUrl
    DEFENDER_SCOPE: defenderScope
    GRAPH_API_URL: graphApiUrl
    GRAPH_SCOPE: graphScope
    AUTHORITY_HOST: authorityHost
    LOG_LEVEL: logLevel
  }
}

// Register the Web App as a bot with Azure AI Bot Service and connect it to Microsoft Teams.
module azureBotRegistration './botRegistration/azurebot.bicep' = {
  name: 'Azure-Bot-registration'
  params: {
    resourceBaseName: resourceBaseName
    botDisplayName: botDisplayName
    botAadAppClientId: botAadAppClientId
    botTenantId: botTenantId
    botAppDomain: empty(botCustomDomain) ? webApp.properties.defaultHostName : botCustomDomain
  }
}

// Written to env/.env.<environment> by the Toolkit (names kept as they are: upper case already).
output BOT_AZURE_APP_SERVICE_RESOURCE_ID string = webApp.id
output BOT_DOMAIN string = empty(botCustomDomain) ? webApp.properties.defaultHostName : botCustomDomain
