import type { Translator } from '../i18n/translator';
import { ENGLISH } from './labels';
import type { CardVerb } from './payloads';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import template from './templates/choice.json';
import { clipLine } from './text';

/** One choice: a label (untrusted text allowed), a detail line and the button it triggers. */
export interface Choice {
  label: string;
  detail: string;
  verb: CardVerb;
  data: object;
}

/** A pick-list: several devices share a name, or "did you mean" suggestions for a name that matched none. */
export function toChoiceCard(
  input: {
    heading: string;
    subject: string;
    text: string;
    choices: Choice[];
  },
  i18n: Translator = ENGLISH,
): AdaptiveCardJson {
  return renderCard(template, {
    heading: input.heading,
    subject: clipLine(input.subject, 200, ''),
    text: input.text,
    choices: input.choices.slice(0, 10).map((c) => ({
      label: clipLine(c.label, 200),
      detail: clipLine(c.detail, 200, ''),
      button: i18n.t('card.common.choose'),
      verb: c.verb,
      data: c.data,
    })),
  });
}
