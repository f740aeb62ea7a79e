import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { CustomerHealth } from '../../src/customers/customerDirectory';
import { refusalOf } from '../../src/customers/customerRecords';
import { CUSTOMER_CACHE_TTL_MS, CustomerRegistry } from '../../src/customers/customerRegistry';
import { FileStorage } from '../../src/storage/fileStorage';
import type { Storage, StoreItems } from '../../src/storage/storage';
import { StorageError } from '../../src/storage/storageError';
import { useTempDirs } from '../storage/support/tempDir';
import { ADMIN, RecordingAuditSink } from './customerWorld';

const NOW = new Date('2026-12-07T01:00:00Z');
const CONTOSO = '11111111-1111-4111-8111-111111111111';
const FABRIKAM = '22222222-2222-4222-8222-222222222222';
const TAILSPIN = '33333333-3333-4333-8333-333333333333';
const CHANNEL = '19:soc-channel@thread.tacv2';
const OTHER_CHANNEL = '19:soc-night-shift@thread.tacv2';
const HEALTHY: CustomerHealth = { checkedAt: NOW.toISOString(), token: 'ok', defender: 'ok', graph: 'ok' };

/** Another instance's view of the same store: a distinct Storage object, so only eTags keep writers apart. */
class SharedStorage implements Storage {
  constructor(
    private readonly inner: Storage,
    private readonly hooks: {
      beforeRead?: (keys: string[]) => Promise<void>;
      failWrite?: (key: string) => boolean;
    } = {},
  ) {}

  async read(keys: string[]): Promise<StoreItems> {
    await this.hooks.beforeRead?.(keys);
    return this.inner.read(keys);
  }

  write(changes: StoreItems): Promise<void> {
    const failing = Object.keys(changes).find((key) => this.hooks.failWrite?.(key));
    if (failing) return Promise.reject(new StorageError('unavailable', failing, 'storage did not answer'));
    return this.inner.write(changes);
  }

  delete(keys: string[]): Promise<void> {
    return this.inner.delete(keys);
  }
}

/** Holds the first `pairs * 2` reads of matching keys until a partner read arrives: two writers read the same version. */
function pairedReads(matches: (key: string) => boolean, pairs: number) {
  let waiting: (() => void) | undefined;
  let remaining = pairs * 2;
  return async (keys: string[]) => {
    if (!keys.some(matches) || remaining <= 0) return;
    remaining -= 1;
    if (waiting) {
      const release = waiting;
      waiting = undefined;
      release();
      return;
    }
    await new Promise<void>((resolve) => (waiting = resolve));
  };
}

