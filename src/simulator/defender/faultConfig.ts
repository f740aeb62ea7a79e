import { z } from 'zod';
import { MACHINE_ACTION_TYPES } from '../seed/actionTypes';

/*
 * The fault configuration (defender-api.md §12 item 9) and the per-tenant `defender` section of a seed. Request
 * faults apply to /api requests whose normalized path (`/api/v1.0/x` read as `/api/x`, compared
 * case-insensitively) starts with `pathPrefix`, and to Graph security requests (`/v1.0/security/...`) the same
 * way; without `pathPrefix` they apply to every request of both APIs. Action outcomes apply to
 * the next action(s) of a type. Kept apart from the injector so the seed schema can embed it without a cycle.
 */

const pathPrefix = z
  .string()
  .refine((p) => /^\/(api|v1\.0\/security)/i.test(p), 'must start with /api or /v1.0/security')
  .optional();
/** Only requests of this method (e.g. `POST`: every response action, and none of the reads around it). */
const method = z.enum(['GET', 'POST', 'PATCH']).optional();

/**
 * How a second non-final action of the same type on the same device is answered (§4.4, §14.2): `documented` →
 * 400 `BadRequest` "Action is already in progress"; `activeRequestCode` (alias `reject`) → 400
 * `ActiveRequestAlreadyExists` with the same message, as third-party code shows; `returnExisting` → 201 with
 * the existing action.
 */
export const DUPLICATE_ACTION_MODES = ['documented', 'activeRequestCode', 'reject', 'returnExisting'] as const;

/** One of DUPLICATE_ACTION_MODES. */
export type DuplicateActionMode = (typeof DUPLICATE_ACTION_MODES)[number];

/** Overrides of the undocumented behaviour switches (see UnconfirmedBehaviour); unset keeps the level below. */
export const behaviourOverridesSchema = z.strictObject({
  outOfScopeActionStatus: z.union([z.literal(403), z.literal(404)]).optional(),
  duplicateAction: z.enum(DUPLICATE_ACTION_MODES).optional(),
});

/** Behaviour overrides as written. */
export type BehaviourOverrides = z.infer<typeof behaviourOverridesSchema>;

/** Schema of the fault configuration (`PUT /_sim/faults` body, `faults.set`, and a seed's `defender.faults`). */
export const faultConfigSchema = z.strictObject({
  /** Extra delay before every matching request is processed. */
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
  /**
   * The request is processed at once (the action created, the alert patched) and only its answer is held back
   * `ms`, so a client with a shorter timeout gives up on work that was done. `next`: only the next N matching
   * requests; absent: all of them.
   */
  lateAnswers: z
    .strictObject({
      ms: z.number().int().min(1).max(600_000),
      next: z.number().int().min(1).optional(),
      pathPrefix,
      method,
    })
    .optional(),
  /**
   * The request is processed, then the connection is destroyed without any answer (a reset after the body
   * arrived). `next`: the next N matching requests; `rate`: a share of them; neither: all of them.
   */
  resetAfterWrite: z
    .strictObject({
      next: z.number().int().min(1).optional(),
      rate: z.number().min(0).max(1).optional(),
      pathPrefix,
      method,
    })
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
  /** Run-time overrides of the behaviour switches, e.g. `{ duplicateAction: 'returnExisting' }`. */
  behaviour: behaviourOverridesSchema.optional(),
});

/** The fault configuration as stored (defaults applied). */
export type FaultConfig = z.infer<typeof faultConfigSchema>;
/** The fault configuration as written by a caller (defaults optional). */
export type FaultConfigInput = z.input<typeof faultConfigSchema>;

/**
 * A seed's optional `defender` section: how this tenant's Defender behaves. `provisioned: false` is a tenant
 * without Defender for Endpoint (no WindowsDefenderATP service principal): Entra answers AADSTS500011 to token
 * requests for the MDE resource and the API serves no one there. `behaviour` and `faults` are the tenant's
 * starting behaviour switches and fault profile.
 */
export const defenderSeedSectionSchema = z.strictObject({
  provisioned: z.boolean().default(true),
  behaviour: behaviourOverridesSchema.optional(),
  faults: faultConfigSchema.optional(),
});

/** A seed's `defender` section as parsed. */
export type DefenderSeedSection = z.infer<typeof defenderSeedSectionSchema>;
