import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { inScope } from '../../defender/rbac';
import type { DeviceScope } from '../../defender/rbac';
import { SlidingWindowRateLimiter } from '../../defender/rateLimiter';
import type { RateLimits } from '../../defender/rateLimiter';
import { parseJsonBody } from '../../defender/requestBody';
import { huntingTablesFromSeed } from '../../seed/huntingEvents';
import { HUNTING_TABLES } from '../../seed/huntingSchema';
import type { HuntingRow, HuntingTableName, HuntingTables, HuntingType } from '../../seed/huntingSchema';
import type { Seed } from '../../seed/seedSchema';
import { GraphApiError } from '../graphError';
import type { GraphTenant } from '../graphTenant';
import { huntingWindowOf } from './huntingTimespan';
import type { HuntingWindow } from './huntingTimespan';
import { KqlError } from './kqlError';
import { compileKql, toWireValue } from './kqlEngine';
import type { KqlRow } from './kqlScalar';
import type { TableSource } from './kqlTabular';
import { huntingTypeOf } from './kustoLanguage';

/*
 * Graph's `POST /v1.0/security/runHuntingQuery` over a tenant's seeded event tables, with the service's
 * documented limits (defender-api.md §5.2–5.3, learn.microsoft.com/defender-xdr/advanced-hunting-errors): 45 calls
 * a minute and 1,500 an hour per tenant, a CPU allocation per 15-minute cycle (simulated: engine time × a factor),
 * a 3-minute timeout, 100,000 result rows, 124 MB of results. A user sees only the rows of devices in their
 * Defender device groups, filtered before the query runs, so counts match what they may see.
 */

/** Advanced hunting's per-tenant call quota (defender-api.md §5.2: "at least 45 calls per minute"; 1,500/hour). */
export const HUNTING_RATE_LIMITS: RateLimits = { perMinute: 45, perHour: 1500 };
/** Rows an answer holds at most; more are cut off (the documented limit; the service truncates). */
export const HUNTING_MAX_ROWS = 100_000;
/** Size of an answer's `results` beyond which the query fails (defender-api.md §5.1). */
export const HUNTING_MAX_RESULT_BYTES = 124 * 1024 * 1024;
/** A single query's time limit (defender-api.md §5.2). */
export const HUNTING_TIMEOUT_MS = 180_000;
/** Length of a CPU accounting cycle (defender-api.md §5.2). */
export const HUNTING_CPU_CYCLE_MS = 15 * 60_000;

/** The knobs of the simulated service; tests and rehearsals change them with `configure`. */
export interface HuntingBehaviour {
  rateLimits: RateLimits;
  maxRows: number;
  maxResultBytes: number;
  /** Simulated CPU ms a query costs per ms of engine time. */
  cpuFactor: number;
  /** Simulated CPU ms a tenant may spend per 15-minute cycle. */
  cpuQuotaMsPerCycle: number;
  /** A query whose simulated CPU time exceeds this times out. */
  timeoutMs: number;
  /** The next N queries time out (after `timeoutDelayMs`), as a query running past 3 minutes would. */
  forcedTimeouts: number;
  /** How long a forced timeout holds the request before answering (the real service: 3 minutes). */
  timeoutDelayMs: number;
}

const DEFAULT_BEHAVIOUR: HuntingBehaviour = {
  rateLimits: HUNTING_RATE_LIMITS,
  maxRows: HUNTING_MAX_ROWS,
  maxResultBytes: HUNTING_MAX_RESULT_BYTES,
  cpuFactor: 1,
  cpuQuotaMsPerCycle: 10 * 60_000,
  timeoutMs: HUNTING_TIMEOUT_MS,
  forcedTimeouts: 0,
  timeoutDelayMs: 0,
};

/** One `runHuntingQuery` request, after the token, permission and Defender role were checked. */
export interface HuntingRequest {
  tenant: GraphTenant;
  scope: DeviceScope;
  body: string;
  now: Date;
}

/** The answer: status and body (Graph's `huntingQueryResults`), or a GraphApiError thrown. */
export interface HuntingResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** The simulated advanced hunting service. */
export interface HuntingService {
  run(request: HuntingRequest): Promise<HuntingResult>;
  /** Changes some knobs; returns the whole behaviour now in force. */
  configure(changes: Partial<HuntingBehaviour>): HuntingBehaviour;
  /** Back to the documented defaults, quotas and CPU ledgers emptied. */
  reset(): void;
}

/** Options for `createHuntingService`. */
export interface HuntingServiceOptions {
  seeds: readonly Seed[];
  /** Origin of `@odata.context` (Graph's own host in production). */
  metadataBase?: string;
  behaviour?: Partial<HuntingBehaviour>;
  /**
   * A tenant's tables (tenant id in lower case), when another part of the simulator owns them (e.g. events added
   * at run time); default: huntingTablesFromSeed of the tenant's seed, read once.
   */
  tablesOf?: (tenantId: string) => HuntingTables;
}

