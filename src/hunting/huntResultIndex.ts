import { z } from 'zod';
import type { Storage } from '../storage/storage';
import { StorageError } from '../storage/storageError';
import { updateItem } from '../storage/updateItem';

/*
 * Storage cannot list keys, so a stored hunt result is also recorded in an index item of the hour its save began
 * (`hunt-results/index/<yyyy-mm-ddThh>/<part>`), before any of its rows are written: the sweep finds every result,
 * even one whose save was cut short, from the hours alone. A part holds at most INDEX_PART_IDS ids; a full part
 * sends the next save to the following part. Appends are eTag-safe (updateItem), so instances may save at once.
 */

/** Result ids per index item: bounds an item's size (about 27 bytes an id). */
export const INDEX_PART_IDS = 1_000;
/** Index items per hour: bounds how many results one hour may hold (a save past it fails, storing nothing). */
export const INDEX_PARTS_PER_HOUR = 200;

const HOUR_MS = 60 * 60_000;

const partSchema = z.object({ ids: z.array(z.string()).max(INDEX_PART_IDS) });
type IndexPart = z.infer<typeof partSchema>;

function parsePart(raw: unknown): IndexPart | undefined {
  const parsed = partSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** The start (ms since the epoch) of the UTC hour holding `at`. */
export function hourOf(at: Date): number {
  return Math.floor(at.getTime() / HOUR_MS) * HOUR_MS;
}

/** The index item key of one part of one hour. */
export function indexPartKey(hourStart: number, part: number): string {
  return `hunt-results/index/${new Date(hourStart).toISOString().slice(0, 13)}/${part}`;
}

/** Records `id` in the index of the hour holding `at` (first part with room). Rejects when the store does. */
export async function recordHuntResult(storage: Storage, id: string, at: Date): Promise<void> {
  const hour = hourOf(at);
  for (let part = 0; part < INDEX_PARTS_PER_HOUR; part += 1) {
    const key = indexPartKey(hour, part);
    const stored = await updateItem(storage, key, parsePart, (current) => {
      if (current === undefined) return { ids: [id] };
      if (current.ids.length >= INDEX_PART_IDS) return current;
      return { ids: [...current.ids, id] };
    });
    if (stored?.ids.includes(id)) return;
  }
  throw new StorageError('unavailable', indexPartKey(hour, INDEX_PARTS_PER_HOUR), 'hunt result index is full');
}

/** One stored index part: its key and the ids it holds. */
export interface HuntResultIndexPart {
  key: string;
  ids: string[];
}

/** The index parts of one hour, in order, up to the first missing one. A malformed part fails closed. */
export async function indexPartsOf(storage: Storage, hourStart: number): Promise<HuntResultIndexPart[]> {
  const parts: HuntResultIndexPart[] = [];
  for (let part = 0; part < INDEX_PARTS_PER_HOUR; part += 1) {
    const key = indexPartKey(hourStart, part);
    const raw = (await storage.read([key]))[key];
    if (raw === undefined) break;
    const { eTag: _eTag, ...fields } = raw as Record<string, unknown>;
    const stored = parsePart(fields);
    if (stored === undefined) throw new StorageError('corruptItem', key, 'hunt result index item is malformed');
    parts.push({ key, ids: stored.ids });
  }
  return parts;
}
