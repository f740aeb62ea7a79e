import fs from 'node:fs/promises';
import path from 'node:path';
import { distance } from 'fastest-levenshtein';
import YAML from 'yaml';
import { z } from 'zod';
import type { Locale } from '../i18n/locale';
import { fold } from '../language/normalise';

/*
 * Saved hunts as data: one YAML file per hunt, shipped in hunts/ at the project root, plus an administrator's own
 * folder (HUNTS_DIR). A hunt names its typed parameters and the KQL body that refers to them by name; the bot
 * prepends `let` statements with escaped literals (src/hunting/huntQuery.ts), never splicing a value into the body.
 */

/** What a hunt parameter holds; each type has its own validation and `let` names (huntQuery.ts). */
export const HUNT_PARAMETER_TYPES = ['device', 'file', 'sha1', 'sha256', 'ip', 'domain', 'account', 'alertId'] as const;
/** One of HUNT_PARAMETER_TYPES. */
export type HuntParameterType = (typeof HUNT_PARAMETER_TYPES)[number];

/** Where a parameter's value may come from: the command text, or the entity of an alert, device or incident card. */
export const HUNT_PARAMETER_SOURCES = ['text', 'alert', 'device', 'incident'] as const;
/** One of HUNT_PARAMETER_SOURCES. */
export type HuntParameterSource = (typeof HUNT_PARAMETER_SOURCES)[number];

const inBothLanguages = z.strictObject({
  en: z.string().trim().min(1).max(300),
  'pt-BR': z.string().trim().min(1).max(300),
});

const phraseList = z.array(z.string().trim().min(1).max(60)).max(20);

/** A hunt file, as written. */
export const huntFileSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, 'a lower-case slug such as processes-on-device')
      .max(60),
    title: inBothLanguages,
    description: inBothLanguages,
    /** Words that name the hunt in a command ("hunt processes on …"), per language; the name always works. */
    phrases: z.strictObject({ en: phraseList, 'pt-BR': phraseList }).default({ en: [], 'pt-BR': [] }),
    parameters: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[a-z][A-Za-z0-9]{0,30}$/, 'a camelCase KQL name such as device'),
          type: z.enum(HUNT_PARAMETER_TYPES),
          from: z.array(z.enum(HUNT_PARAMETER_SOURCES)).min(1),
        }),
      )
      .max(1, 'at most one parameter (a command or a card names one entity)'),
    /** Default time window: minutes, hours or days (`30m`, `24h`, `7d`), at most 30 days. */
    window: z.string().regex(/^\d{1,4}[mhd]$/, 'like 24h, 7d or 30m'),
    query: z.string().trim().min(1).max(8_000),
  })
  .superRefine((hunt, ctx) => {
    const minutes = windowMinutes(hunt.window);
    if (minutes < 1 || minutes > 30 * 24 * 60)
      ctx.addIssue({ code: 'custom', path: ['window'], message: 'from 1 minute to 30 days' });
    for (const bound of ['since', 'until', ...hunt.parameters.flatMap((p) => boundNames(p.name, p.type))]) {
      if (new RegExp(`\\blet\\s+${bound}\\b`).test(hunt.query))
        ctx.addIssue({ code: 'custom', path: ['query'], message: `must not declare ${bound}: the bot declares it` });
    }
    if (!/\bsince\b/.test(hunt.query))
      ctx.addIssue({ code: 'custom', path: ['query'], message: 'must use the time window (since .. until)' });
    for (const parameter of hunt.parameters) {
      if (!boundNames(parameter.name, parameter.type).some((n) => new RegExp(`\\b${n}\\b`).test(hunt.query)))
        ctx.addIssue({ code: 'custom', path: ['query'], message: `never uses its parameter ${parameter.name}` });
    }
  });

/** A saved hunt, validated. */
export type HuntDefinition = z.infer<typeof huntFileSchema> & {
  /** The file it came from (for error messages and the hunts card). */
  source: string;
};

/** The names a parameter binds with `let`: device → device, deviceId; account → account, accountName. */
export function boundNames(name: string, type: HuntParameterType): string[] {
  if (type === 'device') return [name, `${name}Id`];
  if (type === 'account') return [name, `${name}Name`];
  return [name];
}

/** `24h` → 1440. */
export function windowMinutes(window: string): number {
  const amount = Number(window.slice(0, -1));
  const unit = window.slice(-1);
  return amount * (unit === 'd' ? 1440 : unit === 'h' ? 60 : 1);
}

