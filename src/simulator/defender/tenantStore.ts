import { huntingTablesFromSeed } from '../seed/huntingEvents';
import type { HuntingTables } from '../seed/huntingSchema';
import type {
  AlertEntity,
  EntityProfiles,
  GraphAlertEntity,
  MachineActionEntity,
  MachineEntity,
  Seed,
  SeedUser,
} from '../seed/seedSchema';
import type { BehaviourOverrides } from './faultConfig';
import type { ActionPlan, ActionTimings } from './machineActions';
import { advanceAction, isReachable, replanForHealth, transitionTimes } from './machineActions';
import { ticksOf } from './odataDateTime';

const MACHINE_ID = /^[0-9a-fA-F]{40}$/;

/** Isolation and restriction as derived from succeeded actions; the machine entity documents neither (§3.2). */
export interface DeviceStatus {
  isolated: boolean;
  codeExecutionRestricted: boolean;
}

function newestFirst<T>(items: readonly T[], timeOf: (item: T) => unknown): T[] {
  return items
    .map((item, index) => ({ item, index, ticks: ticksOf(timeOf(item)) ?? 0n }))
    .sort((a, b) => (a.ticks === b.ticks ? a.index - b.index : a.ticks > b.ticks ? -1 : 1))
    .map((entry) => entry.item);
}

/**
 * One simulated tenant's mutable data, deep-copied from its seed so seeds can be reused. Only this folder
 * mutates it; outside code reads through DefenderStateView, which hands out copies.
 */
export class TenantStore {
  readonly tenantId: string;
  readonly name: string;
  /** False for a tenant without Defender for Endpoint (seed `defender.provisioned`). */
  readonly provisioned: boolean;
  /** The seed's behaviour switches for this tenant. */
  readonly behaviour: BehaviourOverrides;
  private readonly users = new Map<string, SeedUser>();
  private readonly machineList: MachineEntity[];
  private readonly alertList: AlertEntity[];
  private readonly actionList: MachineActionEntity[];
  private readonly plans = new Map<string, ActionPlan>();
  private sortedAlerts: AlertEntity[] | undefined;
  private readonly events: Seed['events'];
  private readonly alertsV2: GraphAlertEntity[];
  /** Built on first use, dropped when a machine or alert changes (the derived tables read them). */
  private tables: HuntingTables | undefined;
  /** Worldwide file facts and domain administrators (seed `entityProfiles`). */
  readonly entityProfiles: EntityProfiles;

  constructor(seed: Seed) {
    const copy = structuredClone(seed);
    this.tenantId = copy.tenant.id.toLowerCase();
    this.name = copy.tenant.name;
    this.provisioned = copy.defender?.provisioned ?? true;
    this.behaviour = copy.defender?.behaviour ?? {};
    for (const user of copy.users) this.users.set(user.aadObjectId.toLowerCase(), user);
    this.machineList = copy.machines;
    this.alertList = copy.alerts;
    // Seeded actions keep the status the seed gives them: no plan, so a seeded Pending action stays Pending
    // (useful to rehearse ActiveRequestAlreadyExists).
    this.actionList = copy.machineActions;
    this.events = copy.events;
    this.alertsV2 = copy.alertsV2;
    this.entityProfiles = copy.entityProfiles ?? { files: {}, domainAdmins: [] };
  }

  /**
   * The tenant's advanced hunting tables (huntingTablesFromSeed over the seed's events and the current machines
   * and alerts), which the entity statistics endpoints read. Callers must not mutate them.
   */
  huntingTables(): HuntingTables {
    this.tables ??= huntingTablesFromSeed({
      events: this.events,
      machines: this.machineList,
      alerts: this.alertList,
      alertsV2: this.alertsV2,
    });
    return this.tables;
  }

  /** The seed user with this Entra object id. */
  findUser(objectId: string): SeedUser | undefined {
    return this.users.get(objectId.toLowerCase());
  }

  /** Every user of the tenant (for the state dump). */
  allUsers(): SeedUser[] {
    return [...this.users.values()];
  }

  /** Machines in seed order. */
  machines(): readonly MachineEntity[] {
    return this.machineList;
  }

  /** A machine by its 40-hex id. */
  machine(id: string): MachineEntity | undefined {
    const lower = id.toLowerCase();
    return this.machineList.find((m) => m.id === lower);
  }

