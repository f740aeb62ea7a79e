import type { AuditSink } from '../approvals/auditSink';
import { containsJwt } from '../audit/containsJwt';
import type {
  IncidentAssignData,
  IncidentClassifyData,
  IncidentCommentData,
  IncidentStatusData,
} from '../cards/payloads';
import type { IncidentCardNotice } from '../cards/incidentCard';
import { toClassificationPair } from '../cards/incidentCard';
import { classificationLabel, determinationLabel, incidentStatusLabel } from '../cards/labels';
import type { CommandContext, Reply } from '../commands/commandContext';
import { isAppError } from '../errors';
import { DEFAULT_LOCALE } from '../i18n/locale';
import type { Translator } from '../i18n/translator';
import { translatorFor } from '../i18n/translator';
import type { IncidentUpdate } from '../graph/graphSecurityClient';
import {
  addIncidentCommentConfirmed,
  MAX_INCIDENT_COMMENT_LENGTH,
  updateIncidentConfirmed,
} from '../graph/graphSecurityClient';
import type { Incident } from '../graph/graphSchemas';
import { isLegalDetermination } from '../graph/graphSchemas';
import { incidentNotVisible, incidentReply } from './showIncident';

/** What triage needs besides the clicker's context: the audit trail and whose card view refreshes itself. */
export interface TriageEnvironment {
  audit: AuditSink | undefined;
  refreshUserIds: readonly string[];
}

