import type { z } from 'zod';
import type { CardVerb } from '../cards/payloads';
import {
  actionConfirmDataSchema,
  actionPrepareDataSchema,
  alertAssignDataSchema,
  alertOpenDataSchema,
  alertsPageDataSchema,
  approvalDataSchema,
  commandViewDataSchema,
  deviceShowDataSchema,
  draftDiscardDataSchema,
  incidentAssignDataSchema,
  incidentClassifyDataSchema,
  incidentCommentDataSchema,
  incidentOpenDataSchema,
  incidentsPageDataSchema,
  incidentStatusDataSchema,
  incidentResolveDataSchema,
  huntCsvDataSchema,
  huntPageDataSchema,
  huntSortDataSchema,
} from '../cards/payloads';
import { listIncidents } from '../incidents/listIncidents';
import { showIncident } from '../incidents/showIncident';
import type { TriageEnvironment } from '../incidents/triageIncident';
import { assignIncident, classifyIncident, commentOnIncident, setIncidentStatus } from '../incidents/triageIncident';
import { toNoticeCard } from '../cards/noticeCard';
import { assignAlertToMe } from '../commands/assignAlert';
import { cardReply } from '../commands/commandContext';
import {
  cancelApprovedAction,
  confirmAction,
  decideApproval,
  prepareAction,
  viewApproval,
} from '../commands/responseActions';
import type { ResponseActions } from '../commands/responseActions';
import type { CommandContextFactory, Reply } from '../commands/commandContext';
import { listAlerts } from '../commands/listAlerts';
import { parseCommand } from '../commands/parseCommand';
import type { CommandEnvironment } from '../commands/commandEnvironment';
import { refreshUserIdsOf, requireHunting, runCommand } from '../commands/registry';
import { huntRunDataSchema } from '../hunting/huntCommands';
import { showAlert } from '../commands/showAlert';
import { showDevice } from '../commands/showDevice';
import { AppError } from '../errors';
import { customerCardDataSchema } from '../customers/customerCommands';
import type { CustomerAdminPort } from '../commands/commandEnvironment';
import { resolveIncident } from '../incidents/resolveIncident';
import type { Operation } from '../userMessages';
import type { HuntResultsPort } from '../hunting/huntResultPresenter';
import { investigateFromCard } from '../investigation/investigate';
import { entityInvestigateDataSchema } from '../investigation/investigatePayload';

/** One Action.Execute verb: the schema its data must pass and what it runs for the clicker. */
interface CardAction<S extends z.ZodType> {
  schema: S;
  operation: Operation;
  run(data: z.infer<S>, context: CommandContextFactory, env: CommandEnvironment): Promise<Reply>;
}

function action<S extends z.ZodType>(definition: CardAction<S>): CardAction<S> {
  return definition;
}

/**
 * Every card verb in one visible list. Data is validated here and nothing in it is trusted beyond naming
 * what to show: each handler re-reads Defender under the clicker's own token.
 */
