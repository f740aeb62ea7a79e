import { z } from 'zod';
import { MACHINE_ACTION_TYPES } from '../seed/seedSchema';
import type { MachineActionEntity } from '../seed/seedSchema';

/*
 * Fault knobs for rehearsing failure paths (defender-api.md §12 item 9). Request-level faults apply to /api
 * requests whose normalized path (`/api/v1.0/x` read as `/api/x`, compared case-insensitively) starts with
 * `pathPrefix` (every /api request when it is omitted). Action outcomes apply to the next action(s) of a type.
 */

const pathPrefix = z.string().startsWith('/api', 'must start with /api').optional();

/** Schema of the fault configuration (`PUT /_sim/faults` body and `faults.set`). */
export const faultConfigSchema = z.strictObject({
  /** Extra delay before every matching request is answered. */
  latency: z
    .strictObject({
      ms: z.number().int().min(0).max(120_000),
      jitterMs: z.number().int().min(0).max(120_000).default(0),
      pathPrefix,
    })
    .optional(),
  /** A share of matching requests answered 500 InternalServerError or 503 ServiceUnavailable. */
  errors: z
    .strictObject({
      rate: z.number().min(0).max(1),
      status: z.union([z.literal(500), z.literal(503)]).default(500),
      pathPrefix,
    })
    .optional(),
  /** Forced 429s: the next `next` matching requests, and/or a share `rate` of them. */
  throttle: z
    .strictObject({
      next: z.number().int().min(1).optional(),
      rate: z.number().min(0).max(1).optional(),
      retryAfterSeconds: z.number().int().min(1).max(3600).default(30),
      pathPrefix,
    })
    .refine((t) => t.next !== undefined || t.rate !== undefined, 'set next and/or rate')
    .optional(),
  /** How the next action(s) of a type (optionally on one machine) end. */
  actionOutcomes: z
    .array(
      z.strictObject({
        type: z.enum(MACHINE_ACTION_TYPES),
        machineId: z.string().min(1).optional(),
        outcome: z.enum(['Failed', 'TimeOut', 'StuckPending']),
        count: z.number().int().min(1).default(1),
      }),
    )
    .default([]),
});

/** The fault configuration as stored (defaults applied). */
export type FaultConfig = z.infer<typeof faultConfigSchema>;
/** The fault configuration as written by a caller (defaults optional). */
export type FaultConfigInput = z.input<typeof faultConfigSchema>;
/** A scripted end for an action instead of Succeeded. */
export type ActionOutcomeFault = FaultConfig['actionOutcomes'][number]['outcome'];

/** What a request-level fault decided for one request. */
export type RequestFault =
  { kind: 'throttle'; retryAfterSeconds: number } | { kind: 'error'; status: 500 | 503 } | { kind: 'none' };

function matches(prefix: string | undefined, path: string): boolean {
  return prefix === undefined || path.toLowerCase().startsWith(prefix.toLowerCase());
}

/** Holds the current fault configuration and answers "what goes wrong for this request/action". */
export class FaultInjector {
  private config: FaultConfig = faultConfigSchema.parse({});

  constructor(private readonly random: () => number) {}

  /** The current configuration, with remaining counts. */
  get(): FaultConfig {
    return structuredClone(this.config);
  }

  /** Replaces the configuration; throws a ZodError on invalid input (JSON from `PUT /_sim/faults` included). */
  set(input: FaultConfigInput): FaultConfig;
  set(input: unknown): FaultConfig;
  set(input: unknown): FaultConfig {
    this.config = faultConfigSchema.parse(input);
    return this.get();
  }

  /** Removes every fault. */
  clear(): void {
    this.config = faultConfigSchema.parse({});
  }

  /** Milliseconds to wait before answering `path` (0 when no latency fault matches). */
  latencyFor(path: string): number {
    const latency = this.config.latency;
    if (latency === undefined || !matches(latency.pathPrefix, path)) return 0;
    return latency.ms + Math.floor(this.random() * (latency.jitterMs + 1));
  }

  /** Whether `path` is answered with a forced 429 or a 5xx instead of normally; consumes `next` counts. */
  requestFault(path: string): RequestFault {
    const throttle = this.config.throttle;
    if (throttle !== undefined && matches(throttle.pathPrefix, path)) {
      if (throttle.next !== undefined) {
        const left = throttle.next - 1;
        if (left > 0) throttle.next = left;
        else if (throttle.rate === undefined) this.config.throttle = undefined;
        else delete throttle.next;
        return { kind: 'throttle', retryAfterSeconds: throttle.retryAfterSeconds };
      }
      if (throttle.rate !== undefined && this.random() < throttle.rate) {
        return { kind: 'throttle', retryAfterSeconds: throttle.retryAfterSeconds };
      }
    }
    const errors = this.config.errors;
    if (errors !== undefined && matches(errors.pathPrefix, path) && this.random() < errors.rate) {
      return { kind: 'error', status: errors.status };
    }
    return { kind: 'none' };
  }

  /** The scripted outcome for a new action, if one is configured; consumes one count of it. */
  takeActionOutcome(action: Pick<MachineActionEntity, 'type' | 'machineId'>): ActionOutcomeFault | undefined {
    const outcomes = this.config.actionOutcomes;
    const index = outcomes.findIndex(
      (o) => o.type === action.type && (o.machineId === undefined || o.machineId.toLowerCase() === action.machineId),
    );
    const rule = outcomes[index];
    if (rule === undefined) return undefined;
    if (rule.count > 1) rule.count -= 1;
    else outcomes.splice(index, 1);
    return rule.outcome;
  }
}
