import { z } from 'zod';
import { alertListQuerySchema, DEVICE_NAME_PATTERN } from '../defender/alertListQuery';

/*
 * What card buttons carry: a verb and the smallest data that names what to show. Nothing in it is trusted:
 * every invoke is validated with these schemas and then re-read from Defender under the clicker's own token.
 */

/** Verbs of Action.Execute buttons, one handler each in src/cardActions/. */
export type CardVerb = 'alerts.page' | 'alert.open' | 'device.show' | 'command.view';

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