export const CARD_ACTIONS = {
  'alerts.page': action({
    schema: alertsPageDataSchema,
    operation: 'view alerts',
    run: async (data, context) => listAlerts(await context(), data.query, data.page),
  }),
  'alert.open': action({
    schema: alertOpenDataSchema,
    operation: 'view this alert',
    run: async (data, context) => showAlert(await context(), data.alertId, data.back),
  }),
  'alert.assignToMe': action({
    schema: alertAssignDataSchema,
    operation: 'assign this alert',
    run: async (data, context) => assignAlertToMe(await context(), data.alertId),
  }),
  'command.view': action({
    schema: commandViewDataSchema,
    operation: 'view alerts',
    // "Show me" in a group chat or channel: the command is parsed again and answered for the clicker.
    run: async (data, context, env) =>
      runCommand(
        parseCommand((await env.customers?.strip(data.command)) ?? data.command, env.phrasebook, env.clock),
        context,
        env,
      ),
  }),
  'action.prepare': action({
    schema: actionPrepareDataSchema,
    operation: 'take this response action',
    run: async (data, context, env) =>
      prepareAction(await context(), actionsOf(env), {
        kind: data.kind,
        device: data.device,
        parameters: {
          ...(data.kind === 'isolate' ? { isolationType: data.isolationType ?? 'Full' } : {}),
          ...(data.kind === 'runAntiVirusScan' ? { scanType: data.scanType ?? 'Quick' } : {}),
          ...(data.sha1 ? { sha1: data.sha1 } : {}),
        },
      }),
  }),
  'action.confirm': action({
    schema: actionConfirmDataSchema,
    operation: 'take this response action',
    run: async (data, context, env) => confirmAction(await context(), actionsOf(env), env.conversation, data),
  }),
  'draft.discard': action({
    schema: draftDiscardDataSchema,
    operation: 'take this response action',
    // Nothing was requested: the draft simply expires unused.
    run: (_data, _context, env) =>
      Promise.resolve(
        cardReply(
          toNoticeCard({ heading: env.i18n.t('bot.discarded.heading'), text: env.i18n.t('bot.discarded.text') }),
          env.i18n.t('bot.discarded.heading'),
        ),
      ),
  }),
  'approval.view': action({
    schema: approvalDataSchema,
    operation: 'act on this request',
    run: async (data, context, env) => viewApproval(await context(), actionsOf(env), data.approvalId),
  }),
  'approval.approve': action({
    schema: approvalDataSchema,
    operation: 'act on this request',
    run: async (data, context, env) =>
      decideApproval(await context(), actionsOf(env), 'approve', data, env.conversation),
  }),
  'approval.reject': action({
    schema: approvalDataSchema,
    operation: 'act on this request',
    run: async (data, context, env) => decideApproval(await context(), actionsOf(env), 'reject', data),
  }),
  'approval.withdraw': action({
    schema: approvalDataSchema,
    operation: 'act on this request',
    run: async (data, context, env) => decideApproval(await context(), actionsOf(env), 'withdraw', data),
  }),
  'approval.cancelAction': action({
    schema: approvalDataSchema,
    operation: 'act on this request',
    run: async (data, context, env) => cancelApprovedAction(await context(), actionsOf(env), data.approvalId),
  }),
  'device.show': action({
    schema: deviceShowDataSchema,
    operation: 'view this device',
    run: async (data, context) => showDevice(await context(), data.device),
  }),
  // Partner context: the provider's admin commands run in the provider's own tenant, whatever the bindings.
  'customer.offboard': action({
    schema: customerCardDataSchema,
    operation: 'manage customers',
    run: async (data, context, env) =>
      customerAdminOf(env).confirmOffboard(await context({ home: true }), env.conversation, data.tenantId),
  }),
  'customer.checkHealth': action({
    schema: customerCardDataSchema,
    operation: 'manage customers',
    run: async (data, context, env) =>
      customerAdminOf(env).checkHealth(await context({ home: true }), env.conversation, data.tenantId),
  }),
  'incidents.page': action({
    schema: incidentsPageDataSchema,
    operation: 'view incidents',
    run: async (data, context) => listIncidents(await context(), data.query, data.page),
  }),
  'incident.open': action({
    schema: incidentOpenDataSchema,
    operation: 'view this incident',
    // Also the incident card's Universal Actions refresh: the card is read again from Graph whenever it is shown.
    run: async (data, context, env) =>
      showIncident(await context(), data.incidentId, { refreshUserIds: refreshUserIdsOf(env) }),
  }),
  'incident.assign': action({
    schema: incidentAssignDataSchema,
    operation: 'change this incident',
    run: async (data, context, env) => assignIncident(await context(), triageOf(env), data),
  }),
  'incident.status': action({
    schema: incidentStatusDataSchema,
    operation: 'change this incident',
    run: async (data, context, env) => setIncidentStatus(await context(), triageOf(env), data),
  }),
  'incident.classify': action({
    schema: incidentClassifyDataSchema,
    operation: 'change this incident',
    run: async (data, context, env) => classifyIncident(await context(), triageOf(env), data),
  }),
  'incident.comment': action({
    schema: incidentCommentDataSchema,
    operation: 'change this incident',
    run: async (data, context, env) => commentOnIncident(await context(), triageOf(env), data),
  }),
  'incident.resolve': action({
    schema: incidentResolveDataSchema,
    operation: 'resolve this incident',
    run: async (data, context, env) => {
      const [classification = '', determination = ''] = data.resolution.split('/');
      return resolveIncident(await context(), env, {
        incidentId: data.incidentId,
        classification,
        determination,
        comment: data.comment,
        seen: data.seen,
      });
    },
  }),
  // Stored hunt results: the server reads the result only for the person who ran the hunt (else refused, audited).
  'hunt.page': action({
    schema: huntPageDataSchema,
    operation: 'use this button',
    run: async (data, context, env) => huntResultsOf(env).showPage(await context(), data),
  }),
  'hunt.sort': action({
    schema: huntSortDataSchema,
    operation: 'use this button',
    run: async (data, context, env) => huntResultsOf(env).showPage(await context(), { ...data, page: 0 }),
  }),
  'hunt.csv': action({
    schema: huntCsvDataSchema,
    operation: 'use this button',
    run: async (data, context, env) =>
      huntResultsOf(env).offerCsv(await context(), env.conversation, data.resultId, env.offerFile),
  }),
  // "Investigate" on an alert, device or incident card: the source is read again and must still have the entity.
  'entity.investigate': action({
    schema: entityInvestigateDataSchema,
    operation: 'view alerts',
    run: async (data, context, env) => investigateFromCard(await context(), env.audit, data),
  }),
  // A hunt button: the hunt by name; an entity card's button names its card by id, reloaded with the clicker's token.
  'hunt.run': action({
    schema: huntRunDataSchema,
    operation: 'run hunts',
    run: async (data, context, env) => requireHunting(env).runFromCard(await context(), env.conversation, data),
  }),
} satisfies Record<CardVerb, CardAction<z.ZodType>>;

