import { HUNTING_TABLES } from './huntingSchema';
import type { HuntingRow, HuntingTableName, HuntingTables } from './huntingSchema';
import type { Seed } from './seedSchema';

/**
 * A tenant's advanced hunting tables from its seed: the seed's `events`, every known table present (empty when
 * the seed has none). One function for the KQL engine and the entity statistics endpoints, so both read the same
 * rows.
 */
export function huntingTablesFromSeed(seed: Seed): HuntingTables {
  const tables = new Map<HuntingTableName, readonly HuntingRow[]>();
  for (const table of Object.keys(HUNTING_TABLES) as HuntingTableName[]) {
    tables.set(table, structuredClone(seed.events?.[table] ?? []));
  }
  return tables;
}
