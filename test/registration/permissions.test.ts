import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_APPLICATION_PERMISSIONS, DEMO_DELEGATED_PERMISSIONS } from '../../src/demo/demoConstants';

/*
 * The app registration asks Entra for API permissions by id, not by name, and Entra does not say when an id is the
 * wrong one: a delegated id sent as an application permission, or an id of another permission, only shows up as a
 * missing or surprising consent in a customer's tenant. These tests read aad.manifest.json and check it against the
 * published ids (docs/deploy.md, "Permission ids", lists the sources), against what the code needs (the demo app
 * registration in src/demo/demoConstants.ts is what the code is tested with) and against the rule that the
 * application identity only reads.
 */

const root = path.resolve(__dirname, '../../..');
const readText = (relative: string): string => fs.readFileSync(path.join(root, relative), 'utf8');

/** Microsoft Graph's app id, the same in every tenant. */
const GRAPH = '00000003-0000-0000-c000-000000000000';
/** WindowsDefenderATP, the Defender for Endpoint API's app id, the same in every tenant. */
const DEFENDER = 'fc780465-2017-40d4-a0c5-307022471b92';
const RESOURCE_NAMES: Record<string, string> = { [GRAPH]: 'Microsoft Graph', [DEFENDER]: 'WindowsDefenderATP' };

type PermissionType = 'Scope' | 'Role';

interface PublishedPermission {
  resource: string;
  name: string;
  /** Scope = delegated (oauth2PermissionScopes), Role = application (appRoles). */
  type: PermissionType;
  id: string;
}

