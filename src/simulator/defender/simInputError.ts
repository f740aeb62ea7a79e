import type { z } from 'zod';

/** One problem with control-endpoint input, located by its JSON path (e.g. `severity`, `evidence.0.sha1`). */
export interface SimInputIssue {
  path: string;
  message: string;
}

/**
 * Bad input to the simulator's own control plane (`/_sim/...` or the `state` API used by demo mode). Kept apart
 * from DefenderApiError because these are not Defender responses: they carry every issue, so someone
 * rehearsing a playbook sees exactly which field to fix.
 */
export class SimInputError extends Error {
  override readonly name = 'SimInputError';

  constructor(
    message: string,
    readonly issues: SimInputIssue[] = [],
    readonly status: 400 | 404 | 409 = 400,
  ) {
    super(message);
  }

  /** Builds the error from a zod failure, one issue per zod issue. */
  static fromZod(message: string, error: z.ZodError): SimInputError {
    return new SimInputError(
      message,
      error.issues.map((issue) => ({
        path: issue.path.map(String).join('.') || '(root)',
        message: issue.message,
      })),
    );
  }
}
