import type { MachineActionEntity } from '../seed/seedSchema';
import { faultConfigSchema } from './faultConfig';
import type { BehaviourOverrides, FaultConfig, FaultConfigInput } from './faultConfig';
import { SimInputError } from './simInputError';

/*
 * Fault knobs for rehearsing failure paths. There is one global profile (what `faults.set(config)` and
 * `PUT /_sim/faults` have always set) and one optional profile per tenant (`faults.set(config, { tenantId })`,
 * `PUT /_sim/faults?tenantId=`, or the seed's `defender.faults`). A tenant's requests meet its own profile in
 * addition to the global one: the tenant's is asked first, latencies add up.
 */

export { faultConfigSchema } from './faultConfig';
export type { FaultConfig, FaultConfigInput } from './faultConfig';

/** A scripted end for an action instead of Succeeded. */
export type ActionOutcomeFault = FaultConfig['actionOutcomes'][number]['outcome'];

/** What a request-level fault decided for one request, before it is processed. */
export type RequestFault =
  { kind: 'throttle'; retryAfterSeconds: number } | { kind: 'error'; status: 500 | 503 } | { kind: 'none' };

/** What happens to the answer of a processed request: held back `holdMs`, then sent, or the connection reset. */
export interface AnswerFault {
  holdMs: number;
  reset: boolean;
}

/** Which profile a call addresses: a tenant's, or the global one when `tenantId` is absent. */
export interface FaultScope {
  tenantId?: string | undefined;
}

function matches(prefix: string | undefined, path: string): boolean {
  return prefix === undefined || path.toLowerCase().startsWith(prefix.toLowerCase());
}

/** Holds the fault profiles and answers "what goes wrong for this request/action". */
export class FaultInjector {
  private global: FaultConfig = faultConfigSchema.parse({});
  private readonly tenants = new Map<string, FaultConfig>();

  /**
   * `isKnownTenant` guards per-tenant calls (an unknown tenant is a SimInputError 404); `initial` holds the
   * seeds' starting profiles by tenant id.
   */
  constructor(
    private readonly random: () => number,
    private readonly isKnownTenant: (tenantId: string) => boolean = () => true,
    initial: ReadonlyMap<string, FaultConfigInput> = new Map(),
  ) {
    for (const [tenantId, config] of initial) this.set(config, { tenantId });
  }

  /** The configuration of one profile (the global one by default), with remaining counts. */
  get(scope: FaultScope = {}): FaultConfig {
    const key = this.keyOf(scope);
    return structuredClone(key === undefined ? this.global : (this.tenants.get(key) ?? faultConfigSchema.parse({})));
  }

  /** Replaces one profile; throws a ZodError on invalid input (JSON from `PUT /_sim/faults` included). */
  set(input: FaultConfigInput, scope?: FaultScope): FaultConfig;
  set(input: unknown, scope?: FaultScope): FaultConfig;
  set(input: unknown, scope: FaultScope = {}): FaultConfig {
    const key = this.keyOf(scope);
    const config = faultConfigSchema.parse(input);
    if (key === undefined) this.global = config;
    else this.tenants.set(key, config);
    return this.get(scope);
  }

  /** Removes the faults of one tenant, or, without a tenant, every fault of every profile. */
  clear(scope: FaultScope = {}): void {
    const key = this.keyOf(scope);
    if (key !== undefined) {
      this.tenants.delete(key);
      return;
    }
    this.global = faultConfigSchema.parse({});
    this.tenants.clear();
  }

  /** Milliseconds to wait before processing `path` (0 when no latency fault matches). */
  latencyFor(path: string, tenantId?: string): number {
    let total = 0;
    for (const config of this.profiles(tenantId)) {
      const latency = config.latency;
      if (latency === undefined || !matches(latency.pathPrefix, path)) continue;
      total += latency.ms + Math.floor(this.random() * (latency.jitterMs + 1));
    }
    return total;
  }

