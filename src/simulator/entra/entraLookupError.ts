/** Why `mintUserAssertion` could not find who to mint for; the control route answers 404 with `code`. */
export type EntraLookupErrorCode = 'tenant_not_found' | 'user_not_found' | 'client_not_found';

/** Thrown by `EntraEmulator.mintUserAssertion` / `addClientCertificate` for a tenant, user or app not known. */
export class EntraLookupError extends Error {
  override readonly name = 'EntraLookupError';

  constructor(
    readonly code: EntraLookupErrorCode,
    message: string,
  ) {
    super(message);
  }
}
