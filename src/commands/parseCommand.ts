import type { AlertStatus, Severity } from '../defender/schemas';
import type { AlertListQuery, StatusFilter } from '../defender/alertListQuery';
import { DEVICE_NAME_PATTERN } from '../defender/alertListQuery';
import { DETERMINATIONS_BY_CLASSIFICATION, isLegalDetermination } from '../graph/graphSchemas';
import type { EntityKind } from '../defender/entityValues';
import type { HuntWindowWords, Intent, ParseProblem } from './intents';
import type { Phrasebook } from './phrasebook';
import { english, portuguese } from './phrasebook';
import { distance } from 'fastest-levenshtein';
import { toCanonicalEnglish } from '../language/canonical';
import { fold, looksLikeEntity } from '../language/normalise';
import type { Clock } from '../language/timePhrases';
import { matchTimePhrase } from '../language/timePhrases';
import { PORTUGUESE_HELP } from '../language/portuguese';
import { SEVERITY_THRESHOLDS } from '../notifications/alertFilter';
import type { SubscriptionFilter } from '../notifications/subscriptionTypes';
import { isFollowing, SUBSCRIPTION_TOPICS } from '../notifications/subscriptionTypes';
import type { IncidentListQuery, IncidentListSeverity } from '../incidents/incidentListQuery';

/*
 * Turns a chat message into an Intent. Case-insensitive and tolerant of filler words, but strict about
 * meaning: every word of an alert-list request must be understood, so "alerts on ws-fin-042 yesterday"
 * is never silently answered with all alerts. Anything else becomes `unknown` with the closest command.
 */

const DEVICE_TOKEN = DEVICE_NAME_PATTERN;
/** Defender alert ids: letters, digits, `_` and `-` (e.g. da637472900382838869_1364969609). */
const ALERT_ID_TOKEN = /^[A-Za-z0-9][A-Za-z0-9_-]{5,127}$/;
const MAX_INPUT_LENGTH = 500;

/** When and where a message is read: "yesterday" is the viewer's yesterday. Defaults: real time, UTC. */
export interface ParseOptions {
  now?: Date | undefined;
  /** The viewer's IANA time zone (e.g. America/Sao_Paulo). */
  timeZone?: string | undefined;
}

/**
 * Parses one message (mention already removed), in English or Brazilian Portuguese whatever the phrasebook (which
 * gives the "did you mean" examples). The message is first read strictly as typed; only when that fails is it
 * rewritten into canonical English (typos, Portuguese, politeness, questions: src/language/canonical.ts) and read
 * again. A corrected response-action verb was one edit from a single verb, and every action.request still goes
 * to the confirmation card that names the exact device before anything is asked of Defender.
 */
export function parseCommand(text: string, phrasebook: Phrasebook = english, options: ParseOptions = {}): Intent {
  const clock: Clock = { now: options.now ?? new Date(), timeZone: options.timeZone ?? 'UTC' };
  // Ad-hoc KQL is taken as typed, every line of it: never normalised, shortened or translated.
  const kql = KQL_COMMAND.exec(text);
  if (kql) return { id: 'hunt.kql', query: (kql[1] ?? '').trim() };
  const read = understand(text, phrasebook, clock);
  if (read.intent.id !== 'unknown') return read.intent;
  if (read.intent.problem) return { ...read.intent, text: text.trim() };
  const examples = read.portuguese ? portuguese : phrasebook;
  return { id: 'unknown', text: text.trim(), suggestion: suggestCommand(text, examples) };
}

/** The intent of a message without a suggestion, and whether it read as Portuguese. */
function understand(text: string, phrasebook: Phrasebook, clock: Clock): { intent: Intent; portuguese: boolean } {
  const direct = parseStrict(text, phrasebook, clock);
  if (direct.id !== 'unknown') return { intent: direct, portuguese: false };
  const canonical = toCanonicalEnglish(text.slice(0, MAX_INPUT_LENGTH));
  const rewritten =
    canonical.text.trim() === text.trim() || canonical.text.length === 0
      ? direct
      : parseStrict(canonical.text, phrasebook, clock);
  if (rewritten.id !== 'unknown') return { intent: rewritten, portuguese: canonical.portuguese };
  // A message that starts like a command but does not parse keeps the explanation of what was wrong.
  return { intent: direct.problem ? direct : rewritten, portuguese: canonical.portuguese };
}

