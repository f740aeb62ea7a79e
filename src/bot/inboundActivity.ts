import { ActivityTypes } from 'botbuilder';
import { z } from 'zod';
import { containsJwt } from '../audit/containsJwt';
import { fileConsentValueSchema } from './fileConsentProtocol';

/*
 * The one place where what the channel sends is checked: every activity, and the value of every invoke the bot
 * handles, is parsed here after the channel's token was verified and before botbuilder or the bot reads it.
 * Inside, the bot relies on these shapes (from.id, conversation.id, recipient, serviceUrl, a tenant where the
 * deployment is restricted, the card action envelope) without checking again.
 */

/**
 * Largest card data accepted: the bot's own cards carry ids and a typed command (a few hundred bytes), and an incident
 * comment typed into a card (at most 30,000 characters, the inputs' `maxLength`); each verb's schema bounds its fields.
 */
export const MAX_CARD_DATA_CHARS = 64 * 1024;

const text = (max: number) => z.string().min(1).max(max);

const account = z.looseObject({
  id: text(256),
  name: z.string().max(512).optional(),
  aadObjectId: text(128).optional(),
});
const conversation = z.looseObject({
  id: text(1024),
  conversationType: z.string().max(64).optional(),
  tenantId: text(256).optional(),
  isGroup: z.boolean().optional(),
});
const channelData = z.looseObject({
  tenant: z.looseObject({ id: text(256) }).optional(),
  team: z.looseObject({ id: text(1024) }).optional(),
  channel: z.looseObject({ id: text(1024) }).optional(),
});
const envelope = z.looseObject({
  type: text(64),
  id: text(256).optional(),
  channelId: text(64).optional(),
  serviceUrl: text(2048),
  from: account,
  recipient: account.optional(),
  conversation,
  channelData: channelData.optional(),
  replyToId: z.string().max(1024).optional(),
  name: z.string().max(256).optional(),
  text: z.string().optional(),
  entities: z.array(z.looseObject({ type: z.string().max(256).optional() })).optional(),
  membersAdded: z.array(account).optional(),
  membersRemoved: z.array(account).optional(),
  action: z.string().max(64).optional(),
});
/** What the bot answers (message and invoke) needs an id to reply to and the bot's own account. */
const answerable = z.looseObject({ id: text(256), recipient: account });

/** Card data: an object of bounded size (each verb's own schema in src/cards/payloads.ts says more). */
const cardData = z
  .record(z.string(), z.unknown())
  .refine((data) => JSON.stringify(data).length <= MAX_CARD_DATA_CHARS, {
    message: `at most ${MAX_CARD_DATA_CHARS} characters`,
  });

/** `adaptiveCard/action` (Universal Actions): the clicked Action.Execute, and a sign-in's token or code. */
export const adaptiveCardActionValueSchema = z.looseObject({
  action: z.looseObject({
    type: z.literal('Action.Execute'),
    verb: text(100),
    id: z.string().max(256).optional(),
    data: cardData.optional(),
  }),
  trigger: z.string().max(64).optional(),
  authentication: z
    .looseObject({
      id: z.string().max(256).optional(),
      connectionName: z.string().max(256).optional(),
      token: text(16_384),
    })
    .optional(),
  state: z.string().max(200).optional(),
});

/** `signin/tokenExchange`: Teams' silent SSO token for the OAuth card the bot sent. */
export const tokenExchangeValueSchema = z.looseObject({
  id: text(200),
  connectionName: z.string().max(200).optional(),
  token: z.string().max(16_384),
});

/** `signin/verifyState`: the one-time code the sign-in page handed to Teams. */
export const verifyStateValueSchema = z.looseObject({ state: text(200) });

/** Invoke names the bot handles, each with the schema of its value; any other name is not implemented. */
const INVOKE_VALUES = {
  'adaptiveCard/action': adaptiveCardActionValueSchema,
  'signin/tokenExchange': tokenExchangeValueSchema,
  'signin/verifyState': verifyStateValueSchema,
  'fileConsent/invoke': fileConsentValueSchema,
} as const;

const KNOWN_TYPES: ReadonlySet<string> = new Set(Object.values(ActivityTypes));

/** Why an activity was not let in (also the `reason` of its audit record). */
export type InboundRefusalReason =
  | 'malformedActivity'
  | 'malformedInvokeValue'
  | 'unknownActivityType'
  | 'unknownInvoke'
  | 'tenantMissing'
  | 'unknownUser';

/** The verdict on a raw activity: let in, or refused with the HTTP answer the channel gets. */
export type InboundVerdict =
  { admitted: true } | { admitted: false; reason: InboundRefusalReason; status: number; body?: unknown; issue: string };

