import { AppError, isAppError } from '../errors';
import type { ApiAuth, ListResult, RestApiOptions } from '../http/restApi';
import { RestApi, requireDelegated } from '../http/restApi';
import type { FilterExpression } from '../http/odata';
import { toQueryString } from '../http/odata';
import type { GraphAlert, GraphComment, Incident } from './graphSchemas';
import { commentListSchema, graphAlertSchema, incidentSchema } from './graphSchemas';

/**
 * Whose token a Graph call uses: a person's on-behalf-of token for `https://graph.microsoft.com` (Defender XDR's
 * RBAC applies to them) or the bot's application token for background work. Never a Defender for Endpoint token:
 * each resource has its own audience (defender-api.md §1.3).
 */
export type GraphAuth = ApiAuth;

/** The documented PATCH body of an incident; omitted properties keep their values. */
export interface IncidentUpdate {
  status?: 'active' | 'inProgress' | 'resolved';
  /** A UPN; `null` unassigns. */
  assignedTo?: string | null;
  classification?: string;
  determination?: string;
  customTags?: string[];
}

/**
 * Longest comment the bot sends. Graph documents no limit [UNCONFIRMED]; the simulator refuses more than 30,000
 * characters, and the bot checks before sending so a person is told, not Graph's 400.
 */
export const MAX_INCIDENT_COMMENT_LENGTH = 30_000;

/** The Microsoft Graph security operations the bot uses; commands depend on this, tests may fake it. */
export interface GraphSecurityClient {
  /** Incidents matching `filter`, newest change first as Graph returns them, up to `max`; alerts with `expandAlerts`. */
  listIncidents(
    auth: GraphAuth,
    query: { filter?: FilterExpression | undefined; max: number; expandAlerts?: boolean },
  ): Promise<ListResult<Incident>>;
  /** One incident with its alerts (`$expand=alerts`): one call. AppError `notFound` when absent or not visible. */
  getIncident(auth: GraphAuth, incidentId: string): Promise<Incident>;
  /**
   * `PATCH /security/incidents/{id}` as the signed-in person (delegated only). Never retried blindly: an ambiguous
   * outcome raises AppError with `details.uncertain`; `updateIncidentConfirmed` reconciles by reading.
   */
  updateIncident(auth: GraphAuth, incidentId: string, update: IncidentUpdate): Promise<Incident>;
  /** `POST /security/incidents/{id}/comments` (delegated only); resolves with the incident's whole comment list. */
  addIncidentComment(auth: GraphAuth, incidentId: string, comment: string): Promise<GraphComment[]>;
  /** alerts_v2 matching `filter` (any Defender source), up to `max`. */
  listAlerts(
    auth: GraphAuth,
    query: { filter?: FilterExpression | undefined; max: number },
  ): Promise<ListResult<GraphAlert>>;
  /** One alerts_v2 alert; AppError `notFound` otherwise. */
  getAlert(auth: GraphAuth, alertId: string): Promise<GraphAlert>;
}

/** Settings of the HTTP client (from Config.graph). */
export type HttpGraphSecurityClientOptions = Omit<RestApiOptions, 'serviceName' | 'maxPageSize' | 'describeRefusal'>;

/** `$top` the bot asks Graph for at most (Graph's maximum for incidents is not documented [UNCONFIRMED]). */
const MAX_PAGE = 50;

/** Graph incident ids are numbers in a string; anything else is refused before a request is built. */
const INCIDENT_ID = /^\d{1,20}$/;
/** alerts_v2 ids: letters, digits, `_` and `-` (e.g. `da637…_-430248885`). */
const ALERT_ID = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * The Microsoft Graph security API (`/security/incidents`, `/security/alerts_v2`) over the project's own REST
 * caller (src/http/restApi.ts) rather than the Graph SDK: the same quota, retry, paging and write rules as the
 * Defender client, zod-checked answers, and no second HTTP stack or middleware chain to keep in line (README).
 */
export class HttpGraphSecurityClient implements GraphSecurityClient {
  private readonly api: RestApi;

  constructor(options: HttpGraphSecurityClientOptions) {
    this.api = new RestApi({ ...options, serviceName: 'Microsoft Graph', maxPageSize: MAX_PAGE });
  }

  listIncidents(
    auth: GraphAuth,
    query: { filter?: FilterExpression | undefined; max: number; expandAlerts?: boolean },
  ): Promise<ListResult<Incident>> {
    return this.api.list(auth, '/security/incidents', incidentSchema, query.max, {
      filter: query.filter,
      ...(query.expandAlerts ? { expand: 'alerts' as const } : {}),
    });
  }

  async getIncident(auth: GraphAuth, incidentId: string): Promise<Incident> {
    return this.api.get(
      auth,
      `/security/incidents/${checkedIncidentId(incidentId)}${toQueryString({ expand: 'alerts' })}`,
      incidentSchema,
    );
  }

  async updateIncident(auth: GraphAuth, incidentId: string, update: IncidentUpdate): Promise<Incident> {
    requireDelegated(auth, 'incident changes are');
    const path = `${this.api.basePath}/security/incidents/${checkedIncidentId(incidentId)}`;
    const response = await this.api.send(auth, path, { method: 'PATCH', body: update });
    return this.parseAfterWrite(() => this.api.parse(response, incidentSchema));
  }

