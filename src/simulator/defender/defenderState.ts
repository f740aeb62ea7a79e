import type { HuntingTables } from '../seed/huntingSchema';
import type { AlertEntity, MachineActionEntity, MachineEntity, Seed, SeedUser } from '../seed/seedSchema';
import { applyAlertEdit, applyMachineEdit, buildInjectedAlert } from './entityEdits';
import { DEFAULT_ACTION_TIMINGS } from './machineActions';
import type { ActionTimings } from './machineActions';
import { SimInputError } from './simInputError';
import { TenantStore } from './tenantStore';
import type { DeviceStatus } from './tenantStore';

/** One tenant in the state dump (no app registrations: they carry client secrets). */
export interface TenantDump {
  id: string;
  name: string;
  users: SeedUser[];
  machines: MachineEntity[];
  /** Derived isolation/restriction per machine id. */
  deviceStatus: Record<string, DeviceStatus>;
  alerts: AlertEntity[];
  machineActions: MachineActionEntity[];
}

/** `GET /_sim/state`. */
export interface StateDump {
  tenants: TenantDump[];
}

/**
 * Typed access to the simulated Defender data for tests and demo mode. Every read first applies due action
 * transitions and returns copies; every write validates like the seed loader. `tenantId` defaults to the
 * first seed's tenant.
 */
export interface DefenderStateView {
  tenantIds(): string[];
  alerts(tenantId?: string): AlertEntity[];
  alert(id: string, tenantId?: string): AlertEntity | undefined;
  machines(tenantId?: string): MachineEntity[];
  /** By 40-hex id or computer name, like `GET /api/machines/{id}`. */
  machine(idOrName: string, tenantId?: string): MachineEntity | undefined;
  machineActions(tenantId?: string): MachineActionEntity[];
  machineAction(id: string, tenantId?: string): MachineActionEntity | undefined;
  deviceStatus(machineId: string, tenantId?: string): DeviceStatus;
  /** Adds an alert from a partial one (see entityEdits.buildInjectedAlert); throws SimInputError. */
  injectAlert(partial: unknown, tenantId?: string): AlertEntity;
  /** Merges fields into an alert and bumps lastUpdateTime; throws SimInputError. */
  updateAlert(id: string, edit: unknown, tenantId?: string): AlertEntity;
  /**
   * Merges fields into a machine (e.g. healthStatus); throws SimInputError. A device that becomes Active picks
   * up its waiting actions (they run with the normal timings from now); one that stops being Active leaves the
   * actions it has not picked up waiting.
   */
  updateMachine(idOrName: string, edit: unknown, tenantId?: string): MachineEntity;
  dump(tenantId?: string): StateDump;
  /**
   * The tenant's advanced hunting tables, the very ones the entity endpoints read (shared, not copied, and never to
   * be mutated): handed to the Graph simulator's runHuntingQuery so a hunt and an "investigate" card read the same
   * rows, alerts injected at run time included.
   */
  huntingTables(tenantId?: string): HuntingTables;
}

/** What DefenderState needs besides the seeds; everything optional. */
export interface DefenderStateOptions {
  /** Called with the actions a clock advance changed (logging). */
  onChanged?: (tenantId: string, actions: MachineActionEntity[]) => void;
  /** Lifecycle timings, for actions replanned when a device comes back. */
  timings?: ActionTimings;
  /** Arms wake-up timers for replanned actions. */
  scheduleWakeUps?: (times: number[]) => void;
}

/** The simulator's tenants, keyed by tenant id (lower case). */
export class DefenderState implements DefenderStateView {
  private readonly stores = new Map<string, TenantStore>();

  constructor(
    seeds: readonly Seed[],
    private readonly now: () => Date,
    private readonly options: DefenderStateOptions = {},
  ) {
    if (seeds.length === 0) throw new Error('The Defender simulator needs at least one seed');
    for (const seed of seeds) {
      const store = new TenantStore(seed);
      if (this.stores.has(store.tenantId)) throw new Error(`Two seeds share tenant id ${store.tenantId}`);
      this.stores.set(store.tenantId, store);
    }
  }

  /** True when a seed with this tenant id is loaded. */
  has(tenantId: string): boolean {
    return this.stores.has(tenantId.toLowerCase());
  }

