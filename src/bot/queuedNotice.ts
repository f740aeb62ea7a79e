import type { Activity } from 'botbuilder';
import type { Translator } from '../i18n/translator';

/**
 * The reply to a command that waits in the tenant's fair queue for Defender's quota: posted at once, so the turn
 * ends within Teams' time, and saying about when the answer will be posted in the same conversation, in the
 * person's language.
 */
export function queuedNoticeActivity(estimateMs: number, ahead: number, i18n: Translator): Partial<Activity> {
  const seconds = Math.ceil(estimateMs / 1000);
  // Rounded up, as a person reads an estimate: "40 seconds", "2 minutes".
  const wait =
    seconds < 90
      ? { unit: 'seconds', count: Math.max(5, Math.ceil(seconds / 5) * 5) }
      : { unit: 'minutes', count: Math.ceil(seconds / 60) };
  return {
    type: 'message',
    text: i18n.t('bot.queued', { ...wait, ahead }),
    textFormat: 'plain',
  };
}
