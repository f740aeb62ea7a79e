import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { parse as parseYaml } from 'yaml';

/*
 * The deployment files can break silently: the Toolkit substitutes ${{VAR}} placeholders at provision time,
 * Entra accepts a registration without the scope Teams SSO needs. These tests read m365agents.yml, aad.manifest.json, infra/ and env/.env.dev
 * as the Toolkit would and check what must hold for the bot to work and to stay least-privileged. The API
 * permissions of the registration (their ids, types and least privilege) are checked by
 * test/registration/permissions.test.ts.
 */

const root = path.resolve(__dirname, '../../..');
const readText = (relative: string): string => fs.readFileSync(path.join(root, relative), 'utf8');

/** Teams desktop/mobile and Teams web: without them Teams cannot get an SSO token silently (§10.1). */
const TEAMS_CLIENT_IDS = ['1fec8e78-bce4-4aaf-ab1b-5451cc387264', '5e3ce6c0-2b1f-4285-8d4b-75ee78787346'];
/** Every client Microsoft documents for Teams app SSO: the two Teams clients plus Microsoft 365 and Outlook. */
const DOCUMENTED_SSO_CLIENT_IDS = [
  ...TEAMS_CLIENT_IDS,
  '4765445b-32c6-49b0-83e6-1d93765276ca',
  '0ec893e0-5785-4de6-99da-4ed124e5296c',
  'd3590ed6-52b3-4102-aeff-aad2292ab01c',
  'bc59ab01-8403-45c6-8796-ac3ef710b3e3',
];
/** The bot's own app roles for people, with the ids assignments refer to: changing an id orphans every assignment. */
const APP_ROLES: Record<string, string> = {
  'SOC.Analyst': '40df1479-2450-48f4-8c86-6b0bf2c6475e',
  'SOC.Responder': 'da3b4293-38a8-481c-83b5-2bb36fdd59ce',
  'SOC.Approver': 'b310c789-8e2b-457a-83d6-8923cb0f1b5c',
  'SOC.Admin': '11391abe-d3ef-4086-80a1-41f1e6ed24b9',
  'SOC.Hunter': '1203c916-d59a-4a11-a4c2-fa4b292db865',
};
/** The bot's app roles for applications (push sources calling POST /api/notify), with their fixed ids. */
const APPLICATION_ROLES: Record<string, string> = {
  'SOC.Notify': 'e674921d-d85f-4569-88ba-4ccb0e2f51fc',
};
/** Settings the app reads in production (README "Configuration"), set on the Web App by infra/azure.bicep. */
const APP_SETTINGS = [
  'BOT_ID',
  'BOT_PASSWORD',
  'BOT_CERTIFICATE_FILE',
  'BOT_TENANT_ID',
  'BOT_TYPE',
  'BOT_DOMAIN',
  'ALLOWED_TENANT_IDS',
  'NOTIFY_CLIENT_IDS',
  'NOTIFY_HMAC_SECRETS',
  'DEFENDER_API_URL',
  'DEFENDER_SCOPE',
  'GRAPH_API_URL',
  'GRAPH_SCOPE',
  'AUTHORITY_HOST',
  'LOG_LEVEL',
  'STORAGE_ACCOUNT_URL',
  'STORAGE_CONTAINER',
  'STATE_ENCRYPTION_KEY',
];
/** Built-in Azure role "Storage Blob Data Contributor": read, write and delete blobs, take leases (no role management). */
const STORAGE_BLOB_DATA_CONTRIBUTOR = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The Toolkit's placeholder syntax (spaces inside the braces are allowed). */
const PLACEHOLDER = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

interface ResourceAccess {
  id: string;
  type: string;
}
interface EntraManifest {
  id: string;
  appId: string;
  displayName: string;
  signInAudience: string;
  identifierUris: string[];
  accessTokenAcceptedVersion?: number;
  api: {
    requestedAccessTokenVersion: number;
    oauth2PermissionScopes: Record<string, unknown>[];
    preAuthorizedApplications: { appId: string; delegatedPermissionIds: string[] }[];
  };
  appRoles: { id: string; value: string; allowedMemberTypes: string[]; isEnabled: boolean; displayName: string }[];
  requiredResourceAccess: { resourceAppId: string; resourceAccess: ResourceAccess[] }[];
  web: { redirectUris: string[]; implicitGrantSettings: Record<string, boolean> };
  spa?: unknown;
  publicClient?: unknown;
}

