import type { z } from 'zod';
import type { CardVerb } from '../cards/payloads';
import {
  alertOpenDataSchema,
  alertsPageDataSchema,
  commandViewDataSchema,
  deviceShowDataSchema,
} from '../cards/payloads';
import type { CommandContextFactory, Reply } from '../commands/commandContext';
import { listAlerts } from '../commands/listAlerts';
import { parseCommand } from '../commands/parseCommand';
import type { CommandEnvironment } from '../commands/registry';
import { runCommand } from '../commands/registry';
import { showAlert } from '../commands/showAlert';
import { showDevice } from '../commands/showDevice';
import { AppError } from '../errors';
import type { Operation } from '../userMessages';

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
  'command.view': action({
    schema: commandViewDataSchema,
    operation: 'view alerts',
    // "Show me" in a group chat or channel: the command is parsed again and answered for the clicker.
    run: (data, context, env) => runCommand(parseCommand(data.command, env.phrasebook), context, env),
  }),
  'device.show': action({
    schema: deviceShowDataSchema,
    operation: 'view this device',
    run: async (data, context) => showDevice(await context(), data.device),
  }),
} satisfies Record<CardVerb, CardAction<z.ZodType>>;

/** True when `verb` is one the bot registered. */
export function isCardVerb(verb: unknown): verb is CardVerb {
  return typeof verb === 'string' && Object.hasOwn(CARD_ACTIONS, verb);
}

/** The operation name of a verb, for error messages. */
export function operationOf(verb: CardVerb): Operation {
  return CARD_ACTIONS[verb].operation;
}

/** Validates the data of a verb and runs it; AppError `invalidInput` for data that fails its schema. */
export async function runCardAction(
  verb: CardVerb,
  data: unknown,
  context: CommandContextFactory,
  env: CommandEnvironment,
): Promise<Reply> {
  const definition: CardAction<z.ZodType> = CARD_ACTIONS[verb];
  const parsed = definition.schema.safeParse(data);
  if (!parsed.success) {
    throw new AppError(
      'invalidInput',
      `card data for ${verb} failed validation at ${parsed.error.issues[0]?.path.join('.') ?? '?'}`,
    );
  }
  return definition.run(parsed.data, context, env);
}