/** A hunt file that did not load: which file and what is wrong, so startup says exactly what to fix. */
export class HuntFileError extends Error {
  override readonly name = 'HuntFileError';
}

/** The loaded hunts, by name; finds a hunt by its name or one of its phrases, and the closest one otherwise. */
export class HuntLibrary {
  private readonly byName: Map<string, HuntDefinition>;

  constructor(hunts: readonly HuntDefinition[]) {
    this.byName = new Map();
    for (const hunt of hunts) {
      const other = this.byName.get(hunt.name);
      if (other) throw new HuntFileError(`hunt "${hunt.name}" is defined twice: ${other.source} and ${hunt.source}`);
      this.byName.set(hunt.name, hunt);
    }
  }

  /** Every hunt, in name order. */
  all(): HuntDefinition[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** One hunt by its exact name. */
  get(name: string): HuntDefinition | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /**
   * The hunt a command's words name: its slug, title or one of its phrases (either language, without case or
   * accents). Longest phrase first, so "connections to domain" beats "connections". Undefined when none matches.
   */
  find(words: string): HuntDefinition | undefined {
    const typed = fold(words).replace(/\s+/g, ' ').trim();
    let best: { hunt: HuntDefinition; length: number } | undefined;
    for (const hunt of this.byName.values()) {
      for (const phrase of namesOf(hunt)) {
        if (phrase === typed && phrase.length > (best?.length ?? -1)) best = { hunt, length: phrase.length };
      }
    }
    return best?.hunt;
  }

  /** Every hunt whose slug, title or a phrase is exactly `words` (several hunts may share a phrase). */
  findAll(words: string): HuntDefinition[] {
    const typed = fold(words).replace(/\s+/g, ' ').trim();
    return this.all().filter((hunt) => namesOf(hunt).includes(typed));
  }

  /** The hunt whose name or phrases are closest to `words` (a typo), when close enough to suggest. */
  closest(words: string): HuntDefinition | undefined {
    const typed = fold(words).replace(/\s+/g, ' ').trim();
    if (typed.length === 0) return undefined;
    let best: { hunt: HuntDefinition; score: number } | undefined;
    for (const hunt of this.byName.values()) {
      for (const phrase of namesOf(hunt)) {
        const score = distance(typed, phrase) / Math.max(typed.length, phrase.length);
        if (score < (best?.score ?? 0.45)) best = { hunt, score };
      }
    }
    return best?.hunt;
  }
}

/** A hunt's title in the viewer's language. */
export function huntTitle(hunt: HuntDefinition, locale: Locale): string {
  return hunt.title[locale];
}

function namesOf(hunt: HuntDefinition): string[] {
  return [
    hunt.name,
    hunt.name.replace(/-/g, ' '),
    hunt.title.en,
    hunt.title['pt-BR'],
    ...hunt.phrases.en,
    ...hunt.phrases['pt-BR'],
  ].map((p) => fold(p).replace(/\s+/g, ' ').trim());
}

/**
 * Reads every `*.yaml`/`*.yml` file of the folders, in order (the shipped hunts, then the administrator's). Fails on
 * the first broken file with its path and what is wrong (YAML syntax with line, or the field that fails its
 * schema), and on a name defined twice: a deployment never starts with a hunt silently missing.
 */
export async function loadHuntLibrary(folders: readonly string[]): Promise<HuntLibrary> {
  const hunts: HuntDefinition[] = [];
  for (const folder of folders) {
    let entries: string[];
    try {
      entries = (await fs.readdir(folder)).filter((f) => /\.ya?ml$/i.test(f)).sort();
    } catch (err) {
      throw new HuntFileError(
        `cannot read the hunts folder ${folder}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    for (const file of entries)
      hunts.push(parseHuntFile(path.join(folder, file), await fs.readFile(path.join(folder, file), 'utf8')));
  }
  return new HuntLibrary(hunts);
}

/** One hunt file's text, validated; HuntFileError naming the file and the problem otherwise. */
export function parseHuntFile(file: string, text: string): HuntDefinition {
  let data: unknown;
  try {
    data = YAML.parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    throw new HuntFileError(`hunt file ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = huntFileSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new HuntFileError(`hunt file ${file} is not a valid hunt: ${problems}`);
  }
  const expected = path.basename(file).replace(/\.ya?ml$/i, '');
  if (parsed.data.name !== expected)
    throw new HuntFileError(`hunt file ${file} must be named after its hunt: ${parsed.data.name}.yaml`);
  return { ...parsed.data, source: file };
}
