import fs from 'node:fs';
import path from 'node:path';
import { loadSeedFile, SeedError } from './loadSeed';
import type { SeedLoadOptions } from './loadSeed';
import type { Seed } from './seedSchema';

/*
 * The simulated MSSP world (src/simulator/seed/mssp/README.md): Woodgrove Security, the provider whose SOC works
 * from its own Teams, and three customers. Contoso invited the SOC people as B2B guests, Fabrikam granted the
 * provider GDAP roles, Tailspin Toys has not consented to the bot yet.
 */

/** Tenant ids of the MSSP seeds, for tests and demo wiring. */
export const MSSP_TENANTS = {
  provider: 'b7e1d2c3-4a59-4f68-8a7b-1c2d3e4f5a6b',
  contoso: '3c0f5e7a-2b4d-4c6e-9f81-a2b3c4d5e6f7',
  fabrikam: 'f4b2a1c9-8d7e-4f60-a5b4-c3d2e1f0a9b8',
  tailspin: 'a7a115b1-5c4d-4e3f-b2a1-0f9e8d7c6b5a',
} as const;

/** Home object ids (in the provider tenant) of the provider's SOC people. */
export const MSSP_PEOPLE = {
  ana: 'a9a00001-5e0c-4000-8000-000000000001',
  bruno: 'a9a00002-5e0c-4000-8000-000000000002',
  carla: 'a9a00003-5e0c-4000-8000-000000000003',
  diego: 'a9a00004-5e0c-4000-8000-000000000004',
  elena: 'a9a00005-5e0c-4000-8000-000000000005',
  felipe: 'a9a00006-5e0c-4000-8000-000000000006',
} as const;

/** The four seeds by role in the scenario. */
export interface MsspSeeds {
  provider: Seed;
  contoso: Seed;
  fabrikam: Seed;
  tailspin: Seed;
}

const MSSP_FOLDER = path.join('src', 'simulator', 'seed', 'mssp');
const FILES = ['provider', 'contoso', 'fabrikam', 'tailspin'] as const;

/**
 * Absolute path of the shipped MSSP seed folder. The JSON lives in src/ while code runs from dist/src/..., so this
 * walks up to the project root (the folder with package.json), as demoSeedPath does.
 */
export function msspSeedFolder(): string {
  const beside = path.join(__dirname, 'mssp');
  if (fs.existsSync(path.join(beside, 'provider.json'))) return beside;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, MSSP_FOLDER);
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new SeedError('mssp', [{ path: '', message: `not found in any project folder above ${__dirname}` }]);
}

/** Loads and validates the four MSSP seeds (provider first); `freshen` as for any seed file. */
export function loadMsspSeeds(options: SeedLoadOptions = {}): MsspSeeds {
  const folder = msspSeedFolder();
  const [provider, contoso, fabrikam, tailspin] = FILES.map((name) =>
    loadSeedFile(path.join(folder, `${name}.json`), options),
  ) as [Seed, Seed, Seed, Seed];
  return { provider, contoso, fabrikam, tailspin };
}

/** The MSSP seeds as the list simulator servers take (provider first). */
export function msspSeedList(seeds: MsspSeeds): Seed[] {
  return [seeds.provider, seeds.contoso, seeds.fabrikam, seeds.tailspin];
}
