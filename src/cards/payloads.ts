import { z } from 'zod';
import { RESPONSE_ACTION_KINDS } from '../approvals/approvalTypes';
import { alertListQuerySchema, DEVICE_NAME_PATTERN } from '../defender/alertListQuery';
import { incidentListQuerySchema } from '../incidents/incidentListQuery';
import { HUNT_RESULT_ID_PATTERN, MAX_STORED_ROWS, ROWS_PER_PAGE } from '../hunting/huntResultStore';

/*
 * What card buttons carry: a verb and the smallest data that names what to show. Nothing in it is trusted:
 * every invoke is validated with these schemas and then re-read from Defender under the clicker's own token.
 */

/** Verbs of Action.Execute buttons, one handler each in src/cardActions/. */
export type CardVerb =
  | 'alerts.page'
  | 'alert.open'
  | 'alert.assignToMe'
  | 'device.show'
  | 'command.view'
  | 'action.prepare'
  | 'action.confirm'
  | 'draft.discard'
  | 'approval.view'
  | 'approval.approve'
  | 'approval.reject'
  | 'approval.withdraw'
  | 'approval.cancelAction'
  | 'incidents.page'
  | 'customer.offboard'
  | 'customer.checkHealth'
  | 'incident.open'
  | 'incident.assign'
  | 'incident.status'
  | 'incident.classify'
  | 'incident.comment'
  | 'incident.resolve'
  | 'hunt.page'
  | 'hunt.sort'
  | 'hunt.csv'
  | 'entity.investigate'
  | 'hunt.run';

/** "Show more" / "Previous" / "Back to list": which query and which page. */
export const alertsPageDataSchema = z.strictObject({
  query: alertListQuerySchema,
  page: z.number().int().min(0).max(1000),
});
export type AlertsPageData = z.infer<typeof alertsPageDataSchema>;

/** Opening one alert from a list; `back` returns to the list page it came from. */
export const alertOpenDataSchema = z.strictObject({
  alertId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/),
  back: alertsPageDataSchema.optional(),
});
export type AlertOpenData = z.infer<typeof alertOpenDataSchema>;

/** "Assign to me" on an alert or a notification card: the alert id only; the assignee is whoever clicks. */
export const alertAssignDataSchema = z.strictObject({
  alertId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/),
});
export type AlertAssignData = z.infer<typeof alertAssignDataSchema>;

/** Showing a device by id or exact name (pick-lists, alert cards, suggestions). */
export const deviceShowDataSchema = z.strictObject({
  device: z.string().regex(DEVICE_NAME_PATTERN),
});
export type DeviceShowData = z.infer<typeof deviceShowDataSchema>;

/** "Show me" in a group chat or channel: the command as typed, answered again for whoever clicks. */
export const commandViewDataSchema = z.strictObject({
  command: z.string().min(1).max(500),
});
export type CommandViewData = z.infer<typeof commandViewDataSchema>;

const actionKind = z.enum(RESPONSE_ACTION_KINDS);

/** A response action button (device card, alert card, pick-list, "Release from isolation"): what and where. */
export const actionPrepareDataSchema = z.strictObject({
  kind: actionKind,
  device: z.string().regex(DEVICE_NAME_PATTERN),
  isolationType: z.enum(['Full', 'Selective']).optional(),
  scanType: z.enum(['Quick', 'Full']).optional(),
  sha1: z
    .string()
    .regex(/^[0-9a-f]{40}$/i)
    .optional(),
});
export type ActionPrepareData = z.infer<typeof actionPrepareDataSchema>;

/** "Request approval" on the confirmation card: the draft id plus the card's inputs. */
export const actionConfirmDataSchema = z.strictObject({
  draftId: z.string().regex(/^D-[A-Za-z0-9_-]{8,64}$/),
  reason: z.string().max(2000).optional(),
  isolationType: z.enum(['Full', 'Selective']).optional(),
  scanType: z.enum(['Quick', 'Full']).optional(),
});

/** "Cancel" on the confirmation card. */
export const draftDiscardDataSchema = z.strictObject({ draftId: z.string().regex(/^D-[A-Za-z0-9_-]{8,64}$/) });

/** Every approval card button: the approval id only (plus the comment box's value). */
export const approvalDataSchema = z.strictObject({
  approvalId: z.string().regex(/^A-[A-Za-z0-9_-]{8,64}$/),
  comment: z.string().max(2000).optional(),
});

/** A Graph incident id (digits only), as every incident button carries it. */
export const incidentIdSchema = z.string().regex(/^\d{1,20}$/);

