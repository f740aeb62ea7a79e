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
  readableInEveryTheme(card);
  const bytes = Buffer.byteLength(JSON.stringify(card));
  if (bytes > MAX_CARD_BYTES) throw new CardTemplateError(`card is ${bytes} bytes, over the ${MAX_CARD_BYTES} budget`);
  return card as AdaptiveCardJson;
}

/**
 * The text colour a card asks for, as drawn: what a label means (attention, caution, done) stays in its words and in
 * the label tables, but Teams' host configs draw "good" and "warning" text at 2:1 and 1.5:1 on the light theme's
 * white and "attention" at 3.2:1 on the dark theme's grey (test/cards/themes.test.ts measures every card). Only
 * default and accent text reach WCAG's 4.5:1 in the light, dark and high-contrast themes: what needs attention (a
 * High severity, a New alert, a failure) is drawn in the accent colour, the only one left to stand out, and
 * everything else in the default one.
 */
const DRAWN_TEXT_COLOUR: Record<string, string> = {
  default: 'default',
  accent: 'default',
  attention: 'accent',
  warning: 'default',
  good: 'default',
};

/** Rewrites every TextBlock's and TextRun's colour to the one drawn legibly in every theme (in place). */
function readableInEveryTheme(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(readableInEveryTheme);
  if (node === null || typeof node !== 'object') return;
  const element = node as Record<string, unknown>;
  if ((element.type === 'TextBlock' || element.type === 'TextRun') && typeof element.color === 'string')
    element.color = DRAWN_TEXT_COLOUR[element.color.toLowerCase()] ?? 'default';
  for (const [key, value] of Object.entries(element)) if (key !== 'data') readableInEveryTheme(value);
}
