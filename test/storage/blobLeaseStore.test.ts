import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ContainerClient } from '@azure/storage-blob';
import { BlobStorage } from '../../src/storage/blobStorage';
import { useAzurite } from '../support/azurite';

/** Azure's blob leases (on Azurite, which keeps their rules and their clock) behind the LeaseStore contract. */
describe('BlobLeaseStore: blob leases on Azurite', function () {
  this.timeout(60_000);
  const azurite = useAzurite();

  function leaseStore() {
    const container = `leases-${randomBytes(5).toString('hex')}`;
    const storage = new BlobStorage({ connectionString: azurite().connectionString, container });
    return { storage, leases: storage.leaseStore(), container };
  }

  it('gives a lease to exactly one of many concurrent holders, and lets the holder re-acquire and renew it', async () => {
    const { storage, leases } = leaseStore();
    await storage.ready();
    const holders = Array.from({ length: 8 }, () => crypto.randomUUID());
    const won = await Promise.all(holders.map((holder) => leases.acquire('tenant/t1', holder, 15)));
    assert.equal(won.filter(Boolean).length, 1, 'exactly one holder');
    const winner = holders[won.indexOf(true)]!;
    assert.equal(await leases.acquire('tenant/t1', winner, 15), true, 'its own lease again');
    assert.equal(await leases.renew('tenant/t1', winner), true);
    const loser = holders.find((h) => h !== winner)!;
    assert.equal(await leases.renew('tenant/t1', loser), false, 'another holder cannot renew it');
    assert.equal(await leases.isHeld('tenant/t1'), true);
  });

  it('frees a released lease at once, and lists only held leases under a prefix', async () => {
    const { storage, leases } = leaseStore();
    await storage.ready();
    const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
    assert.ok(await leases.acquire('instance/a', a, 15));
    assert.ok(await leases.acquire('instance/b', b, 15));
    assert.ok(await leases.acquire('tenant/x', a, 15));
    assert.deepEqual((await leases.listHeld('instance/')).sort(), ['instance/a', 'instance/b']);
    await leases.release('instance/b', b);
    await leases.release('tenant/x', b); // not b's: nothing happens
    assert.deepEqual(await leases.listHeld('instance/'), ['instance/a']);
    assert.equal(await leases.isHeld('tenant/x'), true);
    assert.equal(await leases.acquire('instance/b', a, 15), true, 'free again');
    assert.equal(await leases.isHeld('never/taken'), false);
  });

  it('lets another holder take a lease its holder stopped renewing, once Azure’s lease period is over', async function () {
    this.timeout(40_000);
    const { storage, leases } = leaseStore();
    await storage.ready();
    const [crashed, successor] = [crypto.randomUUID(), crypto.randomUUID()];
    assert.ok(await leases.acquire('tenant/t2', crashed, 15));
    assert.equal(await leases.acquire('tenant/t2', successor, 15), false, 'held');
    await new Promise((resolve) => setTimeout(resolve, 16_000));
    assert.equal(await leases.isHeld('tenant/t2'), false, 'expired');
    assert.equal(await leases.acquire('tenant/t2', successor, 15), true, 'taken over');
    assert.equal(await leases.renew('tenant/t2', crashed), false, 'the crashed holder’s renewal fails: fenced');
  });

  it('refuses a lease period Azure does not allow', async () => {
    const { leases } = leaseStore();
    await assert.rejects(leases.acquire('tenant/t3', 'x', 10), /lasts 15–60 s/);
    await assert.rejects(leases.acquire('tenant/t3', 'x', 61), /lasts 15–60 s/);
  });

  it('prunes the lease blobs nobody holds (crashed instances), keeps held ones, and lets a pruned name be taken again', async () => {
    const { storage, leases, container } = leaseStore();
    await storage.ready();
    const [live, gone] = [crypto.randomUUID(), crypto.randomUUID()];
    assert.ok(await leases.acquire('instance/live', live, 15));
    assert.ok(await leases.acquire('instance/gone', gone, 15));
    await leases.release('instance/gone', gone); // as if it had expired
    assert.equal(await leases.prune('instance/'), 1);
    const names: string[] = [];
    for await (const blob of new ContainerClient(azurite().connectionString, container).listBlobsFlat()) {
      names.push(blob.name);
    }
    assert.deepEqual(names, ['leases/instance/live'], 'the gone instance’s blob is deleted');
    assert.deepEqual(await leases.listHeld('instance/'), ['instance/live']);
    assert.equal(await leases.renew('instance/live', live), true, 'the held one is untouched');
    // The pruned name's holder comes back (its lease had lapsed in a storage outage): it can take it again.
    assert.equal(await leases.acquire('instance/gone', gone, 15), true);
  });
});