describe('customer registry (FileStorage)', () => {
  const tempDir = useTempDirs('soc-bot-customer-registry-');
  let storage: FileStorage;
  let audit: RecordingAuditSink;
  let registry: CustomerRegistry;

  beforeEach(async () => {
    storage = new FileStorage({ dir: await tempDir() });
    audit = new RecordingAuditSink();
    registry = new CustomerRegistry({ storage, audit });
  });

  async function activate(tenantId: string, name: string, on = registry) {
    await on.recordPending({ tenantId, name, requestedBy: ADMIN, requestedAt: NOW.toISOString() });
    return on.markActive(tenantId, {
      consentedAt: NOW.toISOString(),
      permissions: ['Alert.Read.All'],
      health: HEALTHY,
    });
  }

  it('keeps customers by tenant id and by name (case-insensitive), in onboarding order', async () => {
    await activate(CONTOSO, 'Contoso');
    await registry.recordPending({ tenantId: FABRIKAM, name: 'Fabrikam', requestedBy: ADMIN, requestedAt: 'x' });
    assert.equal((await registry.byName('  contoso '))?.tenantId, CONTOSO);
    assert.equal((await registry.activeCustomer(CONTOSO.toUpperCase()))?.name, 'Contoso');
    assert.equal(await registry.activeCustomer(FABRIKAM), undefined, 'pending is not active');
    assert.equal((await registry.byName('FABRIKAM'))?.status, 'pendingConsent');
    assert.deepEqual(
      (await registry.list()).map((c) => [c.name, c.status]),
      [
        ['Contoso', 'active'],
        ['Fabrikam', 'pendingConsent'],
      ],
    );
  });

  it('refuses a name another live customer holds, and frees it when that customer is offboarded', async () => {
    await activate(CONTOSO, 'Contoso');
    const claim = () =>
      registry.recordPending({ tenantId: FABRIKAM, name: 'CONTOSO', requestedBy: ADMIN, requestedAt: 'x' });
    await assert.rejects(claim(), (err) => refusalOf(err) === 'nameTaken');
    await registry.offboard(CONTOSO, ADMIN, NOW);
    await claim();
    assert.equal((await registry.byName('contoso'))?.tenantId, FABRIKAM, 'the live namesake wins');
  });

  it('binds a conversation to active customers only, idempotently, and audits each binding once', async () => {
    await activate(CONTOSO, 'Contoso');
    await registry.recordPending({ tenantId: FABRIKAM, name: 'Fabrikam', requestedBy: ADMIN, requestedAt: 'x' });
    assert.equal(await registry.bind(CHANNEL, CONTOSO, ADMIN, NOW), 'bound');
    assert.equal(await registry.bind(CHANNEL, CONTOSO, ADMIN, NOW), 'alreadyBound');
    await assert.rejects(registry.bind(CHANNEL, FABRIKAM, ADMIN, NOW), (err) => refusalOf(err) === 'notActive');
    await assert.rejects(registry.bind(CHANNEL, TAILSPIN, ADMIN, NOW), (err) => refusalOf(err) === 'noSuchCustomer');
    assert.deepEqual(
      (await registry.boundTo(CHANNEL)).map((c) => c.name),
      ['Contoso'],
    );
    const [binding] = await registry.bindings(CHANNEL);
    assert.deepEqual(binding, { tenantId: CONTOSO, boundBy: ADMIN, boundAt: NOW.toISOString() });
    assert.equal(audit.ofType('customer.bound').length, 1);
    assert.equal(audit.ofType('customer.bound')[0]?.tenantId, CONTOSO);
  });

  it('unbinds one customer from one conversation', async () => {
    await activate(CONTOSO, 'Contoso');
    await activate(FABRIKAM, 'Fabrikam');
    await registry.bind(CHANNEL, CONTOSO, ADMIN, NOW);
    await registry.bind(CHANNEL, FABRIKAM, ADMIN, NOW);
    assert.equal(await registry.unbind(CHANNEL, CONTOSO, ADMIN, NOW), true);
    assert.equal(await registry.unbind(CHANNEL, CONTOSO, ADMIN, NOW), false);
    assert.deepEqual(
      (await registry.boundTo(CHANNEL)).map((c) => c.name),
      ['Fabrikam'],
    );
    assert.deepEqual(await registry.conversationsOf(CONTOSO), []);
    assert.equal(audit.ofType('customer.unbound').length, 1);
  });

  it('offboards: status, every binding of the customer removed, listeners told, audited; others untouched', async () => {
    await activate(CONTOSO, 'Contoso');
    await activate(FABRIKAM, 'Fabrikam');
    await registry.bind(CHANNEL, CONTOSO, ADMIN, NOW);
    await registry.bind(CHANNEL, FABRIKAM, ADMIN, NOW);
    await registry.bind(OTHER_CHANNEL, CONTOSO, ADMIN, NOW);
    const told: string[] = [];
    registry.onOffboarded((tenantId) => {
      told.push(tenantId);
      return Promise.resolve();
    });

    const { customer, unbound } = await registry.offboard(CONTOSO, ADMIN, NOW);

    assert.equal(customer.status, 'offboarded');
    assert.equal(customer.offboardedAt, NOW.toISOString());
    assert.equal(unbound, 2);
    assert.deepEqual(told, [CONTOSO]);
    assert.deepEqual(await registry.bindings(OTHER_CHANNEL), []);
    assert.deepEqual(
      (await registry.bindings(CHANNEL)).map((b) => b.tenantId),
      [FABRIKAM],
    );
    assert.deepEqual(await registry.conversationsOf(CONTOSO), []);
    assert.equal(await registry.activeCustomer(CONTOSO), undefined);
    await assert.rejects(registry.bind(CHANNEL, CONTOSO, ADMIN, NOW), (err) => refusalOf(err) === 'notActive');
    assert.deepEqual(
      audit.ofType('customer.offboarded').map((e) => e.detail),
      [{ name: 'Contoso', unbound: 2 }],
    );
  });

  it('lands two concurrent binds of two customers to one conversation, made by two instances (eTag)', async () => {
    const barrier = pairedReads((key) => key.startsWith('customers/conversation/'), 2);
    const first = new CustomerRegistry({ storage: new SharedStorage(storage, { beforeRead: barrier }), audit });
    const second = new CustomerRegistry({ storage: new SharedStorage(storage, { beforeRead: barrier }), audit });
    await activate(CONTOSO, 'Contoso');
    await activate(FABRIKAM, 'Fabrikam');

    await Promise.all([first.bind(CHANNEL, CONTOSO, ADMIN, NOW), second.bind(CHANNEL, FABRIKAM, ADMIN, NOW)]);

    assert.deepEqual((await registry.bindings(CHANNEL)).map((b) => b.tenantId).sort(), [CONTOSO, FABRIKAM]);
  });

  it('lets an offboarding on one instance reach another within the cache lifetime', async () => {
    let now = 0;
    const other = new CustomerRegistry({ storage: new SharedStorage(storage), audit, clock: () => now });
    await activate(CONTOSO, 'Contoso');
    await registry.bind(CHANNEL, CONTOSO, ADMIN, NOW);
    assert.equal((await other.boundTo(CHANNEL)).length, 1);
    assert.ok(await other.activeCustomer(CONTOSO));

    await registry.offboard(CONTOSO, ADMIN, NOW);
    assert.equal((await registry.boundTo(CHANNEL)).length, 0, 'at once on the instance that offboarded');
    now += CUSTOMER_CACHE_TTL_MS;
    assert.equal(await other.activeCustomer(CONTOSO), undefined);
    assert.deepEqual(await other.boundTo(CHANNEL), []);
  });

  it('propagates a storage outage and never leaves a half-written binding', async () => {
    await activate(CONTOSO, 'Contoso');
    const failing = new CustomerRegistry({
      storage: new SharedStorage(storage, { failWrite: (key) => key.startsWith('customers/conversation/') }),
      audit,
    });
    await assert.rejects(
      failing.bind(CHANNEL, CONTOSO, ADMIN, NOW),
      (err) => err instanceof StorageError && err.reason === 'unavailable',
    );
    assert.deepEqual(await registry.bindings(CHANNEL), []);
    assert.deepEqual(await registry.boundTo(CHANNEL), []);
    assert.equal(audit.ofType('customer.bound').length, 0);
    // The reverse record may name the conversation; offboarding then finds nothing to remove and still succeeds.
    assert.equal((await registry.offboard(CONTOSO, ADMIN, NOW)).unbound, 0);
  });

  it('records health without changing the status', async () => {
    await activate(CONTOSO, 'Contoso');
    const health = { ...HEALTHY, defender: 'forbidden' };
    await registry.recordHealth(CONTOSO, health);
    const customer = await registry.get(CONTOSO);
    assert.equal(customer?.status, 'active');
    assert.deepEqual(customer?.health, health);
    await assert.rejects(registry.recordHealth(randomUUID(), HEALTHY), (err) => refusalOf(err) === 'noSuchCustomer');
  });

  it('fails closed on a corrupt record', async () => {
    await storage.write({ 'customers/index': { customers: [{ tenantId: 'not-a-guid' }] } });
    await assert.rejects(registry.list(), /does not parse/);
  });
});
