import type { Activity } from 'botbuilder';

/**
 * The reply to a command that waits in the tenant's fair queue for Defender's quota: posted at once, so the turn
 * ends within Teams' time, and saying about when the answer will be posted in the same conversation.
 */
export function queuedNoticeActivity(estimateMs: number, ahead: number): Partial<Activity> {
  const place = ahead === 0 ? 'you are next' : `${ahead} request${ahead === 1 ? '' : 's'} ahead of you`;
  return {
    type: 'message',
    text: `Defender's request quota for your organisation is in use: your answer will be posted here in about ${aboutHowLong(estimateMs)} (${place}).`,
    textFormat: 'plain',
  };
}

/** "40 seconds", "2 minutes": rounded up, as a person reads an estimate. */
function aboutHowLong(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 90) {
    const rounded = Math.max(5, Math.ceil(seconds / 5) * 5);
    return `${rounded} seconds`;
  }
  return `${Math.ceil(seconds / 60)} minutes`;
}