  /** Whether `path` is answered with a forced 429 or a 5xx instead of normally; consumes `next` counts. */
  requestFault(path: string, tenantId?: string): RequestFault {
    for (const config of this.profiles(tenantId)) {
      const throttle = config.throttle;
      if (throttle !== undefined && matches(throttle.pathPrefix, path)) {
        if (throttle.next !== undefined) {
          const left = throttle.next - 1;
          if (left > 0) throttle.next = left;
          else if (throttle.rate === undefined) config.throttle = undefined;
          else delete throttle.next;
          return { kind: 'throttle', retryAfterSeconds: throttle.retryAfterSeconds };
        }
        if (throttle.rate !== undefined && this.random() < throttle.rate) {
          return { kind: 'throttle', retryAfterSeconds: throttle.retryAfterSeconds };
        }
      }
      const errors = config.errors;
      if (errors !== undefined && matches(errors.pathPrefix, path) && this.random() < errors.rate) {
        return { kind: 'error', status: errors.status };
      }
    }
    return { kind: 'none' };
  }

  /** What happens to the answer of a request already processed: late, reset, or neither; consumes counts. */
  answerFault(path: string, tenantId?: string, method?: string): AnswerFault {
    const methodMatches = (wanted: string | undefined) => wanted === undefined || wanted === method?.toUpperCase();
    let holdMs = 0;
    let reset = false;
    for (const config of this.profiles(tenantId)) {
      const late = config.lateAnswers;
      if (holdMs === 0 && late !== undefined && matches(late.pathPrefix, path) && methodMatches(late.method)) {
        holdMs = late.ms;
        if (late.next !== undefined) {
          if (late.next > 1) late.next -= 1;
          else config.lateAnswers = undefined;
        }
      }
      const cut = config.resetAfterWrite;
      if (!reset && cut !== undefined && matches(cut.pathPrefix, path) && methodMatches(cut.method)) {
        if (cut.next !== undefined) {
          reset = true;
          if (cut.next > 1) cut.next -= 1;
          else if (cut.rate === undefined) config.resetAfterWrite = undefined;
          else delete cut.next;
        } else {
          reset = cut.rate === undefined || this.random() < cut.rate;
        }
      }
    }
    return { holdMs, reset };
  }

  /** The scripted outcome for a new action, if one is configured; consumes one count of it. */
  takeActionOutcome(
    action: Pick<MachineActionEntity, 'type' | 'machineId'>,
    tenantId?: string,
  ): ActionOutcomeFault | undefined {
    for (const config of this.profiles(tenantId)) {
      const outcomes = config.actionOutcomes;
      const index = outcomes.findIndex(
        (o) => o.type === action.type && (o.machineId === undefined || o.machineId.toLowerCase() === action.machineId),
      );
      const rule = outcomes[index];
      if (rule === undefined) continue;
      if (rule.count > 1) rule.count -= 1;
      else outcomes.splice(index, 1);
      return rule.outcome;
    }
    return undefined;
  }

  /** Behaviour overrides in force for a tenant's requests: its own profile's over the global profile's. */
  behaviour(tenantId?: string): BehaviourOverrides {
    const [first, second] = [...this.profiles(tenantId)].reverse();
    return { ...first?.behaviour, ...second?.behaviour };
  }

  /** The profiles that apply to a tenant's requests, its own first. */
  private profiles(tenantId: string | undefined): FaultConfig[] {
    const own = tenantId === undefined ? undefined : this.tenants.get(tenantId.toLowerCase());
    return own === undefined ? [this.global] : [own, this.global];
  }

  private keyOf(scope: FaultScope): string | undefined {
    if (scope.tenantId === undefined) return undefined;
    const key = scope.tenantId.toLowerCase();
    if (!this.isKnownTenant(key)) throw new SimInputError(`unknown tenant '${scope.tenantId}'`, [], 404);
    return key;
  }
}
