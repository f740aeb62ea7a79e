import type { AlertStatus, Severity } from '../defender/schemas';

/**
 * The words the bot understands, as data. The parser (parseCommand.ts) knows the grammar; a phrasebook
 * knows the vocabulary, so another language is a new phrasebook, not new code. Phrases are lower case;
 * multi-word phrases are matched longest first.
 */
export interface Phrasebook {
  locale: string;
  /** Whole messages that mean "help". */
  help: string[];
  /** Whole messages that ask for the admin-consent link of the user's tenant. */
  connectTenant: string[];
  /** Leading words that only make the request polite or verbose ("please show me"). */
  leadIns: string[];
  /** Words naming one alert ("alert <id>") and several ("alerts"). */
  alertSingular: string[];
  alertPlural: string[];
  /** Words naming a device ("device <name>"). */
  deviceNouns: string[];
  /** Words that may follow the device noun before the name ("device details for X"). */
  deviceQualifiers: string[];
  /** Words introducing a device inside an alert list ("alerts on device X"). */
  devicePrepositions: string[];
  severities: Record<Severity, string[]>;
  statuses: { only: Record<Exclude<AlertStatus, 'Unknown'>, string[]>; unresolved: string[]; all: string[] };
  assignedToMe: string[];
  /** Time windows: "last 24h", "past 7 days", "today". */
  time: {
    recentWords: string[];
    units: { hours: string[]; days: string[]; weeks: string[]; minutes: string[] };
    /** Phrases that stand for a fixed window, in hours. */
    fixed: Record<string, number>;
  };
  /** Words that carry no meaning inside an alert list request. */
  fillers: string[];
  /** Example commands shown by help and used for "did you mean". `NAME` and `ALERT-ID` are placeholders. */
  examples: { command: string; description: string }[];
}

/** English phrasings. */
export const english: Phrasebook = {
  locale: 'en',
  help: ['help', '?', 'commands', 'what can you do', 'hi', 'hello', 'hey', 'start', 'menu', 'usage'],
  connectTenant: [
    'connect tenant',
    'connect my tenant',
    'connect our tenant',
    'onboard tenant',
    'admin consent',
    'grant consent',
  ],
  leadIns: [
    'please',
    'can you',
    'could you',
    'would you',
    'show me',
    'show',
    'list',
    'get',
    'give me',
    'display',
    'find',
    'open',
    'what are',
    'tell me about',
    'look up',
    'lookup',
    'details of',
    'info on',
  ],
  alertSingular: ['alert'],
  alertPlural: ['alerts'],
  deviceNouns: ['device', 'machine', 'host', 'computer', 'endpoint'],
  deviceQualifiers: ['info', 'details', 'detail', 'for', 'about', 'named', 'called'],
  devicePrepositions: [
    'on device',
    'for device',
    'from device',
    'on machine',
    'on host',
    'device',
    'machine',
    'host',
    'on',
    'for',
    'from',
  ],
  severities: {
    High: ['high', 'high severity', 'sev high'],
    Medium: ['medium', 'med', 'medium severity', 'sev medium'],
    Low: ['low', 'low severity', 'sev low'],
    Informational: ['informational', 'info'],
    UnSpecified: ['unspecified'],
  },
  statuses: {
    only: {
      New: ['new', 'untriaged'],
      InProgress: ['in progress', 'inprogress', 'in-progress', 'active'],
      Resolved: ['resolved', 'closed'],
    },
    unresolved: ['unresolved', 'open'],
    all: ['including resolved', 'any status', 'all statuses', 'every status'],
  },
  assignedToMe: ['assigned to me', 'assigned to myself', 'for me', 'my', 'mine'],
  time: {
    recentWords: ['last', 'past', 'in the last', 'in the past', 'within the last', 'from the last'],
    units: {
      hours: ['h', 'hr', 'hrs', 'hour', 'hours'],
      days: ['d', 'day', 'days'],
      weeks: ['w', 'wk', 'wks', 'week', 'weeks'],
      minutes: ['m', 'min', 'mins', 'minute', 'minutes'],
    },
    fixed: { today: 24, 'this week': 168 },
  },
  fillers: [
    'the',
    'a',
    'an',
    'any',
    'all',
    'me',
    'are',
    'there',
    'recent',
    'latest',
    'of',
    'severity',
    'sev',
    'priority',
    'and',
    'or',
    ',',
    'with',
    'status',
    'alerts',
    'show',
    'list',
    'please',
    'what',
    'which',
    'that',
    'were',
    'created',
    'raised',
    'in',
  ],
  examples: [
    { command: 'show high alerts', description: 'Unresolved High alerts, newest first' },
    { command: 'show alerts', description: 'All unresolved alerts' },
    { command: 'show new medium alerts', description: 'Filter by status and severity' },
    { command: 'high alerts last 24h', description: 'Only alerts created in a time window' },
    { command: 'alerts assigned to me', description: 'Alerts assigned to you in Defender' },
    { command: 'alerts on device NAME', description: 'Alerts of one device' },
    { command: 'alert ALERT-ID', description: 'One alert with its evidence' },
    { command: 'device NAME', description: 'A device: health, risk, isolation state, open alerts' },
    { command: 'connect tenant', description: 'The admin-consent link that connects your organisation' },
    { command: 'help', description: 'This list' },
  ],
};
