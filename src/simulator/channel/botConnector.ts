import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../logging/logger';
import { sendJson } from '../simHttp';
import type { BotTokenIssuer, EntraKeySource } from './botTokenVerifier';
import { createBotTokenVerifier } from './botTokenVerifier';
import type { ConnectorError } from './connectorError';
import { connectorErrors } from './connectorError';
import { ConnectorFaults } from './connectorFaults';
import type { ConnectorOperation, InjectedFault } from './connectorFaults';
import type { ConnectorLimits } from './connectorLimits';
import { parseConnectorRoute } from './connectorRoute';
import type { ConnectorRoute } from './connectorRoute';
import { channelAccountSchema, connectorActivitySchema, conversationParametersSchema } from './connectorSchemas';
import type { ChannelAccount, ConnectorActivity, ConversationParameters } from './connectorSchemas';
import { SentActivityLog } from './sentActivityLog';
import type { SentActivity } from './sentActivityLog';
import { SlidingWindowLog } from './slidingWindowLog';
import type { RateWindow } from './slidingWindowLog';

/** A request the connector refused after authentication (fault, state, throttling, validation). */
export interface RejectedRequest {
  operation: ConnectorOperation;
  conversationId: string | undefined;
  status: number;
  code: string;
  at: Date;
}

/** A conversation the bot created (`POST /v3/conversations`), with the parameters it sent. */
export interface CreatedConversation {
  conversationId: string;
  activityId: string | undefined;
  parameters: ConversationParameters;
  at: Date;
}

/** Which log a rate observation is about. */
export type RateScope = 'conversation' | 'create' | 'global';

/** A window in which more requests were accepted than a set of limits allows. */
export interface RateViolation {
  scope: RateScope;
  /** The conversation id (or, for `global`, `global`). */
  key: string;
  windowMs: number;
  max: number;
  observed: number;
}

/** Dependencies and settings of the connector. */
export interface BotConnectorOptions {
  botAppId: string;
  entraKeys: EntraKeySource;
  acceptedBotTokenAudience: string;
  limits: ConnectorLimits;
  now: () => Date;
  logger: Logger | undefined;
}

const UNAUTHORIZED_BODY = { message: 'Authorization has been denied for this request.' };
const GLOBAL_KEY = 'global';
/** Message writes share one per-conversation budget; delete and member reads only count globally. */
const THROTTLED_WRITES: ReadonlySet<ConnectorOperation> = new Set(['send', 'reply', 'update']);

/**
 * The Bot Connector REST routes botbuilder's ConnectorClient uses (create conversation, send, reply, update,
 * delete, members), behind a check of the bot's Entra token. Each accepted write is recorded; Teams' throttling
 * and the documented failures are enforced in this order: token (401), conversation state (404/403), body (400),
 * injected faults, rate limits (429), then acceptance. Only accepted requests count towards rate windows.
 */
export class BotConnector {
  readonly log = new SentActivityLog();
  readonly faults = new ConnectorFaults();
  private readonly rates = new SlidingWindowLog();
  private readonly verifyToken: ReturnType<typeof createBotTokenVerifier>;
  private readonly activities = new Map<string, Map<string, ConnectorActivity>>();
  private readonly members = new Map<string, ChannelAccount[]>();
  private readonly botRemoved = new Set<string>();
  private readonly gone = new Set<string>();
  private rejections: RejectedRequest[] = [];
  private readonly issuers = new Map<string, BotTokenIssuer>();
  private conversations: CreatedConversation[] = [];
  private lastActivityId = 0;

  constructor(private readonly options: BotConnectorOptions) {
    this.verifyToken = createBotTokenVerifier({
      keys: options.entraKeys,
      botAppId: options.botAppId,
      audience: options.acceptedBotTokenAudience,
      now: options.now,
    });
  }