/**
 * Checks a signed activity against the shapes above. The HTTP answers follow each protocol:
 * - `adaptiveCard/action`: HTTP 400 carrying the Universal Actions error (`application/vnd.microsoft.error`,
 *   code `BadRequest`), as botbuilder itself answers a missing value, so Teams shows the card's error state.
 * - other invokes the bot handles: 400 without a body (their protocols define no error body).
 * - an invoke of another name: 501, the Bot Framework answer for an invoke a bot does not implement.
 * - an unknown activity type: 200 and nothing else; channels add types over time and the Activity protocol has
 *   receivers ignore the ones they do not know (a 4xx would report a fault that is not there).
 * - any other malformed activity: 400; nothing can be answered in the chat (no conversation or sender to
 *   answer), and a 400 tells the channel the activity itself was wrong rather than the bot.
 */
export function checkInboundActivity(raw: unknown, options: { tenantRequired: boolean }): InboundVerdict {
  const facts = (raw ?? {}) as { type?: unknown; name?: unknown };
  const cardAction = facts.type === 'invoke' && facts.name === 'adaptiveCard/action';
  const refuse = (reason: InboundRefusalReason, issue: string, status = 400): InboundVerdict => ({
    admitted: false,
    reason,
    status,
    issue,
    ...(cardAction && status === 400 ? { body: cardActionBadRequest(reason) } : {}),
  });

  const parsed = envelope.safeParse(raw);
  if (!parsed.success) return refuse('malformedActivity', issueOf(parsed.error));
  const activity = parsed.data;
  if (!KNOWN_TYPES.has(activity.type)) return refuse('unknownActivityType', 'type', 200);
  if (activity.type === 'message' || activity.type === 'invoke') {
    const complete = answerable.safeParse(activity);
    if (!complete.success) return refuse('malformedActivity', issueOf(complete.error));
  }
  if (options.tenantRequired && !tenantOf(activity)) return refuse('tenantMissing', 'tenant');
  if (activity.type !== 'invoke') return { admitted: true };

  const name = activity.name ?? '';
  if (!Object.hasOwn(INVOKE_VALUES, name)) return refuse('unknownInvoke', 'name', 501);
  // Every invoke the bot handles acts for a person: Teams always names them by tenant and Entra object id.
  if (!activity.from.aadObjectId || !tenantOf(activity)) return refuse('unknownUser', 'from.aadObjectId');
  const value = INVOKE_VALUES[name as keyof typeof INVOKE_VALUES].safeParse(activity.value);
  if (!value.success) return refuse('malformedInvokeValue', `value.${issueOf(value.error)}`);
  return { admitted: true };
}

/** The Universal Actions error response for an `adaptiveCard/action` the bot cannot use. */
function cardActionBadRequest(reason: InboundRefusalReason) {
  const message =
    reason === 'unknownUser' ? 'The action does not say who selected it.' : 'The action is not one this bot sent.';
  return { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest', message } };
}

/** Where the first problem is (a path of field names, never a value). */
function issueOf(error: z.ZodError): string {
  const first = error.issues[0];
  const where = first?.path.filter((p) => typeof p === 'string' || typeof p === 'number').join('.') ?? '';
  if (!where) return '(root)';
  // Field names come from the schemas above; anything else (a key the sender chose) is not repeated.
  return /^[\w.]{1,200}$/.test(where) ? where : '(field)';
}

function tenantOf(activity: z.infer<typeof envelope>): string | undefined {
  return activity.conversation.tenantId ?? activity.channelData?.tenant?.id;
}

/**
 * What a raw (possibly malformed) activity says about itself, for the one log line and the audit record of a
 * refusal: only short, printable, token-free strings survive — never text, values or card data.
 */
export function claimedFacts(raw: unknown): {
  activityId: string | undefined;
  type: string | undefined;
  invokeName: string | undefined;
  verb: string | undefined;
  tenantId: string | undefined;
  fromId: string | undefined;
  fromAadObjectId: string | undefined;
} {
  const activity = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const field = (value: unknown, key: string): unknown =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  const value = activity.value;
  return {
    activityId: safeId(activity.id),
    type: safeId(activity.type),
    invokeName: safeId(activity.name),
    verb: safeId(field(field(value, 'action'), 'verb')),
    tenantId:
      safeId(field(activity.conversation, 'tenantId')) ?? safeId(field(field(activity.channelData, 'tenant'), 'id')),
    fromId: safeId(field(activity.from, 'id')),
    fromAadObjectId: safeId(field(activity.from, 'aadObjectId')),
  };
}

/** A value fit for a log field or an audit record: a short printable string that is not shaped like a token. */
function safeId(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) return undefined;
  if (!/^[\x21-\x7e]+$/.test(value) || containsJwt(value)) return undefined;
  return value;
}
