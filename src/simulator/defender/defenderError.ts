import { randomUUID } from 'node:crypto';

/** Documented MDE error codes the simulator answers with (common-errors.md, defender-api.md §4.5, §7). */
export type DefenderErrorCode =
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'ResourceNotFound'
  | 'MethodNotAllowed'
  | 'BadRequest'
  | 'InvalidRequestBody'
  | 'MissingRequiredParameter'
  | 'InvalidHashValue'
  | 'InvalidInput'
  | 'InvalidIpAddress'
  | 'InvalidDomainName'
  | 'OsPlatformNotSupported'
  | 'ActiveRequestAlreadyExists'
  | 'TooManyRequests'
  | 'InternalServerError'
  | 'ServiceUnavailable';

/** The wire shape of every Defender error: `{ error: { code, message, target } }` (defender-api.md §7.3). */
export interface DefenderErrorBody {
  error: { code: string; message: string; target: string };
}

/**
 * A request the simulator refuses. Thrown anywhere in the request pipeline and turned into a response in one
 * place, so handlers never write error responses themselves.
 */
export class DefenderApiError extends Error {
  override readonly name = 'DefenderApiError';

  constructor(
    readonly status: number,
    readonly code: DefenderErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The documented body; `target` is a fresh correlation id like the real service's. */
  toBody(): DefenderErrorBody {
    return { error: { code: this.code, message: this.message, target: randomUUID() } };
  }
}

/** The `$filter` rejection every OData parse/type error maps to; code BadRequest like the ASP.NET OData stack. */
export function invalidFilter(detail: string): DefenderApiError {
  return new DefenderApiError(400, 'BadRequest', `Invalid filter clause: ${detail}`);
}
