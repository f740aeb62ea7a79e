import { performance } from 'node:perf_hooks';
import { huntingTableSource } from '../src/simulator/graph/hunting/huntingService';
import { huntingWindowOf } from '../src/simulator/graph/hunting/huntingTimespan';
import { compileKql, toWireValue } from '../src/simulator/graph/hunting/kqlEngine';
import { generateHuntingEvents } from '../src/simulator/seed/eventGenerator';

/*
 * `npm run bench -- hunting`: the simulator's KQL engine over 1,000,000 generated events (src/simulator/seed/
 * eventGenerator.ts), the saved hunts' shapes run as `runHuntingQuery` runs them (30-day window, every row of the
 * answer turned into its wire form), p50/p99 of a few runs each, plus generation time and heap.
 * BENCH_HUNTING_EVENTS and BENCH_HUNTING_RUNS override the size and the runs.
 */

const EVENTS = Number(process.env.BENCH_HUNTING_EVENTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_HUNTING_RUNS ?? 7);
const NOW = new Date('2026-12-01T12:00:00Z');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** Runs the benchmark and returns the lines to print. */
export async function runKqlBench(): Promise<string[]> {
  const lines: string[] = [];
  const generationStarted = performance.now();
  const generated = generateHuntingEvents({ events: EVENTS, now: NOW });
  const generationMs = performance.now() - generationStarted;
  const device = generated.devices[41]!.deviceName;
  const hash = generated.hashes[7]!;
  const ip = generated.remoteIps[3]!;
  const account = generated.accounts[41]!;
  const queries: { name: string; kql: string }[] = [
    {
      name: 'recent processes on a device',
      kql: `DeviceProcessEvents | where DeviceName == '${device}' and Timestamp > ago(24h) | project Timestamp, FileName, ProcessCommandLine, AccountName | order by Timestamp desc | take 100`,
    },
    { name: 'devices that ran a file', kql: `DeviceProcessEvents | where SHA1 == '${hash}' | summarize by DeviceName` },
    {
      name: 'connections to an IP',
      kql: `DeviceNetworkEvents | where RemoteIP == '${ip}' | summarize Connections = count(), Ports = make_set(RemotePort) by DeviceName`,
    },
    {
      name: 'logons of a user',
      kql: `DeviceLogonEvents | where AccountName =~ '${account}' | summarize count() by DeviceName`,
    },
    {
      name: 'alert evidence joined with processes',
      kql: "AlertEvidence | where EntityType == 'File' | project AlertId, SHA1 | join kind=inner (DeviceProcessEvents | where Timestamp > ago(7d) | project SHA1, DeviceName, FileName) on SHA1 | summarize Devices = dcount(DeviceName) by AlertId | top 100 by Devices desc",
    },
  ];
  const tables = huntingTableSource(
    generated.tables,
    huntingWindowOf(undefined, NOW.getTime()),
    { all: true },
    new Map(),
  );
  const runQuery = (kql: string): number => {
    const result = compileKql(kql, { now: NOW.getTime(), tables });
    let rows = 0;
    for (const row of result.rows) {
      for (const column of result.columns) toWireValue(row[column.name], column.kqlType);
      rows += 1;
    }
    return rows;
  };
  // The first query loads Kusto's parser and converts every table's timestamps once (what a tenant's first hunt pays).
  const firstStarted = performance.now();
  runQuery(queries[0]!.kql);
  for (const table of generated.tables.keys()) runQuery(`${table} | count`);
  const firstMs = performance.now() - firstStarted;
  const counts = [...generated.tables].map(([table, rows]) => `${table} ${rows.length.toLocaleString('en')}`);
  lines.push(`Advanced hunting KQL engine over ${EVENTS.toLocaleString('en')} generated events (${counts.join(', ')})`);
  lines.push(
    `  generation ${generationMs.toFixed(0)} ms; parser load + first read of every table ${firstMs.toFixed(0)} ms; heap ${(
      process.memoryUsage().heapUsed /
      1024 /
      1024
    ).toFixed(0)} MB`,
  );
  for (const query of queries) {
    // Let timers and I/O run between queries, as a server answering other requests would.
    await new Promise((resolve) => setImmediate(resolve));
    const times: number[] = [];
    let rows = 0;
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      rows = runQuery(query.kql);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    lines.push(
      `  ${query.name.padEnd(38)} p50 ${percentile(times, 50).toFixed(1).padStart(7)} ms  p99 ${percentile(times, 99)
        .toFixed(1)
        .padStart(7)} ms  (${rows} rows, ${RUNS} runs)`,
    );
  }
  return lines;
}
