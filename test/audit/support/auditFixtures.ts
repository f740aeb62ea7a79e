import { createHash } from 'node:crypto';
import type { AuditEntryInput } from '../../../src/audit/auditEntry';

/** The tenant and people the audit tests record. */
export const TENANT = '6f1b0c9e-0000-4000-8000-000000000001';
export const ALICE = { aadObjectId: 'a1a1a1a1-0000-4000-8000-00000000000a', userPrincipalName: 'alice@contoso.com' };
export const BOB = { aadObjectId: 'b2b2b2b2-0000-4000-8000-00000000000b', userPrincipalName: 'bob@contoso.com' };

/** A valid entry input (an isolation requested by Alice), with the fields a test cares about overridden. */
export function entry(overrides: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    type: 'approval.requested',
    tenantId: TENANT,
    actor: ALICE,
    approvalId: 'appr-1',
    device: { id: 'dev-1', name: 'web-01.contoso.com' },
    action: 'isolate',
    payloadHash: createHash('sha256').update('payload').digest('hex'),
    ...overrides,
  };
}

/** A real-looking JWT (header.payload.signature, base64url JSON): what must never reach the trail. */
export function fakeJwt(): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ aud: 'api://bot', sub: 'x' })}.c2lnbmF0dXJlLWJ5dGVz`;
}
