import { z } from 'zod';
import type { AuditSink } from '../approvals/auditSink';
import { toChoiceCard } from '../cards/choiceCard';
import type { AdaptiveCardJson } from '../cards/renderCard';
import { MAX_CARD_BYTES, renderCard } from '../cards/renderCard';
import { clipLine } from '../cards/text';
import type { CommandContext, Reply } from '../commands/commandContext';
import { cardReply } from '../commands/commandContext';
import { deviceChoiceReply } from '../commands/deviceChoices';
import type { HuntWindowWords, Intent } from '../commands/intents';
import { resolveDevice } from '../commands/resolveDevice';
import type { ConversationPort } from '../commands/responseActions';
import { AppError, isAppError } from '../errors';
import type { HuntingClient } from '../graph/huntingClient';
import { MAX_HUNT_QUERY_LENGTH } from '../graph/huntingClient';
import type { Translator } from '../i18n/translator';
import type { HuntCallCounter } from './huntCallCounter';
import type { HuntDefinition, HuntLibrary } from './huntLibrary';
import { huntTitle, windowMinutes } from './huntLibrary';
import type { HuntValue, HuntWindow } from './huntQuery';
import { buildHuntQuery, readParameterValue } from './huntQuery';
import type { HuntingAnswer, HuntRequest, HuntResultPresenter } from './huntingTypes';
import template from './templates/huntLibrary.json';

/** The bot's app role that may run ad-hoc KQL (saved hunts need only a Defender role that can view data). */
export const HUNTER_ROLE = 'SOC.Hunter';

/** Which card a hunt button sits on, and the id of its entity: the server reloads it, never trusting the card. */
export const huntSourceSchema = z.strictObject({
  kind: z.enum(['alert', 'device', 'incident']),
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/),
});

/** A hunt's window carried by a button (a device choice keeps the window the command asked for). */
const windowSchema = z.union([
  z.strictObject({
    minutes: z
      .number()
      .int()
      .min(1)
      .max(30 * 24 * 60),
  }),
  z.strictObject({ since: z.iso.datetime(), until: z.iso.datetime().optional() }),
]);

/**
 * `hunt.run`: a saved hunt by name, from the hunts card (the entity typed into its input, read like command text),
 * a device choice (the chosen device's id) or an entity card (`source`: the alert, device or incident reloaded by id
 * with the clicker's token).
 */
export const huntRunDataSchema = z.preprocess(
  takeTypedEntity,
  z.strictObject({
    hunt: z
      .string()
      .regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/)
      .max(60),
    source: huntSourceSchema.optional(),
    entity: z.string().trim().min(1).max(300).optional(),
    window: windowSchema.optional(),
  }),
);

/** The id of the hunts card's input for one hunt (ids are unique per card: Teams sends every input of it). */
export function entityInputId(hunt: string): string {
  return `entity-${hunt}`;
}

/**
 * The hunts card sends the value of every hunt's input (`entity-<hunt>`) with a click: only the clicked hunt's is
 * kept, as `entity`; the others are dropped before the schema reads the data.
 */
function takeTypedEntity(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const data = { ...(raw as Record<string, unknown>) };
  const own = typeof data.hunt === 'string' ? data[entityInputId(data.hunt)] : undefined;
  for (const key of Object.keys(data)) if (key.startsWith('entity-')) delete data[key];
  if (typeof own === 'string' && own.trim().length > 0 && data.entity === undefined) data.entity = own;
  return data;
}
/** Data of a `hunt.run` button. */
export type HuntRunData = z.infer<typeof huntRunDataSchema>;

