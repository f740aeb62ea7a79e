import assert from 'node:assert/strict';
import type { SignedInUser } from '../../src/auth/userTokens';
import type { Reply } from '../../src/commands/commandContext';
import { CustomerCommands } from '../../src/customers/customerCommands';
import type { CustomerCommandEnvironment } from '../../src/customers/customerCommands';
import type { CustomerWorld } from './customerWorld';
import {
  ADMIN,
  CUSTOMER_TENANT_ID,
  PROVIDER_TENANT_ID,
  queryOf,
  startCustomerWorld,
  visitConsentLink,
} from './customerWorld';

const NOW = new Date('2026-12-07T01:30:00Z');
const SOC_CHANNEL = '19:provider-soc@thread.tacv2';

const admin: SignedInUser = { ...ADMIN, tenantId: PROVIDER_TENANT_ID, appRoles: ['SOC.Admin'] };
const analyst: SignedInUser = { ...admin, appRoles: ['SOC.Approver'] };
const customerAdmin: SignedInUser = { ...admin, tenantId: CUSTOMER_TENANT_ID };
const inProvider: CustomerCommandEnvironment = {
  conversationTenantId: PROVIDER_TENANT_ID,
  providerTenantId: PROVIDER_TENANT_ID,
  conversationId: SOC_CHANNEL,
  now: NOW,
};

function textOf(reply: Reply): string {
  return reply.kind === 'text' ? reply.text : JSON.stringify(reply.card);
}

/** The OpenUrl of a card (the consent link). */
function openUrlOf(reply: Reply): string {
  assert.equal(reply.kind, 'card');
  const actions = (reply.card.actions ?? []) as { type: string; url?: string }[];
  const open = actions.find((a) => a.type === 'Action.OpenUrl');
  assert.ok(open?.url, 'the card has a link');
  return open.url;
}