interface Action {
  uses: string;
  name?: string;
  with?: Record<string, unknown>;
  writeToEnvironmentFile?: Record<string, string>;
}
interface ProjectFile {
  version: string;
  environmentFolderPath?: string;
  provision: Action[];
  deploy: Action[];
  publish: Action[];
}

const entra = (): EntraManifest => JSON.parse(readText('aad.manifest.json')) as EntraManifest;
const project = (): ProjectFile => parseYaml(readText('m365agents.yml')) as ProjectFile;
const devEnvText = (): string => readText('env/.env.dev');
const devEnv = (): Record<string, string> => parseEnv(devEnvText()) as Record<string, string>;

/** Bicep `output NAME type = …` names as the Toolkit writes them to the env file (arm/deploy naming rule). */
function bicepOutputs(relative: string): string[] {
  return [...readText(relative).matchAll(/^output\s+([A-Za-z0-9_]+)\s+\w+\s*=/gm)].map((m) =>
    m[1]!.toUpperCase().replace(/[^A-Z0-9]/g, '_'),
  );
}

/** Bicep parameters: name and whether they have a default. */
function bicepParams(relative: string): { name: string; hasDefault: boolean; secure: boolean }[] {
  const lines = readText(relative).split('\n');
  return lines.flatMap((line, i) => {
    const m = /^param\s+(\w+)\s+\w+(\s*=.*)?$/.exec(line.trim());
    if (!m) return [];
    let secure = false;
    for (let j = i - 1; j >= 0 && lines[j]!.trim().startsWith('@'); j--) {
      if (lines[j]!.trim() === '@secure()') secure = true;
    }
    return [{ name: m[1]!, hasDefault: m[2] !== undefined, secure }];
  });
}

/** A Bicep resource by symbolic name: its type@version and its body (the text between its outer braces). */
function bicepResource(text: string, symbolicName: string): { type: string; body: string } {
  const head = new RegExp(`^resource\\s+${symbolicName}\\s+'([^']+)'[^{\\n]*\\{`, 'm').exec(text);
  assert.ok(head, `resource ${symbolicName} is declared`);
  let depth = 1;
  let end = head.index + head[0].length;
  for (; depth > 0 && end < text.length; end++) {
    if (text[end] === '{') depth++;
    else if (text[end] === '}') depth--;
  }
  return { type: head[1]!, body: text.slice(head.index + head[0].length, end - 1) };
}

/** The resources of a type (any API version), by symbolic name. */
function bicepResourcesOfType(text: string, type: string): string[] {
  return [...text.matchAll(/^resource\s+(\w+)\s+'([^@']+)@/gm)].filter((m) => m[2] === type).map((m) => m[1]!);
}

/** Files an action reads whose placeholders the Toolkit expands while running it. */
function filesExpandedBy(action: Action): string[] {
  const w = action.with ?? {};
  switch (action.uses) {
    case 'aadApp/update':
    case 'teamsApp/validateManifest':
    case 'teamsApp/zipAppPackage':
      return [String(w.manifestPath)];
    case 'arm/deploy':
      return (w.templates as { parameters?: string }[]).flatMap((t) => (t.parameters ? [t.parameters] : []));
    default:
      return [];
  }
}

/** Environment variables an action writes when it succeeds. */
function outputsOf(action: Action): string[] {
  const written = Object.values(action.writeToEnvironmentFile ?? {});
  const w = action.with ?? {};
  switch (action.uses) {
    case 'arm/deploy':
      return [...written, ...(w.templates as { path: string }[]).flatMap((t) => bicepOutputs(t.path))];
    case 'aadApp/update':
      // Generated by the action when empty (Toolkit actions reference).
      return [...written, 'AAD_APP_ACCESS_AS_USER_PERMISSION_ID'];
    case 'teamsApp/create':
    case 'teamsApp/update':
      return [...written, 'TEAMS_APP_TENANT_ID'];
    case 'script':
      return [...written, ...[...String(w.run).matchAll(/::set-teamsfx-env\s+(\w+)=/g)].map((m) => m[1]!)];
    default:
      return written;
  }
}