const bodySchema = z.object({ Query: z.string(), Timespan: z.string().optional() });

const QUERY_RESULTS_CONTEXT = '$metadata#microsoft.graph.security.huntingQueryResults';

/**
 * The engine's rows of a table: DateTime cells as ms (absent cells stay absent). Converted once per table; rows
 * appended to the table later are converted when next read.
 */
const prepared = new WeakMap<readonly HuntingRow[], KqlRow[]>();

function prepare(table: HuntingTableName, rows: readonly HuntingRow[]): KqlRow[] {
  let converted = prepared.get(rows);
  if (converted !== undefined && converted.length === rows.length) return converted;
  if (converted === undefined || converted.length > rows.length) converted = [];
  const dateColumns = Object.entries(HUNTING_TABLES[table] as Record<string, HuntingType>)
    .filter(([, type]) => type === 'DateTime')
    .map(([column]) => column);
  for (let i = converted.length; i < rows.length; i++) {
    const row = rows[i]!;
    const out: KqlRow = { ...(row as KqlRow) };
    for (const column of dateColumns) {
      const cell = row[column];
      if (cell !== undefined) out[column] = typeof cell === 'string' ? Date.parse(cell) : null;
    }
    converted.push(out);
  }
  prepared.set(rows, converted);
  return converted;
}

/** Which device a row belongs to, for device-group RBAC: its own device, else (alert rows) its alert's devices. */
type RowDevices = (row: KqlRow) => readonly string[] | 'unscoped';

function* visibleRows(
  rows: readonly KqlRow[],
  window: HuntingWindow,
  scope: DeviceScope,
  machineGroups: ReadonlyMap<string, string | null>,
  devicesOf: RowDevices,
): Iterable<KqlRow> {
  for (const row of rows) {
    const at = row.Timestamp;
    if (typeof at !== 'number' || at < window.start || at > window.end) continue;
    if (!scope.all) {
      const devices = devicesOf(row);
      if (devices !== 'unscoped' && !devices.some((id) => inScope(scope, machineGroups.get(id)))) continue;
    }
    yield row;
  }
}

/** The device ids (lower case) each alert's evidence names: the alerts API's visibility rule, in hunting. */
function devicesByAlert(evidence: readonly HuntingRow[]): Map<string, string[]> {
  const byAlert = new Map<string, string[]>();
  for (const row of evidence) {
    const { AlertId: alertId, DeviceId: deviceId } = row;
    if (typeof alertId !== 'string' || typeof deviceId !== 'string' || deviceId === '') continue;
    const devices = byAlert.get(alertId);
    if (devices === undefined) byAlert.set(alertId, [deviceId.toLowerCase()]);
    else devices.push(deviceId.toLowerCase());
  }
  return byAlert;
}

/**
 * The tables a query reads: only rows inside `window` and, for a user, of devices in their device groups. A row
 * with a device is scoped by it; AlertInfo rows and AlertEvidence rows without a device by their alert's devices,
 * and an alert on no device is seen only with every group (fail closed); other rows without a device stay
 * visible. The benchmark reads tables through this too.
 */
export function huntingTableSource(
  tables: HuntingTables,
  window: HuntingWindow,
  scope: DeviceScope,
  machineGroups: ReadonlyMap<string, string | null>,
): TableSource {
  let alertDevices: Map<string, string[]> | undefined;
  const devicesOfAlert = (row: KqlRow): readonly string[] => {
    alertDevices ??= devicesByAlert(tables.get('AlertEvidence') ?? []);
    return typeof row.AlertId === 'string' ? (alertDevices.get(row.AlertId) ?? []) : [];
  };
  const devicesOf = (table: HuntingTableName): RowDevices => {
    const isAlertTable = table === 'AlertInfo' || table === 'AlertEvidence';
    if (!isAlertTable && !('DeviceId' in HUNTING_TABLES[table])) return () => 'unscoped';
    return (row) => {
      const deviceId = row.DeviceId;
      if (typeof deviceId === 'string' && deviceId !== '') return [deviceId.toLowerCase()];
      return isAlertTable ? devicesOfAlert(row) : 'unscoped';
    };
  };
  return {
    rowsOf: (table) =>
      visibleRows(prepare(table, tables.get(table) ?? []), window, scope, machineGroups, devicesOf(table)),
  };
}

/** Duration text of the CPU error ("You can run queries again in 00:07:12."). */
function clock(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
}