  /** Answers connector paths (resolves true); resolves false for anything else. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<boolean> {
    const route = parseConnectorRoute(req.method ?? 'GET', url.pathname);
    if (route === undefined) return false;
    if (route.kind === 'methodNotAllowed') {
      sendJson(
        res,
        405,
        { error: { code: 'MethodNotAllowed', message: 'Method not allowed.' } },
        { allow: route.allow },
      );
      return true;
    }
    if (route.kind === 'unknown') {
      this.sendError(res, connectorErrors.notFound());
      return true;
    }
    const check = await this.verifyToken(req.headers.authorization);
    if (!check.ok) {
      this.options.logger?.info(
        { operation: route.operation, status: 401, reason: check.reason },
        'channel emulator refused a connector request',
      );
      sendJson(res, 401, UNAUTHORIZED_BODY, { 'www-authenticate': 'Bearer' });
      return true;
    }
    this.issuers.set(`${check.issuer}|${check.tenantId}`, { issuer: check.issuer, tenantId: check.tenantId });
    this.answer(res, route, body);
    return true;
  }

  /** Marks a conversation as one the bot was removed from: every request answers 403 BotNotInConversationRoster. */
  markBotRemoved(conversationId: string): void {
    this.botRemoved.add(conversationId);
  }

  /** Marks a conversation as deleted: every request answers 404 ConversationNotFound. */
  markConversationGone(conversationId: string): void {
    this.gone.add(conversationId);
  }

  /** Undoes `markBotRemoved` / `markConversationGone`. */
  restoreConversation(conversationId: string): void {
    this.botRemoved.delete(conversationId);
    this.gone.delete(conversationId);
  }

  /** The roster `GET …/members` answers with. */
  setMembers(conversationId: string, members: ChannelAccount[]): void {
    this.members.set(
      conversationId,
      members.map((member) => channelAccountSchema.parse(member)),
    );
  }

  /** The distinct issuers (`iss`, `tid`) of the bot tokens the connector accepted, first seen first. */
  tokenIssuers(): BotTokenIssuer[] {
    return [...this.issuers.values()].map((issuer) => ({ ...issuer }));
  }

  rejected(): RejectedRequest[] {
    return this.rejections.map((rejection) => ({ ...rejection, at: new Date(rejection.at) }));
  }

  createdConversations(): CreatedConversation[] {
    return this.conversations.map((created) => ({ ...created, parameters: structuredClone(created.parameters) }));
  }

  /** Accepted message writes (send, reply, update) to one conversation, as epoch milliseconds. */
  acceptedTimestamps(conversationId: string, scope: RateScope = 'conversation'): number[] {
    return this.rates.timestamps(rateKey(scope, conversationId));
  }

  /** Keys of one rate log: conversation ids, or `global`. */
  rateKeys(scope: RateScope): string[] {
    const prefix = `${scope}:`;
    return this.rates
      .keys()
      .filter((key) => key.startsWith(prefix))
      .map((key) => key.slice(prefix.length));
  }

  /** Forgets records, rate history, faults, conversation states and rosters. */
  reset(): void {
    this.log.clear();
    this.faults.clear();
    this.rates.clear();
    this.activities.clear();
    this.members.clear();
    this.botRemoved.clear();
    this.gone.clear();
    this.rejections = [];
    this.issuers.clear();
    this.conversations = [];
  }

  private answer(res: ServerResponse, route: Extract<ConnectorRoute, { kind: 'operation' }>, body: string): void {
    switch (route.operation) {
      case 'create':
        return this.createConversation(res, body);
      case 'send':
        return this.write(res, 'send', route.conversationId, undefined, body);
      case 'reply':
      case 'update':
        return this.write(res, route.operation, route.conversationId, route.activityId, body);
      case 'delete':
        return this.deleteActivity(res, route.conversationId, route.activityId);
      case 'members':
        return this.readMembers(res, route.conversationId, route.memberId, route.paged === true);
    }
  }

  /** Send, reply or update one activity. */
  private write(
    res: ServerResponse,
    operation: 'send' | 'reply' | 'update',
    conversationId: string,
    pathActivityId: string | undefined,
    body: string,
  ): void {
    const refuse = (error: ConnectorError) => this.refuse(res, operation, conversationId, error);
    const stateError = this.conversationStateError(conversationId);
    if (stateError) return refuse(stateError);
    const parsed = parseJson(body, connectorActivitySchema);
    if (!parsed.ok) return refuse(parsed.error);
    const stored = this.activities.get(conversationId);
    if (operation === 'update' && (pathActivityId === undefined || !stored?.has(pathActivityId))) {
      return refuse(connectorErrors.activityNotFound());
    }
    const admission = this.admit(operation, conversationId);
    if (admission) return refuse(admission);

    const activityId = operation === 'update' && pathActivityId !== undefined ? pathActivityId : this.nextActivityId();
    const replyToId = operation === 'reply' ? pathActivityId : parsed.value.replyToId;
    const activity: ConnectorActivity = { ...parsed.value, id: activityId };
    this.store(conversationId, activityId, activity);
    this.record({ conversationId, activityId, kind: operation, activity, replyToId });
    sendJson(res, operation === 'update' ? 200 : 201, { id: activityId });
    this.logAccepted(operation, conversationId);
  }

