import type { AlertListQuery } from '../defender/alertListQuery';

export type { AlertListQuery, StatusFilter } from '../defender/alertListQuery';

/** Stable ids of chat commands (used in logs, help and the registry). */
export type CommandId = 'help' | 'alerts.list' | 'alert.show' | 'device.show' | 'tenant.connect';

/** What the user asked for, as parsed from their message. */
export type Intent =
  | { id: 'help' }
  | { id: 'tenant.connect' }
  | { id: 'alerts.list'; query: AlertListQuery }
  | { id: 'alert.show'; alertId: string }
  | { id: 'device.show'; device: string }
  | { id: 'unknown'; text: string; suggestion: string | undefined };
