import { isAppError } from '../errors';
import type { GraphAuth, GraphSecurityClient } from '../graph/graphSecurityClient';
import {
  addIncidentCommentConfirmed,
  MAX_INCIDENT_COMMENT_LENGTH,
  updateIncidentConfirmed,
} from '../graph/graphSecurityClient';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { ApprovalService } from './approvalService';
import type { Incident } from '../graph/graphSchemas';
import type { ApprovalRequest, IncidentApprovalRequest, IncidentSnapshot } from './approvalTypes';

/** Errors of getting the approver's own token: raised before any request to Graph was sent. */
const TOKEN_FAILURES = [
  'notSignedIn',
  'signInRequired',
  'interactionRequired',
  'consentRequired',
  'userNotInTenant',
  'clientCredentialsInvalid',
  'defenderNotInTenant',
  'noAccessInCustomer',
] as const;

/**
 * The incident comment of an approved resolution: who asked (via Teams), who approved, the approval id and the
 * requester's comment — so the incident in the Defender portal tells the whole story. Bounded by Graph's limit.
 */
export function resolutionComment(request: IncidentApprovalRequest): string {
  const approvers = request.approvals.map((a) => a.person.userPrincipalName).join(', ');
  const { classification, determination, comment } = request.parameters;
  const text = `Resolved via Teams as ${classification}/${determination}: requested by ${request.requester.userPrincipalName}, approved by ${approvers}; approval ${request.id}${comment ? `; comment: ${comment}` : ''}`;
  return text.length > MAX_INCIDENT_COMMENT_LENGTH ? `${text.slice(0, MAX_INCIDENT_COMMENT_LENGTH - 1)}…` : text;
}

/**
 * Resolves an approved incident once, with the approving person's own delegated Graph token (Defender XDR's RBAC
 * decides for them), and records the outcome; final at once (Graph's answer is the outcome, nothing to track).
 * The incident is read again first: resolved meanwhile by someone else, or changed in what the approver judged
 * (status, classification, determination, owner, severity) since the request was made → the request ends and
 * nothing is overwritten. The PATCH is never sent twice: an ambiguous answer is reconciled by reading
 * (updateIncidentConfirmed), and one that stays unconfirmed ends the request as interrupted. A 403 (or 404: the
 * incident is outside what this approver may see) returns the request to pending for another approver.
 */
export async function executeIncidentResolution(
  options: { service: ApprovalService; graph: GraphSecurityClient; logger: Logger },
  request: IncidentApprovalRequest,
  approverAuth: GraphAuth,
): Promise<ApprovalRequest | undefined> {
  const { service, graph } = options;
  const log = options.logger.child({ approvalId: request.id });
  // The execution outlives the click: it may wait for Graph's quota like any work.
  const auth: GraphAuth = { ...approverAuth, maxWaitMs: undefined, onQueued: undefined };
  const incidentId = request.incident.id;
  const failed = (err: unknown) => {
    // The approver's Graph token could not be had (sign-in, consent, step-up): nothing reached Graph.
    if (isAppError(err, ...TOKEN_FAILURES)) {
      log.warn({ code: err.code }, 'no Graph token for the approver: nothing sent');
      return service.markExecutionFailed(request.id, { kind: 'notSent', code: err.code });
    }
    if (isAppError(err, 'forbidden', 'notFound')) {
      log.warn({ code: err.code }, 'Graph refused the approver for this incident');
      return service.markExecutionFailed(request.id, { kind: 'forbidden', code: 'Forbidden' });
    }
    log.warn({ err: serializeError(err) }, 'Graph did not resolve the incident');
    const code = isAppError(err) ? (err.details.upstreamCode ?? err.code) : 'internal';
    return service.markExecutionFailed(request.id, { kind: 'failed', code });
  };

  let current;
  try {
    current = await graph.getIncident(auth, incidentId);
  } catch (err) {
    return failed(err);
  }
  if (current.status.toLowerCase() === 'resolved') {
    return service.markIncidentOutcome(request.id, {
      kind: 'alreadyResolved',
      assignedTo: current.assignedTo,
      classification: current.classification,
      determination: current.determination,
    });
  }
  const changed = changedSinceRequested(request.incident, current);
  if (changed.length > 0) return service.markIncidentOutcome(request.id, { kind: 'changedSinceRequested', changed });
  try {
    await updateIncidentConfirmed(graph, auth, incidentId, {
      status: 'resolved',
      classification: request.parameters.classification,
      determination: request.parameters.determination,
    });
  } catch (err) {
    if (isAppError(err) && err.details.uncertain) {
      log.warn({ code: err.code }, 'Graph answer ambiguous and the incident does not show the resolution');
      return service.markExecutionFailed(request.id, { kind: 'interrupted', code: 'NotConfirmedByGraph' });
    }
    return failed(err);
  }
  let commentAdded = true;
  try {
    await addIncidentCommentConfirmed(graph, auth, incidentId, resolutionComment(request), {
      before: current.comments,
    });
  } catch (err) {
    // The resolution stands (it is what was approved); the card says the comment is missing.
    log.warn({ err: serializeError(err) }, 'the resolution comment was not added');
    commentAdded = false;
  }
  log.info('incident resolved after approval');
  return service.markIncidentOutcome(request.id, { kind: 'resolved', commentAdded });
}

/**
 * The fields the approver judged (they saw the request's snapshot) that differ now. Not `lastUpdateDateTime`: a
 * comment moves it too, and a comment changes nothing the resolution would overwrite.
 */
export function changedSinceRequested(snapshot: IncidentSnapshot, now: Incident): string[] {
  const same = (a: string | null, b: string | null) => (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
  const fields: [string, string | null, string | null][] = [
    ['status', snapshot.status, now.status],
    ['classification', snapshot.classification, now.classification],
    ['determination', snapshot.determination, now.determination],
    ['owner', snapshot.assignedTo, now.assignedTo],
    ['severity', snapshot.severity, now.severity],
  ];
  return fields.filter(([, before, after]) => !same(before, after)).map(([name]) => name);
}