/** The hunting commands, as the registry and the card actions call them. */
export interface HuntingPort {
  /** "hunts": the library as a card (no sign-in: it reads nothing). */
  list(i18n: Translator): Reply;
  /** "hunt processes on ws-fin-042 last 24h". */
  run(ctx: CommandContext, conversation: ConversationPort | undefined, intent: HuntRunIntent): Promise<Reply>;
  /** "kql <query>": SOC.Hunter only; everyone else is refused in words and audited. */
  kql(ctx: CommandContext, conversation: ConversationPort | undefined, query: string): Promise<Reply>;
  /** The "Hunt" button of an alert, device or incident card (undefined when no saved hunt takes that entity). */
  buttonFor(source: z.infer<typeof huntSourceSchema>, i18n: Translator): object | undefined;
  /** A `hunt.run` button. */
  runFromCard(ctx: CommandContext, conversation: ConversationPort | undefined, data: HuntRunData): Promise<Reply>;
}

/** The `hunt.run` intent. */
export type HuntRunIntent = Extract<Intent, { id: 'hunt.run' }>;

/** What the hunting commands stand on. */
export interface HuntCommandsOptions {
  library: HuntLibrary;
  client: HuntingClient;
  presenter: HuntResultPresenter;
  audit: AuditSink;
  counter: HuntCallCounter;
  now: () => Date;
}

/** Words that may stand between a hunt's name and its entity; dropped one by one when looking the name up. */
const TRAILING_WORDS =
  /\s+(?:on|of|to|for|from|by|with|device|user|account|ip|file|domain|url|alert|hash|that ran|ran)$/;

/** Hunts offered on one entity card at most (a card stays small; "hunts" lists them all). */
const MAX_CARD_HUNTS = 6;

/** Top-level buttons Teams shows on a card (the Adaptive Cards host config of Teams: maxActions 6). */
const MAX_TOP_LEVEL_ACTIONS = 6;

/** Audit detail fields hold 1,000 characters: the query is recorded whole, in consecutive parts. */
const AUDIT_PART = 1000;

/**
 * Runs saved hunts and ad-hoc KQL for the person asking, with their Graph token (Defender's RBAC applies to them).
 * Every value from a command or a card becomes an escaped `let` literal (huntQuery.ts); every run is audited with
 * the exact query, the hunt, the tenant and the row count (or why it failed).
 */
export class HuntCommands implements HuntingPort {
  constructor(private readonly options: HuntCommandsOptions) {}

  /**
   * The "Hunt" button of an entity card: an Action.ShowCard listing the hunts that take this kind of entity, each an
   * Action.Execute `hunt.run` naming the card by kind and id (the server reloads the entity). Undefined when none fit.
   */
  buttonFor(source: z.infer<typeof huntSourceSchema>, i18n: Translator): object | undefined {
    const fitting = this.options.library
      .all()
      .filter((hunt) => hunt.parameters[0]?.from.includes(source.kind))
      // The hunts about the card's own entity first (an alert's process tree before its files' devices).
      .sort((a, b) => Number(isAbout(b, source.kind)) - Number(isAbout(a, source.kind)))
      .slice(0, MAX_CARD_HUNTS);
    if (fitting.length === 0) return undefined;
    return {
      type: 'Action.ShowCard',
      title: i18n.t('hunting.card.button'),
      card: {
        type: 'AdaptiveCard',
        body: [{ type: 'TextBlock', text: i18n.t('hunting.card.intro'), wrap: true, size: 'Small' }],
        actions: fitting.map((hunt) => ({
          type: 'Action.Execute',
          title: clipLine(huntTitle(hunt, i18n.locale), 60),
          verb: 'hunt.run',
          data: { hunt: hunt.name, source },
        })),
      },
    };
  }