  /** True when the tenant is loaded and has Defender for Endpoint (seed `defender.provisioned`, default true). */
  serves(tenantId: string): boolean {
    return this.stores.get(tenantId.toLowerCase())?.provisioned === true;
  }

  /** The live store of a tenant, with due transitions applied; unknown tenant → SimInputError 404. */
  store(tenantId?: string): TenantStore {
    const id = tenantId?.toLowerCase() ?? this.tenantIds()[0] ?? '';
    const store = this.stores.get(id);
    if (store === undefined) {
      throw new SimInputError(
        `unknown tenant '${tenantId ?? ''}'; loaded tenants: ${this.tenantIds().join(', ')}`,
        [],
        404,
      );
    }
    this.advance(store);
    return store;
  }

  /** Applies due transitions in every tenant (wake-up timers call this). */
  advanceAll(): void {
    for (const store of this.stores.values()) this.advance(store);
  }

  private advance(store: TenantStore): void {
    const changed = store.advance(this.now().getTime());
    if (changed.length > 0) this.options.onChanged?.(store.tenantId, changed);
  }

  tenantIds(): string[] {
    return [...this.stores.keys()];
  }

  alerts(tenantId?: string): AlertEntity[] {
    return structuredClone([...this.store(tenantId).alerts()]);
  }

  alert(id: string, tenantId?: string): AlertEntity | undefined {
    const alert = this.store(tenantId).alert(id);
    return alert && structuredClone(alert);
  }

  machines(tenantId?: string): MachineEntity[] {
    return structuredClone([...this.store(tenantId).machines()]);
  }

  machine(idOrName: string, tenantId?: string): MachineEntity | undefined {
    const machine = this.store(tenantId).machineByIdOrName(idOrName);
    return machine && structuredClone(machine);
  }

  machineActions(tenantId?: string): MachineActionEntity[] {
    return structuredClone(this.store(tenantId).actions());
  }

  machineAction(id: string, tenantId?: string): MachineActionEntity | undefined {
    const action = this.store(tenantId).action(id);
    return action && structuredClone(action);
  }

  deviceStatus(machineId: string, tenantId?: string): DeviceStatus {
    return this.store(tenantId).deviceStatus(machineId.toLowerCase());
  }

  injectAlert(partial: unknown, tenantId?: string): AlertEntity {
    const store = this.store(tenantId);
    const alert = buildInjectedAlert(partial, store, this.now());
    store.addAlert(alert);
    return structuredClone(alert);
  }

  updateAlert(id: string, edit: unknown, tenantId?: string): AlertEntity {
    const store = this.store(tenantId);
    const existing = store.alert(id);
    if (existing === undefined)
      throw new SimInputError(`alert ${id} was not found in tenant ${store.tenantId}`, [], 404);
    const updated = applyAlertEdit(existing, edit, store, this.now());
    store.replaceAlert(updated);
    return structuredClone(updated);
  }

  updateMachine(idOrName: string, edit: unknown, tenantId?: string): MachineEntity {
    const store = this.store(tenantId);
    const existing = store.machineByIdOrName(idOrName);
    if (existing === undefined) {
      throw new SimInputError(`machine ${idOrName} was not found in tenant ${store.tenantId}`, [], 404);
    }
    const updated = applyMachineEdit(existing, edit);
    const wakeUps = store.replaceMachine(updated, this.now().getTime(), this.options.timings ?? DEFAULT_ACTION_TIMINGS);
    if (wakeUps.length > 0) this.options.scheduleWakeUps?.(wakeUps);
    return structuredClone(updated);
  }

  huntingTables(tenantId?: string): HuntingTables {
    return this.store(tenantId).huntingTables();
  }

  dump(tenantId?: string): StateDump {
    const ids = tenantId === undefined ? this.tenantIds() : [this.store(tenantId).tenantId];
    return {
      tenants: ids.map((id) => {
        const store = this.store(id);
        const machines = structuredClone([...store.machines()]);
        return {
          id: store.tenantId,
          name: store.name,
          users: structuredClone(store.allUsers()),
          machines,
          deviceStatus: Object.fromEntries(machines.map((m) => [m.id, store.deviceStatus(m.id)])),
          alerts: structuredClone([...store.alerts()]),
          machineActions: structuredClone(store.actions()),
        };
      }),
    };
  }
}
