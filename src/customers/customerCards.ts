import type { CardColor } from '../cards/labels';
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

const STATUS_LABELS: Record<CustomerStatus, { text: string; color: CardColor }> = {
  pendingConsent: { text: 'Waiting for consent', color: 'warning' },
  active: { text: 'Connected', color: 'good' },
  consentFailed: { text: 'Consent failed', color: 'attention' },
  offboarded: { text: 'Offboarded', color: 'default' },
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
}): AdaptiveCardJson {
  const { rows, now } = input;
  const shown = rows.slice(0, MAX_CUSTOMER_ROWS);
  const active = rows.filter((r) => r.customer.status === 'active').length;
  const here = rows.filter((r) => r.boundHere).map((r) => r.customer.name);
  return renderCard(listTemplate, {
    heading: 'Customer tenants',
    summary:
      rows.length === 0
        ? 'No customers yet. Onboard one with "onboard customer <name> <tenant id or domain>".'
        : `${rows.length} customer${rows.length === 1 ? '' : 's'}, ${active} connected` +
          (rows.length > shown.length ? `; the first ${shown.length} are shown.` : '.'),
    notice: input.notice?.text ?? '',
    noticeColor: input.notice?.color ?? 'default',
    rows: shown.map(({ customer, conversations, boundHere }) => ({
      name: clipLine(customer.name, 64),
      tenantId: customer.tenantId,
      status: statusOf(customer),
      consent: consentOf(customer),
      permissions: customer.permissions?.length ? clipLine(customer.permissions.join(', '), 600) : '—',
      health: healthOf(customer.health, now),
      conversations: `${conversations} bound${boundHere ? ' (including this one)' : ''}`,
      checkable: customer.status === 'active',
    })),
    footer:
      (here.length > 0
        ? `This conversation is bound to ${here.join(', ')}. `
        : 'This conversation is bound to no customer. ') +
      '"bind customer <name>" / "unbind customer <name>" change that; "offboard customer <name>" removes a customer.',
  });
}

/** "Offboard Fabrikam?": the button carries the tenant id only; the handler re-reads the customer. */
export function toOffboardConfirmCard(customer: CustomerTenant, conversations: number): AdaptiveCardJson {
  return renderCard(confirmTemplate, {
    heading: 'Offboard this customer?',
    name: clipLine(customer.name, 64),
    tenantId: customer.tenantId,
    text:
      `The bot stops serving this customer: ${conversations} conversation${conversations === 1 ? '' : 's'} ` +
      'bound to it will be unbound, its notifications and background reads stop, and no command can address it. ' +
      "Its admin consent stays in the customer's tenant until their administrator removes the app there. " +
      'Onboarding it again needs a new consent.',
    button: 'Offboard',
    verb: 'customer.offboard' satisfies CustomerCardVerb,
  });
}

function statusOf(customer: CustomerTenant): { text: string; color: CardColor } {
  const label = STATUS_LABELS[customer.status];
  return customer.status === 'consentFailed' && customer.failure
    ? { text: `${label.text} (${clipLine(customer.failure, 64)})`, color: label.color }
    : label;
}

function consentOf(customer: CustomerTenant): string {
  if (customer.status === 'offboarded') return `offboarded ${formatTimestamp(customer.offboardedAt)}`;
  if (customer.consentedAt) return `granted ${formatTimestamp(customer.consentedAt)}`;
  return `requested ${formatTimestamp(customer.requestedAt)} by ${clipLine(customer.requestedBy.displayName, 80)}`;
}

/** "OK, checked 3 min ago" or the failing parts: "Defender: forbidden, Graph: ok (checked …)". */
export function healthOf(health: CustomerHealth | undefined, now: Date): string {
  if (!health) return 'not checked yet';
  const parts = [
    ['token', health.token],
    ['Defender', health.defender],
    ['Graph', health.graph],
  ];
  const failing = parts.filter(([, value]) => value !== HEALTH_OK);
  const verdict =
    failing.length === 0 ? 'OK' : failing.map(([what, value]) => `${what}: ${clipLine(value, 40)}`).join(', ');
  return `${verdict} (checked ${formatAge(health.checkedAt, now)})`;
}