/** The strict grammar: the message's words must be the phrasebook's (filler and punctuation aside). */
function parseStrict(text: string, phrasebook: Phrasebook, clock: Clock): Intent {
  const original = tokenize(text.slice(0, MAX_INPUT_LENGTH));
  const lower = original.map((t) => t.toLowerCase());
  const unknown = (): Intent => ({ id: 'unknown', text: text.trim(), suggestion: undefined });
  if (lower.length === 0) return { id: 'help' };
  const whole = lower.join(' ');
  if (phrasebook.help.includes(whole) || english.help.includes(whole) || PORTUGUESE_HELP.includes(whole))
    return { id: 'help' };
  if (phrasebook.connectTenant.includes(whole)) return { id: 'tenant.connect' };
  const language = parseLanguageCommand(whole);
  if (language) return language;
  const approval = parseApprovalAttempt(whole);
  if (approval) return approval;
  const investigation = parseInvestigate(text);
  if (investigation) return investigation;

  const start = skipLeadIns(lower, phrasebook);
  const words = lower.slice(start);
  const originals = original.slice(start);
  if (words.length === 0) return unknown();

  const hunt = parseHuntCommand(words, originals, phrasebook, clock);
  if (hunt) return hunt;

  const customers = parseCustomerCommand(text.trim(), phrasebook);
  if (customers) return customers;

  const resolution = parseResolveIncident(originals.join(' '), text, phrasebook);
  if (resolution) return resolution.id === 'unknown' ? { ...resolution, text: text.trim() } : resolution;

  const notification = parseNotificationCommand(originals.join(' '), phrasebook);
  if (notification) return notification.id === 'unknown' ? { ...notification, text: text.trim() } : notification;

  const action = parseActionCommand(words.join(' '), text, phrasebook);
  if (action) return action;

  const incident = parseIncidentCommand(words, phrasebook);
  if (incident) return incident;

  // "alert <id>"
  if (phrasebook.alertSingular.includes(words[0]!)) {
    const rest = words[1] === 'id' ? 2 : 1;
    if (words.length === rest + 1 && ALERT_ID_TOKEN.test(originals[rest]!) && !isVocabulary(words[rest]!, phrasebook)) {
      return { id: 'alert.show', alertId: originals[rest]! };
    }
  }

  // "device <name>", "device details for <name>"
  if (phrasebook.deviceNouns.includes(words[0]!)) {
    let i = 1;
    while (i < words.length - 1 && phrasebook.deviceQualifiers.includes(words[i]!)) i++;
    if (words.length === i + 1 && DEVICE_TOKEN.test(words[i]!)) return { id: 'device.show', device: words[i]! };
  }

  if (words.some((w) => phrasebook.alertPlural.includes(w) || phrasebook.alertSingular.includes(w))) {
    const query = parseAlertList(words, phrasebook, clock);
    if (query) return { id: 'alerts.list', query };
  }

  // A bare name or id: a Defender alert id is an alert, anything else that looks like a device name is a device.
  if (words.length === 1 && start === 0 && looksLikeEntity(words[0]!) && DEVICE_TOKEN.test(words[0]!)) {
    if (DEFENDER_ALERT_ID.test(words[0]!)) return { id: 'alert.show', alertId: originals[0]! };
    if (!/^#?\d+$/.test(words[0]!)) return { id: 'device.show', device: words[0]! };
  }
  return unknown();
}

/** The kind words of "investigate <kind> <value>", English and Portuguese (folded). */
const INVESTIGATE_KINDS: Record<string, EntityKind> = {
  file: 'file',
  hash: 'file',
  sha1: 'file',
  sha256: 'file',
  arquivo: 'file',
  ip: 'ip',
  address: 'ip',
  'ip address': 'ip',
  endereco: 'ip',
  'endereco ip': 'ip',
  domain: 'domain',
  url: 'domain',
  dominio: 'domain',
  user: 'user',
  account: 'user',
  usuario: 'user',
  conta: 'user',
};

const INVESTIGATE =
  /^(?:(?:please|por favor|pfv|can you|could you|pode|poderia)\s+)*(?:investigate|investigar|investigue|investiga|enrich)(?:\s+(?:the|o|a|do|da|de))?(?:\s+(?<kind>ip address|endere[cç]o ip|[\p{L}0-9]+))?(?:\s+(?<value>\S+))?(?:\s+(?:please|por favor))?\s*[?!]*$/iu;

/**
 * "investigate 203.0.113.7", "investigate user alex", "investigar domínio evil.example": read on the message as
 * typed (values keep their case and punctuation); the value itself is checked by the handler before any call.
 */
function parseInvestigate(text: string): Intent | undefined {
  const match = INVESTIGATE.exec(text.trim().slice(0, MAX_INPUT_LENGTH));
  if (!match?.groups) return undefined;
  const kindWord = match.groups.kind;
  const value = match.groups.value?.replace(/[?!]+$/, '');
  const kind = kindWord === undefined ? undefined : INVESTIGATE_KINDS[fold(kindWord)];
  if (kindWord !== undefined && kind === undefined) {
    // "investigate 203.0.113.7": the only word is the value, not a kind.
    return value === undefined ? { id: 'entity.investigate', value: kindWord } : undefined;
  }
  if (value === undefined && kind !== undefined) return { id: 'entity.investigate', kind, value: '' };
  return { id: 'entity.investigate', ...(kind ? { kind } : {}), value: value ?? '' };
}

/** "kql <query>" (any case, the query on the same line or the next ones); its length is checked when it runs. */
const KQL_COMMAND = /^\s*kql\b[ \t]*\r?\n?([\s\S]*)$/i;

/** Words that introduce a hunt's entity ("processes on X", "logons of X", "devices of user X"). */
const HUNT_ENTITY_INTRODUCERS = new Set([
  'on',
  'of',
  'to',
  'for',
  'from',
  'by',
  'with',
  'device',
  'user',
  'account',
  'ip',
  'file',
  'domain',
  'url',
  'alert',
  'hash',
]);

/**
 * "hunts" / "saved hunts" (the library) and "hunt <words> [on|of|to <entity>] [time]": the words before the entity
 * name the hunt (resolved against the library when it runs, so an administrator's hunts need no code), the entity is
 * kept as typed, and a trailing time phrase ("last 24h", "yesterday", "since Monday") is the window.
 */
function parseHuntCommand(words: string[], originals: string[], pb: Phrasebook, clock: Clock): Intent | undefined {
  const whole = words.join(' ');
  if (/^(?:saved\s+)?hunts$|^(?:hunt|hunting)\s+(?:library|list)$/.test(whole)) return { id: 'hunts.list' };
  const verb = words[0] === 'hunt' ? 1 : words[0] === 'run' && words[1] === 'hunt' ? 2 : 0;
  if (verb === 0) return undefined;
  let end = words.length;
  let window: HuntWindowWords | undefined;
  for (let i = verb + 1; i < words.length && window === undefined; i++) {
    const phrase = matchTimePhrase(words, i, clock);
    if (phrase && i + phrase.length === words.length) {
      const { since, until } = phrase.window;
      window = { since: since.toISOString(), ...(until ? { until: until.toISOString() } : {}) };
      end = i;
      continue;
    }
    const recent = matchTimeWindow(words, i, pb);
    if (recent && i + recent.length === words.length) {
      window = { minutes: Math.round(recent.hours * 60) };
      end = i;
    }
  }
  const rest = words.slice(verb, end);
  if (rest.length === 0) return problem('commands.problem.huntWhich', 'hunts');
  const last = rest.length - 1;
  const introduced = rest.length >= 2 && HUNT_ENTITY_INTRODUCERS.has(rest[last - 1]!);
  const hasEntity = introduced || (rest.length >= 2 && looksLikeEntity(rest[last]!));
  const phrase = (hasEntity ? rest.slice(0, last) : rest).join(' ');
  const entity = hasEntity ? originals[verb + last] : undefined;
  return { id: 'hunt.run', phrase, ...(entity !== undefined ? { entity } : {}), ...(window ? { window } : {}) };
}

/** Defender's alert ids: two letters then at least 15 digits ("da637472900382838869_1364969609"). */
const DEFENDER_ALERT_ID = /^[a-z]{2}\d{15,}(?:_-?\d+)?$/i;

/** The languages the bot speaks, by the words people use for them (folded). */
const LANGUAGE_NAMES: Record<string, 'en' | 'pt-BR'> = {
  en: 'en',
  'en-us': 'en',
  'en-gb': 'en',
  english: 'en',
  ingles: 'en',
  pt: 'pt-BR',
  'pt-br': 'pt-BR',
  ptbr: 'pt-BR',
  portuguese: 'pt-BR',
  'brazilian portuguese': 'pt-BR',
  portugues: 'pt-BR',
  'portugues do brasil': 'pt-BR',
  'portugues brasileiro': 'pt-BR',
  brasileiro: 'pt-BR',
};

/** "language", "idioma" (which language) and "language pt-BR", "idioma inglês", "mudar idioma para português". */
function parseLanguageCommand(whole: string): Intent | undefined {
  const text = fold(whole);
  if (/^(?:language|idioma|lingua)$/.test(text)) return { id: 'language.show' };
  const set =
    /^(?:(?:set|change|switch)\s+(?:the\s+|my\s+)?)?(?:language|idioma|lingua)(?:\s+(?:to|para|em))?\s+(?<name>.+)$/.exec(
      text,
    ) ??
    /^(?:mudar|trocar|alterar|definir)\s+(?:o\s+|meu\s+)?(?:idioma|lingua)(?:\s+(?:para|em))?\s+(?<name>.+)$/.exec(
      text,
    ) ??
    /^(?:speak|fale|falar|em|in)\s+(?:in\s+|em\s+)?(?<name>english|ingles|portuguese|portugues)(?:\s+please|\s+por\s+favor)?$/.exec(
      text,
    );
  if (!set?.groups?.name) return undefined;
  const locale = LANGUAGE_NAMES[set.groups.name.trim()];
  if (locale) return { id: 'language.set', locale };
  const portugueseWords = /^(?:idioma|lingua|mudar|trocar|alterar|definir|fale|falar|em)\b/.test(text);
  return {
    id: 'unknown',
    text: whole,
    suggestion: portugueseWords ? 'idioma português' : 'language pt-BR',
    problem: { key: 'commands.problem.languages' },
  };
}

/**
 * "approve A-…": approvals are given on the request's card (it shows the exact device and asks the approver to
 * confirm), never by a typed id. Answered with how to do it and "approvals", which lists what is waiting.
 */
function parseApprovalAttempt(whole: string): Intent | undefined {
  const text = fold(whole);
  const match =
    /^(?<verb>approve|reject|deny|decline|aprovar|aprove|aprova|rejeitar|rejeite|recusar|recuse|negar|negue)(?:\s+.*)?$/.exec(
      text,
    );
  if (!match) return undefined;
  const portugueseVerb = !/^(?:approve|reject|deny|decline)$/.test(match.groups?.verb ?? '');
  const list = portugueseVerb ? 'aprovações' : 'approvals';
  return {
    id: 'unknown',
    text: whole,
    suggestion: list,
    problem: { key: 'commands.problem.approveOnCard', values: { command: list } },
  };
}

/** "onboard customer Contoso contoso.onmicrosoft.com", "tenants", "bind contoso", "offboard customer Contoso". */
function parseCustomerCommand(text: string, pb: Phrasebook): Intent | undefined {
  const c = pb.customers;
  if (c.list.test(text)) return { id: 'customers.list' };
  if (c.here.test(text)) return { id: 'customers.here' };
  const onboard = c.onboard.exec(text);
  if (onboard?.groups?.name && onboard.groups.tenant)
    return { id: 'customers.onboard', name: onboard.groups.name.trim(), tenant: onboard.groups.tenant.toLowerCase() };
  const offboard = c.offboard.exec(text);
  if (offboard?.groups?.name) return { id: 'customers.offboard', name: offboard.groups.name.trim() };
  const unbind = c.unbind.exec(text);
  if (unbind?.groups?.name) return { id: 'customers.unbind', name: unbind.groups.name.trim() };
  const bind = c.bind.exec(text);
  if (bind?.groups?.name) return { id: 'customers.bind', name: bind.groups.name.trim() };
  return undefined;
}

/**
 * "resolve incident 2301 as true positive phishing because …": the classification from the phrasebook's words, the
 * determination from the words of Graph's value ("not malicious" → notMalicious), only a documented pair. A message
 * that starts like this but names no legal pair is answered with the choices, never taken as something else.
 */
function parseResolveIncident(tokens: string, raw: string, pb: Phrasebook): Intent | undefined {
  const match = pb.resolveIncident.exec(tokens.trim());
  if (!match) return undefined;
  const { id = '', resolution = '', comment } = match.groups ?? {};
  const words = resolution
    .toLowerCase()
    .replace(/[-_,/]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  // A complete command (it still asks for confirmation), so the suggestion itself parses.
  const example = `resolve incident ${id} as true positive phishing`;
  const phrase = Object.keys(pb.classificationWords)
    .sort((a, b) => b.length - a.length)
    .find((p) => words === p || words.startsWith(`${p} `));
  if (phrase === undefined) {
    return {
      id: 'unknown',
      text: raw,
      suggestion: example,
      problem: { key: 'commands.problem.resolveHow' },
    };
  }
  const classification = pb.classificationWords[phrase]!;
  const allowed = DETERMINATIONS_BY_CLASSIFICATION[classification];
  const rest = words.slice(phrase.length).trim().replace(/\s+/g, '');
  const determination = allowed.find((d) => d.toLowerCase() === rest);
  if (determination === undefined || !isLegalDetermination(classification, determination)) {
    return {
      id: 'unknown',
      text: raw,
      suggestion: example,
      problem: {
        key: 'commands.problem.resolveDetermination',
        values: { classification: phrase, determinations: allowed.map(toWords).join(', ') },
      },
    };
  }
  // The comment is kept exactly as typed (case, punctuation), from the raw message.
  const typed =
    comment === undefined ? undefined : (/\b(?:because|reason:?)\s+([\s\S]+)$/i.exec(raw)?.[1] ?? comment).trim();
  return {
    id: 'incident.resolve',
    incidentId: id,
    classification,
    determination,
    ...(typed ? { comment: typed } : {}),
  };
}

/** Graph's camelCase value in words: multiStagedAttack → "multi staged attack". */
function toWords(value: string): string {
  return value.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** Longest snooze: a week (a longer silence should be an unsubscribe). */
const MAX_SNOOZE_MINUTES = 7 * 24 * 60;
/** What a filter value may contain: names of device groups, tags and categories. */
const FILTER_VALUE = /^[\p{L}\p{N}][\p{L}\p{N} ._()&/'+#:-]{0,99}$/u;

/**
 * subscribe / unsubscribe / subscriptions / snooze / resume. A message that starts with one of these verbs but
 * does not parse is answered with what was wrong and an example, never taken as something else.
 */
function parseNotificationCommand(raw: string, pb: Phrasebook): Intent | undefined {
  const n = pb.notifications;
  const text = raw.trim();
  const firstWord = text.split(/\s+/)[0]?.toLowerCase() ?? '';
  if (n.list.test(text)) return { id: 'notifications.list' };
  if (n.resume.test(text)) return { id: 'notifications.resume' };
  const unsubscribe = n.unsubscribe.exec(text);
  if (unsubscribe) {
    const groups = unsubscribe.groups ?? {};
    const target = groups.all ? 'all' : groups.id ? { id: `S-${groups.id.slice(2).toLowerCase()}` } : 'unspecified';
    return { id: 'notifications.unsubscribe', target };
  }
  const snooze = n.snooze.exec(text);
  if (snooze) {
    const minutes = Number(snooze.groups?.amount) * (n.snoozeUnits[snooze.groups?.unit?.toLowerCase() ?? ''] ?? NaN);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_SNOOZE_MINUTES)
      return problem('commands.problem.snoozeRange', 'snooze alerts 1h');
    return { id: 'notifications.snooze', minutes };
  }
  const subscribe = n.subscribe.exec(text);
  if (subscribe) {
    const before = subscribe.groups?.severity?.toLowerCase();
    const after = subscribe.groups?.severityAfter?.toLowerCase();
    if (before !== undefined && after !== undefined)
      return problem('commands.problem.oneSeverity', 'subscribe to high alerts');
    const word = before ?? after;
    const threshold = word === undefined ? 'all' : n.severityWords[word];
    if (threshold === undefined) return problem('commands.problem.severityWords', 'subscribe to high alerts');
    const topics = (subscribe.groups?.topics ?? '')
      .toLowerCase()
      .split(/\s+/)
      .flatMap((w) => (n.topicWords[w] === undefined ? [] : [n.topicWords[w]]));
    const follows = SUBSCRIPTION_TOPICS.filter((t) => topics.includes(t));
    const filter: SubscriptionFilter = {
      severities: [...SEVERITY_THRESHOLDS[threshold]],
      // Alerts alone is stored as before (no `follows`), so existing subscriptions and new ones compare equal.
      ...(follows.length === 1 && follows[0] === 'alerts' ? {} : { follows }),
    };
    const clauses = (subscribe.groups?.clauses ?? '')
      .trim()
      .split(/\s+(?=(?:(?:for|in|on|from)\s+(?:the\s+)?device\s+group|tagged|with\s+tag|(?:in\s+)?category)\s)/i)
      .filter((c) => c.length > 0);
    for (const clause of clauses) {
      const kind = (['deviceGroup', 'tag', 'category'] as const).find((k) => n.clauses[k].test(clause));
      if (!kind)
        return problem('commands.problem.narrowing', 'subscribe to high alerts for device group Finance-Workstations');
      const value = clause.replace(n.clauses[kind], '').trim();
      if (!FILTER_VALUE.test(value) || filter[kind] !== undefined)
        return problem('commands.problem.filterValue', 'subscribe to high alerts tagged VIP', { kind });
      filter[kind] = value;
    }
    if (isFollowing(filter, 'incidents') && (filter.deviceGroup ?? filter.tag ?? filter.category) !== undefined)
      // An incident spans devices, users and mailboxes: a device group, tag or category names none of it.
      return problem('commands.problem.incidentsBySeverity', 'subscribe to high incidents');
    return { id: 'notifications.subscribe', filter };
  }
  if (n.verbs.includes(firstWord)) {
    const example =
      firstWord === 'snooze' || firstWord === 'mute'
        ? 'snooze alerts 1h'
        : firstWord === 'unsubscribe'
          ? 'unsubscribe all'
          : firstWord === 'subscribe'
            ? 'subscribe to high alerts'
            : 'resume alerts';
    return problem('commands.problem.notificationCommand', example);
  }
  return undefined;
}

/**
 * The examples a problem offers ("For example: …"), as a Portuguese speaker types them: each means exactly what its
 * English one does (test/i18n/botWords.test.ts parses both).
 */
const PORTUGUESE_EXAMPLES: Record<string, string> = {
  'snooze alerts 1h': 'silenciar alertas 1h',
  'subscribe to high alerts': 'assinar alertas altos',
  'subscribe to high incidents': 'assinar incidentes altos',
  'subscribe to high alerts for device group Finance-Workstations':
    'assinar alertas altos para o grupo de dispositivos Finance-Workstations',
  'subscribe to high alerts tagged VIP': 'assinar alertas altos com tag VIP',
  'unsubscribe all': 'cancelar assinatura todas',
  'resume alerts': 'retomar alertas',
};

/** A problem's example in the reader's language (the parser's own examples are English). */
export function problemExampleIn(locale: 'en' | 'pt-BR', example: string): string {
  if (locale === 'en') return example;
  const resolve = /^resolve incident (\d+) as true positive phishing$/.exec(example);
  if (resolve) return `resolver incidente ${resolve[1]!} como verdadeiro positivo phishing`;
  return PORTUGUESE_EXAMPLES[example] ?? example;
}

/** The example commands a problem can offer, in English (for the test that parses each in both languages). */
export const PROBLEM_EXAMPLES: readonly string[] = [
  ...Object.keys(PORTUGUESE_EXAMPLES),
  'resolve incident 2301 as true positive phishing',
];

function problem(key: ParseProblem['key'], suggestion: string, values?: ParseProblem['values']): Intent {
  return { id: 'unknown', text: '', suggestion, problem: { key, ...(values ? { values } : {}) } };
}

/** Words that stand for many devices or none: a response action names one device, so these are never taken. */
const NOT_A_DEVICE = new Set([
  'everything',
  'anything',
  'every',
  'each',
  'them',
  'it',
  'this',
  'that',
  'these',
  'those',
]);

/** Response actions and their record-keeping, from the phrasebook's pattern table. */
function parseActionCommand(lower: string, raw: string, pb: Phrasebook): Intent | undefined {
  for (const { pattern, intent } of pb.actionPatterns) {
    const match = pattern.exec(lower);
    if (!match) continue;
    const groups = match.groups ?? {};
    const device = groups.device ?? groups.device2;
    // The reason is kept exactly as typed (case, punctuation), from the raw message.
    const reason =
      groups.reason === undefined
        ? undefined
        : (/\b(?:because|reason:?)\s+([\s\S]+)$/i.exec(raw)?.[1] ?? groups.reason).trim();
    const variantWord = groups.variant ?? groups.variant2;
    const variant = variantWord ? pb.variants[variantWord] : undefined;
    switch (intent) {
      case 'cancel':
        return groups.id ? { id: 'action.cancel', machineActionId: groups.id } : undefined;
      case 'history':
        return device ? { id: 'actions.list', device } : undefined;
      case 'approvals':
        return { id: 'approvals.list' };
      case 'useChannel':
        return { id: 'approvals.useChannel' };
      case 'audit':
        return { id: 'audit.show', device, user: groups.user };
      case 'isolate':
      case 'unisolate':
      case 'restrictCodeExecution':
      case 'unrestrictCodeExecution':
      case 'runAntiVirusScan':
      case 'collectInvestigationPackage':
      case 'stopAndQuarantineFile': {
        if (!device || isVocabulary(device, pb) || NOT_A_DEVICE.has(device)) return undefined;
        const parameters = {
          ...(intent === 'isolate' ? { isolationType: variant?.isolationType ?? ('Full' as const) } : {}),
          ...(intent === 'runAntiVirusScan' ? { scanType: variant?.scanType ?? ('Quick' as const) } : {}),
          ...(intent === 'stopAndQuarantineFile' && groups.sha1 ? { sha1: groups.sha1 } : {}),
        };
        return { id: 'action.request', kind: intent, device, parameters, reason };
      }
    }
  }
  return undefined;
}

const INCIDENT_NUMBER = /^#?(\d{1,20})$/;
const INCIDENT_SEVERITIES: Partial<Record<Severity, IncidentListSeverity>> = {
  High: 'high',
  Medium: 'medium',
  Low: 'low',
  Informational: 'informational',
};

/**
 * "incident 123" / "incident #123", and "show incidents" with severity, owner ("assigned to me", "unassigned") and
 * status ("resolved") words. Every word must be understood, as for alert lists.
 */
function parseIncidentCommand(words: string[], pb: Phrasebook): Intent | undefined {
  const v = pb.incidents;
  if (v.singular.includes(words[0]!)) {
    const rest = words.slice(1).filter((w, i) => !(i === 0 && v.numberWords.includes(w)));
    const number = rest.length === 1 ? INCIDENT_NUMBER.exec(rest[0]!) : null;
    if (number) return { id: 'incident.show', incidentId: number[1]! };
    if (rest.length > 0) return undefined;
  }
  if (words.length === 1 && INCIDENT_NUMBER.test(words[0]!) && words[0]!.startsWith('#')) {
    return { id: 'incident.show', incidentId: words[0]!.slice(1) };
  }
  if (!words.some((w) => v.plural.includes(w))) return undefined;
  const query: IncidentListQuery = { severities: [], status: 'open', owner: 'anyone' };
  const severities = new Set<IncidentListSeverity>();
  let i = 0;
  while (i < words.length) {
    if (v.plural.includes(words[i]!)) {
      i++;
      continue;
    }
    const mine = matchPhrase(words, i, pb.assignedToMe);
    const nobody = matchPhrase(words, i, v.unassigned);
    const resolved = matchPhrase(words, i, v.statuses.resolved);
    const any = matchPhrase(words, i, v.statuses.any);
    const open = matchPhrase(words, i, v.statuses.open);
    const severity = matchKeyed(words, i, pb.severities);
    const best = Math.max(mine, nobody, resolved, any, open, severity?.length ?? 0);
    if (best === 0) {
      const filler = matchPhrase(words, i, pb.fillers);
      if (!filler) return undefined;
      i += filler;
      continue;
    }
    if (best === mine || best === nobody) {
      const owner = best === mine ? 'me' : 'nobody';
      if (query.owner !== 'anyone' && query.owner !== owner) return undefined;
      query.owner = owner;
    } else if (best === resolved || best === any || best === open) {
      query.status = best === resolved ? 'resolved' : best === any ? 'any' : 'open';
    } else if (severity) {
      const mapped = INCIDENT_SEVERITIES[severity.key];
      if (!mapped) return undefined;
      severities.add(mapped);
    }
    i += best;
  }
  return { id: 'incidents.list', query: { ...query, severities: [...severities] } };
}

function parseAlertList(words: string[], pb: Phrasebook, clock: Clock): AlertListQuery | undefined {
  const severities = new Set<Severity>();
  const statuses = new Set<AlertStatus>();
  let status: StatusFilter | undefined;
  let sinceHours: number | undefined;
  let between: { since: string; until?: string | undefined } | undefined;
  let assignedToMe = false;
  let device: string | undefined;
  let sawAlertNoun = false;

  let i = 0;
  while (i < words.length) {
    const word = words[i]!;
    if (pb.alertPlural.includes(word) || pb.alertSingular.includes(word)) {
      sawAlertNoun = true;
      i++;
      continue;
    }
    const assigned = matchPhrase(words, i, pb.assignedToMe);
    if (assigned) {
      assignedToMe = true;
      i += assigned;
      continue;
    }
    // "yesterday", "since Monday", "this week", "ontem", "desde segunda": a calendar window in the viewer's zone.
    const phrase = matchTimePhrase(words, i, clock);
    if (phrase) {
      if (sinceHours !== undefined || between !== undefined) return undefined;
      const { since, until } = phrase.window;
      between = { since: since.toISOString(), ...(until ? { until: until.toISOString() } : {}) };
      i += phrase.length;
      continue;
    }
    const window = matchTimeWindow(words, i, pb);
    if (window) {
      if (sinceHours !== undefined || between !== undefined) return undefined;
      sinceHours = window.hours;
      i += window.length;
      continue;
    }
    const severity = matchKeyed(words, i, pb.severities);
    if (severity) {
      severities.add(severity.key);
      i += severity.length;
      continue;
    }
    const only = matchKeyed(words, i, pb.statuses.only);
    if (only) {
      statuses.add(only.key);
      i += only.length;
      continue;
    }
    const unresolved = matchPhrase(words, i, pb.statuses.unresolved);
    if (unresolved) {
      status = { kind: 'unresolved' };
      i += unresolved;
      continue;
    }
    const all = matchPhrase(words, i, pb.statuses.all);
    if (all) {
      status = { kind: 'all' };
      i += all;
      continue;
    }
    // A device is introduced by a preposition and must come after the alert noun ("alerts on X").
    const preposition = sawAlertNoun ? matchPhrase(words, i, pb.devicePrepositions) : 0;
    if (
      preposition &&
      i + preposition < words.length &&
      DEVICE_TOKEN.test(words[i + preposition]!) &&
      !isVocabulary(words[i + preposition]!, pb)
    ) {
      if (device !== undefined) return undefined;
      device = words[i + preposition]!;
      i += preposition + 1;
      continue;
    }
    const filler = matchPhrase(words, i, pb.fillers);
    if (filler) {
      i += filler;
      continue;
    }
    return undefined;
  }
  if (!sawAlertNoun) return undefined;
  if (statuses.size > 0) {
    if (status !== undefined) return undefined;
    status = { kind: 'only', statuses: [...statuses] };
  }
  return {
    severities: [...severities],
    status: status ?? { kind: 'unresolved' },
    sinceHours,
    ...between,
    assignedToMe,
    device,
  };
}

function skipLeadIns(words: string[], pb: Phrasebook): number {
  let i = 0;
  for (;;) {
    const length = matchPhrase(words, i, pb.leadIns);
    if (!length || i + length >= words.length) return i;
    i += length;
  }
}

/** Length (in words) of the longest phrase of `phrases` starting at `words[i]`, or 0. */
function matchPhrase(words: string[], i: number, phrases: string[]): number {
  let best = 0;
  for (const phrase of phrases) {
    const parts = phrase.split(' ');
    if (parts.length > best && parts.every((part, k) => words[i + k] === part)) best = parts.length;
  }
  return best;
}

function matchKeyed<K extends string>(
  words: string[],
  i: number,
  table: Record<K, string[]>,
): { key: K; length: number } | undefined {
  let best: { key: K; length: number } | undefined;
  for (const key of Object.keys(table) as K[]) {
    const length = matchPhrase(words, i, table[key]);
    if (length > (best?.length ?? 0)) best = { key, length };
  }
  return best;
}

function matchTimeWindow(words: string[], i: number, pb: Phrasebook): { hours: number; length: number } | undefined {
  const fixed = Object.keys(pb.time.fixed);
  const fixedLength = matchPhrase(words, i, fixed);
  if (fixedLength) {
    const phrase = words.slice(i, i + fixedLength).join(' ');
    return { hours: pb.time.fixed[phrase]!, length: fixedLength };
  }
  const lead = matchPhrase(words, i, pb.time.recentWords);
  const at = i + lead;
  // "24h", "7d" (compact) or "24 hours" (separate) — or "last hour" / "last week" with an implied 1.
  const compact = /^(\d{1,4})([a-z]+)$/.exec(words[at] ?? '');
  if (compact) {
    const hours = toHours(Number(compact[1]), compact[2]!, pb);
    if (hours !== undefined) return { hours, length: lead + 1 };
  }
  if (/^\d{1,4}$/.test(words[at] ?? '') && words[at + 1] !== undefined) {
    const hours = toHours(Number(words[at]), words[at + 1]!, pb);
    if (hours !== undefined) return { hours, length: lead + 2 };
  }
  if (lead && words[at] !== undefined) {
    const hours = toHours(1, words[at], pb);
    if (hours !== undefined) return { hours, length: lead + 1 };
  }
  return undefined;
}

function toHours(amount: number, unit: string, pb: Phrasebook): number | undefined {
  if (amount <= 0) return undefined;
  const { units } = pb.time;
  let hours: number | undefined;
  if (units.hours.includes(unit)) hours = amount;
  else if (units.days.includes(unit)) hours = amount * 24;
  else if (units.weeks.includes(unit)) hours = amount * 168;
  else if (units.minutes.includes(unit)) hours = amount / 60;
  // Defender keeps alerts for 180 days; a longer window is a typo, not a request.
  return hours !== undefined && hours <= 180 * 24 ? hours : undefined;
}

function isVocabulary(word: string, pb: Phrasebook): boolean {
  const all = [
    ...pb.fillers,
    ...pb.assignedToMe,
    ...Object.values<string[]>(pb.severities).flat(),
    ...Object.values<string[]>(pb.statuses.only).flat(),
    ...pb.statuses.unresolved,
  ];
  return all.includes(word);
}

function tokenize(text: string): string[] {
  return text
    .normalize('NFKC')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[?!.]+$/u, '')
    .replace(/,/g, ' , ')
    .split(/\s+/)
    .filter((t) => t.length > 0);
}

/**
 * The example command closest to what the user typed (edit distance), with the user's own name or id put in place
 * of the placeholder, e.g. "devcie ws-fin-042" → "device ws-fin-042". Every suggestion is itself a command the bot
 * understands: an example needing a name is offered only when the user typed a plausible one, examples whose
 * placeholder cannot be filled (a SHA1, a reason) are never offered, and each candidate is parsed before it is.
 */
export function suggestCommand(text: string, pb: Phrasebook = english): string | undefined {
  const typed = tokenize(text.slice(0, MAX_INPUT_LENGTH)).join(' ').toLowerCase();
  if (typed.length === 0) return undefined;
  const last = typed.split(' ').at(-1) ?? '';
  const entity = looksLikeEntity(last) && DEVICE_TOKEN.test(last) && typed.includes(' ') ? last : undefined;
  // Typos corrected first: "shwo hihg alerts lately" is one word away from "show high alerts".
  const corrected = toCanonicalEnglish(text.slice(0, MAX_INPUT_LENGTH)).text.toLowerCase();
  const candidates: { command: string; distance: number }[] = [];
  for (let { command } of pb.examples) {
    // A SHA1 cannot be guessed, nor how to resolve an incident; a reason is the user's to add.
    if (/SHA1|QUERY/.test(command) || /^resol/.test(command)) continue;
    command = command.replace(/ (?:because|porque) REASON$/, '');
    const placeholder = /NAME|ALERT-ID|NUMBER/.exec(command)?.[0];
    let filled = command;
    if (placeholder !== undefined) {
      if (entity === undefined) continue;
      if (placeholder === 'NUMBER' && !/^#?\d{1,20}$/.test(entity)) continue;
      if (placeholder === 'NAME' && (/^#?\d+$/.test(entity) || DEFENDER_ALERT_ID.test(entity))) continue;
      if (placeholder === 'ALERT-ID' && !DEFENDER_ALERT_ID.test(entity)) continue;
      filled = command.replace(placeholder, entity);
    }
    // "isolat ws-fin-042" is closest to "isolate device ws-fin-042" said without its optional words.
    const short = filled.replace(/ (?:device|dispositivo|the|o|a)(?= )/g, '');
    const example = filled.toLowerCase();
    const closeness = Math.min(
      Math.min(distance(typed, example), distance(typed, short.toLowerCase())) / Math.max(example.length, typed.length),
      distance(corrected, example) / Math.max(example.length, corrected.length),
    );
    if (closeness <= 0.45) candidates.push({ command: filled, distance: closeness });
  }
  candidates.sort((a, b) => a.distance - b.distance);
  const clock: Clock = { now: new Date(), timeZone: 'UTC' };
  return candidates.slice(0, 3).find((c) => isUnderstood(c.command, pb, clock))?.command;
}

/** Whether a suggestion parses, remembered: suggestions come from a few examples and the names people type. */
const understoodSuggestions = new Map<string, boolean>();

function isUnderstood(command: string, pb: Phrasebook, clock: Clock): boolean {
  const key = `${pb.locale}\u0000${command}`;
  let understood = understoodSuggestions.get(key);
  if (understood === undefined) {
    understood = understand(command, pb, clock).intent.id !== 'unknown';
    if (understoodSuggestions.size >= 1000) understoodSuggestions.clear();
    understoodSuggestions.set(key, understood);
  }
  return understood;
}

/** Classic edit distance (insert, delete, substitute), O(n·m) on short strings. */
export function levenshtein(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}
