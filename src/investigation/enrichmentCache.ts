/** How long a viewer's answer is reused: "investigate" twice in a few minutes asks Defender once. */
export const ENRICHMENT_TTL_MS = 5 * 60_000;
/** Entries kept at most (sections and source entity lists); the least recently used go first. */
export const ENRICHMENT_MAX_ENTRIES = 2_000;

/** Who asked: the Defender tenant read and the person's Entra object id (Defender's RBAC differs per person). */
export interface CacheViewer {
  tenantId: string;
  aadObjectId: string;
}

/**
 * A short-lived, bounded, per-viewer memory of Defender's answers for the investigation cards. Every key begins with
 * the tenant and the viewer's object id, so one person's answer is never shown to another (their roles and device
 * groups differ). Kept in memory per instance on purpose: a miss on another instance costs one more read of
 * Defender, never a wrong answer, and nothing Defender said is written to shared storage.
 */
export class EnrichmentCache {
  private readonly entries = new Map<string, { value: unknown; expiresAt: number }>();

  constructor(
    private readonly ttlMs = ENRICHMENT_TTL_MS,
    private readonly maxEntries = ENRICHMENT_MAX_ENTRIES,
  ) {}

  /** The value stored for `viewer` under `key` that has not expired at `now`, else undefined. */
  get<T>(viewer: CacheViewer, key: string, now: number): T | undefined {
    const full = fullKey(viewer, key);
    const entry = this.entries.get(full);
    if (!entry) return undefined;
    this.entries.delete(full);
    if (entry.expiresAt <= now) return undefined;
    this.entries.set(full, entry);
    return entry.value as T;
  }

  /** Stores `value` for `viewer` until `now` + the time to live, dropping the least recently used beyond the bound. */
  set(viewer: CacheViewer, key: string, value: unknown, now: number): void {
    const full = fullKey(viewer, key);
    this.entries.delete(full);
    this.entries.set(full, { value, expiresAt: now + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Entries held now (expired ones included until touched or pushed out). */
  get size(): number {
    return this.entries.size;
  }
}

function fullKey(viewer: CacheViewer, key: string): string {
  return `${viewer.tenantId.toLowerCase()}\u0000${viewer.aadObjectId.toLowerCase()}\u0000${key}`;
}

const caches = new WeakMap<object, EnrichmentCache>();

/**
 * The cache of one app instance, kept beside its Defender client (one per instance), so no composition code needs
 * to build it and two apps in one process (tests, the demo cluster) never share answers.
 */
export function enrichmentCacheOf(owner: object): EnrichmentCache {
  let cache = caches.get(owner);
  if (!cache) {
    cache = new EnrichmentCache();
    caches.set(owner, cache);
  }
  return cache;
}