  list(i18n: Translator): Reply {
    const hunts = this.options.library.all();
    const card = renderCard(template, {
      heading: i18n.t('hunting.library.heading', { count: hunts.length }),
      intro: i18n.t('hunting.library.intro'),
      hunts: hunts.map((hunt) => {
        const parameter = hunt.parameters[0];
        return {
          name: hunt.name,
          inputId: entityInputId(hunt.name),
          title: clipLine(huntTitle(hunt, i18n.locale), 120),
          description: clipLine(hunt.description[i18n.locale], 300),
          example: parameter
            ? `hunt ${hunt.name} ${i18n.t(`hunting.placeholder.${parameter.type}`)}`
            : `hunt ${hunt.name}`,
          runTitle: i18n.t('hunting.library.run'),
          needsInput: parameter !== undefined && parameter.from.includes('text'),
          inputLabel: parameter ? i18n.t(`hunting.parameter.${parameter.type}`) : '',
          placeholder: parameter ? i18n.t(`hunting.placeholder.${parameter.type}`) : '',
        };
      }),
    });
    return cardReply(card, i18n.t('hunting.library.heading', { count: hunts.length }));
  }

  async run(ctx: CommandContext, conversation: ConversationPort | undefined, intent: HuntRunIntent): Promise<Reply> {
    const i18n = ctx.i18n;
    const hunt = this.huntNamed(intent.phrase, intent.entity);
    if (!hunt) return this.unknownHunt(i18n, intent);
    return this.runWithText(ctx, conversation, hunt, intent.entity, intent.window);
  }

  async runFromCard(
    ctx: CommandContext,
    conversation: ConversationPort | undefined,
    data: HuntRunData,
  ): Promise<Reply> {
    const hunt = this.options.library.get(data.hunt);
    if (!hunt) throw new AppError('notFound', 'no such hunt');
    if (data.source) return this.runForEntity(ctx, conversation, hunt, data.source, data.window);
    return this.runWithText(ctx, conversation, hunt, data.entity, data.window);
  }

  async kql(ctx: CommandContext, conversation: ConversationPort | undefined, query: string): Promise<Reply> {
    const i18n = ctx.i18n;
    if (!ctx.user.appRoles.includes(HUNTER_ROLE)) {
      await this.options.audit.append({
        type: 'hunt.refused',
        tenantId: ctx.tenant.id,
        actor: actorOf(ctx),
        detail: { reason: 'roleMissing', role: HUNTER_ROLE, ...queryParts(query) },
      });
      return { kind: 'text', text: i18n.t('hunting.kql.roleMissing', { role: HUNTER_ROLE }) };
    }
    if (query.trim().length === 0) return { kind: 'text', text: i18n.t('hunting.kql.empty') };
    if (query.length > MAX_HUNT_QUERY_LENGTH)
      return { kind: 'text', text: i18n.t('hunting.kql.tooLong', { max: MAX_HUNT_QUERY_LENGTH }) };
    return this.execute(ctx, conversation, { title: i18n.t('hunting.kql.title'), query });
  }

  /** The hunt a command's words name, preferring one whose parameter accepts the entity typed. */
  private huntNamed(phrase: string, entity: string | undefined): HuntDefinition | undefined {
    // Articles carry no meaning in a hunt's name ("connections for the domain").
    let words = phrase
      .toLowerCase()
      .split(/\s+/)
      .filter((w) => w.length > 0 && !['the', 'a', 'an'].includes(w))
      .join(' ');
    for (;;) {
      const found = this.options.library.findAll(words);
      const fitting = found.find((h) => accepts(h, entity)) ?? found[0];
      if (fitting) return fitting;
      const shorter = words.replace(TRAILING_WORDS, '');
      if (shorter === words || shorter.length === 0) return undefined;
      words = shorter;
    }
  }

  /** "I don't know that hunt": the closest hunt as a button that runs the corrected command, and "hunts". */
  private unknownHunt(i18n: Translator, intent: HuntRunIntent): Reply {
    const closest = this.options.library.closest(intent.phrase);
    if (!closest)
      return { kind: 'text', text: i18n.t('hunting.unknown.none', { phrase: clipLine(intent.phrase, 80) }) };
    const command = [
      'hunt',
      closest.name,
      ...(intent.entity !== undefined ? [intent.entity] : []),
      ...(intent.window && 'minutes' in intent.window ? [`last ${intent.window.minutes}m`] : []),
    ].join(' ');
    const card = toChoiceCard(
      {
        heading: i18n.t('hunting.unknown.heading'),
        subject: clipLine(intent.phrase, 80),
        text: i18n.t('hunting.unknown.didYouMean'),
        choices: [
          {
            label: huntTitle(closest, i18n.locale),
            detail: command,
            verb: 'command.view',
            data: { command },
          },
        ],
      },
      i18n,
    );
    return cardReply(card, i18n.t('hunting.unknown.heading'));
  }

