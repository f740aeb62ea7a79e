import { canRequest, DEFAULT_APPROVAL_POLICY } from '../approvals/approvalPolicy';
import type { ApprovalRequest } from '../approvals/approvalTypes';
import { containsJwt } from '../audit/containsJwt';
import type { IncidentSnapshot } from '../approvals/approvalTypes';
import { INCIDENT_RESOLUTION } from '../approvals/approvalTypes';
import { resolutionLabel, toApprovalCard, riskNoteText } from '../cards/approvalCards';
import { toChoiceCard } from '../cards/choiceCard';
import type { CommandContext, Reply } from '../commands/commandContext';
import { cardReply } from '../commands/commandContext';
import type { CommandEnvironment } from '../commands/commandEnvironment';
import { actorOf, postApprovalCards, refusalText } from '../commands/responseActions';
import { AppError } from '../errors';
import {
  addIncidentCommentConfirmed,
  MAX_INCIDENT_COMMENT_LENGTH,
  updateIncidentConfirmed,
} from '../graph/graphSecurityClient';
import type { GraphComment, Incident } from '../graph/graphSchemas';
import { isLegalDetermination } from '../graph/graphSchemas';
import { resolutionApprovalReason } from './resolutionPolicy';
import { showIncident } from './showIncident';
import { recordIncidentChange, withAudit } from './triageIncident';

/** What a person asks for when resolving an incident (from the card's form or the chat command). */
export interface ResolutionRequest {
  incidentId: string;
  classification: string;
  determination: string;
  comment?: string | undefined;
  /** The incident's `lastUpdateDateTime` the person saw on the card (absent from a typed command). */
  seen?: string | undefined;
}

/**
 * Resolves an incident with the person's own Graph token, or, where INCIDENT_RESOLVE_APPROVAL asks for a second
 * person (src/incidents/resolutionPolicy.ts), files an approval request instead (executed later with the
 * approver's token, src/approvals/incidentResolutionExecutor.ts). Nothing is written when the pair is not one Graph
 * accepts (refused and audited), the comment is over Graph's limit, the incident is resolved already, or it changed
 * since the person saw it on the card: each answered with words and, where it helps, the incident as it is now.
 */
export async function resolveIncident(
  ctx: CommandContext,
  env: CommandEnvironment,
  request: ResolutionRequest,
): Promise<Reply> {
  const actions = env.responseActions;
  const actor = actorOf(ctx);
  const { incidentId, classification, determination } = request;
  if (!isLegalDetermination(classification, determination)) {
    await actions?.service.auditRefusal('', actor, 'illegalDetermination', `incident.resolve ${incidentId}`);
    return text(refusalText('illegalDetermination', ctx.i18n));
  }
  const comment = request.comment?.trim() ?? '';
  if (containsJwt(comment)) {
    // Never stored in a request, written to the audit trail or posted on the incident for everyone to read.
    await actions?.service.auditRefusal('', actor, 'tokenInText', `incident.resolve ${incidentId}`);
    return text(refusalText('tokenInText', ctx.i18n));
  }
  if (comment.length > MAX_INCIDENT_COMMENT_LENGTH) {
    return text(
      ctx.i18n.t('incidents.resolveCommentTooLong', { length: comment.length, max: MAX_INCIDENT_COMMENT_LENGTH }),
    );
  }

  const incident = await ctx.graph.getIncident(ctx.graphAuth, incidentId);
  if (incident.status.toLowerCase() === 'resolved') {
    const label =
      incident.classification && incident.determination
        ? resolutionLabel(incident.classification, incident.determination)
        : '';
    return showIncident(ctx, incidentId, {
      notice: {
        text: ctx.i18n.t('incidents.alreadyResolved', { id: incidentId, hasLabel: label ? 'yes' : 'no', label }),
        color: 'warning',
      },
    });
  }
  // Written so that an unreadable date counts as a change (fail closed).
  if (request.seen !== undefined && !(Date.parse(incident.lastUpdateDateTime) <= Date.parse(request.seen))) {
    // Someone changed it since the card was rendered (status, owner, classification, a comment…): the person
    // decides again on what it is now rather than overwrite what they did not see.
    return showIncident(ctx, incidentId, {
      notice: {
        text: ctx.i18n.t('incidents.changedSinceOpened', { id: incidentId }),
        color: 'warning',
      },
    });
  }

  const policy = actions?.service.policy ?? DEFAULT_APPROVAL_POLICY;
  const approvalReason = resolutionApprovalReason(policy.incidentResolveApproval, incident, classification);
  if (approvalReason === undefined) {
    return resolveNow(ctx, env, incidentId, {
      classification,
      determination,
      comment,
      commentsBefore: incident.comments,
    });
  }

  // Four eyes: fail closed where the deployment has no approval machinery.
  if (!actions) throw new AppError('internal', 'approvals are not configured');
  // Asking others to resolve it takes the roles that may ask for response actions: a read-only viewer may not
  // send approvers requests (they still resolve what the policy leaves to Defender's own permissions).
  if (!canRequest(policy, actor.roles)) {
    await actions.service.auditRefusal('', actor, 'missingRole', `incident.resolve ${incidentId}`);
    return text(
      ctx.i18n.t('incidents.resolveRoleNeeded', {
        reason: riskNoteText(approvalReason, ctx.i18n),
        roles: policy.requesterRoles.join(', '),
      }),
    );
  }
  const open = (await actions.service.openRequests()).find(
    (r) =>
      r.kind === INCIDENT_RESOLUTION &&
      r.tenantId.toLowerCase() === actor.tenantId.toLowerCase() &&
      r.incident.id === incidentId,
  );
  if (open) return alreadyAsked(ctx, open, incidentId);
  const filed = await actions.service.createIncidentRequest({
    tenantId: actor.tenantId,
    incident: snapshotOf(incident),
    parameters: { classification, determination, comment },
    requester: actor.person,
    riskNote: approvalReason,
    customerName: actor.customerName,
  });
  if ('existing' in filed) return alreadyAsked(ctx, filed.existing, incidentId);
  const created = filed.created;
  actions.runInBackground(`post ${created.id}`, () => postApprovalCards(actions, created, env.conversation, ctx.now));
  return cardReply(
    toApprovalCard(created, 'requester', ctx.now, ctx.i18n),
    ctx.i18n.t('incidents.resolveRequestSummary', { id: created.id }),
  );
}

