import type { InstanceMembership, TenantOwnership } from '../../src/background/membership';

/** One instance's view of a FakeCluster: what the limiter is given as membership and ownership. */
export type FakeMember = InstanceMembership & TenantOwnership;

/**
 * Instances that join and leave at the test's command and tenants whose owner it names: a stand-in for the blob-lease
 * membership, telling every live member of a change at once, as the leases would within a renewal period.
 */
export class FakeCluster {
  private readonly live = new Map<string, Set<(count: number) => void>>();
  private readonly owners = new Map<string, string>();

  /** A new live member; the others hear of it. */
  join(instanceId: string): FakeMember {
    const listeners = new Set<(count: number) => void>();
    this.live.set(instanceId, listeners);
    this.announce(instanceId);
    return {
      instanceId,
      liveCount: () => this.live.size,
      onChange: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      owns: (tenantId) => this.owners.get(tenantId) === instanceId,
      ownsAny: () => [...this.owners.values()].includes(instanceId),
    };
  }

  /** The member is gone (stopped or crashed); the others hear of it. */
  leave(instanceId: string): void {
    this.live.delete(instanceId);
    this.announce(instanceId);
  }

  /** Hands a tenant's background work to a member. */
  setOwner(tenantId: string, instanceId: string): void {
    this.owners.set(tenantId, instanceId);
  }

  private announce(changed: string): void {
    for (const [id, listeners] of this.live) if (id !== changed) listeners.forEach((l) => l(this.live.size));
  }
}
