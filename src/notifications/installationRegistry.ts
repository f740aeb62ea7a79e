import { z } from 'zod';
import { AppError } from '../errors';
import type { Storage } from '../storage/storage';
import { readItem, updateItem } from '../storage/updateItem';
import type { ConversationTarget } from './subscriptionTypes';

const installationSchema = z.object({
  conversationId: z.string().min(1),
  kind: z.enum(['personal', 'groupChat', 'channel']),
  address: z.unknown(),
  teamId: z.string().optional(),
  installedAt: z.string(),
});
const recordSchema = z.object({ conversations: z.record(z.string(), installationSchema) });

/** A conversation the bot is installed in, and since when. */
export type Installation = z.infer<typeof installationSchema>;

/**
 * Every conversation the bot is installed in, per tenant (personal chats, group chats, teams and the channels
 * it has been used in), learnt from installationUpdate / conversationUpdate and from any activity, and
 * forgotten on uninstall, removal, channel deletion, or when Teams answers 403/404. A conversation seen before
 * with the same address costs no write: the registry keeps what it wrote in memory.
 */
export class InstallationRegistry {
  private readonly known = new Map<string, string>();

  constructor(private readonly storage: Storage) {}

  /** Records (or refreshes the address of) a conversation. */
  async remember(tenantId: string, target: ConversationTarget, now: Date): Promise<void> {
    const cacheKey = `${tenantId.toLowerCase()}|${target.conversationId}`;
    const fingerprint = JSON.stringify([target.kind, target.teamId ?? '', target.address]);
    if (this.known.get(cacheKey) === fingerprint) return;
    await updateItem(this.storage, key(tenantId), parse, (current) => {
      const record = current ?? { conversations: {} };
      const existing = record.conversations[target.conversationId];
      if (existing && JSON.stringify([existing.kind, existing.teamId ?? '', existing.address]) === fingerprint)
        return record;
      return {
        conversations: {
          ...record.conversations,
          [target.conversationId]: {
            ...target,
            ...(target.teamId === undefined ? {} : { teamId: target.teamId }),
            installedAt: existing?.installedAt ?? now.toISOString(),
          },
        },
      };
    });
    this.known.set(cacheKey, fingerprint);
  }

  /** Forgets one conversation, or every conversation of a team; resolves with the ids forgotten. */
  async forget(tenantId: string, match: { conversationId?: string; teamId?: string }): Promise<string[]> {
    let forgotten: string[] = [];
    await updateItem(this.storage, key(tenantId), parse, (current) => {
      if (!current) return { conversations: {} };
      forgotten = Object.values(current.conversations)
        .filter(
          (c) =>
            (match.conversationId !== undefined && c.conversationId === match.conversationId) ||
            (match.teamId !== undefined && c.teamId === match.teamId),
        )
        .map((c) => c.conversationId);
      if (forgotten.length === 0) return current;
      const gone = new Set(forgotten);
      return {
        conversations: Object.fromEntries(Object.entries(current.conversations).filter(([id]) => !gone.has(id))),
      };
    });
    for (const conversationId of forgotten) this.known.delete(`${tenantId.toLowerCase()}|${conversationId}`);
    return forgotten;
  }

  /** The tenant's installations. */
  async list(tenantId: string): Promise<Installation[]> {
    return Object.values((await readItem(this.storage, key(tenantId), parse))?.conversations ?? {});
  }
}

function key(tenantId: string): string {
  return `notify/${tenantId.toLowerCase()}/installations`;
}

function parse(raw: unknown): z.infer<typeof recordSchema> {
  const parsed = recordSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('internal', 'stored installations do not parse');
  return parsed.data;
}