  /** A hunt whose parameter comes from words (a command, the hunts card's input): checked, a device resolved. */
  private async runWithText(
    ctx: CommandContext,
    conversation: ConversationPort | undefined,
    hunt: HuntDefinition,
    entity: string | undefined,
    window: HuntWindowWords | undefined,
  ): Promise<Reply> {
    const i18n = ctx.i18n;
    const parameter = hunt.parameters[0];
    if (!parameter) return this.runSaved(ctx, conversation, hunt, undefined, undefined, window);
    const needs = (key: 'hunting.needsEntity' | 'hunting.wrongEntity') =>
      ({
        kind: 'text',
        text: i18n.t(key, {
          title: huntTitle(hunt, i18n.locale),
          what: i18n.t(`hunting.parameter.${parameter.type}`),
          example: `hunt ${hunt.name} ${i18n.t(`hunting.placeholder.${parameter.type}`)}`,
        }),
      }) as const;
    if (!parameter.from.includes('text')) return needs('hunting.needsEntity');
    if (entity === undefined) return needs('hunting.needsEntity');
    const checked = readParameterValue(parameter.type, entity);
    if (checked === undefined) return needs('hunting.wrongEntity');
    if (parameter.type !== 'device')
      return this.runSaved(ctx, conversation, hunt, { type: parameter.type, value: checked }, checked, window);
    const resolution = await resolveDevice(ctx.defender, ctx.auth, checked);
    if (resolution.kind !== 'found') {
      return deviceChoiceReply(
        resolution,
        (device) => ({ verb: 'hunt.run', data: { hunt: hunt.name, entity: device, ...(window ? { window } : {}) } }),
        ctx.now,
        i18n,
      );
    }
    const machine = resolution.machine;
    return this.runSaved(
      ctx,
      conversation,
      hunt,
      { type: 'device', name: machine.computerDnsName, id: machine.id },
      machine.computerDnsName,
      window,
    );
  }

  /**
   * A hunt button on an alert, device or incident card: the entity is read again by id with the clicker's token
   * and the parameter filled from what Defender says, never from the card.
   */
  private async runForEntity(
    ctx: CommandContext,
    conversation: ConversationPort | undefined,
    hunt: HuntDefinition,
    source: z.infer<typeof huntSourceSchema>,
    window: HuntWindowWords | undefined,
  ): Promise<Reply> {
    const parameter = hunt.parameters[0];
    if (!parameter) return this.runSaved(ctx, conversation, hunt, undefined, undefined, window);
    if (!parameter.from.includes(source.kind))
      throw new AppError('invalidInput', `hunt ${hunt.name} does not take a ${source.kind}`);
    const value = await this.valueFromEntity(ctx, parameter.type, source);
    if (!value) {
      return {
        kind: 'text',
        text: ctx.i18n.t('hunting.entityLacks', {
          title: huntTitle(hunt, ctx.i18n.locale),
          what: ctx.i18n.t(`hunting.parameter.${parameter.type}`),
        }),
      };
    }
    return this.runSaved(ctx, conversation, hunt, value, value.type === 'device' ? value.name : value.value, window);
  }