describe('deployment: Entra app registration (aad.manifest.json)', () => {
  it('is the registration the Toolkit created for the bot, in the Microsoft Graph manifest format', () => {
    const m = entra();
    assert.equal(m.id, '${{BOT_OBJECT_ID}}');
    assert.equal(m.appId, '${{BOT_ID}}');
    assert.ok(m.displayName, 'displayName marks the Graph (new) manifest format for the Toolkit');
  });

  it('exposes api://botid-<BOT_ID> (the bot) and api://<BOT_DOMAIN>/botid-<BOT_ID> (its tab) with the access_as_user scope Teams SSO asks for', () => {
    const m = entra();
    assert.deepEqual(m.identifierUris, ['api://botid-${{BOT_ID}}', 'api://${{BOT_DOMAIN}}/botid-${{BOT_ID}}']);
    const scopes = m.api.oauth2PermissionScopes;
    assert.equal(scopes.length, 1);
    const scope = scopes[0]!;
    assert.equal(scope.value, 'access_as_user');
    assert.equal(scope.type, 'User', 'users can consent to the SSO scope');
    assert.equal(scope.isEnabled, true);
    assert.equal(scope.id, '${{AAD_APP_ACCESS_AS_USER_PERMISSION_ID}}');
    for (const field of ['adminConsentDisplayName', 'adminConsentDescription', 'userConsentDisplayName']) {
      const text = scope[field];
      assert.ok(typeof text === 'string' && text.length > 0, `${field} is set`);
    }
  });

  it('pre-authorizes the Teams clients for that scope, and no client Microsoft does not document for SSO', () => {
    const m = entra();
    const scopeId = m.api.oauth2PermissionScopes[0]!.id;
    const preAuthorized = m.api.preAuthorizedApplications;
    for (const client of TEAMS_CLIENT_IDS) {
      const entry = preAuthorized.find((p) => p.appId === client);
      assert.ok(entry, `Teams client ${client} is pre-authorized`);
      assert.deepEqual(entry.delegatedPermissionIds, [scopeId]);
    }
    for (const p of preAuthorized) {
      assert.ok(DOCUMENTED_SSO_CLIENT_IDS.includes(p.appId), `unexpected pre-authorized client ${p.appId}`);
      assert.deepEqual(p.delegatedPermissionIds, [scopeId]);
    }
    assert.equal(new Set(preAuthorized.map((p) => p.appId)).size, preAuthorized.length, 'no duplicates');
  });

  it('issues v2 access tokens (accessTokenAcceptedVersion 2), as the SSO token validation expects', () => {
    const m = entra();
    assert.equal(m.api.requestedAccessTokenVersion, 2);
    assert.ok(m.accessTokenAcceptedVersion === undefined || m.accessTokenAcceptedVersion === 2);
  });

  it('defines the four SOC app roles for users and SOC.Notify for applications only, with fixed ids', () => {
    const roles = entra().appRoles;
    assert.deepEqual(Object.fromEntries(roles.map((r) => [r.value, r.id])), { ...APP_ROLES, ...APPLICATION_ROLES });
    assert.equal(new Set(roles.map((r) => r.id)).size, roles.length, 'role ids are distinct');
    for (const role of roles) {
      assert.match(role.id, GUID, `${role.value} has a literal GUID id, not a placeholder`);
      // A person must never be assignable SOC.Notify, nor an app a person's role.
      assert.deepEqual(
        role.allowedMemberTypes,
        role.value in APPLICATION_ROLES ? ['Application'] : ['User'],
        role.value,
      );
      assert.equal(role.isEnabled, true);
      assert.ok(role.displayName);
    }
  });

  it('redirects sign-in to https://<BOT_DOMAIN>/auth/end and admin consent to /auth/consent, without implicit flow', () => {
    const m = entra();
    assert.deepEqual([...m.web.redirectUris].sort(), [
      'https://${{BOT_DOMAIN}}/auth/consent',
      'https://${{BOT_DOMAIN}}/auth/end',
    ]);
    assert.equal(m.web.implicitGrantSettings.enableAccessTokenIssuance, false);
    assert.equal(m.web.implicitGrantSettings.enableIdTokenIssuance, false);
    assert.equal(m.spa, undefined);
    assert.equal(m.publicClient, undefined);
  });

  it("takes its sign-in audience from BOT_SIGN_IN_AUDIENCE; BOT_TYPE is the Azure Bot's type, SingleTenant", () => {
    assert.equal(entra().signInAudience, '${{BOT_SIGN_IN_AUDIENCE}}');
    const env = devEnv();
    assert.ok(['AzureADMyOrg', 'AzureADMultipleOrgs'].includes(env.BOT_SIGN_IN_AUDIENCE ?? ''));
    assert.equal(env.BOT_TYPE, 'SingleTenant', 'the only type the bot starts with (docs/adr/0002)');
    assert.match(readText('infra/azure.bicep'), /@allowed\(\['SingleTenant'\]\)\s*param botType string/);
  });
});

