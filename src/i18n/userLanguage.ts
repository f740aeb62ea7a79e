import { createHash } from 'node:crypto';
import type { Storage } from '../storage/storage';
import type { Locale } from './locale';
import { LanguageStore } from './languageStore';

/** Whose choice it is: a person of a tenant (their Entra object id). */
type Person = { tenantId: string; aadObjectId: string };

/**
 * A person's own choice of language ("language pt-BR", "idioma inglês"), which wins over their Teams locale: one
 * small record per person (tenant + Entra object id, hashed into the key), read once per turn through a short cache.
 */
export class UserLanguages {
  private readonly store: LanguageStore<Person>;

  constructor(storage: Storage, clock: () => number = Date.now) {
    this.store = new LanguageStore(storage, keyOf, clock);
  }

  /** The person's chosen language, or undefined when they never chose one (their Teams locale applies). */
  get(person: Person): Promise<Locale | undefined> {
    return this.store.get(person);
  }

  /** Records the person's choice (the latest wins: it is their own setting). */
  async set(person: Person, locale: Locale, now: Date): Promise<void> {
    await this.store.set(person, { locale, setAt: now.toISOString() });
  }
}

function keyOf(person: Person): string {
  const id = createHash('sha256')
    .update(`${person.tenantId.toLowerCase()}|${person.aadObjectId.toLowerCase()}`)
    .digest('base64url');
  return `i18n/users/${id}`;
}