/**
 * "resolve incident 2301 as true positive phishing": typed words never change an incident by themselves. The answer
 * is a confirmation card (the incident as the person's token shows it now, the resolution in words) whose button runs
 * `incident.resolve` for whoever clicks it, with that person's own token. Why: in a group chat or channel a typed
 * command is answered per viewer ("Show me"), so writing at once would resolve the incident as whoever opened the
 * answer first; and a typo in an incident number should cost a click, not a wrong resolution.
 */
export async function confirmResolution(
  ctx: CommandContext,
  env: CommandEnvironment,
  request: ResolutionRequest,
): Promise<Reply> {
  const { incidentId, classification, determination } = request;
  if (!isLegalDetermination(classification, determination)) {
    await env.responseActions?.service.auditRefusal(
      '',
      actorOf(ctx),
      'illegalDetermination',
      `incident.resolve ${incidentId}`,
    );
    return text(refusalText('illegalDetermination', ctx.i18n));
  }
  const incident = await ctx.graph.getIncident(ctx.graphAuth, incidentId);
  const as = resolutionLabel(classification, determination);
  const comment = request.comment?.trim() ?? '';
  return cardReply(
    toChoiceCard(
      {
        heading: ctx.i18n.t('incidents.confirm.heading', { id: incident.id }),
        subject: incident.displayName,
        text: ctx.i18n.t('incidents.confirm.text', {
          label: as,
          hasComment: comment ? 'yes' : 'no',
          severity: incident.severity,
          status: incident.status,
        }),
        choices: [
          {
            label: ctx.i18n.t('incidents.confirm.resolve'),
            detail: ctx.i18n.t('incidents.confirm.as', { label: as }),
            verb: 'incident.resolve',
            data: {
              incidentId: incident.id,
              seen: incident.lastUpdateDateTime,
              resolution: `${classification}/${determination}`,
              ...(comment ? { comment } : {}),
            },
          },
          {
            label: ctx.i18n.t('incidents.confirm.cancel'),
            detail: ctx.i18n.t('incidents.confirm.nothingChanged'),
            verb: 'incident.open',
            data: { incidentId: incident.id },
          },
        ],
      },
      ctx.i18n,
    ),
    ctx.i18n.t('incidents.confirm.heading', { id: incident.id }),
  );
}

/** No rule asks for an approver: the person's own token resolves it (Defender XDR's RBAC decides). */
async function resolveNow(
  ctx: CommandContext,
  env: CommandEnvironment,
  incidentId: string,
  resolution: { classification: string; determination: string; comment: string; commentsBefore: GraphComment[] },
): Promise<Reply> {
  await updateIncidentConfirmed(ctx.graph, ctx.graphAuth, incidentId, {
    status: 'resolved',
    classification: resolution.classification,
    determination: resolution.determination,
  });
  const audited = await recordIncidentChange(ctx, { audit: env.audit }, incidentId, {
    change: 'resolved',
    classification: resolution.classification,
    determination: resolution.determination,
    ...(resolution.comment ? { commentLength: resolution.comment.length } : {}),
  });
  const i18n = ctx.i18n;
  let line = i18n.t('incidents.resolvedAs', {
    label: resolutionLabel(resolution.classification, resolution.determination),
  });
  if (resolution.comment) {
    try {
      await addIncidentCommentConfirmed(ctx.graph, ctx.graphAuth, incidentId, resolution.comment, {
        before: resolution.commentsBefore,
      });
    } catch {
      // The resolution stands; the comment is the person's to add again (never re-sent blindly).
      line += i18n.t('incidents.commentNotAdded');
      return showIncident(ctx, incidentId, { notice: withAudit({ text: line, color: 'warning' }, audited, i18n) });
    }
  }
  return showIncident(ctx, incidentId, { notice: withAudit({ text: line, color: 'good' }, audited, i18n) });
}

function snapshotOf(incident: Incident): IncidentSnapshot {
  return {
    id: incident.id,
    title: incident.displayName,
    severity: incident.severity,
    status: incident.status,
    classification: incident.classification,
    determination: incident.determination,
    assignedTo: incident.assignedTo,
    lastUpdateDateTime: incident.lastUpdateDateTime,
  };
}

function alreadyAsked(ctx: CommandContext, open: ApprovalRequest, incidentId: string): Reply {
  return text(ctx.i18n.t('incidents.alreadyAsked', { id: open.id, incident: incidentId, state: open.state }));
}

function text(value: string): Reply {
  return { kind: 'text', text: value };
}