function huntResultsOf(env: CommandEnvironment): HuntResultsPort {
  if (!env.huntResults) throw new AppError('internal', 'hunt results are not configured');
  return env.huntResults;
}

function triageOf(env: CommandEnvironment): TriageEnvironment {
  return { audit: env.audit, refreshUserIds: refreshUserIdsOf(env) };
}

function actionsOf(env: CommandEnvironment): ResponseActions {
  if (!env.responseActions) throw new AppError('internal', 'response actions are not configured');
  return env.responseActions;
}

function customerAdminOf(env: CommandEnvironment): CustomerAdminPort {
  if (!env.customerAdmin) throw new AppError('internal', 'customers are not configured');
  return env.customerAdmin;
}

/** True when `verb` is one the bot registered. */
export function isCardVerb(verb: unknown): verb is CardVerb {
  return typeof verb === 'string' && Object.hasOwn(CARD_ACTIONS, verb);
}

/** The operation name of a verb, for error messages. */
export function operationOf(verb: CardVerb): Operation {
  return CARD_ACTIONS[verb].operation;
}

/** A card action whose data passed its verb's schema, ready to run; or where the data failed it. */
export type PreparedCardAction =
  | { ok: true; run(context: CommandContextFactory, env: CommandEnvironment): Promise<Reply> }
  | { ok: false; issue: string };

/**
 * Validates the data of a verb against its schema. A failure names where (a path, never a value), so the bot can
 * refuse and audit a tampered or forged payload before anything runs.
 */
export function prepareCardAction(verb: CardVerb, data: unknown): PreparedCardAction {
  const definition: CardAction<z.ZodType> = CARD_ACTIONS[verb];
  const parsed = definition.schema.safeParse(data);
  if (!parsed.success) return { ok: false, issue: parsed.error.issues[0]?.path.map(String).join('.') || '(root)' };
  return { ok: true, run: (context, env) => definition.run(parsed.data, context, env) };
}
