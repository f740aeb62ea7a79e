import assert from 'node:assert/strict';
import { WorkOwnership } from '../../src/background/workOwnership';
import { createLogger } from '../../src/logging/logger';
import { MemoryLeaseStore } from '../../src/storage/leaseStore';

/*
 * Several instances sharing tenants through leases, in one process on a fake clock (the lease store keeps
 * Azure's rules; test/storage/blobLeaseStore.test.ts holds Azure's own leases to them on Azurite).
 */
describe('WorkOwnership: each tenant’s background work on exactly one live instance', () => {
  let time = 0;
  const clock = () => time;
  const logger = createLogger({ level: 'silent' });
  const tenants = ['t1', 't2', 't3', 't4', 't5'];

  function instance(leases: MemoryLeaseStore, id: string, gained: string[] = []): WorkOwnership {
    return new WorkOwnership({
      leases,
      leaseSeconds: 15,
      renewMs: 5_000,
      tenants: () => Promise.resolve(tenants),
      onGained: (tenant) => gained.push(`${id}:${tenant}`),
      logger,
      clock,
      instanceId: id,
    });
  }

  const owners = (instances: WorkOwnership[], tenant: string) =>
    instances.filter((i) => i.owns(tenant)).map((i) => i.instanceId);

  beforeEach(() => {
    time = 1_000_000;
  });

  it('shares the tenants out, one owner each, fairly once every instance has seen the others', async () => {
    const leases = new MemoryLeaseStore(clock);
    const all = [instance(leases, 'a'), instance(leases, 'b'), instance(leases, 'c')];
    // Rounds as the timers would run them: the first instance takes everything before it knows of the others,
    // then gives back what exceeds its share, one tenant a round, and the others pick them up.
    for (let round = 0; round < 6; round++) {
      for (const i of all) await i.round();
      time += 5_000;
    }
    for (const tenant of tenants) assert.equal(owners(all, tenant).length, 1, `one owner of ${tenant}`);
    for (const i of all) {
      assert.equal(i.liveCount(), 3);
      assert.ok(i.ownedTenants().length <= 2, `${i.instanceId} holds ${i.ownedTenants().join()}`);
    }
  });

  it('gives a crashed instance’s tenants to the others once its leases expire, and not before', async () => {
    const leases = new MemoryLeaseStore(clock);
    const gained: string[] = [];
    const a = instance(leases, 'a', gained);
    const b = instance(leases, 'b', gained);
    await a.round();
    await b.round();
    assert.deepEqual(b.ownedTenants(), [], 'a took every tenant before b existed');
    const crashedAt = time;
    // a crashes: it renews no more. b keeps trying every round.
    while (time - crashedAt < 14_000) {
      time += 1_000;
      await b.round();
      assert.deepEqual(b.ownedTenants(), [], `nothing taken ${time - crashedAt} ms after the crash`);
    }
    time = crashedAt + 15_000;
    await b.round();
    assert.deepEqual(b.ownedTenants().sort(), tenants, 'everything taken over once the lease period passed');
    assert.equal(b.liveCount(), 1);
    assert.deepEqual(
      gained.filter((g) => g.startsWith('b:')).sort(),
      tenants.map((t) => `b:${t}`),
    );
  });

  it('hands tenants over at once when an instance stops (scale-in, deploy)', async () => {
    const leases = new MemoryLeaseStore(clock);
    const a = instance(leases, 'a');
    const b = instance(leases, 'b');
    await a.round();
    await a.leave();
    await b.round();
    assert.deepEqual(b.ownedTenants().sort(), tenants);
    assert.equal(await b.isAlive('a'), false);
  });

  it('stops owning a tenant when its lease could have run out, before the renewal is even attempted (fencing)', async () => {
    const leases = new MemoryLeaseStore(clock);
    const a = instance(leases, 'a');
    await a.round();
    assert.ok(a.owns('t1'));
    // The renewal timer is late (a long pause): past the lease period less the margin, a may no longer commit.
    time += 15_000 - 2_000;
    assert.equal(a.owns('t1'), false, 'no work committed under a lease that may have expired');
    // The lease is broken meanwhile and another instance takes the tenant: a's next round drops it for good.
    leases.breakLease('tenant/t1');
    const b = instance(leases, 'b');
    await b.round();
    assert.ok(b.owns('t1'));
    await a.round();
    assert.equal(a.owns('t1'), false);
    assert.deepEqual(owners([a, b], 't1'), ['b']);
  });

  it('knows which instances are alive, for executions they started', async () => {
    const leases = new MemoryLeaseStore(clock);
    const a = instance(leases, 'a');
    const b = instance(leases, 'b');
    await a.round();
    await b.round();
    assert.equal(await b.isAlive('a'), true);
    time += 16_000; // a stopped renewing
    await b.round();
    assert.equal(await b.isAlive('a'), false);
    assert.equal(await b.isAlive('b'), true);
  });

  it('resumes a tenant’s work when a renewal succeeds after its deadline had passed (a storage blip)', async () => {
    const store = new MemoryLeaseStore(clock);
    let failing = false;
    const flaky = Object.assign(Object.create(store) as MemoryLeaseStore, {
      renew: (name: string, holder: string) =>
        failing ? Promise.reject(new Error('storage unreachable')) : store.renew(name, holder),
    });
    const gained: string[] = [];
    const a = instance(flaky, 'a', gained);
    await a.round();
    assert.equal(gained.length, tenants.length);
    failing = true;
    time += 5_000;
    await a.round(); // renewals fail: the old deadlines stand
    time += 8_000; // 13 s after the last renewal: past its deadline (15 s less the margin)
    assert.equal(a.owns('t1'), false, 'past the deadline: no work for t1 here');
    failing = false;
    time += 1_000; // 14 s: still within the lease period, nobody took it
    await a.round();
    assert.ok(a.owns('t1'));
    assert.equal(gained.filter((g) => g === 'a:t1').length, 2, 'told again, so dropped deliveries resume');
  });
});
