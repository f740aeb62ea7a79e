import { z } from 'zod';
import type { Alert } from '../defender/schemas';
import { alertSchema } from '../defender/schemas';
import { AppError } from '../errors';
import type { Storage } from '../storage/storage';
import { readItem, updateItem } from '../storage/updateItem';

const entrySchema = z.object({
  alert: alertSchema,
  /** Graph's serviceSource of an alert read from alerts_v2 (another Defender source); absent for MDE alerts. */
  serviceSource: z.string().optional(),
  /** lastUpdateTime of the version whose deliveries are all queued: re-reading it changes nothing. */
  ingested: z.string().optional(),
  /** Conversations that show (or will show) a card of this alert, to be updated when it changes. */
  conversations: z.array(z.string()),
});
const recordSchema = z.object({ alerts: z.record(z.string(), entrySchema) });

/** What the book knows of one alert. */
export type AlertBookEntry = z.infer<typeof entrySchema>;

/** The book keeps the latest version of this many alerts per tenant (shown ones first, then the newest). */
export const ALERT_BOOK_SIZE = 1000;

/**
 * The latest version of every recently notified alert of a tenant, shared by all conversations (cards are
 * rendered from it) and durable (a restart renders the same cards), with which conversations show it. Kept in
 * memory after the first read; one writer per tenant (the intake) at a time.
 */
export class AlertBook {
  private readonly cache = new Map<string, z.infer<typeof recordSchema>>();

  constructor(private readonly storage: Storage) {}

  /** One alert's entry, or undefined when the book does not (or no longer) hold it. */
  async get(tenantId: string, alertId: string): Promise<AlertBookEntry | undefined> {
    return (await this.load(tenantId)).alerts[alertId];
  }

  /** Applies `change` to the tenant's entries and persists the result. */
  async update(
    tenantId: string,
    change: (alerts: Record<string, AlertBookEntry>) => Record<string, AlertBookEntry>,
  ): Promise<void> {
    const saved = await updateItem(this.storage, key(tenantId), parse, (current) => ({
      alerts: trim(change({ ...(current ?? { alerts: {} }).alerts })),
    }));
    if (saved) this.cache.set(tenantId.toLowerCase(), saved);
  }

  private async load(tenantId: string): Promise<z.infer<typeof recordSchema>> {
    const cached = this.cache.get(tenantId.toLowerCase());
    if (cached) return cached;
    const record = (await readItem(this.storage, key(tenantId), parse)) ?? { alerts: {} };
    this.cache.set(tenantId.toLowerCase(), record);
    return record;
  }
}

/** What the book stores of an alert: what cards show, not its evidence (bounded size per entry). */
export function forBook(alert: Alert): Alert {
  return { ...alert, evidence: [], description: alert.description?.slice(0, 500) ?? null };
}

/** Keeps the newest ALERT_BOOK_SIZE entries, forgetting alerts no conversation shows before any that one does. */
function trim(alerts: Record<string, AlertBookEntry>): Record<string, AlertBookEntry> {
  const entries = Object.entries(alerts);
  if (entries.length <= ALERT_BOOK_SIZE) return alerts;
  const time = (e: AlertBookEntry) => Date.parse(e.alert.lastUpdateTime ?? e.alert.alertCreationTime);
  const shown = (e: AlertBookEntry) => (e.conversations.length > 0 ? 1 : 0);
  entries.sort((a, b) => shown(b[1]) - shown(a[1]) || time(b[1]) - time(a[1]));
  return Object.fromEntries(entries.slice(0, ALERT_BOOK_SIZE));
}

function key(tenantId: string): string {
  return `notify/${tenantId.toLowerCase()}/alerts`;
}

function parse(raw: unknown): z.infer<typeof recordSchema> {
  const parsed = recordSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('internal', 'stored alert book does not parse');
  return parsed.data;
}
