import assert from 'node:assert/strict';
import { DEMO_BOT_ID, DEMO_DELEGATED_PERMISSIONS } from '../../../src/demo/demoConstants';
import { MSSP_PEOPLE, MSSP_TENANTS } from '../../../src/simulator/seed/msspSeeds';
import { assertEntraError } from '../entra/entraTestClient';
import { GRAPH_SCOPE, MsspWorld } from './msspWorld';

const SECURITY_OPERATOR = '5f2222b1-57c3-48ba-8ad5-d4759f1fde6f';
const SECURITY_READER = '5d6b6bb7-de71-4623-b4af-96380a352509';
const PROVIDER_IDP = `https://sts.windows.net/${MSSP_TENANTS.provider}/`;

/*
 * An MSSP analyst's Teams SSO token is issued by the provider tenant; the bot exchanges it on-behalf-of at the
 * customer's authority. Entra issues it for the analyst's B2B guest account there, or for their GDAP roles, or
 * refuses with AADSTS50020.
 */
describe('MSSP world: cross-tenant on-behalf-of', () => {
  let world: MsspWorld;

  before(async () => {
    world = await MsspWorld.start();
  });
  after(async () => {
    await world.close();
  });

  const guestOid = (tenant: 'contoso' | 'tailspin', upnPrefix: string) => {
    const guest = world.seeds[tenant].users.find((u) => u.userPrincipalName.startsWith(upnPrefix));
    assert.ok(guest?.guestOf, `${upnPrefix} is a guest of ${tenant}`);
    return guest.aadObjectId;
  };

  it("issues a guest's token for the customer: tid and oid there, idp the provider's, no upn", async () => {
    const answer = await world.obo(MSSP_TENANTS.contoso, world.ssoToken('bruno'));
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    const claims = await world.claims(String(answer.json.access_token));
    assert.equal(claims.tid, MSSP_TENANTS.contoso);
    assert.equal(claims.iss, `https://sts.windows.net/${MSSP_TENANTS.contoso}/`);
    assert.equal(claims.oid, guestOid('contoso', 'bruno.lima_'));
    assert.notEqual(claims.oid, MSSP_PEOPLE.bruno);
    assert.equal(claims.idp, PROVIDER_IDP);
    assert.equal(claims.unique_name, 'bruno.lima@woodgrovesecurity.com');
    assert.equal(claims.upn, undefined);
    assert.equal(claims.wids, undefined);
    assert.equal(claims.appid, DEMO_BOT_ID);
    assert.deepEqual(String(claims.scp).split(' '), DEMO_DELEGATED_PERMISSIONS);
    // msal keys its cache on the home account, whatever tenant the token is for.
    const info = JSON.parse(Buffer.from(String(answer.json.client_info), 'base64url').toString('utf8')) as Json;
    assert.deepEqual(info, { uid: MSSP_PEOPLE.bruno, utid: MSSP_TENANTS.provider });
  });

  it('issues a GDAP partner token: tid the customer, oid the home one, wids the granted roles', async () => {
    const operator = await world.claims(await world.oboToken(MSSP_TENANTS.fabrikam, 'ana'));
    assert.equal(operator.tid, MSSP_TENANTS.fabrikam);
    assert.equal(operator.oid, MSSP_PEOPLE.ana);
    assert.equal(operator.idp, PROVIDER_IDP);
    assert.equal(operator.name, 'Ana Souza');
    assert.equal(operator.unique_name, 'ana.souza@woodgrovesecurity.com');
    assert.equal(operator.upn, undefined);
    assert.deepEqual(operator.wids, [SECURITY_OPERATOR]);
    const reader = await world.claims(await world.oboToken(MSSP_TENANTS.fabrikam, 'diego'));
    assert.deepEqual(reader.wids, [SECURITY_READER]);
  });

  it('answers AADSTS50020 for a person with neither a guest account nor GDAP in the customer', async () => {
    for (const [tenant, person] of [
      ['contoso', 'diego'],
      ['fabrikam', 'carla'],
    ] as const) {
      const answer = await world.obo(MSSP_TENANTS[tenant], world.ssoToken(person));
      assert.equal(answer.status, 400);
      assertEntraError(answer.json, 'invalid_grant', 50020);
      const description = String(answer.json.error_description);
      assert.match(description, new RegExp(`from identity provider '${PROVIDER_IDP}' does not exist in tenant`));
      assert.match(description, new RegExp(`'${world.seeds[tenant].tenant.name}'`));
      assert.match(description, new RegExp(`application '${DEMO_BOT_ID}'\\(Defender SOC Bot\\)`));
      assert.match(description, /\r\nTrace ID: .+\r\nCorrelation ID: .+\r\nTimestamp: /);
      assert.ok(answer.json.correlation_id);
    }
  });

  it('accepts the customer authority by domain name, for guests and for Graph', async () => {
    const byDomain = await world.claims(await world.oboToken('contoso.com', 'carla', GRAPH_SCOPE));
    assert.equal(byDomain.tid, MSSP_TENANTS.contoso);
    assert.equal(byDomain.aud, 'https://graph.microsoft.com');
    assert.equal(byDomain.oid, guestOid('contoso', 'carla.dias_'));
  });

  it('keeps same-tenant OBO as it was: the member account, its upn, no idp', async () => {
    const claims = await world.claims(await world.oboToken(MSSP_TENANTS.provider, 'carla'));
    assert.equal(claims.tid, MSSP_TENANTS.provider);
    assert.equal(claims.oid, MSSP_PEOPLE.carla);
    assert.equal(claims.upn, 'carla.dias@woodgrovesecurity.com');
    assert.equal(claims.idp, undefined);
  });

  it("applies the customer's sign-in rules to its guest accounts (a scripted MFA challenge)", async () => {
    const guest = world.seeds.contoso.users.find((u) => u.guestOf?.objectId === MSSP_PEOPLE.carla);
    assert.ok(guest);
    guest.signInError = 'interaction_required';
    try {
      const answer = await world.obo(MSSP_TENANTS.contoso, world.ssoToken('carla'));
      assertEntraError(answer.json, 'interaction_required', 50079);
    } finally {
      delete guest.signInError;
    }
  });

  it('asks for consent (65001) where the customer has not consented, even for a guest', async () => {
    guestOid('tailspin', 'ana.souza_');
    const answer = await world.obo(MSSP_TENANTS.tailspin, world.ssoToken('ana'));
    assertEntraError(answer.json, 'invalid_grant', 65001);
    assert.equal(answer.json.suberror, 'consent_required');
  });

  it('refuses a single-tenant app outside its home (700016) before looking at the person', async () => {
    world.registerSingleTenantApp('0b5e7c11-1111-4aaa-8bbb-000000000001');
    const assertion = world.simulator.entra.mintUserAssertion({
      tenantId: MSSP_TENANTS.provider,
      aadObjectId: MSSP_PEOPLE.bruno,
      audience: '0b5e7c11-1111-4aaa-8bbb-000000000001',
    }).token;
    const answer = await world.obo(MSSP_TENANTS.contoso, assertion, undefined, '0b5e7c11-1111-4aaa-8bbb-000000000001');
    assertEntraError(answer.json, 'unauthorized_client', 700016);
  });
});

type Json = Record<string, unknown>;
