import type { MessageKey } from '../i18n/catalogues';
import type { Translator } from '../i18n/translator';

/** The names under `prefix.` in the catalogue ("card.alert.description" → "description" for "card.alert"). */
type NamesUnder<P extends string> = MessageKey extends infer K ? (K extends `${P}.${infer N}` ? N : never) : never;

/**
 * A template's fixed words in the viewer's language: `words(i18n, 'card.alert', ['description'])` gives
 * `{ description: 'Descrição' }`, which the template shows as `${w.description}`. Only messages without
 * placeholders belong here; sentences with values are built with `i18n.t(key, values)` in the builder.
 */
export function words<P extends string, N extends NamesUnder<P>>(
  i18n: Translator,
  prefix: P,
  names: readonly N[],
): Record<N, string> {
  const out = {} as Record<N, string>;
  for (const name of names) out[name] = i18n.t(`${prefix}.${name}` as MessageKey);
  return out;
}