/** A user principal name as a person types it: `name@domain.tld`, no spaces. */
const UPN = /^[A-Za-z0-9._%+'-]{1,113}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$/;
/** Characters of a comment kept in the audit trail (its length is always recorded). */
const AUDITED_COMMENT_CHARACTERS = 200;

/** One field a triage verb changes: how it reads on an incident, and how it is named and shown to people. */
interface TriageField {
  /** Which field, for the messages that name it. */
  field: 'owner' | 'status' | 'classification';
  /** The audit's name of the change. */
  change: 'assign' | 'status' | 'classify';
  read(incident: Incident): string;
  show(value: string, i18n: Translator): string;
}

const OWNER: TriageField = {
  change: 'assign',
  field: 'owner',
  read: (incident) => incident.assignedTo ?? '',
  show: (value, i18n) => value || i18n.t('incidents.nobody'),
};
const STATUS: TriageField = {
  change: 'status',
  field: 'status',
  read: (incident) => incident.status,
  show: (value) => incidentStatusLabel(value).text,
};
const CLASSIFICATION: TriageField = {
  change: 'classify',
  field: 'classification',
  read: (incident) => toClassificationPair(incident.classification, incident.determination),
  show: (value) => {
    const [classification, determination] = value.split('/');
    return `${classificationLabel(classification).text}, ${determinationLabel(determination).text}`;
  },
};

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
const text = (value: string): Reply => ({ kind: 'text', text: value });

/** "Assign to me" or "Assign" to a typed UPN, as the clicker (Defender's RBAC decides). */
export function assignIncident(ctx: CommandContext, env: TriageEnvironment, data: IncidentAssignData): Promise<Reply> {
  const typed = data.assignee?.trim() ?? '';
  if (data.to === 'typed' && typed === '') return Promise.resolve(text(ctx.i18n.t('incidents.assignTypeUpn')));
  if (data.to === 'typed' && !UPN.test(typed)) return Promise.resolve(text(ctx.i18n.t('incidents.notAUpn')));
  const assignee = data.to === 'me' ? ctx.user.userPrincipalName : typed;
  return changeField(ctx, env, data, OWNER, assignee, { assignedTo: assignee });
}

/** "Mark in progress" / "Mark active" / "Reopen". */
export function setIncidentStatus(
  ctx: CommandContext,
  env: TriageEnvironment,
  data: IncidentStatusData,
): Promise<Reply> {
  return changeField(ctx, env, data, STATUS, data.status, { status: data.status });
}

/** "Save classification": one of the documented classification/determination pairs, refused before any call otherwise. */
export async function classifyIncident(
  ctx: CommandContext,
  env: TriageEnvironment,
  data: IncidentClassifyData,
): Promise<Reply> {
  const [classification, determination, ...rest] = (data.classification ?? '').split('/');
  if (!data.classification) return text(ctx.i18n.t('incidents.chooseClassification'));
  if (!classification || !determination || rest.length > 0 || !isLegalDetermination(classification, determination)) {
    // The card offers only legal pairs: another one is a forged or stale card, refused and recorded.
    await env.audit?.append({
      type: 'approval.refused',
      tenantId: ctx.tenant.id,
      actor: { aadObjectId: ctx.user.aadObjectId, userPrincipalName: ctx.user.userPrincipalName },
      detail: {
        reason: 'illegalDetermination',
        verb: `incident.classify ${data.incidentId}`,
        incidentId: data.incidentId,
      },
    });
    return text(ctx.i18n.t('incidents.illegalClassification'));
  }
  const pair = toClassificationPair(classification, determination);
  return changeField(ctx, env, data, CLASSIFICATION, pair, { classification, determination });
}

/**
 * "Add comment": refused with the reason and nothing sent when empty or over Graph's limit; otherwise posted once
 * (an ambiguous answer is reconciled by reading, never by posting again).
 */
export async function commentOnIncident(
  ctx: CommandContext,
  env: TriageEnvironment,
  data: IncidentCommentData,
): Promise<Reply> {
  const comment = data.commentText ?? '';
  if (comment.trim() === '') return text(ctx.i18n.t('incidents.typeComment'));
  if (comment.length > MAX_INCIDENT_COMMENT_LENGTH) {
    return text(ctx.i18n.t('incidents.commentTooLong', { length: comment.length, max: MAX_INCIDENT_COMMENT_LENGTH }));
  }
  return whileVisible(ctx, data.incidentId, async () => {
    await addIncidentCommentConfirmed(ctx.graph, ctx.graphAuth, data.incidentId, comment);
    const audited = await recordIncidentChange(ctx, env, data.incidentId, {
      change: 'comment',
      length: comment.length,
      // A comment is the person's own words; a token pasted into it stays out of the trail.
      comment: containsJwt(comment) ? '(withheld: looks like a token)' : comment.slice(0, AUDITED_COMMENT_CHARACTERS),
    });
    // Read again: the card then shows the comment and the incident's new lastUpdateDateTime.
    const fresh = await ctx.graph.getIncident(ctx.graphAuth, data.incidentId);
    return incidentReply(ctx, fresh, {
      refreshUserIds: env.refreshUserIds,
      notice: withAudit({ text: ctx.i18n.t('incidents.commentAdded'), color: 'good' }, audited, ctx.i18n),
    });
  });
}

/**
 * The rule of every triage write: read the incident first; when the field differs from what the card showed,
 * someone changed it meanwhile and nothing is written (no lost update); when it already has the wanted value,
 * nothing needs writing. Otherwise one confirmed write, the audit record, and the card as it now is.
 */
async function changeField(
  ctx: CommandContext,
  env: TriageEnvironment,
  data: { incidentId: string; seen: string; shown: string },
  field: TriageField,
  wanted: string,
  update: IncidentUpdate,
): Promise<Reply> {
  const i18n = ctx.i18n;
  return whileVisible(ctx, data.incidentId, async () => {
    const fresh = await ctx.graph.getIncident(ctx.graphAuth, data.incidentId);
    const current = field.read(fresh);
    const options = { refreshUserIds: env.refreshUserIds };
    if (same(current, wanted)) {
      return incidentReply(ctx, fresh, {
        ...options,
        notice: {
          text: i18n.t('incidents.fieldAlready', { field: field.field, value: field.show(wanted, i18n) }),
          color: 'default',
        },
      });
    }
    if (fresh.lastUpdateDateTime !== data.seen && !same(current, data.shown)) {
      return incidentReply(ctx, fresh, {
        ...options,
        notice: {
          text: i18n.t('incidents.fieldChangedMeanwhile', {
            field: field.field,
            current: field.show(current, i18n),
            shown: field.show(data.shown, i18n),
          }),
          color: 'warning',
        },
      });
    }
    const updated = await updateIncidentConfirmed(ctx.graph, ctx.graphAuth, data.incidentId, update);
    const audited = await recordIncidentChange(ctx, env, data.incidentId, {
      change: field.change,
      from: current,
      to: wanted,
    });
    // A PATCH answers without alerts; the ones read a moment ago complete the card without another call.
    const incident: Incident = { ...fresh, ...updated, alerts: updated.alerts ?? fresh.alerts };
    return incidentReply(ctx, incident, {
      ...options,
      notice: withAudit(
        { text: i18n.t('incidents.fieldNow', { field: field.field, value: field.show(wanted, i18n) }), color: 'good' },
        audited,
        i18n,
      ),
    });
  });
}

/** Runs `work`; an incident Graph does not show the clicker (gone, or outside their scope) gets the usual answer. */
async function whileVisible(ctx: CommandContext, incidentId: string, work: () => Promise<Reply>): Promise<Reply> {
  try {
    return await work();
  } catch (err) {
    if (isAppError(err, 'notFound')) return incidentNotVisible(incidentId, ctx.i18n);
    throw err;
  }
}

/**
 * Records a change made in Defender. The change has already happened (Graph keeps its own history too), so a trail
 * that cannot write does not undo it or hide it: the card says the record is missing. Returns whether it was kept.
 */
export async function recordIncidentChange(
  ctx: CommandContext,
  env: Pick<TriageEnvironment, 'audit'>,
  incidentId: string,
  detail: Record<string, string | number>,
): Promise<boolean> {
  if (!env.audit) return true;
  try {
    await env.audit.append({
      type: 'incident.changed',
      tenantId: ctx.tenant.id,
      actor: { aadObjectId: ctx.user.aadObjectId, userPrincipalName: ctx.user.userPrincipalName },
      detail: { incidentId, ...detail },
    });
    return true;
  } catch {
    return false;
  }
}

/** The card's notice, saying so when the audit trail could not record the change. */
export function withAudit(
  notice: IncidentCardNotice,
  audited: boolean,
  i18n: Translator = translatorFor(DEFAULT_LOCALE),
): IncidentCardNotice {
  return audited ? notice : { text: i18n.t('incidents.auditFailed', { notice: notice.text }), color: 'warning' };
}
