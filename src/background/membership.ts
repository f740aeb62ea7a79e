/*
 * What one instance knows about the others: how many are alive and which tenants' background work is its own.
 * The file store runs one instance (SINGLE_INSTANCE); on Blob Storage both come from blob leases
 * (src/background/workOwnership.ts), so budgets and work are shared without a coordinator.
 */

/** The live instances of this deployment (this one included), for splitting shared budgets. */
export interface InstanceMembership {
  /** This instance's id (random per process start). */
  readonly instanceId: string;
  /** Live instances now, at least 1. */
  liveCount(): number;
  /** Called with the new count whenever it changes; returns the unsubscribe function. */
  onChange(listener: (count: number) => void): () => void;
}

/** Whether this instance owns a tenant's background work (alert polling, action tracking, notification delivery). */
export interface TenantOwnership {
  owns(tenantId: string): boolean;
  /** Whether it owns any tenant now: an instance that owns none skips reading the work it would only filter out. */
  ownsAny(): boolean;
}

/** Whether an instance that recorded its id on some work (an execution, a post claim) is still alive. */
export interface InstanceLiveness {
  readonly instanceId: string;
  isAlive(instanceId: string): Promise<boolean>;
}

/** One instance alone: it is every instance, owns every tenant, and work recorded by another id is orphaned. */
export const SINGLE_INSTANCE: InstanceMembership & TenantOwnership & InstanceLiveness = Object.freeze({
  instanceId: 'single',
  liveCount: () => 1,
  onChange: () => () => {},
  owns: () => true,
  ownsAny: () => true,
  isAlive: (instanceId: string) => Promise.resolve(instanceId === 'single'),
});
