import type { Translator } from '../i18n/translator';
import { ENGLISH } from './labels';
import type { AdaptiveCardJson } from './renderCard';
import { clipLine } from './text';

/** The data field every button of a card carries: the tenant the card is about (a selector, checked on click). */
export const CARD_TENANT_FIELD = 'customerTenantId';

const ACTION_TYPES = new Set(['Action.Execute', 'Action.Submit']);

/**
 * Marks a card with the Defender tenant it is about: every button (and the Universal Actions refresh) carries the
 * tenant id, so a click in a conversation serving several customers acts where the card was read, after the
 * server has checked that this conversation may address that tenant; a customer's card names the customer in
 * its first line, so nobody approves an isolation believing it is another customer's device.
 */
export function stampCard(
  card: AdaptiveCardJson,
  tenant: { id: string; customerName?: string | undefined },
  i18n: Translator = ENGLISH,
): AdaptiveCardJson {
  const stamped = stampActions(card, tenant.id) as AdaptiveCardJson;
  if (tenant.customerName === undefined || !Array.isArray(stamped.body)) return stamped;
  const banner = {
    type: 'TextBlock',
    text: i18n.t('card.common.customer', { name: clipLine(tenant.customerName, 64) }),
    weight: 'Bolder',
    size: 'Medium',
    color: 'Accent',
    wrap: true,
    id: 'customerBanner',
  };
  const body = stamped.body as unknown[];
  const already = body.some((e) => (e as { id?: unknown } | null)?.id === 'customerBanner');
  return already ? stamped : { ...stamped, body: [banner, ...body] };
}

function stampActions(node: unknown, tenantId: string): unknown {
  if (Array.isArray(node)) return node.map((n) => stampActions(n, tenantId));
  if (node === null || typeof node !== 'object') return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) copy[key] = stampActions(value, tenantId);
  if (typeof copy.type === 'string' && ACTION_TYPES.has(copy.type)) {
    const data = copy.data;
    if (data === undefined || (typeof data === 'object' && data !== null && !Array.isArray(data)))
      copy.data = { ...data, [CARD_TENANT_FIELD]: tenantId };
  }
  return copy;
}

/** Takes the tenant a clicked card carried out of its data: the selector, and the data the verb's schema expects. */
export function takeCardTenant(
  data: unknown,
): { ok: true; tenantId: string | undefined; data: unknown } | { ok: false } {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return { ok: true, tenantId: undefined, data };
  if (!(CARD_TENANT_FIELD in data)) return { ok: true, tenantId: undefined, data };
  const { [CARD_TENANT_FIELD]: tenant, ...rest } = data as Record<string, unknown>;
  // Present but not a tenant id: a tampered card, refused like any other malformed card data.
  if (typeof tenant !== 'string' || !GUID.test(tenant)) return { ok: false };
  return { ok: true, tenantId: tenant, data: rest };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