describe('deployment: Toolkit project (m365agents.yml)', () => {
  it('creates the bot registration first and keeps its secret out of committed files', () => {
    const provision = project().provision;
    const create = provision.find((a) => a.uses === 'aadApp/create');
    assert.ok(create);
    assert.equal(provision.indexOf(create), 0, 'aadApp/create runs first: everything else needs BOT_ID');
    assert.equal(create.writeToEnvironmentFile?.clientId, 'BOT_ID');
    assert.equal(create.writeToEnvironmentFile?.objectId, 'BOT_OBJECT_ID');
    assert.equal(create.writeToEnvironmentFile?.tenantId, 'BOT_TENANT_ID');
    assert.match(String(create.writeToEnvironmentFile?.clientSecret), /^SECRET_/, 'SECRET_ goes to .env.*.user');
    assert.equal(create.with?.signInAudience, '${{BOT_SIGN_IN_AUDIENCE}}');
    assert.equal(
      provision.some((a) => a.uses === 'botAadApp/create'),
      false,
      'one app registration only (botAadApp/create would make a second one)',
    );
  });

  it('provisions in an order where every step has what it needs', () => {
    const order = project().provision.map((a) => a.uses);
    const at = (uses: string) => {
      const i = order.indexOf(uses);
      assert.ok(i >= 0, `${uses} is in provision`);
      return i;
    };
    assert.ok(at('aadApp/create') < at('arm/deploy'), 'the Azure Bot needs BOT_ID');
    assert.ok(at('arm/deploy') < at('aadApp/update'), 'redirect URIs need BOT_DOMAIN from arm/deploy');
    assert.ok(at('teamsApp/create') < at('teamsApp/zipAppPackage'), 'the app package needs TEAMS_APP_ID');
    assert.ok(at('arm/deploy') < at('teamsApp/zipAppPackage'), 'validDomains needs BOT_DOMAIN');
    assert.ok(at('teamsApp/validateManifest') < at('teamsApp/update'));
    assert.ok(at('teamsApp/zipAppPackage') < at('teamsApp/update'));
    const update = project().provision.find((a) => a.uses === 'aadApp/update')!;
    assert.equal(path.normalize(String(update.with?.manifestPath)), 'aad.manifest.json');
  });

  it('references only files that exist', () => {
    const p = project();
    for (const action of [...p.provision, ...p.deploy, ...p.publish]) {
      const w = action.with ?? {};
      const files = [w.manifestPath, w.ignoreFile, ...filesExpandedBy(action)];
      if (action.uses === 'arm/deploy') files.push(...(w.templates as { path: string }[]).map((t) => t.path));
      for (const file of files.filter((f): f is string => typeof f === 'string')) {
        assert.ok(fs.existsSync(path.join(root, file)), `${action.uses}: ${file} exists`);
      }
    }
    assert.ok(fs.existsSync(path.join(root, String(p.environmentFolderPath ?? './env'), '.env.dev')));
  });

  it('uses only ${{VARS}} that an earlier action writes or env/.env.dev documents', () => {
    const documented = new Set(Object.keys(devEnv()));
    const p = project();
    const missing: string[] = [];
    const check = (lifecycle: string, action: Action, known: Set<string>) => {
      const texts = [JSON.stringify(action.with ?? {}), ...filesExpandedBy(action).map(readText)];
      for (const name of texts.flatMap(placeholdersIn)) {
        if (!known.has(name)) missing.push(`${lifecycle} ${action.uses}: ${name}`);
      }
    };
    const known = new Set(documented);
    for (const action of p.provision) {
      check('provision', action, known);
      for (const output of outputsOf(action)) known.add(output);
    }
    // deploy and publish run after provision, with everything provision wrote.
    for (const [lifecycle, actions] of [
      ['deploy', p.deploy],
      ['publish', p.publish],
    ] as const) {
      const afterProvision = new Set(known);
      for (const action of actions) {
        check(lifecycle, action, afterProvision);
        for (const output of outputsOf(action)) afterProvision.add(output);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('covers every placeholder of the Entra and Teams manifests (nothing outside the Toolkit flow)', () => {
    const p = project();
    const expanded = new Set(p.provision.flatMap(filesExpandedBy).map((f) => path.normalize(f)));
    assert.ok(expanded.has('aad.manifest.json'), 'aadApp/update applies aad.manifest.json');
    assert.ok(expanded.has(path.normalize('appPackage/manifest.json')), 'the Teams manifest is packaged');
    assert.ok(expanded.has(path.normalize('infra/azure.parameters.json')), 'arm/deploy uses the parameters file');
  });

  it('deploys the built app to the provisioned Web App without env files, secrets or the demo CA', () => {
    const deploy = project().deploy;
    const uses = deploy.map((a) => a.uses);
    assert.ok(uses.indexOf('cli/runNpmCommand') < uses.indexOf('azureAppService/zipDeploy'));
    assert.ok(deploy.some((a) => a.uses === 'cli/runNpmCommand' && a.with?.args === 'run build'));
    const zip = deploy.find((a) => a.uses === 'azureAppService/zipDeploy')!;
    assert.equal(zip.with?.resourceId, '${{BOT_AZURE_APP_SERVICE_RESOURCE_ID}}');
    const ignored = readText(String(zip.with?.ignoreFile))
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['/env/', '.data', '*.user', '/src/', '/test/', '.git*']) {
      assert.ok(ignored.includes(entry), `${String(zip.with?.ignoreFile)} excludes ${entry}`);
    }
  });
});

describe('deployment: Azure resources (infra/)', () => {
  const bicep = () => readText('infra/azure.bicep');

  it('gives every Bicep parameter without a default a value, and declares every value given', () => {
    const params = bicepParams('infra/azure.bicep');
    const given = Object.keys(
      (JSON.parse(readText('infra/azure.parameters.json')) as { parameters: Record<string, unknown> }).parameters,
    );
    for (const p of params.filter((x) => !x.hasDefault && x.name !== 'location')) {
      assert.ok(given.includes(p.name), `azure.parameters.json sets ${p.name}`);
    }
    for (const name of given)
      assert.ok(
        params.some((p) => p.name === name),
        `azure.bicep declares ${name}`,
      );
    assert.equal(params.find((p) => p.name === 'botAadAppClientSecret')?.secure, true, 'the secret is @secure()');
  });

  it('runs the bot on Linux Node 20 over HTTPS only, with the health probe on /health', () => {
    const text = bicep();
    assert.match(text, /httpsOnly:\s*true/);
    assert.match(text, /linuxFxVersion:\s*'NODE\|20-lts'/);
    assert.match(text, /healthCheckPath:\s*'\/health'/);
    assert.match(text, /minTlsVersion:\s*'1\.2'/);
    assert.match(text, /appCommandLine:\s*'node [^']*dist\/src\/index\.js'/);
  });

  it('sets every production setting of the app on the Web App, listening on all interfaces', () => {
    const block = /resource webAppSettings[^{]*\{[\s\S]*?properties:\s*\{([\s\S]*?)\n {2}\}/.exec(bicep());
    assert.ok(block, 'the appsettings resource');
    const keys = [...block[1]!.matchAll(/^\s*([A-Z_]+):/gm)].map((m) => m[1]!);
    for (const setting of APP_SETTINGS) assert.ok(keys.includes(setting), `app setting ${setting}`);
    assert.match(block[1]!, /HOST:\s*'0\.0\.0\.0'/, 'the app listens on loopback by default');
    assert.match(block[1]!, /BOT_PASSWORD:\s*botAadAppClientSecret/);
  });

  it('runs instanceCount instances (default 2) of an always-on Web App without session affinity', () => {
    const text = bicep();
    const instanceCount = bicepParams('infra/azure.bicep').find((p) => p.name === 'instanceCount');
    assert.ok(instanceCount?.hasDefault, 'an instanceCount parameter with a default');
    assert.match(text, /^param instanceCount int = ([2-9]|[1-9]\d)$/m, 'two instances or more by default');
    const plan = bicepResource(text, 'serverfarm');
    assert.match(plan.type, /^Microsoft\.Web\/serverfarms@/);
    assert.match(plan.body, /sku:\s*\{[^}]*capacity:\s*instanceCount\b/, 'the plan capacity is instanceCount');
    const site = bicepResource(text, 'webApp').body;
    assert.match(site, /alwaysOn:\s*true/, 'background work (polling, leases) needs the app kept running');
    assert.match(site, /clientAffinityEnabled:\s*false/, 'any instance may answer any request');
  });

  it('keeps the shared state in a StorageV2 account: TLS 1.2, HTTPS only, no public blobs, no shared keys', () => {
    const text = bicep();
    const accounts = bicepResourcesOfType(text, 'Microsoft.Storage/storageAccounts');
    assert.equal(accounts.length, 1, 'one storage account');
    const account = bicepResource(text, accounts[0]!).body;
    assert.match(account, /kind:\s*'StorageV2'/);
    assert.match(account, /minimumTlsVersion:\s*'TLS1_2'/);
    assert.match(account, /supportsHttpsTrafficOnly:\s*true/);
    assert.match(account, /allowBlobPublicAccess:\s*false/);
    assert.match(account, /allowSharedKeyAccess:\s*false/, 'Entra ID only: the managed identity, no account keys');
    assert.equal(/listKeys|connectionString|AccountKey=/i.test(text), false, 'no account key read into the template');
  });

  it('soft-deletes blobs and containers, and creates the container without anonymous access', () => {
    const text = bicep();
    const [service] = bicepResourcesOfType(text, 'Microsoft.Storage/storageAccounts/blobServices');
    assert.ok(service, 'the blob service settings');
    const body = bicepResource(text, service).body;
    for (const policy of ['deleteRetentionPolicy', 'containerDeleteRetentionPolicy']) {
      const block = new RegExp(`${policy}:\\s*\\{([^}]*)\\}`).exec(body);
      assert.ok(block, `${policy} is set`);
      assert.match(block[1]!, /enabled:\s*true/, `${policy} is enabled`);
      assert.match(block[1]!, /days:\s*\w+/, `${policy} keeps deleted items for some days`);
    }
    const containers = bicepResourcesOfType(text, 'Microsoft.Storage/storageAccounts/blobServices/containers');
    assert.equal(containers.length, 1, 'one container');
    const container = bicepResource(text, containers[0]!).body;
    assert.match(container, /name:\s*storageContainerName/);
    assert.match(container, /publicAccess:\s*'None'/);
  });

  it("lets the Web App's system-assigned identity, and only it, read and write blobs in that container", () => {
    const text = bicep();
    assert.match(bicepResource(text, 'webApp').body, /identity:\s*\{\s*type:\s*'SystemAssigned'\s*\}/);
    const assignments = bicepResourcesOfType(text, 'Microsoft.Authorization/roleAssignments');
    assert.equal(assignments.length, 1, 'one role assignment');
    const [container] = bicepResourcesOfType(text, 'Microsoft.Storage/storageAccounts/blobServices/containers');
    const assignment = bicepResource(text, assignments[0]!).body;
    assert.match(
      assignment,
      new RegExp(`scope:\\s*${container}\\s*$`, 'm'),
      'scoped to the container, not the account',
    );
    assert.match(assignment, /principalId:\s*webApp\.identity\.principalId/);
    assert.match(assignment, /principalType:\s*'ServicePrincipal'/);
    assert.match(
      assignment,
      /roleDefinitionId:\s*subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions',\s*(\w+)\)/,
    );
    const roleVariable = /roleDefinitionId:[^,]*,\s*(\w+)\)/.exec(assignment)![1]!;
    assert.match(text, new RegExp(`^var ${roleVariable} = '${STORAGE_BLOB_DATA_CONTRIBUTOR}'$`, 'm'));
    assert.match(assignment, /name:\s*guid\(/, 'a deterministic name, so a second provision updates it');
  });

  it('points the app at the account with STORAGE_ACCOUNT_URL (managed identity), never a connection string', () => {
    const block = bicepResource(bicep(), 'webAppSettings').body;
    const [account] = bicepResourcesOfType(bicep(), 'Microsoft.Storage/storageAccounts');
    assert.match(block, new RegExp(`STORAGE_ACCOUNT_URL:\\s*${account}\\.properties\\.primaryEndpoints\\.blob`));
    assert.match(block, /STORAGE_CONTAINER:\s*storageContainerName/);
    assert.equal(/STORAGE_CONNECTION_STRING/.test(block), false);
    const keyParam = /STATE_ENCRYPTION_KEY:\s*(\w+)/.exec(block)?.[1];
    assert.equal(
      bicepParams('infra/azure.bicep').find((p) => p.name === keyParam)?.secure,
      true,
      'the sign-in state key comes from a @secure() parameter (kept out of deployment logs)',
    );
    assert.match(block, /dependsOn:\s*\[[^\]]*\b\w+Access\b/, 'settings (and the restart) after the role assignment');
  });

  it('registers a single-tenant Azure Bot on https://<BOT_DOMAIN>/api/messages with the Teams channel', () => {
    const text = readText('infra/botRegistration/azurebot.bicep');
    assert.match(text, /'Microsoft\.BotService\/botServices@/);
    assert.match(text, /msaAppType:\s*'SingleTenant'/);
    assert.match(text, /msaAppTenantId:\s*botTenantId/);
    assert.match(text, /endpoint:\s*'https:\/\/\$\{botAppDomain\}\/api\/messages'/);
    assert.match(text, /channelName:\s*'MsTeamsChannel'/);
    assert.equal(/botServices\/connections/.test(text), false, 'no token-store OAuth connection (ADR 0002)');
  });

  it('writes BOT_DOMAIN and the Web App id for the next steps', () => {
    assert.deepEqual(bicepOutputs('infra/azure.bicep').sort(), ['BOT_AZURE_APP_SERVICE_RESOURCE_ID', 'BOT_DOMAIN']);
  });
});

describe('deployment: env/.env.dev', () => {
  it('documents every setting with a comment', () => {
    let blockHasComment = false;
    const undocumented: string[] = [];
    for (const line of devEnvText().split('\n')) {
      const trimmed = line.trim();
      if (trimmed === '') blockHasComment = false;
      else if (trimmed.startsWith('#')) blockHasComment = true;
      else if (!blockHasComment) undocumented.push(trimmed.split('=')[0]!);
    }
    assert.deepEqual(undocumented, []);
  });

  it('holds no secret', () => {
    const env = devEnv();
    for (const [key, value] of Object.entries(env)) {
      assert.equal(key.startsWith('SECRET_'), false, `${key} belongs in env/.env.dev.user`);
      if (/PASSWORD|SECRET/.test(key)) assert.equal(value, '', `${key} is empty`);
    }
  });
});