  private async valueFromEntity(
    ctx: CommandContext,
    type: HuntDefinition['parameters'][number]['type'],
    source: z.infer<typeof huntSourceSchema>,
  ): Promise<HuntValue | undefined> {
    if (source.kind === 'device') {
      if (type !== 'device') return undefined;
      const machine = await ctx.defender.getMachine(ctx.auth, source.id);
      return { type: 'device', name: machine.computerDnsName, id: machine.id };
    }
    if (source.kind === 'alert') {
      const alert = await ctx.defender.getAlert(ctx.auth, source.id);
      if (type === 'alertId') return { type: 'alertId', value: alert.id };
      if (type === 'device') {
        if (!alert.machineId) return undefined;
        const machine = await ctx.defender.getMachine(ctx.auth, alert.machineId);
        return { type: 'device', name: machine.computerDnsName, id: machine.id };
      }
      for (const evidence of alert.evidence ?? []) {
        const candidates: Record<string, (string | null | undefined)[]> = {
          file: [evidence.sha1, evidence.sha256],
          sha1: [evidence.sha1],
          sha256: [evidence.sha256],
          ip: [evidence.ipAddress],
          domain: [evidence.url],
          account: [evidence.userPrincipalName ?? evidence.accountName],
        };
        for (const raw of candidates[type] ?? []) {
          const checked = raw ? readParameterValue(type, raw) : undefined;
          if (checked !== undefined) return { type, value: checked };
        }
      }
      return undefined;
    }
    const incident = await ctx.graph.getIncident(ctx.graphAuth, source.id);
    if (type === 'account') {
      for (const alert of incident.alerts ?? []) {
        for (const evidence of alert.evidence ?? []) {
          const upn = evidence.userAccount?.userPrincipalName;
          const checked = upn ? readParameterValue('account', upn) : undefined;
          if (checked) return { type: 'account', value: checked };
        }
      }
    }
    if (type === 'device') {
      for (const alert of incident.alerts ?? []) {
        for (const evidence of alert.evidence ?? []) {
          const deviceId = evidence.mdeDeviceId;
          if (deviceId) {
            const machine = await ctx.defender.getMachine(ctx.auth, deviceId);
            return { type: 'device', name: machine.computerDnsName, id: machine.id };
          }
        }
      }
    }
    return undefined;
  }

  private runSaved(
    ctx: CommandContext,
    conversation: ConversationPort | undefined,
    hunt: HuntDefinition,
    value: HuntValue | undefined,
    entityLabel: string | undefined,
    window: HuntWindowWords | undefined,
  ): Promise<Reply> {
    const i18n = ctx.i18n;
    const span = toHuntWindow(window);
    const query = buildHuntQuery(hunt, value, span, ctx.now);
    const title = i18n.t('hunting.title', {
      title: huntTitle(hunt, i18n.locale),
      hasEntity: entityLabel === undefined ? 'no' : 'yes',
      entity: clipLine(entityLabel, 120),
      window: windowText(span, hunt, i18n),
    });
    return this.execute(ctx, conversation, { huntName: hunt.name, title, query });
  }

  /** Sends the query, hands the streamed answer to the presenter, and audits the run (also when it fails). */
  private async execute(
    ctx: CommandContext,
    conversation: ConversationPort | undefined,
    request: HuntRequest,
  ): Promise<Reply> {
    const { counter, now } = this.options;
    const started = now().getTime();
    counter.record(ctx.tenant.id, started);
    const timing = () => ({ elapsedMs: now().getTime() - started, ...counter.counts(ctx.tenant.id, now().getTime()) });
    let rowCount = 0;
    try {
      const answer = await this.options.client.runHuntingQuery(ctx.graphAuth, {
        query: request.query,
        timespan: request.timespan,
      });
      const counted: HuntingAnswer = {
        columns: () => answer.columns(),
        rows: {
          [Symbol.asyncIterator]: async function* () {
            for await (const row of answer.rows) {
              rowCount++;
              yield row;
            }
          },
        },
      };
      const reply = await this.options.presenter.present(ctx, conversation, request, counted, timing);
      await this.audit(ctx, request, { outcome: 'answered', rowCount });
      return reply;
    } catch (err) {
      const outcome = isAppError(err) ? (err.details.hunt?.reason ?? err.code) : 'internal';
      await this.audit(ctx, request, { outcome, rowCount });
      throw err;
    }
  }

