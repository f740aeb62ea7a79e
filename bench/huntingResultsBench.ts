/*
 * The hunting results part of `npm run bench -- hunting-results`: how long the bot takes to turn a hunt's answer of
 * 10, 1,000 and 100,000 rows into its first card (rows streamed into the store in chunks, the first page rendered),
 * and how much memory that adds at its peak — the goal is flat beyond the first page. Beside it, in the same run, the
 * naive way: the whole `runHuntingQuery` body as one string, JSON.parse'd, the first page rendered from the array.
 *
 * Honest about what is measured: the answer's rows come from a generator producing Graph-shaped rows one at a time
 * (what the streaming Graph client hands the presenter), so the memory added is the presenter's and the store's; the
 * store is the file store on a scratch directory (one instance's default, fsync'd writes) and Azurite when
 * BENCH_AZURITE=1. Peak memory is sampled every 2 ms after a forced GC, above the post-GC baseline.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { toHuntResultCard } from '../src/cards/huntResultCard';
import type { CommandContext } from '../src/commands/commandContext';
import type { HuntingAnswer, HuntingColumn, HuntingResultRow } from '../src/hunting/huntingTypes';
import { HuntResults } from '../src/hunting/huntResultPresenter';
import type { HuntResultHeader } from '../src/hunting/huntResultStore';
import { HuntResultStore, ROWS_PER_PAGE } from '../src/hunting/huntResultStore';
import type { CsvUploader } from '../src/hunting/huntResultUpload';
import { translatorFor } from '../src/i18n/translator';
import { FileStorage } from '../src/storage/fileStorage';
import type { Storage } from '../src/storage/storage';

const SIZES = [10, 1_000, 100_000] as const;
/** Runs per size (the first of each is a warm-up, not counted). */
const RUNS: Record<(typeof SIZES)[number], number> = { 10: 41, 1_000: 21, 100_000: 4 };

const COLUMNS: HuntingColumn[] = [
  { name: 'Timestamp', type: 'DateTime' },
  { name: 'DeviceId', type: 'String' },
  { name: 'DeviceName', type: 'String' },
  { name: 'ActionType', type: 'String' },
  { name: 'FileName', type: 'String' },
  { name: 'FolderPath', type: 'String' },
  { name: 'SHA1', type: 'String' },
  { name: 'ProcessCommandLine', type: 'String' },
  { name: 'AccountName', type: 'String' },
  { name: 'InitiatingProcessFileName', type: 'String' },
  { name: 'InitiatingProcessId', type: 'Int64' },
  { name: 'ReportId', type: 'Int64' },
];

/** One DeviceProcessEvents-like row (~600 bytes of JSON). */
function row(i: number): HuntingResultRow {
  return {
    Timestamp: new Date(Date.UTC(2026, 11, 6, 0, 0, 0, i * 250)).toISOString(),
    DeviceId: `d${String(i % 500).padStart(39, '0')}`,
    DeviceName: `ws-fin-${String(i % 500).padStart(3, '0')}.contoso.com`,
    ActionType: 'ProcessCreated',
    FileName: `proc${i % 97}.exe`,
    FolderPath: `C:\\Program Files\\Vendor ${i % 13}\\bin\\proc${i % 97}.exe`,
    SHA1: (i * 2654435761).toString(16).padStart(40, 'a').slice(-40),
    ProcessCommandLine: `"proc${i % 97}.exe" --config "C:\\ProgramData\\Vendor\\cfg-${i}.json" --verbose --retries 3`,
    AccountName: `user${i % 41}`,
    InitiatingProcessFileName: 'explorer.exe',
    InitiatingProcessId: 4000 + (i % 1000),
    ReportId: i,
  };
}