  private deleteActivity(res: ServerResponse, conversationId: string, activityId: string): void {
    const refuse = (error: ConnectorError) => this.refuse(res, 'delete', conversationId, error);
    const stateError = this.conversationStateError(conversationId);
    if (stateError) return refuse(stateError);
    const stored = this.activities.get(conversationId);
    const existing = stored?.get(activityId);
    if (!stored || !existing) return refuse(connectorErrors.activityNotFound());
    const admission = this.admit('delete', conversationId);
    if (admission) return refuse(admission);
    stored.delete(activityId);
    this.record({ conversationId, activityId, kind: 'delete', activity: existing, replyToId: undefined });
    res.writeHead(200, { 'content-length': 0 });
    res.end();
    this.logAccepted('delete', conversationId);
  }

  /**
   * `POST /v3/conversations`. A 1:1 chat with a member gets a stable id (Teams returns the existing chat); a
   * channel post (`channelData.channel.id`) starts a thread `<channel>;messageid=<activity id>`.
   */
  private createConversation(res: ServerResponse, body: string): void {
    const parsed = parseJson(body, conversationParametersSchema);
    if (!parsed.ok) return this.refuse(res, 'create', undefined, parsed.error);
    const parameters = parsed.value;
    const channelId = parameters.channelData?.channel?.id;
    const member = parameters.members?.[0];
    if (channelId === undefined && member === undefined) {
      return this.refuse(res, 'create', undefined, connectorErrors.badArgument('Conversation members are required.'));
    }
    if (channelId !== undefined && parameters.activity === undefined) {
      return this.refuse(res, 'create', channelId, connectorErrors.badArgument('A channel thread needs an activity.'));
    }
    // The "thread" Teams throttles: the channel for a new thread, the 1:1 chat otherwise.
    const threadId = channelId ?? oneOnOneConversationId(this.options.botAppId, member?.id ?? '', tenantOf(parameters));
    const stateError = this.conversationStateError(threadId);
    if (stateError) return this.refuse(res, 'create', threadId, stateError);
    const admission = this.admit('create', threadId);
    if (admission) return this.refuse(res, 'create', threadId, admission);

    const activityId = parameters.activity ? this.nextActivityId() : undefined;
    const conversationId = channelId !== undefined ? `${channelId};messageid=${activityId ?? ''}` : threadId;
    if (parameters.members && !this.members.has(conversationId)) this.members.set(conversationId, parameters.members);
    this.conversations.push({
      conversationId,
      activityId,
      parameters: structuredClone(parameters),
      at: this.options.now(),
    });
    if (parameters.activity && activityId !== undefined) {
      const activity: ConnectorActivity = { ...parameters.activity, id: activityId };
      this.store(conversationId, activityId, activity);
      this.record({ conversationId, activityId, kind: 'send', activity, replyToId: undefined });
    }
    sendJson(res, 201, { id: conversationId, ...(activityId !== undefined ? { activityId } : {}) });
    this.logAccepted('create', conversationId);
  }

  private readMembers(res: ServerResponse, conversationId: string, memberId: string | undefined, paged: boolean): void {
    const refuse = (error: ConnectorError) => this.refuse(res, 'members', conversationId, error);
    const stateError = this.conversationStateError(conversationId);
    if (stateError) return refuse(stateError);
    const admission = this.admit('members', conversationId);
    if (admission) return refuse(admission);
    const roster = this.members.get(conversationId) ?? [];
    if (memberId !== undefined) {
      const member = roster.find((candidate) => candidate.id === memberId || candidate.aadObjectId === memberId);
      if (!member) return refuse(connectorErrors.memberNotFound());
      sendJson(res, 200, member);
    } else {
      sendJson(res, 200, paged ? { members: roster } : roster);
    }
    this.logAccepted('members', conversationId);
  }

  private conversationStateError(conversationId: string): ConnectorError | undefined {
    if (this.gone.has(conversationId)) return connectorErrors.conversationNotFound();
    if (this.botRemoved.has(conversationId)) return connectorErrors.botNotInConversationRoster();
    return undefined;
  }

