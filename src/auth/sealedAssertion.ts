import { z } from 'zod';
import type { StateCipher } from './stateCipher';
import type { UserAssertion } from './userTokens';

const userAssertionSchema = z.object({
  token: z.string().min(1),
  user: z.object({
    tenantId: z.string().min(1),
    aadObjectId: z.string().min(1),
    userPrincipalName: z.string(),
    displayName: z.string(),
    appRoles: z.array(z.string()),
  }),
  expiresAt: z.number(),
});

/** What a stored assertion looks like at rest: its expiry in clear (to delete it unread), the rest sealed. */
export const sealedAssertionRecordSchema = z.object({ expiresAt: z.number(), sealed: z.string() });

/** A stored assertion record (see `sealedAssertionRecordSchema`). */
export type SealedAssertionRecord = z.infer<typeof sealedAssertionRecordSchema>;

/** Encrypts an assertion for storage under `key` (its storage key binds the ciphertext to it). */
export function sealAssertion(cipher: StateCipher, assertion: UserAssertion, key: string): SealedAssertionRecord {
  return { expiresAt: assertion.expiresAt, sealed: cipher.seal(JSON.stringify(assertion), key) };
}

/** The assertion in a stored record, or undefined when it does not open with this key or is not an assertion. */
export function openAssertion(
  cipher: StateCipher,
  record: SealedAssertionRecord,
  key: string,
): UserAssertion | undefined {
  return cipher.openJson(record.sealed, key, userAssertionSchema);
}