function streamed(count: number): HuntingAnswer {
  return {
    rows: (async function* () {
      for (let i = 1; i <= count; i += 1) {
        // The Graph client yields between network reads.
        if (i % 64 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        yield row(i);
      }
    })(),
    columns: () => Promise.resolve(COLUMNS),
  };
}

function context(): CommandContext {
  const never = (): never => {
    throw new Error('not called');
  };
  return {
    user: { tenantId: 't', aadObjectId: 'u', userPrincipalName: 'u@contoso.com', displayName: 'U', appRoles: [] },
    tenant: { id: 't' },
    i18n: translatorFor('en', 'UTC'),
    get auth(): never {
      return never();
    },
    get defender(): never {
      return never();
    },
    get graphAuth(): never {
      return never();
    },
    get graph(): never {
      return never();
    },
    now: new Date(),
  };
}

/** Forces a full GC (the bench is not started with --expose-gc). */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

/** Runs `work`, sampling memory every 2 ms: elapsed time and the peak heap/RSS added above the post-GC baseline. */
async function measured(work: () => Promise<void>): Promise<{ ms: number; heapMb: number; rssMb: number }> {
  collectGarbage();
  const base = process.memoryUsage();
  let heap = base.heapUsed;
  let rss = base.rss;
  const sample = () => {
    const now = process.memoryUsage();
    heap = Math.max(heap, now.heapUsed);
    rss = Math.max(rss, now.rss);
  };
  const sampler = setInterval(sample, 2);
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  const ms = performance.now() - started;
  sample();
  return { ms, heapMb: (heap - base.heapUsed) / 2 ** 20, rssMb: (rss - base.rss) / 2 ** 20 };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface Figures {
  p50: number;
  p99: number;
  heapMb: number;
  rssMb: number;
  runs: number;
}

async function figures(runs: number, once: () => Promise<void>): Promise<Figures> {
  const times: number[] = [];
  let heapMb = 0;
  let rssMb = 0;
  for (let run = 0; run < runs; run += 1) {
    const m = await measured(once);
    if (run === 0 && runs > 1) continue;
    times.push(m.ms);
    heapMb = Math.max(heapMb, m.heapMb);
    rssMb = Math.max(rssMb, m.rssMb);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), heapMb, rssMb, runs: times.length };
}

/** The naive presenter: the whole body in memory, parsed at once, the first page carded from the array. */
async function naive(count: number): Promise<void> {
  const parts: string[] = [];
  for (let i = 1; i <= count; i += 1) parts.push(JSON.stringify(row(i)));
  const body = `{"schema":${JSON.stringify(COLUMNS)},"results":[${parts.join(',')}]}`;
  parts.length = 0;
  await new Promise<void>((resolve) => setImmediate(resolve));
  const parsed = JSON.parse(body) as { schema: HuntingColumn[]; results: HuntingResultRow[] };
  const header: HuntResultHeader = {
    id: 'H-AAAAAAAAAAAAAAAAAAAAAAAA',
    owner: { tenantId: 't', userId: 'u', userTenantId: 't' },
    title: 'naive',
    columns: parsed.schema,
    filledColumns: parsed.schema.map((c) => c.name),
    rowCount: parsed.results.length,
    truncated: false,
    chunkRowCounts: [],
    csvBytes: 0,
    timing: { elapsedMs: 0, callsThisMinute: 0, callsThisHour: 0 },
    createdAt: new Date().toISOString(),
    expiresAt: new Date().toISOString(),
  };
  toHuntResultCard({ header, page: 0, rows: parsed.results.slice(0, ROWS_PER_PAGE) }, translatorFor('en'));
}

const NO_UPLOAD: CsvUploader = { fragmentBytes: 320 * 1024, upload: () => Promise.resolve(false) };

/** Figures for the record: presenter time and peak memory added per answer size, beside the naive baseline. */
export async function runHuntingResultsBench(): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hunt-results-bench-'));
  const storage = new FileStorage({ dir });
  await storage.ready();
  const lines = [
    'Hunting results: answer → stored chunks + first card (file store, fsync), beside JSON.parse of the whole body',
  ];
  try {
    lines.push(...(await benchStore('file store', storage)));
  } finally {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

async function benchStore(label: string, storage: Storage): Promise<string[]> {
  const presenter = new HuntResults({
    store: new HuntResultStore({ storage, now: () => new Date() }),
    audit: { append: () => Promise.resolve() },
    upload: NO_UPLOAD,
  });
  const ctx = context();
  const lines: string[] = [];
  const f = (n: number) => n.toFixed(n < 10 ? 1 : 0);
  for (const size of SIZES) {
    const ours = await figures(RUNS[size], async () => {
      await presenter.present(ctx, undefined, { title: 'bench', query: 'DeviceProcessEvents' }, streamed(size), () => ({
        elapsedMs: 0,
        callsThisMinute: 1,
        callsThisHour: 1,
      }));
    });
    const baseline = await figures(RUNS[size], () => naive(size));
    lines.push(
      `  ${size.toLocaleString('en')} rows, ${label}: p50 ${f(ours.p50)} ms, p99 ${f(ours.p99)} ms, peak +${f(ours.heapMb)} MB heap / +${f(ours.rssMb)} MB RSS (${ours.runs} runs)`,
      `  ${size.toLocaleString('en')} rows, naive JSON.parse: p50 ${f(baseline.p50)} ms, p99 ${f(baseline.p99)} ms, peak +${f(baseline.heapMb)} MB heap / +${f(baseline.rssMb)} MB RSS (no storing, no paging)`,
    );
  }
  return lines;
}

if (require.main === module) {
  void runHuntingResultsBench().then((lines) => process.stdout.write(`${lines.join('\n')}\n`));
}
