import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Storage } from '../storage/storage';
import { readItem } from '../storage/updateItem';
import { LOCALES } from './locale';
import type { Locale } from './locale';

const recordSchema = z.object({ locale: z.enum(LOCALES), setAt: z.string() });

/** How long a person's choice is reused before it is read again (another instance may have changed it). */
const CACHE_MS = 30_000;

/**
 * A person's own choice of language ("language pt-BR", "idioma inglês"), which wins over their Teams locale: one
 * small record per person (tenant + Entra object id, hashed into the key), read once per turn through a short cache.
 */
export class UserLanguages {
  private readonly cache = new Map<string, { at: number; locale: Locale | undefined }>();

  constructor(
    private readonly storage: Storage,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The person's chosen language, or undefined when they never chose one (their Teams locale applies). */
  async get(person: { tenantId: string; aadObjectId: string }): Promise<Locale | undefined> {
    const key = keyOf(person);
    const cached = this.cache.get(key);
    if (cached && this.clock() - cached.at < CACHE_MS) return cached.locale;
    const record = await readItem(this.storage, key, (raw) => recordSchema.safeParse(raw).data);
    this.cache.set(key, { at: this.clock(), locale: record?.locale });
    return record?.locale;
  }

  /** Records the person's choice (last writer wins: it is their own setting). */
  async set(person: { tenantId: string; aadObjectId: string }, locale: Locale, now: Date): Promise<void> {
    const key = keyOf(person);
    await this.storage.write({ [key]: { locale, setAt: now.toISOString(), eTag: '*' } });
    this.cache.set(key, { at: this.clock(), locale });
  }
}

function keyOf(person: { tenantId: string; aadObjectId: string }): string {
  const id = createHash('sha256')
    .update(`${person.tenantId.toLowerCase()}|${person.aadObjectId.toLowerCase()}`)
    .digest('base64url');
  return `i18n/users/${id}`;
}
