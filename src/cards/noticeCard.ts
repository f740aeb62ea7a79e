import type { CardColor } from './labels';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import template from './templates/notice.json';

/** A short notice: a refusal, a failure or a hint. All text is the bot's own (never Defender data). */
export function toNoticeCard(input: {
  heading: string;
  text: string;
  color?: CardColor;
  reference?: string;
  /** A link the bot built itself (e.g. the admin-consent URL); never from Defender data. */
  action?: { title: string; url: string };
}): AdaptiveCardJson {
  return renderCard(template, {
    heading: input.heading,
    text: input.text,
    color: input.color ?? 'default',
    reference: input.reference ?? '',
    actionTitle: input.action?.title ?? '',
    actionUrl: input.action?.url ?? '',
  });
}