/** The incident's `lastUpdateDateTime` the card showed (Graph writes up to seven fractional digits). */
export const seenSchema = z
  .string()
  .max(40)
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/);

/** "Show more" / "Previous" on the incident list: which query and which page. */
export const incidentsPageDataSchema = z.strictObject({
  query: incidentListQuerySchema,
  page: z.number().int().min(0).max(1000),
});
export type IncidentsPageData = z.infer<typeof incidentsPageDataSchema>;

/** Opening an incident from a list, and the incident card's Universal Actions refresh. */
export const incidentOpenDataSchema = z.strictObject({ incidentId: incidentIdSchema });

/**
 * "Assign to me" (`to: me`) or "Assign" with the typed UPN (`assignee`, the form's input, checked by the handler so
 * a typo gets an answer rather than a refusal). `shown` is the owner the card showed ('' for nobody).
 */
export const incidentAssignDataSchema = z.strictObject({
  incidentId: incidentIdSchema,
  seen: seenSchema,
  shown: z.string().max(320),
  to: z.enum(['me', 'typed']),
  assignee: z.string().max(1000).optional(),
});
export type IncidentAssignData = z.infer<typeof incidentAssignDataSchema>;

/** "Mark in progress" / "Mark active" / "Reopen": the status wanted and the status the card showed. */
export const incidentStatusDataSchema = z.strictObject({
  incidentId: incidentIdSchema,
  seen: seenSchema,
  shown: z.string().max(40),
  status: z.enum(['active', 'inProgress']),
});
export type IncidentStatusData = z.infer<typeof incidentStatusDataSchema>;

/** "Save classification": the chosen "classification/determination" (checked by the handler) and the pair shown. */
export const incidentClassifyDataSchema = z.strictObject({
  incidentId: incidentIdSchema,
  seen: seenSchema,
  shown: z.string().max(100),
  classification: z.string().max(100).optional(),
});
export type IncidentClassifyData = z.infer<typeof incidentClassifyDataSchema>;

/** "Add comment": the typed text, whose length the handler checks (an over-long one gets an answer, not a refusal). */
export const incidentCommentDataSchema = z.strictObject({
  incidentId: incidentIdSchema,
  seen: seenSchema,
  commentText: z.string().max(200_000).optional(),
});
export type IncidentCommentData = z.infer<typeof incidentCommentDataSchema>;
/**
 * "Resolve" on the incident card's form: the incident, when the viewer saw it (its `lastUpdateDateTime`), the
 * ChoiceSet's `classification/determination` and the comment box. The pair is checked again by the handler (a
 * forged pair is refused and audited there); an over-long comment is answered there too, so the bound here is
 * only against abuse.
 */
export const incidentResolveDataSchema = z.strictObject({
  incidentId: z.string().regex(/^\d{1,20}$/),
  seen: z
    .string()
    .max(40)
    .refine((v) => !Number.isNaN(Date.parse(v)), 'must be a date')
    .optional(),
  resolution: z.string().regex(/^[A-Za-z]{1,60}\/[A-Za-z]{1,60}$/),
  comment: z.string().max(100_000).optional(),
});
export type IncidentResolveData = z.infer<typeof incidentResolveDataSchema>;

/** A stored hunt result's id, the only thing a result card's buttons name (the server checks whose it is). */
export const huntResultIdSchema = z.string().regex(HUNT_RESULT_ID_PATTERN);

/** A sort as the result card's "Sort by" list spells it: `Column:asc`, `Column:desc`, or `none` (answer order). */
export const huntSortSchema = z
  .string()
  .max(300)
  .regex(/^(?:none|[^\r\n]{1,256}:(?:asc|desc))$/);

/** "Previous" / "Next" on a hunt result card: the result, the page and the order it is shown in. */
export const huntPageDataSchema = z.strictObject({
  resultId: huntResultIdSchema,
  page: z
    .number()
    .int()
    .min(0)
    .max(Math.ceil(MAX_STORED_ROWS / ROWS_PER_PAGE)),
  sort: huntSortSchema.optional(),
});
export type HuntPageData = z.infer<typeof huntPageDataSchema>;

/** "Sort" on a hunt result card: the result, and the "Sort by" list's value (absent: nothing chosen). */
export const huntSortDataSchema = z.strictObject({ resultId: huntResultIdSchema, sort: huntSortSchema.optional() });
export type HuntSortData = z.infer<typeof huntSortDataSchema>;

/** "Download CSV" on a hunt result card. */
export const huntCsvDataSchema = z.strictObject({ resultId: huntResultIdSchema });
