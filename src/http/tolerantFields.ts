import { z } from 'zod';

/*
 * Field parsers for answers the bot reads tolerantly (Defender, Microsoft Graph): a field the service omits or
 * sends as null becomes null or [] instead of failing the whole answer.
 */

/** A string that may be absent or null; read as `string | null`. */
export const nullableString = z
  .string()
  .nullish()
  .transform((v) => v ?? null);

/** A list of strings that may be absent or null; read as `string[]`. */
export const stringList = z
  .array(z.string())
  .nullish()
  .transform((v) => v ?? []);