/** The published ids of every permission the registration may request (sources: docs/deploy.md). */
const PUBLISHED: readonly PublishedPermission[] = [
  { resource: GRAPH, name: 'openid', type: 'Scope', id: '37f7f235-527c-4136-accd-4a02d197296e' },
  { resource: GRAPH, name: 'profile', type: 'Scope', id: '14dad69e-099b-42c9-810b-d002981feec1' },
  { resource: GRAPH, name: 'offline_access', type: 'Scope', id: '7427e0e9-2fba-42fe-b0c0-848c9e6a8182' },
  { resource: GRAPH, name: 'User.Read', type: 'Scope', id: 'e1fe6dd8-ba31-4d61-89e7-88639da4683d' },
  { resource: GRAPH, name: 'SecurityIncident.Read.All', type: 'Scope', id: 'b9abcc4f-94fc-4457-9141-d20ce80ec952' },
  { resource: GRAPH, name: 'SecurityIncident.Read.All', type: 'Role', id: '45cc0394-e837-488b-a098-1918f48d186c' },
  {
    resource: GRAPH,
    name: 'SecurityIncident.ReadWrite.All',
    type: 'Scope',
    id: '128ca929-1a19-45e6-a3b8-435ec44a36ba',
  },
  { resource: GRAPH, name: 'SecurityIncident.ReadWrite.All', type: 'Role', id: '34bf0e97-1971-4929-b999-9e2442d941d7' },
  { resource: GRAPH, name: 'SecurityAlert.Read.All', type: 'Scope', id: 'bc257fb8-46b4-4b15-8713-01e91bfbe4ea' },
  { resource: GRAPH, name: 'SecurityAlert.Read.All', type: 'Role', id: '472e4a4d-bb4a-4026-98d1-0b0d74cb74a5' },
  { resource: GRAPH, name: 'ThreatHunting.Read.All', type: 'Scope', id: 'b152eca8-ea73-4a48-8c98-1a6742673d99' },
  { resource: GRAPH, name: 'ThreatHunting.Read.All', type: 'Role', id: 'dd98c7f5-2d42-42d3-a0e4-633161547251' },
  { resource: GRAPH, name: 'SecurityAlert.ReadWrite.All', type: 'Scope', id: '471f2a7f-2a42-4d45-a2bf-594d0838070d' },
  { resource: GRAPH, name: 'SecurityAlert.ReadWrite.All', type: 'Role', id: 'ed4fca05-be46-441f-9803-1873825f8fdb' },
  { resource: DEFENDER, name: 'Alert.Read', type: 'Scope', id: 'b2069dc0-9fe9-4e6d-9aca-ccf3dd503819' },
  { resource: DEFENDER, name: 'Alert.ReadWrite', type: 'Scope', id: 'cbc3b413-21e6-416d-95a4-af87687efbd0' },
  { resource: DEFENDER, name: 'Machine.Read', type: 'Scope', id: 'fbd3d33a-b1f5-4573-906c-51b39682fbcf' },
  { resource: DEFENDER, name: 'Machine.ReadWrite', type: 'Scope', id: 'f6846c57-9e3c-4a65-81aa-2f5e09ff4f0b' },
  { resource: DEFENDER, name: 'Machine.Isolate', type: 'Scope', id: '479231ef-3b86-4933-ae6b-1fa84bba9e31' },
  { resource: DEFENDER, name: 'Machine.RestrictExecution', type: 'Scope', id: 'abddfa88-80bb-4aef-81ff-18cbf29363a9' },
  { resource: DEFENDER, name: 'Machine.Scan', type: 'Scope', id: 'b4618115-647e-42a5-bd0d-0ea9878fb376' },
  { resource: DEFENDER, name: 'Machine.CollectForensics', type: 'Scope', id: '5eb7b9dc-cbce-4c7e-9d73-5be248260ae6' },
  { resource: DEFENDER, name: 'File.Read.All', type: 'Scope', id: '8fce64a0-67c8-4e39-8f47-cac9ff7e13bb' },
  { resource: DEFENDER, name: 'Ip.Read.All', type: 'Scope', id: 'b65a97e8-c8e8-4908-b19a-f654615de1a9' },
  { resource: DEFENDER, name: 'Url.Read.All', type: 'Scope', id: '42b4777c-6196-49ad-9cfc-207e73f2eb61' },
  { resource: DEFENDER, name: 'User.Read.All', type: 'Scope', id: 'ffd6563e-842b-4cfc-b349-06006e0473a3' },
  { resource: DEFENDER, name: 'Machine.StopAndQuarantine', type: 'Scope', id: '69e036b7-3f10-4d4c-a85e-82295629eca8' },
  { resource: DEFENDER, name: 'Alert.Read.All', type: 'Role', id: '71fe6b80-7034-4028-9ed8-0f316df9c3ff' },
  { resource: DEFENDER, name: 'Alert.ReadWrite.All', type: 'Role', id: '0f7000ec-157b-497f-b70e-ef0b0584f140' },
  { resource: DEFENDER, name: 'Machine.Read.All', type: 'Role', id: 'ea8291d3-4b9a-44b5-bc3a-6cea3026dc79' },
  { resource: DEFENDER, name: 'Machine.ReadWrite.All', type: 'Role', id: 'aa027352-232b-4ed4-b963-a705fc4d6d2c' },
  { resource: DEFENDER, name: 'Machine.Isolate', type: 'Role', id: '7e4e1300-e1b9-4102-88ba-f0cb6e6d5974' },
  { resource: DEFENDER, name: 'Machine.RestrictExecution', type: 'Role', id: '96b6b35d-074d-4e2d-b167-8d68d9269648' },
  { resource: DEFENDER, name: 'Machine.Scan', type: 'Role', id: 'a86d9824-b2b6-45f8-b042-16bc4922ed4e' },
  { resource: DEFENDER, name: 'Machine.CollectForensics', type: 'Role', id: '15405ab2-2103-4a3c-ad80-e829841cedcc' },
  { resource: DEFENDER, name: 'Machine.StopAndQuarantine', type: 'Role', id: '96e72b5e-7e68-4171-aad1-3937599e4751' },
];

/** Graph scopes of the sign-in itself (OpenID Connect and the signed-in person's profile), not of a feature. */
const SIGN_IN_SCOPES = ['openid', 'profile', 'offline_access', 'User.Read'];
/**
 * Read-only delegated permissions requested beside their ReadWrite one, although the ReadWrite one also reads:
 * an administrator who wants the bot read-only in user context removes the ReadWrite one from the consent grant
 * and keeps these (docs/deploy.md, "Least privilege").
 */
