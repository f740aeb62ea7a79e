import type { Context, Suite } from 'mocha';
import { mulberry32 } from './seededRandom';

function shuffleInPlace<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/** Shuffles the files, describes and its of a suite tree (hooks stay where they are). */
export function shuffleSuite(suite: Suite, random: () => number): void {
  shuffleInPlace(suite.suites, random);
  shuffleInPlace(suite.tests, random);
  for (const child of suite.suites) shuffleSuite(child, random);
}

/** The seed of this run: SHUFFLE_SEED when set (to replay an order), else a random one. */
export function shuffleSeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.SHUFFLE_SEED;
  if (given === undefined || given === '') return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(given);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`SHUFFLE_SEED must be a whole number, not "${given}"`);
  return seed;
}

const seed = shuffleSeed();

/**
 * Mocha root hooks for `npm run test:shuffled`: runs the suite's files, describes and its in a seeded random
 * order, printing the seed before and after, so a test that leans on another test's leftovers fails and the
 * order can be replayed with SHUFFLE_SEED=<seed>. Mocha has no shuffle of its own.
 */
export const mochaHooks = {
  beforeAll(this: Context): void {
    let root = this.test?.parent;
    while (root?.parent) root = root.parent;
    if (!root) throw new Error('shuffle: no root suite');
    shuffleSuite(root, mulberry32(seed));
    console.log(`Shuffled test order, seed ${seed} (replay: SHUFFLE_SEED=${seed} npm run test:shuffled)`);
  },
  afterAll(): void {
    console.log(`Shuffled test order, seed ${seed} (replay: SHUFFLE_SEED=${seed} npm run test:shuffled)`);
  },
};