/** Builds the advanced hunting service over the tenants of `seeds`. */
export function createHuntingService(options: HuntingServiceOptions): HuntingService {
  let behaviour: HuntingBehaviour = { ...DEFAULT_BEHAVIOUR, ...options.behaviour };
  const seeds = new Map(options.seeds.map((seed) => [seed.tenant.id.toLowerCase(), seed]));
  const tables = new Map<string, HuntingTables>();
  const cpu = new Map<string, { cycle: number; usedMs: number }>();
  let clockNow = 0;
  let limiter = new SlidingWindowRateLimiter(behaviour.rateLimits, () => clockNow);
  const context = `${options.metadataBase ?? 'https://graph.microsoft.com'}/v1.0/${QUERY_RESULTS_CONTEXT}`;

  const tablesOf = (tenantId: string): HuntingTables => {
    if (options.tablesOf !== undefined) return options.tablesOf(tenantId);
    let found = tables.get(tenantId);
    if (found === undefined) {
      const seed = seeds.get(tenantId);
      found = seed === undefined ? new Map() : huntingTablesFromSeed(seed);
      tables.set(tenantId, found);
    }
    return found;
  };

  const chargeCpu = (tenantId: string, now: number): void => {
    const cycle = Math.floor(now / HUNTING_CPU_CYCLE_MS);
    const ledger = cpu.get(tenantId);
    if (ledger === undefined || ledger.cycle !== cycle) return;
    if (ledger.usedMs < behaviour.cpuQuotaMsPerCycle) return;
    const wait = (cycle + 1) * HUNTING_CPU_CYCLE_MS - now;
    throw new GraphApiError(
      429,
      'TooManyRequests',
      `You have exceeded processing resources allocated to this tenant. You can run queries again in ${clock(wait)}.`,
      { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) },
    );
  };

  const recordCpu = (tenantId: string, now: number, costMs: number): void => {
    const cycle = Math.floor(now / HUNTING_CPU_CYCLE_MS);
    const ledger = cpu.get(tenantId);
    if (ledger === undefined || ledger.cycle !== cycle) cpu.set(tenantId, { cycle, usedMs: costMs });
    else ledger.usedMs += costMs;
  };

  const timeout = () => new GraphApiError(400, 'BadRequest', 'Query exceeded the timeout period.');

  async function run(request: HuntingRequest): Promise<HuntingResult> {
    const now = request.now.getTime();
    const tenantId = request.tenant.tenantId;
    clockNow = now;
    const decision = limiter.tryAcquire(tenantId);
    if (!decision.allowed) {
      throw new GraphApiError(
        429,
        'TooManyRequests',
        `Too many requests: advanced hunting allows ${behaviour.rateLimits.perMinute} calls per minute and ${behaviour.rateLimits.perHour} per hour per tenant.`,
        { 'retry-after': String(decision.retryAfterSeconds) },
      );
    }
    chargeCpu(tenantId, now);
    const { Query, Timespan } = parseJsonBody(request.body, bodySchema);
    const window = huntingWindowOf(Timespan, now);
    if (behaviour.forcedTimeouts > 0) {
      behaviour.forcedTimeouts -= 1;
      if (behaviour.timeoutDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, behaviour.timeoutDelayMs));
      throw timeout();
    }
    const tenantTables = tablesOf(tenantId);
    const started = performance.now();
    try {
      const result = compileKql(Query, {
        now,
        tables: huntingTableSource(tenantTables, window, request.scope, request.tenant.machineGroups),
      });
      const results: Record<string, unknown>[] = [];
      let bytes = 0;
      for (const row of result.rows) {
        if (results.length >= behaviour.maxRows) break;
        const wire: Record<string, unknown> = {};
        for (const column of result.columns) wire[column.name] = toWireValue(row[column.name], column.kqlType);
        bytes += Buffer.byteLength(JSON.stringify(wire));
        if (bytes > behaviour.maxResultBytes) {
          throw new GraphApiError(
            400,
            'BadRequest',
            'Query execution has exceeded the allowed result size. Optimize your query by limiting the number of results and try again.',
          );
        }
        results.push(wire);
      }
      if ((performance.now() - started) * behaviour.cpuFactor > behaviour.timeoutMs) throw timeout();
      return {
        status: 200,
        body: {
          '@odata.context': context,
          schema: result.columns.map((c) => ({ name: c.name, type: huntingTypeOf(c.kqlType) })),
          results,
        },
      };
    } catch (err) {
      if (err instanceof KqlError) throw new GraphApiError(400, 'BadRequest', err.message);
      throw err;
    } finally {
      recordCpu(tenantId, now, (performance.now() - started) * behaviour.cpuFactor);
    }
  }

  return {
    run,
    configure: (changes) => {
      behaviour = { ...behaviour, ...changes };
      if (changes.rateLimits !== undefined)
        limiter = new SlidingWindowRateLimiter(behaviour.rateLimits, () => clockNow);
      return { ...behaviour };
    },
    reset: () => {
      behaviour = { ...DEFAULT_BEHAVIOUR, ...options.behaviour };
      limiter = new SlidingWindowRateLimiter(behaviour.rateLimits, () => clockNow);
      cpu.clear();
    },
  };
}