  async addIncidentComment(auth: GraphAuth, incidentId: string, comment: string): Promise<GraphComment[]> {
    requireDelegated(auth, 'incident comments are');
    if (comment.trim().length === 0) throw new AppError('invalidInput', 'empty comment');
    if (comment.length > MAX_INCIDENT_COMMENT_LENGTH) throw new AppError('invalidInput', 'comment too long');
    const path = `${this.api.basePath}/security/incidents/${checkedIncidentId(incidentId)}/comments`;
    const body = { '@odata.type': 'microsoft.graph.security.alertComment', comment };
    const response = await this.api.send(auth, path, { method: 'POST', body });
    return this.parseAfterWrite(() => this.api.parse(response, commentListSchema).value);
  }

  listAlerts(
    auth: GraphAuth,
    query: { filter?: FilterExpression | undefined; max: number },
  ): Promise<ListResult<GraphAlert>> {
    return this.api.list(auth, '/security/alerts_v2', graphAlertSchema, query.max, { filter: query.filter });
  }

  getAlert(auth: GraphAuth, alertId: string): Promise<GraphAlert> {
    if (!ALERT_ID.test(alertId)) return Promise.reject(new AppError('notFound', 'not an alert id', { status: 404 }));
    return this.api.get(auth, `/security/alerts_v2/${encodeURIComponent(alertId)}`, graphAlertSchema);
  }

  /** Graph accepted the write (2xx) but its answer is unreadable: the change happened, what it became is unknown. */
  private parseAfterWrite<T>(parse: () => T): T {
    try {
      return parse();
    } catch (err) {
      if (isAppError(err)) err.details.uncertain = true;
      throw err;
    }
  }
}

function checkedIncidentId(incidentId: string): string {
  if (!INCIDENT_ID.test(incidentId)) throw new AppError('notFound', 'not an incident id', { status: 404 });
  return incidentId;
}

/**
 * Changes an incident once, as the rule for writes requires (src/http/writeOutcome.ts): when the PATCH's outcome is
 * ambiguous it is not sent again; the incident is read back, and if every changed field shows the new value the
 * change is confirmed. Otherwise the ambiguous error is raised (the person decides whether to try again).
 */
export async function updateIncidentConfirmed(
  graph: GraphSecurityClient,
  auth: GraphAuth,
  incidentId: string,
  update: IncidentUpdate,
): Promise<Incident> {
  try {
    return await graph.updateIncident(auth, incidentId, update);
  } catch (err) {
    if (!isAppError(err) || !err.details.uncertain) throw err;
    const incident = await graph.getIncident(auth, incidentId);
    if (!showsUpdate(incident, update)) throw err;
    return incident;
  }
}

/**
 * Adds a comment once: after an ambiguous answer the comments are read back, and the comment counts as added only
 * when a NEW one with the same text is there — more of them than in `before` (the incident's comments as the caller
 * read them just before), or, without `before`, one created since a minute before the POST left (Graph's clock may
 * differ a little from ours). An older comment with the same words ("Investigating") never confirms it. Never posted
 * twice by the bot.
 */
export async function addIncidentCommentConfirmed(
  graph: GraphSecurityClient,
  auth: GraphAuth,
  incidentId: string,
  comment: string,
  options: { before?: readonly GraphComment[]; now?: () => number } = {},
): Promise<GraphComment[]> {
  const sentAt = (options.now ?? Date.now)();
  try {
    return await graph.addIncidentComment(auth, incidentId, comment);
  } catch (err) {
    if (!isAppError(err) || !err.details.uncertain) throw err;
    const incident = await graph.getIncident(auth, incidentId);
    const same = (c: GraphComment) => c.comment === comment;
    const added =
      options.before !== undefined
        ? incident.comments.filter(same).length > options.before.filter(same).length
        : incident.comments.some(
            (c) => same(c) && Date.parse(c.createdDateTime ?? '') >= sentAt - COMMENT_CLOCK_SKEW_MS,
          );
    if (!added) throw err;
    return incident.comments;
  }
}

/** How far Graph's clock may be behind ours when a comment's creation time is compared with when it was sent. */
const COMMENT_CLOCK_SKEW_MS = 60_000;

/** True when the incident shows every field of `update` (enums compared without case: Graph's docs mix them). */
export function showsUpdate(incident: Incident, update: IncidentUpdate): boolean {
  const same = (a: string | null | undefined, b: string | null | undefined) =>
    (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
  if (update.status !== undefined && !same(incident.status, update.status)) return false;
  if (update.assignedTo !== undefined && !same(incident.assignedTo, update.assignedTo)) return false;
  if (update.classification !== undefined && !same(incident.classification, update.classification)) return false;
  if (update.determination !== undefined && !same(incident.determination, update.determination)) return false;
  if (update.customTags !== undefined) {
    const tags = new Set(incident.customTags);
    if (update.customTags.length !== tags.size || update.customTags.some((t) => !tags.has(t))) return false;
  }
  return true;
}
