import type { CardColor } from '../cards/labels';
import { ENGLISH } from '../cards/labels';
import { words } from '../cards/words';
import type { Translator } from '../i18n/translator';
import type { AdaptiveCardJson } from '../cards/renderCard';
import { renderCard } from '../cards/renderCard';
import { clipLine, formatAge, formatTimestamp } from '../cards/text';
import type { CustomerHealth, CustomerStatus, CustomerTenant } from './customerDirectory';
import { HEALTH_OK } from './customerHealth';
import listTemplate from './templates/customerList.json';
import confirmTemplate from './templates/customerConfirm.json';

/** Rows a `tenants` card shows at most (the card stays well inside Teams' size budget). */
export const MAX_CUSTOMER_ROWS = 25;

/** Card verbs of the customer cards; the lead registers them next to the other verbs (src/cardActions/). */
export const CUSTOMER_CARD_VERBS = ['customer.offboard', 'customer.checkHealth'] as const;
/** One of CUSTOMER_CARD_VERBS. */
export type CustomerCardVerb = (typeof CUSTOMER_CARD_VERBS)[number];

/** Colours of the customer statuses (the words are `card.customer.status.<status>` in the catalogue). */
const STATUS_COLORS: Record<CustomerStatus, CardColor> = {
  pendingConsent: 'warning',
  active: 'good',
  consentFailed: 'attention',
  offboarded: 'default',
};

/** One customer as a `tenants` row, with how many conversations are bound to it. */
export interface CustomerRow {
  customer: CustomerTenant;
  conversations: number;
  boundHere: boolean;
}

/** The `tenants` card: every customer (up to MAX_CUSTOMER_ROWS) with status, consent, permissions and health. */
export function toCustomerListCard(
  input: {
    rows: CustomerRow[];
    now: Date;
    notice?: { text: string; color: CardColor } | undefined;
  },
  i18n: Translator = ENGLISH,
): AdaptiveCardJson {
  const { rows, now } = input;
  const shown = rows.slice(0, MAX_CUSTOMER_ROWS);
  const active = rows.filter((r) => r.customer.status === 'active').length;
  const here = rows.filter((r) => r.boundHere).map((r) => r.customer.name);
  return renderCard(listTemplate, {
    w: words(i18n, 'card.customer', ['consent', 'permissions', 'health', 'conversations', 'checkHealth']),
    heading: i18n.t('card.customer.heading'),
    summary:
      rows.length === 0
        ? i18n.t('card.customer.none', {
            name: `<${i18n.t('card.customer.nameWord')}>`,
            tenant: `<${i18n.t('card.customer.tenantWord')}>`,
          })
        : i18n.t('card.customer.summary', { count: rows.length, active }) +
          (rows.length > shown.length ? i18n.t('card.customer.firstShown', { shown: shown.length }) : '.'),
    notice: input.notice?.text ?? '',
    noticeColor: input.notice?.color ?? 'default',
    rows: shown.map(({ customer, conversations, boundHere }) => ({
      name: clipLine(customer.name, 64),
      tenantId: customer.tenantId,
      status: statusOf(customer, i18n),
      consent: consentOf(customer, i18n),
      permissions: customer.permissions?.length ? clipLine(customer.permissions.join(', '), 600) : '—',
      health: healthOf(customer.health, now, i18n),
      conversations: i18n.t(boundHere ? 'card.customer.boundHere' : 'card.customer.bound', { count: conversations }),
      checkable: customer.status === 'active',
    })),
    footer:
      (here.length > 0
        ? i18n.t('card.customer.boundTo', { names: here.join(', ') })
        : i18n.t('card.customer.boundToNone')) +
      i18n.t('card.customer.howTo', { name: `<${i18n.t('card.customer.nameWord')}>` }),
  });
}

/** "Offboard Fabrikam?": the button carries the tenant id only; the handler re-reads the customer. */
export function toOffboardConfirmCard(
  customer: CustomerTenant,
  conversations: number,
  i18n: Translator = ENGLISH,
): AdaptiveCardJson {
  return renderCard(confirmTemplate, {
    heading: i18n.t('card.customer.offboardHeading'),
    name: clipLine(customer.name, 64),
    tenantId: customer.tenantId,
    text: i18n.t('card.customer.offboardText', { count: conversations }),
    button: i18n.t('card.customer.offboard'),
    verb: 'customer.offboard' satisfies CustomerCardVerb,
  });
}

function statusOf(customer: CustomerTenant, i18n: Translator): { text: string; color: CardColor } {
  const text = i18n.t(`card.customer.status.${customer.status}`);
  const color = STATUS_COLORS[customer.status];
  return customer.status === 'consentFailed' && customer.failure
    ? {
        text: i18n.t('card.customer.statusWithFailure', { status: text, failure: clipLine(customer.failure, 64) }),
        color,
      }
    : { text, color };
}

function consentOf(customer: CustomerTenant, i18n: Translator): string {
  if (customer.status === 'offboarded')
    return i18n.t('card.customer.offboardedAt', { time: formatTimestamp(customer.offboardedAt, i18n) });
  if (customer.consentedAt)
    return i18n.t('card.customer.grantedAt', { time: formatTimestamp(customer.consentedAt, i18n) });
  return i18n.t('card.customer.requestedAt', {
    time: formatTimestamp(customer.requestedAt, i18n),
    person: clipLine(customer.requestedBy.displayName, 80),
  });
}

/** "OK, checked 3 min ago" or the failing parts: "Defender: forbidden, Graph: ok (checked …)". */
export function healthOf(health: CustomerHealth | undefined, now: Date, i18n: Translator = ENGLISH): string {
  if (!health) return i18n.t('card.customer.notChecked');
  const parts = [
    ['token', health.token],
    ['Defender', health.defender],
    ['Graph', health.graph],
  ];
  const failing = parts.filter(([, value]) => value !== HEALTH_OK);
  const verdict =
    failing.length === 0
      ? i18n.t('card.customer.ok')
      : failing.map(([what, value]) => `${what}: ${clipLine(value, 40)}`).join(', ');
  return i18n.t('card.customer.checked', { verdict, age: formatAge(health.checkedAt, now, i18n) });
}
