import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors';
import { CUSTOMER_STATUSES } from './customerDirectory';
import type { CustomerPersonRef, CustomerTenant } from './customerDirectory';

/*
 * What the customer registry keeps in the project's Storage, and how it is validated when read back. Every record
 * read is parsed here; a record that does not parse is an error (fail closed), never treated as missing.
 *
 * Layout (one provider deployment; designed for about 1,000 customers):
 * - `customers/index`: one small record listing every customer as { tenantId, name, status } (about 100 bytes each,
 *   ~100 KB at 1,000). It is where names are claimed (unique, case-insensitive) under one eTag, and what `list`,
 *   `byName` and the name check read; it changes only when a customer is added or changes status.
 * - `customers/tenant/{tenantId}`: one record per customer (health, permissions, consent). Health checks of many
 *   customers therefore never contend for one record.
 * - `customers/conversation/{sha256(conversationId)}`: the customers a conversation is bound to (who bound, when).
 * - `customers/bindings/{tenantId}`: the reverse, the conversations bound to a customer, so offboarding unbinds
 *   everywhere without scanning. It may list a conversation that is no longer bound (never the opposite).
 * - `customers/consent/{sha256(state)}`: a pending admin-consent request, taken once.
 */

/** A GUID as Entra writes tenant ids. */
export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const tenantIdSchema = z
  .string()
  .regex(GUID_PATTERN)
  .transform((id) => id.toLowerCase());
const text = z.string().min(1).max(256);
const isoTime = z.string().min(1).max(40);

/** A person as stored (from a validated token). */
export const personRefSchema: z.ZodType<CustomerPersonRef> = z.object({
  aadObjectId: text,
  userPrincipalName: text,
  displayName: z.string().max(256),
});

const healthSchema = z.object({
  checkedAt: isoTime,
  token: z.string().max(64),
  defender: z.string().max(64),
  graph: z.string().max(64),
});

/** One customer record (`customers/tenant/{tenantId}`). */
export const customerSchema: z.ZodType<CustomerTenant> = z.object({
  tenantId: tenantIdSchema,
  name: z.string().min(1).max(64),
  status: z.enum(CUSTOMER_STATUSES),
  requestedBy: personRefSchema,
  requestedAt: isoTime,
  consentedAt: isoTime.optional(),
  permissions: z.array(z.string().max(128)).max(200).optional(),
  health: healthSchema.optional(),
  failure: z.string().max(64).optional(),
  offboardedAt: isoTime.optional(),
  offboardedBy: personRefSchema.optional(),
});

/** One row of the customer index. */
export const indexEntrySchema = z.object({
  tenantId: tenantIdSchema,
  name: z.string().min(1).max(64),
  status: z.enum(CUSTOMER_STATUSES),
});
/** A row of `customers/index`. */
export type CustomerIndexEntry = z.infer<typeof indexEntrySchema>;

/** `customers/index`. */
export const customerIndexSchema = z.object({ customers: z.array(indexEntrySchema) });
/** The stored index of every customer. */
export type CustomerIndex = z.infer<typeof customerIndexSchema>;

/** One binding of a conversation to a customer: who bound it and when. */
export const conversationBindingSchema = z.object({
  tenantId: tenantIdSchema,
  boundBy: personRefSchema,
  boundAt: isoTime,
});
/** A conversation bound to one customer. */
export type ConversationBinding = z.infer<typeof conversationBindingSchema>;

/** `customers/conversation/{hash}`: the customers one conversation is bound to. */
export const conversationBindingsSchema = z.object({
  conversationId: z.string().min(1).max(1024),
  bindings: z.array(conversationBindingSchema),
});
/** The stored bindings of one conversation. */
export type ConversationBindings = z.infer<typeof conversationBindingsSchema>;

/** `customers/bindings/{tenantId}`: the conversations bound to one customer. */
export const customerConversationsSchema = z.object({
  tenantId: tenantIdSchema,
  conversations: z.array(z.string().min(1).max(1024)),
});
/** The stored reverse bindings of one customer. */
export type CustomerConversations = z.infer<typeof customerConversationsSchema>;

/** `customers/consent/{hash}`: what a consent `state` was issued for. */
export const consentRequestSchema = z.object({
  tenantId: tenantIdSchema,
  name: z.string().min(1).max(64),
  requestedBy: personRefSchema,
  /** Epoch milliseconds. */
  expiresAt: z.number(),
  /** The customer record's `requestedAt` when the link was made: a link older than an offboarding is void. */
  requestedAt: z.string().optional(),
});
/** A pending admin-consent request. */
export type ConsentRequest = z.infer<typeof consentRequestSchema>;

/** A parser for updateItem/readItem that throws on a record that does not parse (fail closed). */
export function strictParser<T>(schema: z.ZodType<T>, what: string): (raw: unknown) => T {
  return (raw) => {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new AppError('internal', `stored ${what} does not parse`);
    return parsed.data;
  };
}

/** Storage keys of the registry (see the layout above). */
export const customerKeys = {
  index: 'customers/index',
  customer: (tenantId: string) => `customers/tenant/${tenantId.toLowerCase()}`,
  conversation: (conversationId: string) => `customers/conversation/${sha256(conversationId)}`,
  bindingsOf: (tenantId: string) => `customers/bindings/${tenantId.toLowerCase()}`,
  consent: (state: string) => `customers/consent/${sha256(state)}`,
};

/** Hex SHA-256 of a string: keys hold hashes of conversation ids and states, never the values themselves. */
export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Why a customer request was refused; carried in `details.upstreamCode` so the commands can say it in words. */
export type CustomerRefusal =
  | 'nameInvalid'
  | 'nameTaken'
  | 'notATenant'
  | 'noSuchTenant'
  | 'providerTenant'
  | 'otherName'
  | 'notActive'
  | 'noSuchCustomer'
  | 'noPublicUrl';

/** The AppError of a refused customer request (`invalidInput`, or `notFound` for an unknown customer). */
export function customerRefusal(reason: CustomerRefusal, message: string): AppError {
  return new AppError(reason === 'noSuchCustomer' ? 'notFound' : 'invalidInput', message, { upstreamCode: reason });
}

/** The refusal reason of an error made by `customerRefusal`, if it is one. */
export function refusalOf(err: unknown): CustomerRefusal | undefined {
  return err instanceof AppError && (err.code === 'invalidInput' || err.code === 'notFound')
    ? (err.details.upstreamCode as CustomerRefusal | undefined)
    : undefined;
}
