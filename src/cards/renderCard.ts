import * as ACData from 'adaptivecards-templating';

/** An Adaptive Card as JSON (the payload of an `application/vnd.microsoft.card.adaptive` attachment). */
export type AdaptiveCardJson = Record<string, unknown> & { type: 'AdaptiveCard'; version: string };

/** Raised when a template and its data do not fit: a programming error, never a user-facing one. */
export class CardTemplateError extends Error {
  override readonly name = 'CardTemplateError';
}

/** Size budget per card: Teams accepts more, but 28 KB keeps every surface (webhooks, mobile) safe. */
export const MAX_CARD_BYTES = 28 * 1024;

/** Parsed templates: parsing the binding expressions costs ten times more than expanding them. */
const compiledTemplates = new WeakMap<object, ACData.Template>();

function compiled(template: object): ACData.Template {
  let parsed = compiledTemplates.get(template);
  if (!parsed) {
    parsed = new ACData.Template(template);
    compiledTemplates.set(template, parsed);
  }
  return parsed;
}

/**
 * Expands an Adaptive Card template with adaptivecards-templating. Fails loudly when a binding had no
 * value (the library would otherwise leave a literal `${field}` in the card) or the card exceeds the size
 * budget. Data values are inserted literally, so `${...}` inside alert text is never evaluated.
 */
export function renderCard(template: object, data: object): AdaptiveCardJson {
  const missing: string[] = [];
  const previous = ACData.GlobalSettings.getUndefinedFieldValueSubstitutionString;
  ACData.GlobalSettings.getUndefinedFieldValueSubstitutionString = (path: string) => {
    missing.push(path);
    return '';
  };
  let card: unknown;
  try {
    card = compiled(template).expand({ $root: data });
  } finally {
    ACData.GlobalSettings.getUndefinedFieldValueSubstitutionString = previous;
  }
  if (missing.length > 0)
    throw new CardTemplateError(`template bindings without data: ${[...new Set(missing)].join(', ')}`);
  const bytes = Buffer.byteLength(JSON.stringify(card));
  if (bytes > MAX_CARD_BYTES) throw new CardTemplateError(`card is ${bytes} bytes, over the ${MAX_CARD_BYTES} budget`);
  return card as AdaptiveCardJson;
}
