import type { z } from 'zod';
import { DefenderApiError } from './defenderError';

function invalidBody(detail: string): DefenderApiError {
  return new DefenderApiError(400, 'InvalidRequestBody', `Request body is incorrect: ${detail}`);
}

/**
 * Parses a JSON request body against a strict zod object schema. Body parameter names are case-sensitive on
 * the real API (common-errors.md), so a key that differs only in case gets a message naming the right
 * spelling; unknown keys, non-JSON and wrong types are InvalidRequestBody too.
 */
export function parseJsonBody<S extends z.ZodObject>(text: string, schema: S): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalidBody('the body is not valid JSON.');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalidBody('the body must be a JSON object.');
  }
  const known = Object.keys(schema.shape);
  for (const key of Object.keys(json)) {
    if (known.includes(key)) continue;
    const spelled = known.find((k) => k.toLowerCase() === key.toLowerCase());
    if (spelled !== undefined) {
      throw invalidBody(`parameter names are case-sensitive; '${key}' should be '${spelled}'.`);
    }
    throw invalidBody(`unknown parameter '${key}'; expected ${known.join(', ')}.`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.map(String).join('.') : '';
    throw invalidBody(`${where === '' ? 'the body' : `'${where}'`} ${issue?.message ?? 'is invalid'}.`);
  }
  return parsed.data;
}

/** Returns the value of a required parameter or throws MissingRequiredParameter (null and blank count as missing). */
export function requireParameter(name: string, value: string | null | undefined): string {
  if (value === undefined || value === null || value.trim() === '') {
    throw new DefenderApiError(400, 'MissingRequiredParameter', `Parameter ${name} is missing`);
  }
  return value;
}

/**
 * Maps an enum value to its canonical spelling. Case-insensitive because the real service deserialises enums
 * with Newtonsoft's StringEnumConverter, which ignores case; an unknown member is InvalidRequestBody.
 */
export function enumParameter<T extends string>(name: string, value: string, members: readonly T[]): T {
  const match = members.find((m) => m.toLowerCase() === value.toLowerCase());
  if (match === undefined) {
    throw invalidBody(`'${value}' is not a valid ${name}; valid values: ${members.join(', ')}.`);
  }
  return match;
}
