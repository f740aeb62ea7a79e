import assert from 'node:assert/strict';
import { CustomerScope } from '../../src/commands/customerScope';
import type { CustomerDirectory, CustomerTenant } from '../../src/customers/customerDirectory';

/** A directory of one customer, bound to one conversation, that counts its look-ups by name. */
function countingDirectory(): CustomerDirectory & { byNameCalls: string[] } {
  const contoso: CustomerTenant = {
    tenantId: '00000000-0000-4000-8000-000000000001',
    name: 'Contoso',
    status: 'active',
    requestedBy: { aadObjectId: 'a', displayName: 'Adele', userPrincipalName: 'adele@contoso.com' },
    requestedAt: '2026-12-07T00:00:00Z',
  };
  const byNameCalls: string[] = [];
  return {
    byNameCalls,
    activeCustomer: (tenantId) => Promise.resolve(tenantId === contoso.tenantId ? contoso : undefined),
    boundTo: (conversationId) => Promise.resolve(conversationId === '19:soc' ? [contoso] : []),
    byName: (name) => {
      byNameCalls.push(name);
      return Promise.resolve(name.toLowerCase() === 'contoso' ? contoso : undefined);
    },
  };
}

describe('the customer a turn is about', () => {
  it('looks a "for <customer>" up once per turn, however often the turn reads its text', async () => {
    const directory = countingDirectory();
    const scope = new CustomerScope(directory, { tenantId: 'provider', conversationId: '19:soc' });
    for (let i = 0; i < 3; i++) assert.equal(await scope.strip('show high alerts for contoso'), 'show high alerts');
    assert.deepEqual(directory.byNameCalls, ['contoso']);
    assert.equal((await scope.resolve()).customerName, 'Contoso');
  });

  it('keeps a "for …" that names no customer, looked up once too', async () => {
    const directory = countingDirectory();
    const scope = new CustomerScope(directory, { tenantId: 'provider', conversationId: '19:other' });
    const text = 'subscribe to high alerts for device group Finance';
    assert.equal(await scope.strip(text), text);
    assert.equal(await scope.strip(text), text);
    assert.equal(directory.byNameCalls.length, 1);
  });
});
