import type { ResponseActionKind } from '../approvals/approvalTypes';
import type { AlertStatus, Severity } from '../defender/schemas';
import type { SubscriptionTopic } from '../notifications/subscriptionTypes';

/** What an action phrasing asks for: a response action, or one of the commands around them. */
export type ActionIntentKind = ResponseActionKind | 'cancel' | 'history' | 'approvals' | 'useChannel' | 'audit';

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
  /**
   * Response actions and their record-keeping, as patterns over the lower-cased message. Named groups:
   * `device` (a device name or id), `sha1`, `variant` (selective / quick / full), `reason` (after "because",
   * kept as typed), `id`, `user`. The first pattern that matches the whole message wins.
   */
  actionPatterns: { pattern: RegExp; intent: ActionIntentKind }[];
  /**
   * Alert notifications, as patterns over the message as typed (case kept, so filter values keep theirs).
   * `subscribe`: named groups `severity` (a word of `severityWords`, before what is followed, or `severityAfter`
   * after it), `topics` (words of `topicWords`: alerts, incidents or both) and `clauses` (the rest, split by
   * `clauses` patterns into device group / tag / category). `unsubscribe`: `all` or `id`. `snooze`: `amount` and
   * `unit`.
   */
  notifications: {
    subscribe: RegExp;
    /** Words of the `topics` group and what they follow. */
    topicWords: Record<string, SubscriptionTopic>;
    /** Patterns that start each filter clause, in the text after "alerts". */
    clauses: { deviceGroup: RegExp; tag: RegExp; category: RegExp };
    severityWords: Record<string, 'high' | 'medium' | 'low' | 'all'>;
    unsubscribe: RegExp;
    list: RegExp;
    snooze: RegExp;
    /** Snooze units and their length in minutes. */
    snoozeUnits: Record<string, number>;
    resume: RegExp;
    /** First words that mark a message as a notification command (a near miss gets that command's help). */
    verbs: string[];
  };
  /**
   * Partner context (an MSSP's customers), as patterns over the message as typed. `onboard`: groups `name` and
   * `tenant` (a tenant id or a domain); `offboard`, `bind`, `unbind`: `name`; `list`: the whole message.
   */
  customers: { onboard: RegExp; list: RegExp; here: RegExp; offboard: RegExp; bind: RegExp; unbind: RegExp };
  /** Words of the `variant` group and what they mean. */
  variants: Record<string, { isolationType?: 'Full' | 'Selective'; scanType?: 'Quick' | 'Full' }>;
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
  /**
   * Defender XDR incidents: "incident 123" and "show incidents" with its qualifiers (severity words and
   * `assignedToMe` are shared with alerts).
   */
  incidents: {
    singular: string[];
    plural: string[];
    /** Words that may stand between the noun and the number ("incident number 123"). */
    numberWords: string[];
    unassigned: string[];
    statuses: { open: string[]; resolved: string[]; any: string[] };
  };
  /**
   * Resolving an incident, as a pattern over the message as typed: named groups `id` (the incident number),
   * `resolution` (classification then determination, in `classificationWords` and words of Graph's values) and
   * `comment` (after "because", kept as typed).
   */
  resolveIncident: RegExp;
  /** Words for Graph's classifications, longest first is not needed: each is matched as the resolution's start. */
  classificationWords: Record<string, 'truePositive' | 'falsePositive' | 'informationalExpectedActivity'>;
  /** Example commands shown by help and used for "did you mean". `NAME` and `ALERT-ID` are placeholders. */
  examples: { command: string; description: string }[];
}

