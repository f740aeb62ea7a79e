import type { Translator } from '../i18n/translator';
import { ENGLISH } from './labels';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import template from './templates/showMe.json';
import { clipLine } from './text';
import { words } from './words';

/** Characters of a command a Show me card carries (on one line); a longer command is cut. */
export const SHOW_ME_COMMAND_LENGTH = 300;

/** Teams refreshes a card automatically for at most 60 listed users. */
const MAX_REFRESH_USERS = 60;

/**
 * The answer to a Defender command in a group chat or channel: no Defender data at all, only a "Show me"
 * button whose result each person loads under their own token (Universal Actions, shown to them alone). The
 * requester's view loads by itself through `refresh`.
 */
export function toShowMeCard(
  input: {
    requester: string;
    command: string;
    refreshUserIds: string[];
  },
  i18n: Translator = ENGLISH,
): AdaptiveCardJson {
  return renderCard(template, {
    w: words(i18n, 'card.showMe', ['showMe', 'asked', 'explain']),
    requester: clipLine(input.requester, 80, i18n.t('card.common.someone')),
    command: clipLine(input.command, SHOW_ME_COMMAND_LENGTH),
    refreshUserIds: input.refreshUserIds.slice(0, MAX_REFRESH_USERS),
  });
}
