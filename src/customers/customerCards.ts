import type { CardColor } from '../cards/labels';
import type { AdaptiveCardJson } from '../cards/renderCard';
import { renderCard } from '../cards/renderCard';
import { clipLine, formatAge, formatTimestamp } from '../cards/text';
import { DEFAULT_LOCALE } from '../i18n/locale';
import type { Translator } from '../i18n/translator';
import { translatorFor } from '../i18n/translator';
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
export function toCustomerListCard(input: {
  rows: CustomerRow[];
  now: Date;
  notice?: { text: string; color: CardColor } | undefined;
  /** The reader's language (English when not given). */
  i18n?: Translator | undefined;
}): AdaptiveCardJson {
  const { rows, now } = input;
  const i18n = input.i18n ?? translatorFor(DEFAULT_LOCALE);
  const shown = rows.slice(0, MAX_CUSTOMER_ROWS);
  const active = rows.filter((r) => r.customer.status === 'active').length;
  const here = rows.filter((r) => r.boundHere).map((r) => r.customer.name);
  return renderCard(listTemplate, {
    heading: i18n.t('customers.card.heading'),
    summary:
      rows.length === 0
        ? i18n.t('customers.card.none')
        : i18n.t('customers.card.count', {
            count: rows.length,
            active,
            truncated: rows.length > shown.length ? 'yes' : 'no',
            shown: shown.length,
          }),
    notice: input.notice?.text ?? '',
    noticeColor: input.notice?.color ?? 'default',
    rows: shown.map(({ customer, conversations, boundHere }) => ({
      name: clipLine(customer.name, 64),
      tenantId: customer.tenantId,
      status: statusOf(customer, i18n),
      consent: consentOf(customer, i18n),
      permissions: customer.permissions?.length ? clipLine(customer.permissions.join(', '), 600) : '—',
      health: healthOf(customer.health, now, i18n),
      conversations: i18n.t('customers.card.conversations', { count: conversations, here: boundHere ? 'yes' : 'no' }),
      checkable: customer.status === 'active',
      consentTitle: i18n.t('customers.card.consentTitle'),
      permissionsTitle: i18n.t('customers.card.permissionsTitle'),
      healthTitle: i18n.t('customers.card.healthTitle'),
      conversationsTitle: i18n.t('customers.card.conversationsTitle'),
      checkHealth: i18n.t('customers.card.checkHealth'),
    })),
    footer:
      (here.length > 0
        ? i18n.t('customers.card.boundHere', { names: here.join(', ') })
        : i18n.t('customers.card.boundNowhere')) + i18n.t('customers.card.footerCommands'),
  });
}

/** "Offboard Fabrikam?": the button carries the tenant id only; the handler re-reads the customer. */
export function toOffboardConfirmCard(
  customer: CustomerTenant,
  conversations: number,
  i18n: Translator = translatorFor(DEFAULT_LOCALE),
): AdaptiveCardJson {
  return renderCard(confirmTemplate, {
    heading: i18n.t('customers.offboardCard.heading'),
    name: clipLine(customer.name, 64),
    tenantId: customer.tenantId,
    text: i18n.t('customers.offboardCard.text', { count: conversations }),
    button: i18n.t('customers.offboardCard.button'),
    verb: 'customer.offboard' satisfies CustomerCardVerb,
  });
}

function statusOf(customer: CustomerTenant, i18n: Translator): { text: string; color: CardColor } {
  const text = i18n.t(`customers.card.status.${customer.status}`);
  const color = STATUS_COLORS[customer.status];
  return customer.status === 'consentFailed' && customer.failure
    ? { text: `${text} (${clipLine(customer.failure, 64)})`, color }
    : { text, color };
}

function consentOf(customer: CustomerTenant, i18n: Translator): string {
  if (customer.status === 'offboarded')
    return i18n.t('customers.card.consent.offboarded', { at: formatTimestamp(customer.offboardedAt) });
  if (customer.consentedAt)
    return i18n.t('customers.card.consent.granted', { at: formatTimestamp(customer.consentedAt) });
  return i18n.t('customers.card.consent.requested', {
    at: formatTimestamp(customer.requestedAt),
    name: clipLine(customer.requestedBy.displayName, 80),
  });
}

/** "OK, checked 3 min ago" or the failing parts: "Defender: forbidden, Graph: ok (checked …)". */
export function healthOf(
  health: CustomerHealth | undefined,
  now: Date,
  i18n: Translator = translatorFor(DEFAULT_LOCALE),
): string {
  if (!health) return i18n.t('customers.card.health.none');
  const parts = [
    ['token', health.token],
    ['Defender', health.defender],
    ['Graph', health.graph],
  ];
  const failing = parts.filter(([, value]) => value !== HEALTH_OK);
  const verdict =
    failing.length === 0 ? 'OK' : failing.map(([what, value]) => `${what}: ${clipLine(value, 40)}`).join(', ');
  return i18n.t('customers.card.health.verdict', { verdict, age: formatAge(health.checkedAt, now) });
}