  /**
   * `GET /api/machines/{id}` takes a device id or a computer name (§3.1): 40 hex digits are an id, anything
   * else is matched case-insensitively against computerDnsName (the most recently seen device wins a tie).
   */
  machineByIdOrName(key: string): MachineEntity | undefined {
    if (MACHINE_ID.test(key)) return this.machine(key);
    const lower = key.toLowerCase();
    const matches = this.machineList.filter((m) => m.computerDnsName.toLowerCase() === lower);
    return newestFirst(matches, (m) => m.lastSeen)[0];
  }

  /** Alerts newest first (alertCreationTime), the order "get latest alerts" relies on in the docs' examples. */
  alerts(): readonly AlertEntity[] {
    this.sortedAlerts ??= newestFirst(this.alertList, (a) => a.alertCreationTime);
    return this.sortedAlerts;
  }

  /** An alert by id (ids are case-sensitive like the real ones). */
  alert(id: string): AlertEntity | undefined {
    return this.alertList.find((a) => a.id === id);
  }

  /** Adds a validated alert. */
  addAlert(alert: AlertEntity): void {
    this.alertList.push(alert);
    this.sortedAlerts = undefined;
    this.tables = undefined;
  }

  /** Replaces an alert by id with a validated version. */
  replaceAlert(alert: AlertEntity): void {
    const index = this.alertList.findIndex((a) => a.id === alert.id);
    if (index >= 0) this.alertList[index] = alert;
    this.sortedAlerts = undefined;
    this.tables = undefined;
  }

  /**
   * Replaces a machine by id with a validated version. When its reachability changed, its Pending actions are
   * replanned from `now` (a device back online picks them up, one going away leaves them waiting); returns the
   * new transition instants for wake-up timers. Transitions due before `now` must have been applied.
   */
  replaceMachine(machine: MachineEntity, now: number, timings: ActionTimings): number[] {
    const index = this.machineList.findIndex((m) => m.id === machine.id);
    const before = this.machineList[index];
    if (before === undefined) return [];
    this.machineList[index] = machine;
    this.tables = undefined;
    const reachable = isReachable(machine);
    if (isReachable(before) === reachable) return [];
    const wakeUps: number[] = [];
    for (const action of this.actionList.filter((a) => a.machineId === machine.id)) {
      const plan = this.plans.get(action.id);
      const next = plan && replanForHealth(action, plan, reachable, now, timings);
      if (next === undefined) continue;
      this.plans.set(action.id, next);
      wakeUps.push(...transitionTimes(next));
    }
    return wakeUps;
  }

  /** Actions newest first (creationDateTimeUtc). */
  actions(): MachineActionEntity[] {
    return newestFirst(this.actionList, (a) => a.creationDateTimeUtc);
  }

  /** An action by id (GUIDs compare case-insensitively). */
  action(id: string): MachineActionEntity | undefined {
    const lower = id.toLowerCase();
    return this.actionList.find((a) => a.id.toLowerCase() === lower);
  }

  /** Records a new action and the plan that drives it. */
  addAction(action: MachineActionEntity, plan: ActionPlan): void {
    this.actionList.push(action);
    this.plans.set(action.id, plan);
  }

  /** Applies every transition due at `now`; returns the actions that changed. */
  advance(now: number): MachineActionEntity[] {
    const changed: MachineActionEntity[] = [];
    for (const action of this.actionList) {
      const plan = this.plans.get(action.id);
      if (plan !== undefined && advanceAction(action, plan, now)) changed.push(action);
    }
    return changed;
  }

  /** Whether the device is isolated / restricted according to its latest succeeded actions of each pair. */
  deviceStatus(machineId: string): DeviceStatus {
    const done = newestFirst(
      this.actionList.filter((a) => a.machineId === machineId && a.status === 'Succeeded'),
      (a) => a.lastUpdateDateTimeUtc,
    );
    const latest = (types: string[]) => done.find((a) => types.includes(a.type))?.type;
    return {
      isolated: latest(['Isolate', 'Unisolate']) === 'Isolate',
      codeExecutionRestricted: latest(['RestrictCodeExecution', 'UnrestrictCodeExecution']) === 'RestrictCodeExecution',
    };
  }
}