  /** Injected fault, then throttling; on success the request is counted in every window it belongs to. */
  private admit(operation: ConnectorOperation, conversationId: string): ConnectorError | undefined {
    const fault = this.faults.take(operation, conversationId);
    if (fault) return faultError(fault);
    const nowMs = this.options.now().getTime();
    const { limits } = this.options;
    const checks: Array<{ key: string; windows: RateWindow[] }> = [{ key: GLOBAL_KEY, windows: limits.global }];
    if (THROTTLED_WRITES.has(operation)) {
      checks.push({ key: rateKey('conversation', conversationId), windows: limits.perConversation });
    }
    if (operation === 'create') {
      checks.push({ key: rateKey('create', conversationId), windows: limits.createConversation });
    }
    const waitMs = Math.max(...checks.map((check) => this.rates.waitMs(check.key, check.windows, nowMs)));
    if (waitMs > 0) return connectorErrors.throttled(Math.max(1, Math.ceil(waitMs / 1000)));
    for (const check of checks) this.rates.record(check.key, nowMs);
    return undefined;
  }

  private refuse(
    res: ServerResponse,
    operation: ConnectorOperation,
    conversationId: string | undefined,
    error: ConnectorError,
  ): void {
    this.rejections.push({ operation, conversationId, status: error.status, code: error.code, at: this.options.now() });
    this.options.logger?.info(
      { operation, conversationId, status: error.status, code: error.code },
      'channel emulator refused a connector request',
    );
    this.sendError(res, error);
  }

  private sendError(res: ServerResponse, error: ConnectorError): void {
    sendJson(res, error.status, { error: { code: error.code, message: error.message } }, error.headers ?? {});
  }

  private store(conversationId: string, activityId: string, activity: ConnectorActivity): void {
    const stored = this.activities.get(conversationId) ?? new Map<string, ConnectorActivity>();
    stored.set(activityId, activity);
    this.activities.set(conversationId, stored);
  }

  private record(entry: Omit<SentActivity, 'at' | 'replyToId'> & { replyToId: string | undefined }): void {
    const { replyToId, ...rest } = entry;
    this.log.add({ ...rest, ...(replyToId !== undefined ? { replyToId } : {}), at: this.options.now() });
  }

  private logAccepted(operation: ConnectorOperation, conversationId: string): void {
    // Operation and conversation only: never the token or the activity (it carries user text).
    this.options.logger?.debug({ operation, conversationId }, 'channel emulator accepted a connector request');
  }

  /** Teams message ids are epoch milliseconds; strictly increasing here so two sends never share one. */
  private nextActivityId(): string {
    this.lastActivityId = Math.max(this.options.now().getTime(), this.lastActivityId + 1);
    return String(this.lastActivityId);
  }
}

/** The rate-log key for a scope and conversation. */
function rateKey(scope: RateScope, conversationId: string): string {
  return scope === 'global' ? `global:${GLOBAL_KEY}` : `${scope}:${conversationId}`;
}

function faultError(fault: InjectedFault): ConnectorError {
  switch (fault.status) {
    case 429:
      return connectorErrors.throttled(fault.retryAfterSeconds);
    case 412:
      return connectorErrors.preconditionFailed();
    case 502:
      return connectorErrors.serviceError();
    case 503:
      return connectorErrors.serviceUnavailable();
    case 504:
      return connectorErrors.gatewayTimeout();
    case 401:
      return connectorErrors.unauthorized();
  }
}

function tenantOf(parameters: ConversationParameters): string {
  return parameters.tenantId ?? parameters.channelData?.tenant?.id ?? '';
}

/** A Teams-like 1:1 id (`a:1…`), the same for the same bot, member and tenant. */
function oneOnOneConversationId(botAppId: string, memberId: string, tenantId: string): string {
  const digest = createHash('sha256').update(`${botAppId}|${memberId}|${tenantId}`.toLowerCase()).digest('base64url');
  return `a:1${digest.slice(0, 40)}`;
}

type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ConnectorError };

/** JSON, then the schema: 400 BadSyntax for unreadable JSON, 400 BadArgument naming the offending fields. */
function parseJson<T>(
  body: string,
  schema: {
    safeParse(
      input: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[] }> } };
  },
): ParseResult<T> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, error: connectorErrors.badSyntax('The request body is not valid JSON.') };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const fields = parsed.error.issues.map((issue) => issue.path.map(String).join('.') || '(body)');
  return { ok: false, error: connectorErrors.badArgument(`Invalid fields: ${[...new Set(fields)].join(', ')}.`) };
}
