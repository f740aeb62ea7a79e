/** A command waiting for its sender to finish signing in. */
export interface PendingCommand {
  text: string;
  at: number;
}

/**
 * What a user asked while not signed in, per user and conversation, so it runs as soon as their token
 * arrives (no retyping). Kept briefly and in memory only; the latest request wins.
 */
export class PendingCommands {
  private readonly commands = new Map<string, PendingCommand>();

  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  /** Remembers `text` for the user in this conversation. */
  put(key: PendingKey, text: string): void {
    const k = keyOf(key);
    this.commands.delete(k);
    if (this.commands.size >= this.maxEntries) {
      const oldest = this.commands.keys().next().value;
      if (oldest !== undefined) this.commands.delete(oldest);
    }
    this.commands.set(k, { text, at: this.now() });
  }

  /** The pending command, removed (it runs once), if still fresh. */
  take(key: PendingKey): string | undefined {
    const k = keyOf(key);
    const pending = this.commands.get(k);
    this.commands.delete(k);
    return pending && this.now() - pending.at < this.ttlMs ? pending.text : undefined;
  }
}

/** Whose command, in which conversation. */
export interface PendingKey {
  tenantId: string;
  aadObjectId: string;
  conversationId: string;
}

function keyOf(key: PendingKey): string {
  return `${key.tenantId.toLowerCase()}|${key.aadObjectId.toLowerCase()}|${key.conversationId}`;
}
