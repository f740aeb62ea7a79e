import { createHash } from 'node:crypto';
import { z } from 'zod';
import { takeStoredOnce } from '../auth/takeStoredOnce';
import type { Storage } from '../storage/storage';

const pendingCommandSchema = z.object({ text: z.string(), at: z.number() });

/**
 * What a user asked while not signed in, per user and conversation, so it runs as soon as their token arrives
 * (no retyping) on whichever instance receives it. Kept in the shared store for `ttlMs`; the latest request wins;
 * `take` hands it to exactly one caller across instances, so a command is never replayed twice.
 */
export class PendingCommands {
  private readonly storage: Storage;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: { storage: Storage; ttlMs?: number; now?: () => number }) {
    this.storage = options.storage;
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Remembers `text` for the user in this conversation (replacing what was pending there). */
  async put(key: PendingKey, text: string): Promise<void> {
    await this.storage.write({ [pendingKey(key)]: { text, at: this.now(), eTag: '*' } });
  }

  /** The pending command, removed (it runs once, on one instance), if still fresh; an expired one is removed too. */
  async take(key: PendingKey): Promise<string | undefined> {
    const pending = await takeStoredOnce(
      this.storage,
      pendingKey(key),
      (raw) => pendingCommandSchema.safeParse(raw).data,
    );
    return pending && this.now() - pending.at < this.ttlMs ? pending.text : undefined;
  }
}

/** Whose command, in which conversation. */
export interface PendingKey {
  tenantId: string;
  aadObjectId: string;
  conversationId: string;
}

/** The storage key of a pending command (the conversation id hashed: it holds `:`, `@` and is long). */
export function pendingKey(key: PendingKey): string {
  const conversation = createHash('sha256').update(key.conversationId, 'utf8').digest('hex').slice(0, 32);
  return `signIn_pending_${key.tenantId.toLowerCase()}_${key.aadObjectId.toLowerCase()}_${conversation}`;
}
