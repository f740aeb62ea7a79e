import type { Context } from 'mocha';

/** True when the run is CI's: CI sets CI=true (GitHub Actions and .ci/run do); "false" or "0" mean a local run. */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}

/**
 * For a test that needs a tool outside node_modules' guarantees (Chromium, the Agents Playground): where it is
 * missing, CI fails — a skip would turn CI green without the test ever running — and a local run skips, saying
 * what is missing and how to get it.
 */
export function requireTool(
  ctx: Pick<Context, 'skip'>,
  tool: { present: boolean; what: string; install: string },
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = (message) => console.warn(message),
): void {
  if (tool.present) return;
  if (isCi(env)) throw new Error(`${tool.what} is missing, and CI requires it: ${tool.install}`);
  warn(`      (skipped: ${tool.what} is missing; ${tool.install}. With CI=true this fails instead.)`);
  ctx.skip();
}