describe('customer commands (tenants, onboard, bind, offboard) against the real emulator and simulators', function () {
  this.timeout(30_000);
  let world: CustomerWorld;
  let commands: CustomerCommands;

  beforeEach(async () => {
    world = await startCustomerWorld({ now: () => NOW });
    commands = new CustomerCommands({
      registry: world.registry,
      onboarding: world.onboarding,
      health: world.health,
      audit: world.audit,
    });
  });
  afterEach(() => world.close());

  async function onboardFabrikam(): Promise<void> {
    const link = openUrlOf(
      await commands.onboardCustomer(admin, inProvider, { name: 'Fabrikam', tenant: CUSTOMER_TENANT_ID }),
    );
    const outcome = await world.onboarding.complete(queryOf(await visitConsentLink(world, link)));
    assert.equal(outcome.kind, 'connected');
  }

  it('refuses everyone but a SOC.Admin in the provider tenant, in words, and audits it', async () => {
    const fromCustomerConversation = { ...inProvider, conversationTenantId: CUSTOMER_TENANT_ID };
    const refusals = [
      await commands.listCustomers(analyst, inProvider),
      await commands.onboardCustomer(analyst, inProvider, { name: 'Fabrikam', tenant: CUSTOMER_TENANT_ID }),
      await commands.listCustomers(admin, fromCustomerConversation),
      await commands.bindConversation(customerAdmin, inProvider, { name: 'Fabrikam' }),
    ];
    assert.match(textOf(refusals[0]!), /SOC\.Admin/);
    assert.match(textOf(refusals[2]!), /provider's own Teams/);
    assert.equal(await world.registry.get(CUSTOMER_TENANT_ID), undefined, 'nothing was onboarded');
    assert.deepEqual(
      world.audit.ofType('customer.refused').map((e) => (e.detail as Record<string, unknown>).reason),
      ['roleMissing', 'roleMissing', 'notProviderTenant', 'notProviderTenant'],
    );
  });

  it('onboards from Teams: a consent link card, then "tenants" shows the customer connected and healthy', async () => {
    const reply = await commands.onboardCustomer(admin, inProvider, { name: 'Fabrikam', tenant: CUSTOMER_TENANT_ID });
    assert.match(textOf(reply), /Connect Fabrikam/);
    assert.ok(openUrlOf(reply).includes(`/${CUSTOMER_TENANT_ID}/adminconsent?client_id=`));
    const pending = textOf(await commands.listCustomers(admin, inProvider));
    assert.match(pending, /Waiting for consent/);

    await world.onboarding.complete(queryOf(await visitConsentLink(world, openUrlOf(reply))));
    const list = textOf(await commands.listCustomers(admin, inProvider));
    assert.match(list, /"text":"Fabrikam"/);
    assert.match(list, /Connected/);
    assert.match(list, new RegExp(CUSTOMER_TENANT_ID));
    assert.match(list, /Alert\.Read\.All/);
    assert.match(list, /OK \(checked just now\)/);
    assert.match(list, /customer\.checkHealth/);
  });

  it('answers a refused onboarding in words: unknown tenant, own tenant, bad name', async () => {
    const answer = async (name: string, tenant: string) =>
      textOf(await commands.onboardCustomer(admin, inProvider, { name, tenant }));
    assert.match(await answer('Nobody', 'nobody.example'), /no Microsoft Entra tenant called nobody\.example/);
    assert.match(await answer('Us', PROVIDER_TENANT_ID), /own tenant/);
    assert.match(await answer('<script>', CUSTOMER_TENANT_ID), /letters, digits/);
  });

  it('binds and unbinds this conversation, and lists who bound it', async () => {
    await onboardFabrikam();
    assert.match(
      textOf(await commands.bindConversation(admin, inProvider, { name: 'fabrikam' })),
      /now serves Fabrikam/,
    );
    assert.deepEqual(
      (await world.registry.boundTo(SOC_CHANNEL)).map((c) => c.tenantId),
      [CUSTOMER_TENANT_ID],
    );
    assert.match(
      textOf(await commands.customersHere(admin, inProvider)),
      /Fabrikam: bound by .* on 2026-12-07 01:30 UTC/,
    );
    assert.match(textOf(await commands.listCustomers(admin, inProvider)), /1 bound \(including this one\)/);
    assert.match(
      textOf(await commands.bindConversation(admin, inProvider, { name: 'Tailspin' })),
      /no customer called/,
    );
    assert.match(
      textOf(await commands.unbindConversation(admin, inProvider, { name: 'Fabrikam' })),
      /no longer serves/,
    );
    assert.deepEqual(await world.registry.boundTo(SOC_CHANNEL), []);
  });

  it('offboards after confirmation: the card carries the tenant id, the click unbinds and tells the listeners', async () => {
    await onboardFabrikam();
    await commands.bindConversation(admin, inProvider, { name: 'Fabrikam' });
    const stopped: string[] = [];
    world.registry.onOffboarded((tenantId) => {
      stopped.push(tenantId);
      return Promise.resolve();
    });

    const confirm = await commands.offboardCustomer(admin, inProvider, { name: 'Fabrikam' });
    assert.equal(confirm.kind, 'card');
    assert.ok(
      JSON.stringify(confirm).includes(
        `"verb":"customer.offboard","style":"destructive","data":{"tenantId":"${CUSTOMER_TENANT_ID}"}`,
      ),
    );
    assert.equal(stopped.length, 0, 'nothing happens before the click');

    const done = textOf(await commands.confirmOffboard(admin, inProvider, { tenantId: CUSTOMER_TENANT_ID }));
    assert.match(done, /Fabrikam is offboarded: 1 conversation unbound/);
    assert.match(done, /Offboarded/);
    assert.deepEqual(stopped, [CUSTOMER_TENANT_ID]);
    assert.deepEqual(await world.registry.boundTo(SOC_CHANNEL), []);
    assert.equal(
      (await commands.confirmOffboard(analyst, inProvider, { tenantId: CUSTOMER_TENANT_ID })).kind,
      'text',
      'a click by someone without the role is refused',
    );
  });

  it('re-checks health from the card: a Defender outage in that tenant shows up, Graph stays ok', async () => {
    await onboardFabrikam();
    world.simulator.defender.faults.set(
      { errors: { rate: 1, status: 503, pathPrefix: '/api' } },
      { tenantId: CUSTOMER_TENANT_ID },
    );
    const reply = textOf(await commands.checkHealth(admin, inProvider, { tenantId: CUSTOMER_TENANT_ID }));
    assert.match(reply, /Fabrikam has a problem/);
    assert.match(reply, /Defender: upstreamUnavailable \(checked just now\)/);
    assert.deepEqual((await world.registry.get(CUSTOMER_TENANT_ID))?.health, {
      checkedAt: NOW.toISOString(),
      token: 'ok',
      defender: 'upstreamUnavailable',
      graph: 'ok',
    });
  });
});