/** English phrasings. */
export const english: Phrasebook = {
  locale: 'en',
  resolveIncident:
    /^(?:resolve|close)\s+(?:the\s+)?incident\s+#?(?<id>\d{1,20})(?:\s+as)?(?:\s+(?<resolution>.+?))??(?:\s+(?:because|reason:?)\s+(?<comment>[\s\S]+))?$/i,
  classificationWords: {
    'true positive': 'truePositive',
    tp: 'truePositive',
    'false positive': 'falsePositive',
    fp: 'falsePositive',
    'informational expected activity': 'informationalExpectedActivity',
    'expected activity': 'informationalExpectedActivity',
    'benign positive': 'informationalExpectedActivity',
    informational: 'informationalExpectedActivity',
  },
  help: ['help', '?', 'commands', 'what can you do', 'hi', 'hello', 'hey', 'start', 'menu', 'usage'],
  actionPatterns: [
    {
      pattern:
        /^isolate\s+(?:the\s+)?(?:(?:device|machine|host|computer)\s+)?(?<device>[a-z0-9][a-z0-9._-]{0,252})(?:\s+(?<variant>selectively|selective|fully|full))?(?:\s+(?:because|reason:?)\s+(?<reason>.+))?$/,
      intent: 'isolate',
    },
    {
      pattern:
        /^(?:release|unisolate|un-isolate)\s+(?:the\s+)?(?:(?:device|machine|host)\s+)?(?<device>[a-z0-9][a-z0-9._-]{0,252})(?:\s+from\s+isolation)?(?:\s+(?:because|reason:?)\s+(?<reason>.+))?$/,
      intent: 'unisolate',
    },
    {
      pattern:
        /^restrict\s+(?:apps?|app\s+execution|code\s+execution|applications?)\s+on\s+(?:device\s+)?(?<device>[a-z0-9][a-z0-9._-]{0,252})(?:\s+(?:because|reason:?)\s+(?<reason>.+))?$/,
      intent: 'restrictCodeExecution',
    },
    {
      pattern:
        /^(?:remove\s+(?:the\s+)?app(?:lication)?\s+restrictions?\s+(?:on|from)|unrestrict\s+(?:apps?|app\s+execution|code\s+execution)\s+on|lift\s+(?:the\s+)?app\s+restrictions?\s+on)\s+(?:device\s+)?(?<device>[a-z0-9][a-z0-9._-]{0,252})(?:\s+(?:because|reason:?)\s+(?<reason>.+))?$/,
      intent: 'unrestrictCodeExecution',
    },
    {
      pattern:
        /^(?:scan\s+(?:(?:device|machine|host)\s+)?(?<device>[a-z0-9][a-z0-9._-]{0,252})(?:\s+(?<variant>quick|full))?(?:\s+scan)?|run\s+(?:an?\s+)?(?<variant2>quick|full)?\s*(?:av|antivirus|anti-virus)\s+scan\s+on\s+(?:device\s+)?(?<device2>[a-z0-9][a-z0-9._-]{0,252}))(?:\s+(?:because|reason:?)\s+(?<reason>.+))?$/,
      intent: 'runAntiVirusScan',
    },
    {
      pattern:
        /^collect\s+(?:an?\s+)?(?:investigation\s+)?package\s+(?:from|on|for|of)\s+(?:device\s+)?(?<device>[a-z0-9][a-z0-9._-]{0,252})(?:\s+(?:because|reason:?)\s+(?<reason>.+))?$/,
      intent: 'collectInvestigationPackage',
    },
    {
      pattern:
        /^(?:stop\s+and\s+quarantine|quarantine)\s+(?:file\s+)?(?<sha1>[0-9a-f]{40})\s+on\s+(?:device\s+)?(?<device>[a-z0-9][a-z0-9._-]{0,252})(?:\s+(?:because|reason:?)\s+(?<reason>.+))?$/,
      intent: 'stopAndQuarantineFile',
    },
    {
      pattern: /^cancel\s+(?:machine\s+)?action\s+(?<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/,
      intent: 'cancel',
    },
    {
      pattern:
        /^(?:actions|action\s+history|response\s+actions)\s+(?:on|for|of)\s+(?:device\s+)?(?<device>[a-z0-9][a-z0-9._-]{0,252})$/,
      intent: 'history',
    },
    { pattern: /^(?:approvals|pending\s+approvals|show\s+approvals|list\s+approvals)$/, intent: 'approvals' },
    { pattern: /^use\s+this\s+(?:channel|chat)\s+for\s+approvals$/, intent: 'useChannel' },
    {
      pattern:
        /^(?:audit|show\s+audit|audit\s+trail)(?:\s+(?:for\s+)?(?:device\s+(?<device>[a-z0-9][a-z0-9._-]{0,252})|user\s+(?<user>[a-z0-9._%+-]+@[a-z0-9.-]+)))?$/,
      intent: 'audit',
    },
  ],
  notifications: {
    subscribe:
      /^subscribe(?:\s+(?:this\s+(?:channel|chat)|me|us))?(?:\s+to)?(?:\s+(?<severity>high|medium|low|all|every|any))?(?:\s+severity)?\s+(?<topics>alerts?(?:\s+(?:and|&|\+)\s+incidents?)?|incidents?(?:\s+(?:and|&|\+)\s+alerts?)?)(?:\s+(?<severityAfter>high|medium|low|all|every|any)(?:\s+severity)?)?(?<clauses>\s.*)?$/i,
    topicWords: { alert: 'alerts', alerts: 'alerts', incident: 'incidents', incidents: 'incidents' },
    clauses: {
      deviceGroup: /^(?:for|in|on|from)\s+(?:the\s+)?device\s+group\s+/i,
      tag: /^(?:tagged|with\s+tag)\s+/i,
      category: /^(?:in\s+)?category\s+/i,
    },
    severityWords: { high: 'high', medium: 'medium', low: 'low', all: 'all', every: 'all', any: 'all' },
    unsubscribe:
      /^(?:unsubscribe|stop\s+notifications)(?:\s+(?:from\s+)?(?:(?<all>all|everything|all\s+alerts|alerts)|(?<id>s-[0-9a-f]{8})))?$/i,
    list: /^(?:subscriptions|my\s+subscriptions|notification\s+subscriptions|subscriptions\s+here)$/i,
    snooze:
      /^(?:snooze|mute|pause)(?:\s+(?:alerts?|notifications))?(?:\s+for)?\s+(?<amount>\d{1,4})\s*(?<unit>m|mins?|minutes?|h|hrs?|hours?|d|days?)$/i,
    snoozeUnits: {
      m: 1,
      min: 1,
      mins: 1,
      minute: 1,
      minutes: 1,
      h: 60,
      hr: 60,
      hrs: 60,
      hour: 60,
      hours: 60,
      d: 1440,
      day: 1440,
      days: 1440,
    },
    resume: /^(?:resume|unsnooze|unmute)(?:\s+(?:alerts?|notifications))?$/i,
    verbs: ['subscribe', 'unsubscribe', 'snooze', 'resume', 'unsnooze', 'mute', 'unmute'],
  },
  customers: {
    onboard:
      /^(?:onboard|add|connect)\s+customer\s+(?<name>[\p{L}\p{N}][\p{L}\p{N} .&-]{0,63}?)\s+(?:tenant\s+|at\s+|with\s+tenant\s+)?(?<tenant>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9](?:[a-z0-9-]{0,62}\.)+[a-z]{2,63})$/iu,
    list: /^(?:tenants|customers|(?:list|show)\s+(?:tenants|customers)|customer\s+tenants)$/i,
    here: /^(?:customers\s+here|which\s+customers(?:\s+(?:here|does\s+this\s+(?:channel|chat)\s+serve))?|bindings)\??$/i,
    offboard: /^(?:offboard|remove|disconnect)\s+customer\s+(?<name>\S.{0,63})$/i,
    bind: /^(?:bind|serve)\s+(?:(?:this\s+(?:channel|chat|conversation)\s+)?to\s+)?(?:customer\s+)?(?<name>\S.{0,63}?)(?:\s+here)?$/i,
    unbind:
      /^(?:unbind|stop\s+serving)\s+(?:(?:this\s+(?:channel|chat|conversation)\s+)?from\s+)?(?:customer\s+)?(?<name>\S.{0,63}?)(?:\s+here)?$/i,
  },
  variants: {
    selectively: { isolationType: 'Selective' },
    selective: { isolationType: 'Selective' },
    fully: { isolationType: 'Full' },
    full: { isolationType: 'Full', scanType: 'Full' },
    quick: { scanType: 'Quick' },
  },
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
    'on the device',
    'of device',
    'of the device',
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
    'of',
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
    'do',
    'we',
    'i',
    'have',
    'got',
    'currently',
    'right',
    'is',
    'who',
  ],
  incidents: {
    singular: ['incident'],
    plural: ['incidents'],
    numberWords: ['id', 'number', 'no'],
    unassigned: ['unassigned', 'not assigned', "nobody's", 'without owner', 'without an owner', 'with no owner'],
    statuses: {
      open: ['open', 'active', 'unresolved', 'current'],
      resolved: ['resolved', 'closed'],
      any: ['including resolved', 'any status', 'all statuses', 'every status'],
    },
  },
  examples: [
    {
      command: 'show incidents',
      description: 'Open Defender XDR incidents (add "high", "assigned to me", "unassigned" or "resolved")',
    },
    { command: 'incident NUMBER', description: 'One incident: alerts, devices, users, mailboxes; triage on the card' },
    { command: 'show high alerts', description: 'Unresolved High alerts, newest first' },
    { command: 'show alerts', description: 'All unresolved alerts' },
    { command: 'show new medium alerts', description: 'Filter by status and severity' },
    { command: 'high alerts last 24h', description: 'Only alerts created in a time window' },
    { command: 'alerts assigned to me', description: 'Alerts assigned to you in Defender' },
    { command: 'alerts on device NAME', description: 'Alerts of one device' },
    { command: 'alert ALERT-ID', description: 'One alert with its evidence' },
    { command: 'device NAME', description: 'A device: health, risk, isolation state, open alerts' },
    {
      command: 'investigate SHA1',
      description: 'What Defender knows about a file, IP address, domain or user: prevalence, devices, alerts',
    },
    {
      command: 'isolate device NAME because REASON',
      description: 'Isolate a device (add "selectively" to keep Teams and Outlook working); needs approval',
    },
    { command: 'release device NAME', description: 'Release a device from isolation; needs approval' },
    {
      command: 'restrict apps on NAME',
      description: 'Allow only Microsoft-signed apps; "remove app restriction on NAME" undoes it',
    },
    { command: 'scan device NAME quick', description: 'Antivirus scan (quick or full)' },
    { command: 'collect investigation package from NAME', description: 'Forensics package for investigators' },
    { command: 'stop and quarantine SHA1 on NAME', description: 'Stop a file and quarantine it' },
    { command: 'actions on NAME', description: 'Response actions of a device and their status' },
    {
      command: 'resolve incident 2301 as true positive phishing because REASON',
      description: 'Resolve an incident (classification and determination); High ones need an approver',
    },
    { command: 'approvals', description: 'Requests waiting for approval' },
    { command: 'audit', description: 'The last 20 audit entries (approvers and admins)' },
    {
      command: 'subscribe to high alerts',
      description: 'Post new alerts here (add "for device group G", "tagged T", "category C")',
    },
    {
      command: 'subscribe to high incidents',
      description: 'One card per Defender XDR incident here, updated as it grows ("alerts and incidents" for both)',
    },
    { command: 'subscriptions', description: 'What this conversation is subscribed to' },
    { command: 'unsubscribe all', description: 'Stop notifications here ("unsubscribe S-…" for one)' },
    { command: 'snooze alerts 1h', description: 'Pause new notifications here ("resume alerts" ends it)' },
    {
      command: 'show alerts from yesterday',
      description: 'Alerts created yesterday (also "since Monday", "this week")',
    },
    { command: 'hunts', description: 'Saved advanced hunting queries, each with a Run button' },
    {
      command: 'hunt processes on NAME last 24h',
      description: 'Run a saved hunt ("hunt connections to 203.0.113.7", "hunt logons of alice")',
    },
    { command: 'kql QUERY', description: 'Ad-hoc advanced hunting KQL, several lines allowed (SOC.Hunter role)' },
    { command: 'language pt-BR', description: 'Talk to me in Brazilian Portuguese ("language english" to come back)' },
    { command: 'connect tenant', description: 'The admin-consent link that connects your organisation' },
    { command: 'help', description: 'This list' },
  ],
};