const READ_ONLY_COMPANIONS = ['Alert.Read', 'SecurityIncident.Read.All'];
/** Permissions the demo registration holds that a real registration does not request, and why. */
const DEMO_ONLY: Record<string, string> = {
  'Machine.ReadWrite':
    'no code path writes device records (tags, device value); reading devices needs Machine.Read, and every response action has its own permission',
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface ResourceAccess {
  id: string;
  type: string;
}
interface RequiredResource {
  resourceAppId: string;
  resourceAccess: ResourceAccess[];
}

const requiredResources = (): RequiredResource[] =>
  (JSON.parse(readText('aad.manifest.json')) as { requiredResourceAccess: RequiredResource[] }).requiredResourceAccess;

/** The manifest's permissions, each resolved to its published name; fails on any id the table does not know. */
function declaredPermissions(): PublishedPermission[] {
  return requiredResources().flatMap((resource) =>
    resource.resourceAccess.map((access) => {
      const published = PUBLISHED.find((p) => p.resource === resource.resourceAppId && p.id === access.id);
      assert.ok(published, `${access.type} ${access.id} on ${resource.resourceAppId} is not a known published id`);
      assert.equal(access.type, published.type, `${published.name} (${access.id}) is a ${published.type}`);
      return published;
    }),
  );
}

/** The one published permission of that name and type (on Graph or Defender; the names used here differ). */
function publishedByName(name: string, type: PermissionType): PublishedPermission {
  const matches = PUBLISHED.filter((p) => p.name === name && p.type === type);
  assert.equal(matches.length, 1, `exactly one published ${type} named ${name}`);
  return matches[0]!;
}

const label = (p: PublishedPermission): string => `${RESOURCE_NAMES[p.resource]} ${p.type} ${p.name}`;

describe('app registration: API permissions (aad.manifest.json)', () => {
  it('names each resource and permission by GUID, never a name or a ${{placeholder}}, each id once', () => {
    const resources = requiredResources();
    assert.deepEqual(resources.map((r) => r.resourceAppId).sort(), [GRAPH, DEFENDER].sort());
    const ids = resources.flatMap((r) => r.resourceAccess.map((a) => a.id));
    for (const id of ids) assert.match(id, GUID);
    assert.equal(new Set(ids).size, ids.length, 'no permission id is listed twice');
    for (const access of resources.flatMap((r) => r.resourceAccess)) {
      assert.ok(access.type === 'Scope' || access.type === 'Role', `type ${access.type} is Scope or Role`);
    }
  });

  it('uses only published ids, each with its own type (a delegated id is never sent as an application one)', () => {
    declaredPermissions();
    // The table itself: GUIDs, no id twice, no name+type twice per resource.
    for (const p of PUBLISHED) assert.match(p.id, GUID, label(p));
    assert.equal(new Set(PUBLISHED.map((p) => p.id)).size, PUBLISHED.length);
    assert.equal(new Set(PUBLISHED.map(label)).size, PUBLISHED.length);
  });

  it('requests every delegated permission the code uses as a Scope on its resource', () => {
    const declared = new Set(declaredPermissions().map(label));
    for (const name of DEMO_DELEGATED_PERMISSIONS.filter((n) => !(n in DEMO_ONLY))) {
      const needed = publishedByName(name, 'Scope');
      assert.ok(declared.has(label(needed)), `${label(needed)} is requested`);
    }
  });

  it('requests every application permission the code uses as a Role on its resource', () => {
    const declared = new Set(declaredPermissions().map(label));
    for (const name of DEMO_APPLICATION_PERMISSIONS) {
      const needed = publishedByName(name, 'Role');
      assert.ok(declared.has(label(needed)), `${label(needed)} is requested`);
    }
  });

  it('requests nothing else: the sign-in scopes, the code’s permissions and the read-only companions only', () => {
    const expected = [
      ...SIGN_IN_SCOPES.map((n) => publishedByName(n, 'Scope')),
      ...READ_ONLY_COMPANIONS.map((n) => publishedByName(n, 'Scope')),
      ...DEMO_DELEGATED_PERMISSIONS.filter((n) => !(n in DEMO_ONLY)).map((n) => publishedByName(n, 'Scope')),
      ...DEMO_APPLICATION_PERMISSIONS.map((n) => publishedByName(n, 'Role')),
    ];
    assert.deepEqual([...new Set(declaredPermissions().map(label))].sort(), [...new Set(expected.map(label))].sort());
    for (const name of Object.keys(DEMO_ONLY)) {
      assert.ok(!declaredPermissions().some((p) => p.name === name), `${name} is not requested: ${DEMO_ONLY[name]}`);
    }
  });

  it('keeps the application identity read-only: every Role is a *.Read.All permission', () => {
    const roles = declaredPermissions().filter((p) => p.type === 'Role');
    assert.ok(roles.length > 0, 'background polling has application permissions');
    for (const role of roles) {
      assert.match(role.name, /^[A-Za-z]+\.Read\.All$/, `${label(role)} only reads`);
    }
  });

  it('lists every requested id with its name in docs/deploy.md, so the guide and the registration agree', () => {
    const guide = readText('docs/deploy.md');
    for (const p of declaredPermissions()) {
      const row = guide.split('\n').find((line) => line.includes(p.id));
      assert.ok(row, `docs/deploy.md lists ${label(p)} (${p.id})`);
      assert.ok(row.includes(p.name), `the row of ${p.id} names ${p.name}`);
    }
  });
});
