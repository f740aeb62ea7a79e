import { HUNTING_TABLES } from './huntingSchema';
import type { HuntingRow, HuntingTableName, HuntingType } from './huntingSchema';
import type { Seed } from './seedSchema';

/** The DateTime columns of each hunting table (Timestamp, ProcessCreationTime, ...): what freshening moves. */
const DATE_TIME_COLUMNS = Object.fromEntries(
  Object.entries(HUNTING_TABLES).map(([table, columns]) => [
    table,
    Object.entries(columns as Record<string, HuntingType>)
      .filter(([, type]) => type === 'DateTime')
      .map(([column]) => column),
  ]),
) as Record<HuntingTableName, string[]>;

/** A row with every DateTime cell moved by `shift`. */
function shiftRow(row: HuntingRow, columns: readonly string[], shift: (value: string) => string): HuntingRow {
  const moved: Record<string, HuntingRow[string]> = { ...row };
  for (const column of columns) {
    const value = row[column];
    if (typeof value === 'string') moved[column] = shift(value);
  }
  return moved;
}

/** How far before "now" the newest alert's lastUpdateTime lands after freshening. */
export const FRESHEN_LEAD_MS = 2 * 60_000;

const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

interface ParsedTimestamp {
  /** The instant, truncated to whole milliseconds. */
  epochMs: number;
  /** Fraction digits beyond milliseconds (`0239` of `.7220239`), kept verbatim: shifts are whole milliseconds. */
  subMillisecondDigits: string;
  fractionDigits: number;
  /** `Z` or `+hh:mm` / `-hh:mm`, written back unchanged. */
  zone: string;
  zoneOffsetMs: number;
}

function parseTimestamp(value: string): ParsedTimestamp {
  const match = ISO_TIMESTAMP.exec(value);
  if (match === null) throw new Error(`Not an ISO-8601 timestamp with offset: ${value}`);
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  const wallMs =
    Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)) +
    Number(fraction.slice(0, 3).padEnd(3, '0'));
  const zoneOffsetMs =
    zone === 'Z'
      ? 0
      : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  return {
    epochMs: wallMs - zoneOffsetMs,
    subMillisecondDigits: fraction.slice(3),
    fractionDigits: fraction.length,
    zone,
    zoneOffsetMs,
  };
}

/**
 * Moves an ISO-8601 timestamp by a whole number of milliseconds, keeping its style: the same zone suffix and
 * the same number of fraction digits (`.7220239` stays seven digits). A shorter fraction grows only as far as
 * needed to stay exact (`.2` may become `.237`).
 */
export function shiftTimestamp(value: string, offsetMs: number): string {
  const parsed = parseTimestamp(value);
  const wall = new Date(parsed.epochMs + Math.round(offsetMs) + parsed.zoneOffsetMs);
  const millis = String(wall.getUTCMilliseconds()).padStart(3, '0');
  let fraction: string;
  if (parsed.fractionDigits >= 3) {
    fraction = millis + parsed.subMillisecondDigits;
  } else {
    const significant = millis.replace(/0+$/, '');
    fraction = significant.length > parsed.fractionDigits ? significant : millis.slice(0, parsed.fractionDigits);
  }
  return `${wall.toISOString().slice(0, 19)}${fraction === '' ? '' : `.${fraction}`}${parsed.zone}`;
}

/** The instant of an ISO-8601 timestamp in epoch milliseconds (sub-millisecond digits dropped). */
function timestampMs(value: string): number {
  return parseTimestamp(value).epochMs;
}

/**
 * A copy of `seed` with every timestamp moved by one common offset so the newest alert `lastUpdateTime`
 * becomes `now` minus two minutes. Relative spacing is kept, so a seed written months ago still has "the last
 * 24 hours" populated after any start-up. A seed without alerts is returned unchanged (as a copy).
 */
export function freshenSeed(seed: Seed, now: Date): Seed {
  const copy = structuredClone(seed);
  if (copy.alerts.length === 0) return copy;
  const newest = Math.max(...copy.alerts.map((alert) => timestampMs(alert.lastUpdateTime)));
  const offsetMs = now.getTime() - FRESHEN_LEAD_MS - newest;
  const shift = (value: string): string => shiftTimestamp(value, offsetMs);
  const shiftNullable = (value: string | null): string | null => (value === null ? null : shift(value));

  for (const alert of copy.alerts) {
    alert.alertCreationTime = shift(alert.alertCreationTime);
    alert.firstEventTime = shiftNullable(alert.firstEventTime);
    alert.lastEventTime = shiftNullable(alert.lastEventTime);
    alert.lastUpdateTime = shift(alert.lastUpdateTime);
    alert.resolvedTime = shiftNullable(alert.resolvedTime);
    for (const comment of alert.comments) comment.createdTime = shift(comment.createdTime);
    for (const evidence of alert.evidence) {
      evidence.evidenceCreationTime = shiftNullable(evidence.evidenceCreationTime);
      evidence.processCreationTime = shiftNullable(evidence.processCreationTime);
      evidence.parentProcessCreationTime = shiftNullable(evidence.parentProcessCreationTime);
    }
  }
  for (const machine of copy.machines) {
    machine.firstSeen = shift(machine.firstSeen);
    machine.lastSeen = shift(machine.lastSeen);
  }
  for (const action of copy.machineActions) {
    action.creationDateTimeUtc = shift(action.creationDateTimeUtc);
    action.lastUpdateDateTimeUtc = shift(action.lastUpdateDateTimeUtc);
    action.cancellationDateTimeUtc = shiftNullable(action.cancellationDateTimeUtc);
  }
  // Graph incidents and alerts share their created/updated times and comment shape.
  for (const item of [...copy.incidents, ...copy.alertsV2]) {
    item.createdDateTime = shift(item.createdDateTime);
    item.lastUpdateDateTime = shift(item.lastUpdateDateTime);
    for (const comment of item.comments) comment.createdDateTime = shift(comment.createdDateTime);
  }
  for (const alert of copy.alertsV2) {
    alert.firstActivityDateTime = shiftNullable(alert.firstActivityDateTime);
    alert.lastActivityDateTime = shiftNullable(alert.lastActivityDateTime);
    alert.resolvedDateTime = shiftNullable(alert.resolvedDateTime);
  }
  // Advanced hunting events move with the alerts, so "the last 24 hours" of a hunt tells the same story.
  if (copy.events !== undefined) {
    for (const table of Object.keys(copy.events) as HuntingTableName[]) {
      const rows = copy.events[table];
      if (rows !== undefined) copy.events[table] = rows.map((row) => shiftRow(row, DATE_TIME_COLUMNS[table], shift));
    }
  }
  // Worldwide sightings too: a file "last observed" worldwide stays as recent as it was when the seed was written.
  for (const profile of Object.values(copy.entityProfiles?.files ?? {})) {
    if (profile.globalFirstObserved !== undefined) profile.globalFirstObserved = shift(profile.globalFirstObserved);
    if (profile.globalLastObserved !== undefined) profile.globalLastObserved = shift(profile.globalLastObserved);
  }
  return copy;
}