/**
 * Brazilian Portuguese: the same grammar (a Portuguese message is translated word by word into canonical English by
 * src/language/canonical.ts before it is read), with help and "did you mean" examples in Portuguese, using
 * Microsoft's pt-BR terms. Every example is a command the bot understands (test/commands/suggestions.test.ts).
 */
export const portuguese: Phrasebook = {
  ...english,
  locale: 'pt-BR',
  examples: [
    {
      command: 'mostrar incidentes',
      description:
        'Incidentes abertos do Defender XDR (acrescente "altos", "atribuídos a mim", "sem responsável" ou "resolvidos")',
    },
    {
      command: 'incidente NUMBER',
      description: 'Um incidente: alertas, dispositivos, usuários, caixas de correio; triagem no cartão',
    },
    {
      command: 'mostrar alertas altos',
      description: 'Alertas de gravidade Alta não resolvidos, os mais recentes primeiro',
    },
    { command: 'mostrar alertas', description: 'Todos os alertas não resolvidos' },
    { command: 'mostrar alertas novos de gravidade média', description: 'Filtrar por status e gravidade' },
    { command: 'alertas altos nas últimas 24 horas', description: 'Só os alertas criados num período' },
    { command: 'alertas de ontem', description: 'Os alertas criados ontem (também "desde segunda", "esta semana")' },
    { command: 'alertas atribuídos a mim', description: 'Alertas atribuídos a você no Defender' },
    { command: 'alertas do dispositivo NAME', description: 'Alertas de um dispositivo' },
    { command: 'alerta ALERT-ID', description: 'Um alerta com suas evidências' },
    { command: 'dispositivo NAME', description: 'Um dispositivo: integridade, risco, isolamento, alertas abertos' },
    {
      command: 'investigar SHA1',
      description:
        'O que o Defender sabe de um arquivo, endereço IP, domínio ou usuário: prevalência, dispositivos, alertas',
    },
    {
      command: 'isolar dispositivo NAME',
      description: 'Isolar um dispositivo ("seletivamente" mantém Teams e Outlook funcionando); precisa de aprovação',
    },
    { command: 'liberar dispositivo NAME', description: 'Liberar um dispositivo do isolamento; precisa de aprovação' },
    {
      command: 'restringir aplicativos em NAME',
      description:
        'Permitir só aplicativos assinados pela Microsoft; "remover restrição de aplicativos em NAME" desfaz',
    },
    { command: 'verificar dispositivo NAME rápida', description: 'Verificação antivírus (rápida ou completa)' },
    { command: 'coletar pacote de investigação de NAME', description: 'Pacote forense para os investigadores' },
    {
      command: 'parar e colocar em quarentena SHA1 em NAME',
      description: 'Parar um arquivo e colocá-lo em quarentena',
    },
    { command: 'ações em NAME', description: 'Ações de resposta de um dispositivo e seu status' },
    {
      command: 'resolver incidente 2301 como verdadeiro positivo phishing porque REASON',
      description:
        'Resolver um incidente (classificação e determinação); os de gravidade Alta precisam de um aprovador',
    },
    { command: 'aprovações', description: 'Pedidos aguardando aprovação' },
    { command: 'auditoria', description: 'As últimas 20 entradas da auditoria (aprovadores e administradores)' },
    {
      command: 'assinar alertas altos',
      description:
        'Publicar alertas novos aqui (acrescente "para o grupo de dispositivos G", "com tag T", "categoria C")',
    },
    {
      command: 'assinar incidentes altos',
      description: 'Um cartão por incidente do Defender XDR aqui, atualizado quando cresce',
    },
    { command: 'assinaturas', description: 'O que esta conversa assina' },
    {
      command: 'cancelar assinatura todas',
      description: 'Parar as notificações aqui ("cancelar assinatura S-…" para uma)',
    },
    { command: 'silenciar alertas 1h', description: 'Pausar notificações novas aqui ("retomar alertas" encerra)' },
    { command: 'clientes', description: 'Os clientes (locatários) deste parceiro' },
    { command: 'buscas', description: 'Consultas salvas de busca avançada, cada uma com um botão Executar' },
    {
      command: 'buscar processos em NAME últimas 24h',
      description: 'Executar uma busca salva ("buscar conexões para 203.0.113.7", "buscar logons de alice")',
    },
    { command: 'kql QUERY', description: 'KQL livre da busca avançada, em várias linhas (função SOC.Hunter)' },
    { command: 'idioma português', description: 'Falar comigo em português ("idioma inglês" para inglês)' },
    {
      command: 'conectar locatário',
      description: 'O link de consentimento do administrador que conecta sua organização',
    },
    { command: 'ajuda', description: 'Esta lista' },
  ],
};
