import type { Severity } from '../defender/schemas';
import { SEVERITIES } from '../defender/schemas';
import type { Translator } from '../i18n/translator';
import { ENGLISH, severityLabel } from './labels';
import type { AlertsPageData } from './payloads';
import type { AdaptiveCardJson } from './renderCard';
import { renderCard } from './renderCard';
import template from './templates/alertNoticeDigest.json';

/**
 * A burst in a personal chat, without alert content: the bot reads alerts with an application identity that
 * sees everything, so it says only how many and how severe, and "Show them" lists the recent alerts with the
 * person's own token (their Defender role decides what they see).
 */
export function toAlertNoticeDigestCard(
  input: {
    severities: string[];
    windowLabel: string;
    subscription: string;
    /** The subscription's severities, for the list "Show them" opens. */
    subscribed: Severity[];
  },
  i18n: Translator = ENGLISH,
): AdaptiveCardJson {
  const counts = new Map<string, number>();
  // Only the known severity names reach the card (it is plain bot text, never Defender's strings).
  for (const raw of input.severities) {
    const severity = (SEVERITIES as readonly string[]).includes(raw) ? raw : 'Other';
    counts.set(severity, (counts.get(severity) ?? 0) + 1);
  }
  const ordered = [...counts.entries()].sort((a, b) => rank(a[0]) - rank(b[0]));
  const show: AlertsPageData = {
    query: {
      severities: input.subscribed.filter((s) => (SEVERITIES as readonly string[]).includes(s)),
      status: { kind: 'unresolved' },
      sinceHours: 1,
      assignedToMe: false,
    },
    page: 0,
  };
  return renderCard(template, {
    heading: i18n.t('card.noticeDigest.heading', { count: input.severities.length, window: input.windowLabel }),
    counts: ordered
      .map(([severity, n]) =>
        i18n.t('card.notify.count', { count: i18n.number(n), severity: severityLabel(severity, i18n).text }),
      )
      .join(' · '),
    footer: i18n.t('card.noticeDigest.footer', { subscription: input.subscription }),
    showThem: i18n.t('card.noticeDigest.showThem'),
    show,
  });
}

function rank(severity: string): number {
  const i = (SEVERITIES as readonly string[]).indexOf(severity);
  return i < 0 ? SEVERITIES.length : i;
}
