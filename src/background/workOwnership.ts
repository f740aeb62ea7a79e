import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { LeaseStore } from '../storage/leaseStore';
import type { InstanceLiveness, InstanceMembership, TenantOwnership } from './membership';

/** How the instances share background work. */
export interface WorkOwnershipOptions {
  leases: LeaseStore;
  /** Lease period (15–60 s, Azure's range): a crashed instance's tenants are taken over within it. */
  leaseSeconds: number;
  /** How often leases are renewed and free tenants taken (default a third of the lease period). */
  renewMs?: number;
  /** The tenants whose background work exists (served tenants, tenants with subscriptions). */
  tenants(): Promise<string[]>;
  /** Told when this instance takes a tenant over (resume its deliveries, read its actions at once). */
  onGained?(tenantId: string): void;
  logger: Logger;
  /** Monotonic ms (default performance.now): deadlines must not move with the wall clock. */
  clock?: () => number;
  /** Fixed id (tests); default a random UUID per process start. */
  instanceId?: string;
}

/** Names of the leases: one per live instance, one per tenant's background work. */
const INSTANCE_PREFIX = 'instance/';
const TENANT_PREFIX = 'tenant/';

/**
 * Which instance does which tenant's background work (alert polling, action tracking, notification delivery),
 * through one lease per tenant, and which instances are alive, through one lease per instance. No coordinator:
 * every instance renews what it holds and takes free tenants up to its fair share (ceil(tenants / live
 * instances)), so a crashed or removed instance's tenants are taken over when its leases expire, and a stopping
 * instance releases them at once.
 *
 * Fencing: an instance owns a tenant only until the lease it last renewed could have expired by Azure's clock —
 * the time the renewal was *sent* plus the lease period, less a safety margin — so work that would commit after
 * that (a watermark, a status, a card) is refused by `owns()` even if the renewal timer is late (a pause, a
 * slow storage answer). What a late write could still reach is safe by construction: the poller's watermark only
 * moves forward, status writes are conditional on the state they read, and a card's post is claimed first.
 */
export class WorkOwnership implements InstanceMembership, TenantOwnership, InstanceLiveness {
  readonly instanceId: string;
  private readonly clock: () => number;
  private readonly renewMs: number;
  private readonly marginMs: number;
  /** Tenants held, with the monotonic time until which this instance may act for them. */
  private readonly held = new Map<string, number>();
  private live = 1;
  private readonly listeners = new Set<(count: number) => void>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: WorkOwnershipOptions) {
    this.instanceId = options.instanceId ?? randomUUID();
    this.clock = options.clock ?? (() => performance.now());
    this.renewMs = options.renewMs ?? Math.floor((options.leaseSeconds * 1000) / 3);
    this.marginMs = Math.min(5_000, (options.leaseSeconds * 1000) / 6);
  }

  /** Joins: takes this instance's lease and its share of tenants before the background work starts. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.round();
    // What crashed instances left (one empty lease blob each), so the list read every round stays short.
    await this.options.leases
      .prune(INSTANCE_PREFIX)
      .catch((err: unknown) =>
        this.options.logger.warn({ err: serializeError(err) }, 'could not prune the leases of gone instances'),
      );
    this.schedule();
  }

  /**
   * Hands the tenants over at once (scale-in, deploy): stops renewing and releases every tenant lease, so the
   * others take them in their next round. The instance lease is kept until `leave()`: executions this instance
   * is still sending must not look orphaned to the tenants' new owners.
   */
  async releaseTenants(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    const tenants = [...this.held.keys()];
    this.held.clear();
    await Promise.allSettled(
      tenants.map((tenant) => this.options.leases.release(TENANT_PREFIX + tenant, this.instanceId)),
    );
  }

  /** Leaves for good, once nothing of this instance runs any more: its instance lease and blob go. */
  async leave(): Promise<void> {
    await this.releaseTenants();
    await this.options.leases.remove(INSTANCE_PREFIX + this.instanceId, this.instanceId).catch(() => undefined);
  }

  /** True while this instance may do (and commit) the tenant's background work. */
  owns(tenantId: string): boolean {
    const until = this.held.get(tenantId.toLowerCase());
    return until !== undefined && this.clock() < until;
  }

  ownsAny(): boolean {
    return this.ownedTenants().length > 0;
  }

  /** Tenants this instance owns now. */
  ownedTenants(): string[] {
    return [...this.held.keys()].filter((tenant) => this.owns(tenant));
  }

  liveCount(): number {
    return this.live;
  }

  onChange(listener: (count: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether an instance (by id, as recorded on an execution) is still alive: its lease is held. */
  isAlive(instanceId: string): Promise<boolean> {
    if (instanceId === this.instanceId) return Promise.resolve(true);
    return this.options.leases.isHeld(INSTANCE_PREFIX + instanceId);
  }

  /**
   * One round: renew this instance's lease and every tenant held (dropping the lost ones), count the live
   * instances, then take free tenants up to the fair share, or give one back when holding more than it.
   */
  async round(): Promise<void> {
    const { leases, leaseSeconds, logger } = this.options;
    await leases.acquire(INSTANCE_PREFIX + this.instanceId, this.instanceId, leaseSeconds);
    for (const tenant of [...this.held.keys()]) {
      const wasOwned = this.owns(tenant);
      const renewSentAt = this.clock();
      const kept = await leases.renew(TENANT_PREFIX + tenant, this.instanceId).catch((err: unknown) => {
        logger.warn({ tenantId: tenant, err: serializeError(err) }, 'could not renew a tenant lease');
        return undefined; // unknown: keep the old deadline, which runs out unless a later renewal succeeds
      });
      if (kept === true) {
        this.held.set(tenant, renewSentAt + leaseSeconds * 1000 - this.marginMs);
        // Renewed after its deadline had passed (a storage blip): work dropped meanwhile is resumed.
        if (!wasOwned) this.options.onGained?.(tenant);
      } else if (kept === false) {
        this.held.delete(tenant);
        logger.warn({ tenantId: tenant }, 'tenant lease lost; its background work stops here');
      }
    }
    const live = Math.max(1, (await leases.listHeld(INSTANCE_PREFIX)).length);
    if (live !== this.live) {
      this.live = live;
      for (const listener of this.listeners) listener(live);
    }
    const tenants = [...new Set((await this.options.tenants()).map((t) => t.toLowerCase()))].sort();
    const share = Math.ceil(tenants.length / live);
    for (const tenant of tenants) {
      if (this.held.size >= share) break;
      if (this.held.has(tenant)) continue;
      const takenAt = this.clock();
      if (await leases.acquire(TENANT_PREFIX + tenant, this.instanceId, leaseSeconds)) {
        this.held.set(tenant, takenAt + leaseSeconds * 1000 - this.marginMs);
        logger.info({ tenantId: tenant, instanceId: this.instanceId }, 'took over the tenant’s background work');
        this.options.onGained?.(tenant);
      }
    }
    if (this.held.size > share) {
      // More than a fair share (an instance joined): give one back; a peer takes it in its next round.
      const extra = [...this.held.keys()].sort().pop()!;
      this.held.delete(extra);
      await leases.release(TENANT_PREFIX + extra, this.instanceId);
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.round()
        .catch((err: unknown) =>
          this.options.logger.warn({ err: serializeError(err) }, 'lease round failed; retrying next round'),
        )
        .finally(() => this.schedule());
    }, this.renewMs);
    this.timer.unref();
  }
}
