import type { ActionParameters, ResponseActionKind } from '../approvals/approvalTypes';
import type { AlertListQuery } from '../defender/alertListQuery';
import type { SubscriptionFilter } from '../notifications/subscriptionTypes';
import type { IncidentListQuery } from '../incidents/incidentListQuery';
import type { EntityKind } from '../defender/entityValues';
import type { MessageKey } from '../i18n/catalogues';

export type { AlertListQuery, StatusFilter } from '../defender/alertListQuery';

/** A hunt's time window as the command said it: the last N minutes, or a calendar span (ISO instants). */
export type HuntWindowWords = { minutes: number } | { since: string; until?: string | undefined };

/** Stable ids of chat commands (used in logs, help and the registry). */
export type CommandId =
  | 'help'
  | 'alerts.list'
  | 'alert.show'
  | 'device.show'
  | 'tenant.connect'
  | 'action.request'
  | 'action.cancel'
  | 'actions.list'
  | 'approvals.list'
  | 'approvals.useChannel'
  | 'audit.show'
  | 'incident.resolve'
  | 'notifications.subscribe'
  | 'notifications.unsubscribe'
  | 'notifications.list'
  | 'notifications.snooze'
  | 'notifications.resume'
  | 'incidents.list'
  | 'incident.show'
  | 'customers.onboard'
  | 'customers.list'
  | 'customers.offboard'
  | 'customers.bind'
  | 'customers.unbind'
  | 'customers.here'
  | 'language.show'
  | 'language.set'
  | 'entity.investigate'
  | 'hunts.list'
  | 'hunt.run'
  | 'hunt.kql';

/** What the user asked for, as parsed from their message. */
export type Intent =
  | { id: 'help' }
  | { id: 'tenant.connect' }
  | { id: 'alerts.list'; query: AlertListQuery }
  | { id: 'alert.show'; alertId: string }
  | { id: 'device.show'; device: string }
  | {
      id: 'action.request';
      kind: ResponseActionKind;
      device: string;
      parameters: ActionParameters;
      reason?: string | undefined;
    }
  | { id: 'action.cancel'; machineActionId: string }
  | { id: 'actions.list'; device: string }
  | { id: 'approvals.list' }
  | { id: 'approvals.useChannel' }
  | { id: 'audit.show'; device?: string | undefined; user?: string | undefined }
  | {
      id: 'incident.resolve';
      incidentId: string;
      classification: string;
      determination: string;
      comment?: string | undefined;
    }
  | { id: 'notifications.subscribe'; filter: SubscriptionFilter }
  | { id: 'notifications.unsubscribe'; target: 'all' | 'unspecified' | { id: string } }
  | { id: 'notifications.list' }
  | { id: 'notifications.snooze'; minutes: number }
  | { id: 'notifications.resume' }
  | { id: 'incidents.list'; query: IncidentListQuery }
  | { id: 'incident.show'; incidentId: string }
  | { id: 'customers.onboard'; name: string; tenant: string }
  | { id: 'customers.list' }
  | { id: 'customers.offboard'; name: string }
  | { id: 'customers.bind'; name: string }
  | { id: 'customers.unbind'; name: string }
  | { id: 'customers.here' }
  /** "language" / "idioma": which language the bot speaks to this person. */
  | { id: 'language.show' }
  /** "language pt-BR", "idioma inglês": the person's own choice, over their Teams locale. */
  | { id: 'language.set'; locale: 'en' | 'pt-BR' }
  /** "investigate <hash|ip|domain|user>" / "investigar …": Defender's entity pages for one value, as typed. */
  | { id: 'entity.investigate'; kind?: EntityKind | undefined; value: string }
  /** "hunts": the saved hunts, as a card. */
  | { id: 'hunts.list' }
  /**
   * "hunt processes on ws-fin-042 last 24h": a saved hunt named by `phrase` (its words before the entity, kept with
   * their prepositions; resolved against the hunt library when run), the entity as typed, and an optional window.
   */
  | { id: 'hunt.run'; phrase: string; entity?: string | undefined; window?: HuntWindowWords | undefined }
  /** "kql <query>": ad-hoc KQL, as typed (several lines allowed), for people with the SOC.Hunter role. */
  | { id: 'hunt.kql'; query: string }
  | { id: 'unknown'; text: string; suggestion: string | undefined; problem?: ParseProblem | undefined };

/**
 * Why a message that starts like a command was not understood, as a catalogue message (commands.problem.*): the
 * parser does not know who reads it, the reply says it in the reader's language.
 */
export interface ParseProblem {
  key: Extract<MessageKey, `commands.problem.${string}`>;
  values?: Record<string, string>;
}
