import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { freshenSeed } from './freshenSeed';
import { findJsonSyntaxError, positionAt } from './jsonSyntax';
import { seedSchema } from './seedSchema';
import type { Seed } from './seedSchema';

/*
 * The one way a seed file enters the simulator: read, parse, validate against seedSchema, optionally freshen.
 * Every problem is reported at once, with its path, so a user editing demoTenant.json fixes them in one pass.
 */

/** How a seed is loaded; `freshen` moves all timestamps so the newest alert is two minutes old at `now`. */
export interface SeedLoadOptions {
  freshen?: boolean;
  /** The clock for `freshen` (default: the current time). */
  now?: Date;
}

/** One thing wrong with a seed: where (`machines[3].healthStatus`, empty for the whole file) and what. */
export interface SeedProblem {
  path: string;
  message: string;
}

/** A seed that cannot be used; the message names the source and every problem, the list is in `problems`. */
export class SeedError extends Error {
  override readonly name = 'SeedError';

  constructor(
    readonly source: string,
    readonly problems: readonly SeedProblem[],
    options?: { cause?: unknown },
  ) {
    super(
      `${source}: ${problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`)).join('; ')}`,
      options,
    );
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `['alerts', 7, 'machineId']` → `alerts[7].machineId`. */
function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** True when `path` names a key that is absent from its (present) parent object in the raw JSON. */
function isAbsent(json: unknown, segments: readonly PropertyKey[]): boolean {
  let parent: unknown = json;
  for (const segment of segments.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null) return false;
    parent = (parent as Record<PropertyKey, unknown>)[segment];
  }
  const last = segments[segments.length - 1];
  return last !== undefined && isRecord(parent) && !Object.hasOwn(parent, last);
}

function problemsOf(issue: z.core.$ZodIssue, json: unknown): SeedProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: formatPath([...issue.path, key]),
      message: 'unknown field (not part of the seed format)',
    }));
  }
  const message = isAbsent(json, issue.path) ? 'required field is missing' : issue.message;
  return [{ path: formatPath(issue.path) || '(root)', message }];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function recordsAt(json: Record<string, unknown>, key: string): [number, Record<string, unknown>][] {
  const list = json[key];
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown, index): [number, Record<string, unknown>][] =>
    isRecord(item) ? [[index, item]] : [],
  );
}

/**
 * The seed schema's cross-entity checks (duplicate ids, dangling machineId / incidentId / mdeDeviceId, duplicate
 * users), re-run on the raw JSON. zod skips an object's refinements while any field inside it is invalid, so without this a file
 * with a bad enum would hide its dangling references until the next attempt. Messages match the schema's.
 */
function crossReferenceProblems(json: unknown): SeedProblem[] {
  if (!isRecord(json)) return [];
  const problems: SeedProblem[] = [];
  const stringAt = (item: Record<string, unknown>, key: string): string | undefined =>
    typeof item[key] === 'string' ? item[key] : undefined;
  for (const key of ['machines', 'alerts', 'machineActions', 'incidents', 'alertsV2']) {
    const seen = new Set<string>();
    for (const [index, item] of recordsAt(json, key)) {
      const id = stringAt(item, 'id');
      if (id === undefined) continue;
      if (seen.has(id)) problems.push({ path: formatPath([key, index, 'id']), message: `duplicate id ${id}` });
      seen.add(id);
    }
  }
  const machineIds = new Set(recordsAt(json, 'machines').flatMap(([, m]) => stringAt(m, 'id') ?? []));
  for (const [index, alert] of recordsAt(json, 'alerts')) {
    const machineId = stringAt(alert, 'machineId');
    if (machineId !== undefined && !machineIds.has(machineId)) {
      problems.push({ path: formatPath(['alerts', index, 'machineId']), message: `no machine with id ${machineId}` });
    }
  }
  for (const [index, action] of recordsAt(json, 'machineActions')) {
    const machineId = stringAt(action, 'machineId');
    if (machineId !== undefined && !machineIds.has(machineId)) {
      problems.push({
        path: formatPath(['machineActions', index, 'machineId']),
        message: `no machine with id ${machineId}`,
      });
    }
  }
  const incidentIds = new Set(recordsAt(json, 'incidents').flatMap(([, i]) => stringAt(i, 'id') ?? []));
  for (const [index, alert] of recordsAt(json, 'alertsV2')) {
    const incidentId = stringAt(alert, 'incidentId');
    if (incidentId !== undefined && !incidentIds.has(incidentId)) {
      problems.push({
        path: formatPath(['alertsV2', index, 'incidentId']),
        message: `no incident with id ${incidentId}`,
      });
    }
    for (const [evidenceIndex, item] of recordsAt(alert, 'evidence')) {
      const mdeDeviceId = stringAt(item, 'mdeDeviceId');
      if (mdeDeviceId !== undefined && !machineIds.has(mdeDeviceId)) {
        problems.push({
          path: formatPath(['alertsV2', index, 'evidence', evidenceIndex, 'mdeDeviceId']),
          message: `no machine with id ${mdeDeviceId}`,
        });
      }
    }
  }
  const users = new Set<string>();
  for (const [index, user] of recordsAt(json, 'users')) {
    const objectId = stringAt(user, 'aadObjectId')?.toLowerCase();
    if (objectId === undefined) continue;
    if (users.has(objectId))
      problems.push({ path: formatPath(['users', index, 'aadObjectId']), message: 'duplicate user' });
    users.add(objectId);
  }
  return problems;
}

/**
 * Validates an already-parsed seed (`source` names it in errors, e.g. the file path) and applies the options.
 * Throws SeedError listing every problem.
 */
export function parseSeed(json: unknown, source: string, options: SeedLoadOptions = {}): Seed {
  const result = seedSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.flatMap((issue) => problemsOf(issue, json));
    const known = new Set(problems.map((p) => `${p.path}\n${p.message}`));
    for (const extra of crossReferenceProblems(json)) {
      if (!known.has(`${extra.path}\n${extra.message}`)) problems.push(extra);
    }
    throw new SeedError(source, problems, { cause: result.error });
  }
  return options.freshen === true ? freshenSeed(result.data, options.now ?? new Date()) : result.data;
}

function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const v8Message = err instanceof Error ? err.message : String(err);
    const v8Offset = /at position (\d+)/.exec(v8Message)?.[1];
    const offset = v8Offset !== undefined ? Number(v8Offset) : (findJsonSyntaxError(text) ?? text.length);
    const { line, column } = positionAt(text, offset);
    const reason = v8Message
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/, ".*" is not valid JSON$/s, '')
      .replace(/^Unexpected end of JSON input$/, 'unexpected end of file');
    throw new SeedError(source, [{ path: '', message: `invalid JSON at line ${line}, column ${column}: ${reason}` }], {
      cause: err,
    });
  }
}

/** Reads, parses and validates a seed file; every failure (unreadable, bad JSON, bad data) is a SeedError. */
export function loadSeedFile(filePath: string, options: SeedLoadOptions = {}): Seed {
  let text: string;
  try {
    text = fs.readFileSync(filePath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? 'unknown error'})`;
    throw new SeedError(filePath, [{ path: '', message: reason }], { cause: err });
  }
  // Editors on Windows may save a byte-order mark, which JSON.parse rejects.
  const json = parseJsonText(text.replace(/^\uFEFF/, ''), filePath);
  return parseSeed(json, filePath, options);
}

const DEMO_SEED = path.join('src', 'simulator', 'seed', 'demoTenant.json');

/**
 * Absolute path of the shipped demo tenant. The JSON lives in src/ while code runs from dist/src/..., so this
 * walks up from here to the project root (the folder with package.json) instead of trusting a relative path.
 */
export function demoSeedPath(): string {
  const beside = path.join(__dirname, 'demoTenant.json');
  if (fs.existsSync(beside)) return beside;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, DEMO_SEED);
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new SeedError('demoTenant.json', [{ path: '', message: `not found in any project folder above ${__dirname}` }]);
}