  private audit(ctx: CommandContext, request: HuntRequest, result: { outcome: string; rowCount: number }) {
    return this.options.audit.append({
      type: 'hunt.run',
      tenantId: ctx.tenant.id,
      actor: actorOf(ctx),
      detail: {
        hunt: request.huntName ?? 'kql',
        outcome: result.outcome,
        rowCount: result.rowCount,
        ...queryParts(request.query),
      },
    });
  }
}

/** True when the hunt's parameter is the card's own entity (an alert id for an alert card, a device for a device). */
function isAbout(hunt: HuntDefinition, kind: 'alert' | 'device' | 'incident'): boolean {
  const type = hunt.parameters[0]?.type;
  return (kind === 'alert' && type === 'alertId') || (kind === 'device' && type === 'device');
}

function accepts(hunt: HuntDefinition, entity: string | undefined): boolean {
  const parameter = hunt.parameters[0];
  if (!parameter) return entity === undefined;
  return entity !== undefined && readParameterValue(parameter.type, entity) !== undefined;
}

function actorOf(ctx: CommandContext) {
  return { aadObjectId: ctx.user.aadObjectId, userPrincipalName: ctx.user.userPrincipalName };
}

/** The query in audit fields `query`, `query2`, `query3`… of 1,000 characters each (at most 12,000 characters). */
export function queryParts(query: string): Record<string, string> {
  const parts: Record<string, string> = {};
  for (let i = 0; i * AUDIT_PART < query.length && i < 12; i++)
    parts[i === 0 ? 'query' : `query${i + 1}`] = query.slice(i * AUDIT_PART, (i + 1) * AUDIT_PART);
  return parts;
}

function toHuntWindow(window: HuntWindowWords | undefined): HuntWindow | undefined {
  if (!window) return undefined;
  if ('minutes' in window) return { kind: 'recent', minutes: window.minutes };
  return {
    kind: 'between',
    since: new Date(window.since),
    ...(window.until ? { until: new Date(window.until) } : {}),
  };
}

function windowText(span: HuntWindow | undefined, hunt: HuntDefinition, i18n: Translator): string {
  if (!span) return i18n.t('hunting.window.recent', { minutes: windowMinutes(hunt.window) });
  if (span.kind === 'recent') return i18n.t('hunting.window.recent', { minutes: span.minutes });
  return i18n.t('hunting.window.between', {
    since: i18n.dateTime(span.since),
    hasUntil: span.until ? 'yes' : 'no',
    until: span.until ? i18n.dateTime(span.until) : '',
  });
}

/**
 * Adds the "Hunt" button to an entity card when the context offers hunting: appended to the card's actions, so the
 * card's own buttons and layout stay as they are (and left out when it would push the card over its size budget).
 */
export function withHuntButton(
  card: AdaptiveCardJson,
  ctx: CommandContext,
  source: z.infer<typeof huntSourceSchema>,
): AdaptiveCardJson {
  const button = ctx.huntButton?.(source);
  if (!button) return card;
  const actions = [...(Array.isArray(card.actions) ? (card.actions as unknown[]) : []), button];
  // Teams shows at most 6 top-level buttons: past that, the last ones (Hunt among them) go under "More".
  const shown =
    actions.length <= MAX_TOP_LEVEL_ACTIONS
      ? actions
      : [
          ...actions.slice(0, MAX_TOP_LEVEL_ACTIONS - 1),
          {
            type: 'Action.ShowCard',
            title: ctx.i18n.t('hunting.card.moreActions'),
            card: { type: 'AdaptiveCard', body: [], actions: actions.slice(MAX_TOP_LEVEL_ACTIONS - 1) },
          },
        ];
  const withButton = { ...card, actions: shown };
  // A card at the edge of the size budget stays as it was: its content matters more than the shortcut.
  return Buffer.byteLength(JSON.stringify(withButton)) <= MAX_CARD_BYTES ? withButton : card;
}
